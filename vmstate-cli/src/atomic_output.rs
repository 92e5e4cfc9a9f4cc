//! Where `set` and `convert` write: standard output, or a file that takes
//! the target's name only once the whole stream is written.
//!
//! The file is unnamed while it is written (Linux `O_TMPFILE`): a run that
//! fails, is interrupted (SIGINT, SIGTERM, even SIGKILL) or fills the disk
//! leaves the target as it was and nothing beside it, since the kernel frees
//! an unnamed file when its last descriptor closes. On file systems without
//! unnamed files a hidden named file is used instead, removed on failure.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::os::fd::AsFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, Mode, OFlags};
use rustix::io::Errno;

use crate::Failure;

/// The output of `set` and `convert`.
pub enum Output {
    Stdout,
    /// An existing file that is not a regular file (a device such as
    /// `/dev/null`, a FIFO): written in place, since renaming over it would
    /// replace the node.
    Direct {
        target: PathBuf,
        file: File,
    },
    /// An unnamed file in the target's directory, linked in place by
    /// [`Output::commit`].
    Unnamed {
        target: PathBuf,
        file: File,
    },
    /// A hidden file beside the target, renamed over it by
    /// [`Output::commit`] and removed when dropped before that.
    Named {
        temporary: PathBuf,
        target: PathBuf,
        file: File,
    },
    /// A spool for a stream that goes into a container (a libvirt save
    /// image): [`Output::commit`] hands it, rewound, to `finish`, which
    /// writes the container to the real output and commits that.
    Spool {
        file: File,
        finish: Option<Finish>,
    },
}

/// What a [`Output::Spool`] does with the stream once it is whole.
pub type Finish = Box<dyn FnOnce(File) -> Result<(), Failure>>;

impl Output {
    /// Opens the output for `target` (`-` is standard output).
    ///
    /// # Errors
    /// [`Failure::Io`] when no file can be created in the target's directory,
    /// naming a directory that does not exist.
    pub fn create(target: &Path) -> Result<Self, Failure> {
        if target == Path::new("-") {
            return Ok(Self::Stdout);
        }
        let cannot = |e: io::Error| cannot_create(target, &e);
        if std::fs::metadata(target).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            let file = File::options().write(true).open(target).map_err(cannot)?;
            return Ok(Self::Direct {
                target: target.to_owned(),
                file,
            });
        }
        if let Some(file) = unnamed_in(&directory_of(target)).map_err(cannot)? {
            return Ok(Self::Unnamed {
                target: target.to_owned(),
                file,
            });
        }
        let temporary = temporary_name(target);
        let file = File::create(&temporary).map_err(|e| cannot_create(&temporary, &e))?;
        Ok(Self::Named {
            temporary,
            target: target.to_owned(),
            file,
        })
    }

    /// An output that collects the stream in `spool` and, on commit, gives
    /// it to `finish`.
    pub fn spool(spool: File, finish: Finish) -> Self {
        Self::Spool {
            file: spool,
            finish: Some(finish),
        }
    }

    /// A writer at the start of the output.
    ///
    /// # Errors
    /// [`Failure::BadInput`] when the file cannot be duplicated.
    pub fn file(&self) -> Result<Box<dyn Write>, Failure> {
        match self {
            Self::Stdout => Ok(Box::new(io::stdout().lock())),
            Self::Direct { file, target } => Ok(Box::new(clone(file, target)?)),
            Self::Unnamed { file, target } | Self::Named { file, target, .. } => {
                let mut clone = clone(file, target)?;
                clone
                    .seek(SeekFrom::Start(0))
                    .map_err(|e| Failure::BadInput(format!("{}: {e}", target.display())))?;
                Ok(Box::new(clone))
            }
            Self::Spool { file, .. } => {
                let mut clone = clone(file, Path::new("the spool"))?;
                clone
                    .seek(SeekFrom::Start(0))
                    .map_err(|e| Failure::Io(format!("the spool: {e}")))?;
                Ok(Box::new(clone))
            }
        }
    }

    /// The file itself, when the output is a new regular file: a writer that
    /// can seek leaves the zero pages of mapped-ram regions as holes. `None`
    /// for standard output and for devices.
    ///
    /// # Errors
    /// [`Failure::BadInput`] when the file cannot be duplicated.
    pub fn seekable(&self) -> Result<Option<File>, Failure> {
        match self {
            Self::Stdout | Self::Direct { .. } => Ok(None),
            Self::Unnamed { file, target } | Self::Named { file, target, .. } => {
                clone(file, target).map(Some)
            }
            Self::Spool { file, .. } => clone(file, Path::new("the spool")).map(Some),
        }
    }

    /// Gives the written file the target's name.
    ///
    /// # Errors
    /// [`Failure::BadInput`] when linking or renaming fails; the target is
    /// then as it was.
    pub fn commit(mut self) -> Result<(), Failure> {
        let failed = |target: &Path, e: io::Error| {
            Failure::Io(format!("cannot write {}: {e}", target.display()))
        };
        if let Self::Spool { file, finish } = &mut self
            && let Some(finish) = finish.take()
        {
            let mut file = clone(file, Path::new("the spool"))?;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| Failure::Io(format!("the spool: {e}")))?;
            return finish(file);
        }
        match &self {
            Self::Stdout | Self::Direct { .. } | Self::Spool { .. } => Ok(()),
            Self::Named {
                temporary, target, ..
            } => std::fs::rename(temporary, target).map_err(|e| failed(target, e)),
            Self::Unnamed { target, file } => {
                // A new target is linked in one step. `linkat` never replaces
                // a file, so an existing one is replaced by linking under a
                // hidden name and renaming that over it.
                match link(file, target) {
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    other => return other.map_err(|e| failed(target, e)),
                }
                let temporary = temporary_name(target);
                link(file, &temporary).map_err(|e| failed(target, e))?;
                std::fs::rename(&temporary, target).map_err(|e| {
                    let _ = std::fs::remove_file(&temporary);
                    failed(target, e)
                })
            }
        }
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Still here means not committed: remove the partial file. After a
        // rename this finds nothing to remove; an unnamed file goes away with
        // its descriptor.
        if let Self::Named { temporary, .. } = self {
            let _ = std::fs::remove_file(temporary);
        }
    }
}

