//! Whether the input is still what `set` or `convert` read: an output made
//! from a file that another program rewrote or replaced meanwhile would
//! either mix two versions or silently undo that program's change (eight
//! concurrent `set f -o f` would keep one edit of eight).
//!
//! The guard remembers the input's identity and its size and times as
//! opened. At commit, [`Guard::lock`] takes an exclusive `flock` on the
//! input's inode and checks that the input's path still names that inode,
//! unchanged. Every vmstate run that replaces a file it read holds this lock
//! from the check until the new file has the name, so of several runs that
//! read one file exactly one commits; the others find the name moved to a
//! new inode and fail.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;

use crate::CommandError;

/// How long a commit waits for another run's commit on the same input:
/// that holds the lock only while it syncs and renames.
const LOCK_WAIT: Duration = Duration::from_mins(1);

/// The input as it was opened.
#[derive(Debug)]
pub struct Guard {
    path: PathBuf,
    file: File,
    opened: Fingerprint,
}

/// What changes when a file is written, replaced or truncated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    device: u64,
    inode: u64,
    size: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

impl Fingerprint {
    fn of(stat: &Metadata) -> Self {
        Self {
            device: stat.dev(),
            inode: stat.ino(),
            size: stat.size(),
            modified: (stat.mtime(), stat.mtime_nsec()),
            changed: (stat.ctime(), stat.ctime_nsec()),
        }
    }
}

/// The input is locked until this is dropped.
pub struct Locked<'a>(&'a File);

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

impl Guard {
    /// Remembers `file`, just opened from `path`. `None` for what is not a
    /// regular file (standard input spooled, a pipe, a device): nothing
    /// else can be replaced under its name.
    ///
    /// # Errors
    /// [`CommandError::BadInput`] when the file cannot be examined.
    pub fn watch(path: &Path, file: &File) -> Result<Option<Self>, CommandError> {
        if path == Path::new("-") {
            return Ok(None);
        }
        let failed = |e: std::io::Error| CommandError::BadInput(format!("{}: {e}", path.display()));
        let opened = file.metadata().map_err(failed)?;
        if !opened.is_file() {
            return Ok(None);
        }
        Ok(Some(Self {
            path: path.to_owned(),
            file: file.try_clone().map_err(failed)?,
            opened: Fingerprint::of(&opened),
        }))
    }

    /// Another guard on the same file, with what was seen at its opening.
    ///
    /// # Errors
    /// [`CommandError::BadInput`] when the file cannot be duplicated.
    pub fn duplicate(&self) -> Result<Self, CommandError> {
        Ok(Self {
            path: self.path.clone(),
            file: self
                .file
                .try_clone()
                .map_err(|e| CommandError::BadInput(format!("{}: {e}", self.path.display())))?,
            opened: self.opened,
        })
    }

    /// The input's owner, group and mode bits as opened: what a new output
    /// takes.
    pub fn ownership(&self) -> Result<Metadata, CommandError> {
        self.file
            .metadata()
            .map_err(|e| CommandError::BadInput(format!("{}: {e}", self.path.display())))
    }

    /// Locks the input against other vmstate commits and checks that it is
    /// as it was opened.
    ///
    /// # Errors
    /// [`CommandError::Io`] naming the input when it changed (written,
    /// truncated, replaced or removed) since it was opened, or when another
    /// run holds the lock for longer than [`LOCK_WAIT`].
    pub fn lock(&self) -> Result<Locked<'_>, CommandError> {
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            match self.file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(CommandError::Io(format!(
                        "{}: another program has held a lock on it for {} s; nothing written",
                        self.path.display(),
                        LOCK_WAIT.as_secs()
                    )));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(CommandError::Io(format!(
                        "cannot lock {}: {e}",
                        self.path.display()
                    )));
                }
            }
        }
        let locked = Locked(&self.file);
        let now = self.file.metadata().map(|s| Fingerprint::of(&s));
        let named = std::fs::metadata(&self.path).map(|s| (s.dev(), s.ino()));
        let changed = match (now, named) {
            (Ok(now), _) if now != self.opened => Some("was written to"),
            (_, Ok(named)) if named != (self.opened.device, self.opened.inode) => {
                Some("was replaced by another file")
            }
            (_, Err(_)) => Some("was removed or renamed"),
            _ => None,
        };
        if let Some(how) = changed {
            return Err(CommandError::Io(format!(
                "{} {how} while vmstate read it (another program, or another vmstate, \
                 changed it); nothing written, so that change is kept: run the command again",
                self.path.display()
            )));
        }
        Ok(locked)
    }
}
