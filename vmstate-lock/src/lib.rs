//! The layout lock of [vmstate](https://docs.rs/vmstate): `vmstate.lock`, a
//! committed text file that records the wire layout of every released
//! version of every locked type, keyed by the type's module path and name.
//!
//! This crate is the lock format's only parser and writer, shared by the
//! `#[derive(VmState)]` macro (which reads the lock while it expands, and so
//! must not depend on the runtime) and the runtime (which records, and reads
//! `[release NAME]` blocks). It depends on `std` alone. It also holds the
//! few facts the derive checks that the runtime defines: the names of QEMU's
//! migration priorities, and const string equality.
//!
//! Use it through `vmstate::lock`; its items are re-exported there.

mod format;
mod priority;
mod record;
mod render;

pub use format::{
    Entry, Field, Layout, Lock, LockError, LockErrorKind, Part, ReleaseBlock, Subsection, Wire,
    name_word, split_key,
};
pub use priority::Priority;
pub use record::{RecordError, Recorded, record};
pub use render::render_entry;

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