/// A new file in `dir` that has no name, so that nothing is left if the
/// process ends before it is linked; `None` when the file system has no
/// unnamed files.
///
/// # Errors
/// Any other failure to create a file in `dir`.
pub fn unnamed_in(dir: &Path) -> io::Result<Option<File>> {
    match rustix::fs::openat(
        CWD,
        dir,
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o666),
    ) {
        Ok(fd) => Ok(Some(File::from(fd))),
        // Kernels and file systems without O_TMPFILE answer one of these.
        Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL | Errno::NOSYS) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Gives the unnamed `file` the name `path`.
fn link(file: &File, path: &Path) -> io::Result<()> {
    // Through /proc, which any user may do; without /proc, by descriptor,
    // which needs CAP_DAC_READ_SEARCH.
    let proc_path = format!("/proc/self/fd/{}", rustix::fd::AsRawFd::as_raw_fd(file));
    match rustix::fs::linkat(CWD, proc_path.as_str(), CWD, path, AtFlags::SYMLINK_FOLLOW) {
        Err(Errno::NOENT) => {
            rustix::fs::linkat(file.as_fd(), "", CWD, path, AtFlags::EMPTY_PATH).map_err(Into::into)
        }
        other => other.map_err(Into::into),
    }
}

fn clone(file: &File, target: &Path) -> Result<File, Failure> {
    file.try_clone()
        .map_err(|e| Failure::BadInput(format!("{}: {e}", target.display())))
}

fn directory_of(target: &Path) -> PathBuf {
    target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_owned()
}

/// `.NAME.vmstate-PID.tmp` beside `target`.
fn temporary_name(target: &Path) -> PathBuf {
    let file_name = target.file_name().map_or_else(
        || "output".into(),
        |name| name.to_string_lossy().into_owned(),
    );
    directory_of(target).join(format!(".{file_name}.vmstate-{}.tmp", std::process::id()))
}

/// Why `path` cannot be created, naming its directory when that is what is
/// missing (the OS error alone says only "No such file or directory").
fn cannot_create(path: &Path, error: &io::Error) -> Failure {
    let directory = directory_of(path);
    if error.kind() == io::ErrorKind::NotFound && !directory.is_dir() {
        return Failure::Io(format!(
            "cannot create {}: the directory {} does not exist",
            path.display(),
            directory.display()
        ));
    }
    Failure::Io(format!("cannot create {}: {error}", path.display()))
}
