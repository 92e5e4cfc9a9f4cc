//! The layout lock: `vmstate.lock`, a committed text file that records the
//! wire layout of every released version of every locked type, keyed by the
//! type's module path and name (several types may share a VMSD name).
//!
//! The text format is the `vmstate-lock` crate's, which the derive reads
//! without depending on this runtime; its items are re-exported here. A
//! recorded layout is a [`Schema`] in its owned form, as
//! [`Schema::recorded_at`] gives it. This module adds the [`compare`]
//! functions that the derive's `const` assertions call, and recording from a
//! test run under `VMSTATE_LOCK=record` ([`record`]).

pub mod compare;

use std::path::Path;

pub use vmstate_lock::{
    Entry, Lock, LockError, LockErrorKind, RecordError, Recorded, ReleaseBlock, name_word,
    split_key,
};

use crate::schema::Schema;

/// The `[key vN]` block for `schema` at `version`, ending in a newline.
#[must_use]
pub fn render_entry(key: &str, schema: &Schema, version: u32) -> String {
    vmstate_lock::render_entry(key, &schema.recorded_at(version))
}

/// Adds to the lock at `path` every version of `schema` from its minimum to
/// its current one that `key` has no entry for, and, with `release`, lists
/// the current version in `[release NAME]` unless it is there. Creates the
/// file when missing. Returns the versions recorded.
///
/// # Errors
/// [`RecordError::Unreadable`] when the file exists but does not parse (it is
/// left as it is); [`RecordError::Io`] when it cannot be locked, read or
/// written.
pub fn record(
    path: &Path,
    key: &str,
    schema: &Schema,
    release: Option<&str>,
) -> Result<Vec<u32>, RecordError> {
    record_schema(path, key, schema, release).map(|recorded| recorded.versions)
}

fn record_schema(
    path: &Path,
    key: &str,
    schema: &Schema,
    release: Option<&str>,
) -> Result<Recorded, RecordError> {
    let versions: Vec<_> = (schema.minimum_version..=schema.version)
        .map(|version| schema.recorded_at(version))
        .collect();
    vmstate_lock::record(
        path,
        key,
        &versions,
        release.map(|release| (release, schema.version)),
    )
}

/// The lock's key of type `name` in module `module_path` (as `module_path!()`
/// gives it): the module path with `crate` for the crate's own name, so that
/// a key does not depend on what the crate is called (tests and examples are
/// crates named after their files).
#[must_use]
pub fn key_of(module_path: &str, name: &str) -> String {
    // `crate` spelled apart, so that it is not read as a path.
    const CRATE: &str = "crate";
    match module_path.split_once("::") {
        Some((_, within)) => format!("{CRATE}::{within}::{name}"),
        None => format!("{CRATE}::{name}"),
    }
}

/// A line on standard error that the test harness does not capture: it
/// captures `eprintln!` of passing tests, and a recording run passes.
fn say(line: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// The test that `#[derive(VmState)]` emits for a locked type: under
/// `VMSTATE_LOCK=record` it records the type's missing versions under
/// `module::Name` (and, with `VMSTATE_RELEASE=NAME`, lists it in that
/// release), and says so on standard error when the type is new; otherwise
/// it does nothing.
///
/// # Panics
/// When recording fails, with the message of the [`RecordError`].
pub fn record_in_test(path: &str, module_path: &str, name: &str, schema: &Schema) {
    if std::env::var("VMSTATE_LOCK").is_ok_and(|v| v == "record") {
        let key = key_of(module_path, name);
        let release = std::env::var("VMSTATE_RELEASE").ok();
        match record_schema(Path::new(path), &key, schema, release.as_deref()) {
            Ok(recorded) => {
                if recorded.new_type {
                    say(&format!(
                        "vmstate: recorded new type `{key}` (VMSD `{}`) at versions {:?} in {path}",
                        schema.name, recorded.versions
                    ));
                }
                if !recorded.filled.is_empty() {
                    say(&format!(
                        "vmstate: filled in the `opaque` layouts of `{key}` at versions {:?} in {path}: check the diff against the released code",
                        recorded.filled
                    ));
                }
            }
            Err(error) => panic!("{error}"),
        }
    }
}
