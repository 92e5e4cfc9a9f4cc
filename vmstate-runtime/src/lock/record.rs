//! Recording: appending the versions a lock lacks. Only a test run under
//! `VMSTATE_LOCK=record` records (a build never writes the file), and it only
//! appends: nothing recorded is rewritten, and a lock it cannot read is
//! refused, never replaced. An exclusive file lock makes several crates or
//! test threads recording at once take turns.

use std::fmt::{self, Write as _};
use std::fs::OpenOptions;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use super::format::{Lock, LockError};
use super::render::render_entry;
use crate::schema::Schema;

/// The first lines of a new lock file.
const HEADER: &str = "\
# vmstate layout lock: the wire layout of every released version of every
# locked type. A released layout never changes: the build checks the types
# against this file and never writes it. Record new versions with
# `VMSTATE_LOCK=record cargo test` (add `VMSTATE_RELEASE=NAME` to list them in
# release NAME) and commit this file.
";

/// Why recording failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum RecordError {
    /// The file could not be opened, locked, read or written.
    Io {
        /// The lock file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The file is not a lock this version can read; it is left untouched.
    Unreadable {
        /// The lock file.
        path: PathBuf,
        /// Where and why.
        source: LockError,
    },
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "cannot record in {}: {source}", path.display()),
            Self::Unreadable { path, source } => {
                write!(f, "{}: {source}; nothing was recorded", path.display())
            }
        }
    }
}

impl std::error::Error for RecordError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Unreadable { source, .. } => Some(source),
        }
    }
}

/// Appends to the lock at `path` every version of `schema` from its minimum
/// to its current one that `key` has no entry for, and, with `release`, lists
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
    let io = |source| RecordError::Io {
        path: path.to_owned(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io)?;
    // Held until `file` drops: other recorders wait, then see what we added.
    file.lock().map_err(io)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(io)?;
    let lock = Lock::parse_bytes(&bytes).map_err(|source| RecordError::Unreadable {
        path: path.to_owned(),
        source,
    })?;
    let mut out = String::new();
    if bytes.is_empty() {
        out.push_str(HEADER);
    } else if !bytes.ends_with(b"\n") {
        out.push('\n');
    }
    let mut recorded = Vec::new();
    for version in schema.minimum_version..=schema.version {
        if lock.entry(key, version).is_none() {
            out.push('\n');
            out.push_str(&render_entry(key, schema, version));
            recorded.push(version);
        }
    }
    if let Some(release) = release.map(str::trim).filter(|r| !r.is_empty()) {
        let listed = lock
            .releases
            .iter()
            .filter(|block| block.name == release)
            .flat_map(|block| &block.members)
            .any(|(member, version)| member == key && *version == schema.version);
        if !listed {
            let _ = write!(out, "\n[release {release}]\n{key} v{}\n", schema.version);
        }
    }
    if out.trim().is_empty() {
        return Ok(recorded);
    }
    file.write_all(out.as_bytes()).map_err(io)?;
    file.flush().map_err(io)?;
    Ok(recorded)
}

/// The test that `#[derive(VmState)]` emits for a locked type: under
/// `VMSTATE_LOCK=record` it records the type's missing versions (and, with
/// `VMSTATE_RELEASE=NAME`, lists it in that release); otherwise it does
/// nothing.
///
/// # Panics
/// When recording fails, with the message of the [`RecordError`].
pub fn record_in_test(path: &str, key: &str, schema: &Schema) {
    if std::env::var("VMSTATE_LOCK").is_ok_and(|v| v == "record") {
        let release = std::env::var("VMSTATE_RELEASE").ok();
        if let Err(error) = record(Path::new(path), key, schema, release.as_deref()) {
            panic!("{error}");
        }
    }
}
