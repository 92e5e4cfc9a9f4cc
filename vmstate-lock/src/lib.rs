//! The layout lock of [vmstate](https://docs.rs/vmstate): `vmstate.lock`, a
//! committed text file that records the wire layout of every released
//! version of every locked type, keyed by the type's module path and name.
//!
//! This crate is the lock format's only parser and writer, shared by the
//! `#[derive(VmState)]` macro (which reads the lock while it expands, and so
//! must not depend on the runtime) and the runtime (which records, and reads
//! `[release NAME]` blocks). It depends on `std` alone. It also holds the
//! layout model that the lock records and the runtime's schemas are
//! ([`schema`], one model in a static and an owned form), and the few facts
//! the derive checks that the runtime defines: the rule that puts a field on
//! the wire, the names of QEMU's migration priorities, and const string
//! equality.
//!
//! Use it through `vmstate::schema` and `vmstate::lock`; its items are
//! re-exported there.

mod format;
mod priority;
mod record;
mod render;
pub mod schema;

pub use format::{Entry, Lock, LockError, LockErrorKind, ReleaseBlock, name_word, split_key};
pub use priority::Priority;
pub use record::{RecordError, Recorded, record};
pub use render::render_entry;

/// Whether a field gated by `since` and `until` is on the wire at stream
/// version `version`: from `since` on (QEMU's `field->version_id <=
/// version_id`) and, for a field removed at `until` but still written for
/// older receivers, before `until`.
///
/// This is the one statement of the rule. The derive decides with it while
/// it expands, the code it generates decides with it at run time, and the
/// runtime's schemas, layout facts and lock use it too.
#[must_use]
#[inline]
pub const fn on_wire_at(since: u32, until: Option<u32>, version: u32) -> bool {
    since <= version
        && match until {
            Some(until) => version < until,
            None => true,
        }
}

/// Whether two strings are equal, in `const` context (where `==` on `str`
/// is not available).
#[must_use]
pub const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}
