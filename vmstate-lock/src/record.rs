//! Recording: adding the versions a lock lacks. Only a test run under
//! `VMSTATE_LOCK=record` records (a build never writes the file), and it only
//! adds: nothing recorded is rewritten, and a lock it cannot read is refused,
//! never replaced. The one exception is the `opaque` word that versions
//! before views and std types had a recorded layout wrote for them: it says
//! nothing, so recording replaces it with the layout the type has now, in a
//! block that is otherwise the same. The new file is written beside the old one, synced, and
//! renamed over it, so a crash leaves the old lock or the new one, never a
//! part. An exclusive file lock makes several crates or test threads
//! recording at once take turns.

use std::fmt::{self, Write as _};
use std::fs::{File, OpenOptions};
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use crate::format::{END, Lock, LockError, RELEASE};
use crate::render::render_entry;
use crate::schema::{Owned, Schema};

/// The first lines of a new lock file.
const HEADER: &str = "\
# vmstate layout lock: the wire layout of every released version of every
# locked type, keyed by module path and name. A released layout never
# changes: the build checks the types against this file and never writes it.
# Record new versions with `VMSTATE_LOCK=record cargo test` (add
# `VMSTATE_RELEASE=NAME` to list them in release NAME) and commit this file.
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

/// What one call to [`record`] added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recorded {
    /// The versions recorded, lowest first.
    pub versions: Vec<u32>,
    /// Whether the key had no version recorded before: a new type.
    pub new_type: bool,
    /// The recorded versions whose `opaque` words were filled in.
    pub filled: Vec<u32>,
}

/// Adds to the lock at `path` every layout of `key` (each at its version,
/// as [`Schema::recorded_at`] gives it) that it has no entry for, and, with `release = Some((NAME, version))`, lists that
/// version of `key` in `[release NAME]` unless it is there. Creates the file
/// when missing.
///
/// # Errors
/// [`RecordError::Unreadable`] when the file exists but does not parse (it is
/// left as it is); [`RecordError::Io`] when it cannot be locked, read or
/// written.
pub fn record(
    path: &Path,
    key: &str,
    layouts: &[Schema<Owned>],
    release: Option<(&str, u32)>,
) -> Result<Recorded, RecordError> {
    let io = |source| RecordError::Io {
        path: path.to_owned(),
        source,
    };
    let file = lock_file(path).map_err(io)?;
    let mut bytes = Vec::new();
    (&file).read_to_end(&mut bytes).map_err(io)?;
    let existing = !bytes.is_empty();
    let lock = if existing {
        Lock::parse_bytes(&bytes).map_err(|source| RecordError::Unreadable {
            path: path.to_owned(),
            source,
        })?
    } else {
        Lock::default()
    };
    let mut added = String::new();
    let mut recorded = Recorded {
        versions: Vec::new(),
        new_type: lock.versions_of(key).is_empty(),
        filled: Vec::new(),
    };
    // Parsed, so it is UTF-8.
    let mut text = std::str::from_utf8(&bytes).unwrap_or_default().to_owned();
    // Later blocks first, so that the lines of earlier ones stay where the
    // parse found them.
    let mut fills: Vec<(usize, String, u32)> = layouts
        .iter()
        .filter_map(|layout| {
            let entry = lock.entry(key, layout.version)?;
            let filled = entry.layout.fill_opaque(layout)?;
            (filled != entry.layout)
                .then(|| (entry.line, render_entry(key, &filled), layout.version))
        })
        .collect();
    fills.sort_by_key(|fill| std::cmp::Reverse(fill.0));
    for (line, block, version) in fills {
        text = replace_block(&text, line, &block);
        recorded.filled.push(version);
    }
    recorded.filled.sort_unstable();
    for layout in layouts {
        if lock.entry(key, layout.version).is_none() {
            added.push('\n');
            added.push_str(&render_entry(key, layout));
            recorded.versions.push(layout.version);
        }
    }
    if let Some((release, version)) = release.map(|(r, v)| (r.trim(), v))
        && !release.is_empty()
    {
        let listed = lock
            .releases
            .iter()
            .filter(|block| block.name == release)
            .flat_map(|block| &block.members)
            .any(|(member, v)| member == key && *v == version);
        if !listed {
            let _ = write!(added, "\n[{RELEASE} {release}]\n{key} v{version}\n");
        }
    }
    if added.is_empty() && recorded.filled.is_empty() {
        return Ok(recorded);
    }
    // Parsed, so its last content line is `end`.
    let kept = if existing {
        text.trim_end()
            .strip_suffix(END)
            .unwrap_or(&text)
            .trim_end()
    } else {
        HEADER.trim_end()
    };
    let out = format!("{kept}\n{added}\n{END}\n");
    replace(path, out.as_bytes()).map_err(io)?;
    // `file` (and its lock) is dropped only now, after the rename.
    drop(file);
    Ok(recorded)
}

/// `text` with the block whose header is on 1-based line `header` (up to the
/// next block or `end`, blank lines after it kept) replaced by `block`.
fn replace_block(text: &str, header: usize, block: &str) -> String {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let start = header.saturating_sub(1).min(lines.len());
    let mut end = start + 1;
    while end < lines.len() {
        let line = lines[end].trim_end();
        if line.starts_with('[') || line == END {
            break;
        }
        end += 1;
    }
    while end > start + 1 && lines[end - 1].trim().is_empty() {
        end -= 1;
    }
    let end = end.min(lines.len());
    let mut out: String = lines[..start].concat();
    out.push_str(block);
    out.push_str(&lines[end..].concat());
    out
}

/// The lock file at `path`, created when missing (with its directory: a
/// configured `lock = "locks/devices.lock"` names one that may not exist
/// yet), opened and locked; since a recorder replaces the file by renaming,
/// a lock taken on a file that was replaced meanwhile is dropped and taken
/// again on the new one.
fn lock_file(path: &Path) -> std::io::Result<File> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    loop {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        file.lock()?;
        if same_file(&file, path)? {
            return Ok(file);
        }
    }
}

#[cfg(unix)]
fn same_file(file: &File, path: &Path) -> std::io::Result<bool> {
    use std::os::unix::fs::MetadataExt as _;
    let (open, named) = (file.metadata()?, std::fs::metadata(path)?);
    Ok(open.dev() == named.dev() && open.ino() == named.ino())
}

#[cfg(not(unix))]
fn same_file(_: &File, _: &Path) -> std::io::Result<bool> {
    Ok(true)
}

/// Writes `bytes` to a file beside `path`, syncs it, renames it over `path`
/// and syncs the directory, so that `path` holds the old bytes or the new.
fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().map_or_else(
        || "vmstate.lock".into(),
        |name| name.to_string_lossy().into_owned(),
    );
    let temp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let written = (|| {
        let mut file = File::create(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written?;
    sync_dir(path)
}

#[cfg(unix)]
fn sync_dir(path: &Path) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_: &Path) -> std::io::Result<()> {
    Ok(())
}
