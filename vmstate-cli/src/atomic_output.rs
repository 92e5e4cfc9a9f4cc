//! Where `set` and `convert` write: standard output, or a file that takes
//! the target's name only once the whole stream is written and on disk.
//!
//! The file is created private (mode 0600) and unnamed (Linux `O_TMPFILE`):
//! a run that fails, is interrupted (SIGINT, SIGTERM, even SIGKILL) or fills
//! the disk leaves the target as it was and nothing beside it, since the
//! kernel frees an unnamed file when its last descriptor closes. On file
//! systems without unnamed files, a hidden file with an unpredictable name
//! is created instead (`O_EXCL|O_NOFOLLOW`), removed on failure.
//!
//! Replacing an existing target needs a name for a moment (`linkat` never
//! replaces a file; `rename` does): `.NAME.vmstate-RANDOM.tmp`. Its writer
//! holds an `flock` on it from creation to the end, so a run killed between
//! the link and the rename leaves a file nobody has locked, which the next
//! run writing beside it recognises and removes (see [`remove_leftovers`]).
//!
//! Before the name is taken the file gets the owner, group and mode of the
//! file it replaces (or of the input, for a new target), is synced, and the
//! input is checked to be unchanged under a lock ([`Guard`]); the directory
//! is synced after.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, CWD, Mode, OFlags};
use rustix::io::Errno;

use crate::CommandError;
use crate::input_guard::Guard;

/// Where the output goes.
enum Kind {
    Stdout,
    /// An existing file that is not a regular file (a device such as
    /// `/dev/null`, a FIFO): written in place, since renaming over it would
    /// replace the node.
    Direct {
        file: File,
    },
    /// An unnamed file in the target's directory, linked in place by
    /// [`Output::commit`].
    Unnamed {
        file: File,
    },
    /// A hidden file beside the target, renamed over it by
    /// [`Output::commit`] and removed when dropped before that.
    Named {
        temporary: PathBuf,
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

/// What a spooled output does with the stream once it is whole.
pub type Finish = Box<dyn FnOnce(File) -> Result<(), CommandError>>;

/// The output of `set` and `convert`.
pub struct Output {
    kind: Kind,
    target: PathBuf,
    /// The input, checked to be unchanged when the output is committed.
    input: Option<Guard>,
}

impl Output {
    /// Opens the output for `target` (`-` is standard output).
    ///
    /// # Errors
    /// [`CommandError::Io`] when no file can be created in the target's directory,
    /// naming a directory that does not exist.
    pub fn create(target: &Path) -> Result<Self, CommandError> {
        let output = |kind| Self {
            kind,
            target: target.to_owned(),
            input: None,
        };
        if target == Path::new("-") {
            return Ok(output(Kind::Stdout));
        }
        let cannot = |e: io::Error| cannot_create(target, &e);
        if std::fs::metadata(target).is_ok_and(|m| !m.is_file() && !m.is_dir()) {
            let file = File::options().write(true).open(target).map_err(cannot)?;
            return Ok(output(Kind::Direct { file }));
        }
        let directory = directory_of(target);
        remove_leftovers(&directory, target);
        if let Some(file) = unnamed_in(&directory).map_err(cannot)? {
            hold(&file, target)?;
            return Ok(output(Kind::Unnamed { file }));
        }
        let (temporary, file) = named_beside(target)?;
        Ok(output(Kind::Named { temporary, file }))
    }

    /// An output that collects the stream in `spool` and, on commit, gives
    /// it to `finish`.
    pub fn spool(spool: File, finish: Finish) -> Self {
        Self {
            kind: Kind::Spool {
                file: spool,
                finish: Some(finish),
            },
            target: PathBuf::from("the spool"),
            input: None,
        }
    }

    /// The same output, committed only if `input` (what it is made from) is
    /// unchanged then.
    #[must_use]
    pub fn watching(mut self, input: Option<Guard>) -> Self {
        self.input = input;
        self
    }

    /// A writer at the start of the output.
    ///
    /// # Errors
    /// [`CommandError::BadInput`] when the file cannot be duplicated.
    pub fn file(&self) -> Result<Box<dyn Write>, CommandError> {
        match &self.kind {
            Kind::Stdout => Ok(Box::new(io::stdout().lock())),
            Kind::Direct { file } => Ok(Box::new(clone(file, &self.target)?)),
            Kind::Unnamed { file } | Kind::Named { file, .. } | Kind::Spool { file, .. } => {
                let mut clone = clone(file, &self.target)?;
                clone.seek(SeekFrom::Start(0)).map_err(|e| {
                    CommandError::BadInput(format!("{}: {e}", self.target.display()))
                })?;
                Ok(Box::new(clone))
            }
        }
    }

    /// The file itself, when the output is a new regular file: a writer that
    /// can seek leaves the zero pages of mapped-ram regions as holes, and
    /// RAM can be copied into it by the kernel. `None` for standard output
    /// and for devices.
    ///
    /// # Errors
    /// [`CommandError::BadInput`] when the file cannot be duplicated.
    pub fn seekable(&self) -> Result<Option<File>, CommandError> {
        match &self.kind {
            Kind::Stdout | Kind::Direct { .. } => Ok(None),
            Kind::Unnamed { file } | Kind::Named { file, .. } | Kind::Spool { file, .. } => {
                clone(file, &self.target).map(Some)
            }
        }
    }

    /// Whether the output is a file that is synced before it takes its
    /// name (not standard output, a device or a spool).
    pub fn synced(&self) -> bool {
        matches!(self.kind, Kind::Unnamed { .. } | Kind::Named { .. })
    }

    /// A path by which another process (QEMU's `exec:`) writes the output.
    pub fn path_for_others(&self) -> PathBuf {
        let by_descriptor =
            |fd: i32| PathBuf::from(format!("/proc/{}/fd/{fd}", std::process::id()));
        match &self.kind {
            Kind::Stdout => by_descriptor(1),
            Kind::Direct { file } | Kind::Unnamed { file } | Kind::Spool { file, .. } => {
                by_descriptor(rustix::fd::AsRawFd::as_raw_fd(file))
            }
            Kind::Named { temporary, .. } => temporary.clone(),
        }
    }

    /// Gives the written file the target's name, with the replaced file's
    /// owner, group and mode, once it is on disk.
    ///
    /// # Errors
    /// [`CommandError::Io`] when the input changed since it was opened, or when
    /// syncing, linking or renaming fails; the target is then as it was.
    pub fn commit(mut self) -> Result<(), CommandError> {
        let target = self.target.clone();
        let failed =
            |e: io::Error| CommandError::Io(format!("cannot write {}: {e}", target.display()));
        // The lock is held until the new file has its name: of several runs
        // that read one file, one commits and the others see it replaced.
        let _locked = self.input.as_ref().map(Guard::lock).transpose()?;
        if let Kind::Spool { file, finish } = &mut self.kind {
            let Some(finish) = finish.take() else {
                return Ok(());
            };
            let mut file = clone(file, &target)?;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| CommandError::Io(format!("the spool: {e}")))?;
            return finish(file);
        }
        let file = match &self.kind {
            Kind::Stdout | Kind::Direct { .. } | Kind::Spool { .. } => return Ok(()),
            Kind::Unnamed { file } | Kind::Named { file, .. } => file,
        };
        take_ownership(file, &target, self.input.as_ref())?;
        file.sync_all().map_err(failed)?;
        match &self.kind {
            Kind::Named { temporary, .. } => {
                std::fs::rename(temporary, &target).map_err(failed)?;
                // Renamed: nothing is left for `drop` to remove.
                self.kind = Kind::Stdout;
            }
            Kind::Unnamed { file } => match link(file, &target) {
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                    let temporary = temporary_name(&target)?;
                    link(file, &temporary).map_err(failed)?;
                    std::fs::rename(&temporary, &target).map_err(|e| {
                        let _ = std::fs::remove_file(&temporary);
                        failed(e)
                    })?;
                }
                other => other.map_err(failed)?,
            },
            Kind::Stdout | Kind::Direct { .. } | Kind::Spool { .. } => {}
        }
        sync_directory(&directory_of(&target)).map_err(failed)
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        // Still here means not committed: remove the partial file. An
        // unnamed file goes away with its descriptor.
        if let Kind::Named { temporary, .. } = &self.kind {
            let _ = std::fs::remove_file(temporary);
        }
    }
}

/// Gives `file` the owner, group and permission bits of the file `target`
/// names now, or else of the input, or else the umask's default. An owner or
/// group that cannot be given (not root, not a member of the group) is left
/// as the creator's, and the permission bits it would have had are cleared,
/// so that nobody reads the new file who could not read the old one.
fn take_ownership(file: &File, target: &Path, input: Option<&Guard>) -> Result<(), CommandError> {
    let failed = |e: io::Error| CommandError::Io(format!("cannot write {}: {e}", target.display()));
    let (uid, gid, mut mode) = match std::fs::metadata(target) {
        Ok(old) if old.is_file() => (old.uid(), old.gid(), old.mode() & 0o7777),
        _ => {
            if let Some(input) = input {
                let stat = input.ownership()?;
                (stat.uid(), stat.gid(), stat.mode() & 0o7777)
            } else {
                let mine = file.metadata().map_err(failed)?;
                (mine.uid(), mine.gid(), 0o666 & !umask())
            }
        }
    };
    let mine = file.metadata().map_err(failed)?;
    if (mine.uid(), mine.gid()) != (uid, gid)
        && std::os::unix::fs::fchown(file, Some(uid), Some(gid)).is_err()
    {
        // Not permitted: keep the group at least, when we are in it.
        let _ = std::os::unix::fs::fchown(file, None, Some(gid));
    }
    let now = file.metadata().map_err(failed)?;
    if now.uid() != uid {
        mode &= !0o6000;
    }
    if now.gid() != gid {
        mode &= !0o2070;
    }
    rustix::fs::fchmod(file, Mode::from_raw_mode(mode)).map_err(|e| failed(e.into()))
}

/// The process's umask, read without changing it.
fn umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| u32::from_str_radix(line.strip_prefix("Umask:")?.trim(), 8).ok())
        })
        .unwrap_or(0o022)
}

/// A new private file in `dir` that has no name, so that nothing is left if
/// the process ends before it is linked; `None` when the file system has no
/// unnamed files.
///
/// # Errors
/// Any other failure to create a file in `dir`.
pub fn unnamed_in(dir: &Path) -> io::Result<Option<File>> {
    match rustix::fs::openat(
        CWD,
        dir,
        OFlags::TMPFILE | OFlags::RDWR | OFlags::CLOEXEC,
        Mode::from_raw_mode(0o600),
    ) {
        Ok(fd) => Ok(Some(File::from(fd))),
        // Kernels and file systems without O_TMPFILE answer one of these.
        Err(Errno::OPNOTSUPP | Errno::ISDIR | Errno::INVAL | Errno::NOSYS) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// A new private file with an unpredictable name beside `target`, created
/// only if no file or link has that name, and locked (see [`hold`]).
fn named_beside(target: &Path) -> Result<(PathBuf, File), CommandError> {
    let temporary = temporary_name(target)?;
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc_flags(OFlags::NOFOLLOW | OFlags::CLOEXEC))
        .open(&temporary)
        .map_err(|e| cannot_create(&temporary, &e))?;
    if let Err(e) = hold(&file, target) {
        let _ = std::fs::remove_file(&temporary);
        return Err(e);
    }
    Ok((temporary, file))
}

fn libc_flags(flags: OFlags) -> i32 {
    i32::try_from(flags.bits()).unwrap_or(0)
}

/// Locks `file` for as long as this run has it open: a named copy whose
/// lock nobody holds is a leftover of a run that died.
fn hold(file: &File, target: &Path) -> Result<(), CommandError> {
    file.try_lock().map_err(|e| {
        CommandError::Io(format!(
            "cannot lock the output for {}: {e}",
            target.display()
        ))
    })
}

/// Removes the `.NAME.vmstate-*.tmp` files beside `target` that no running
/// vmstate holds: what a run killed between linking and renaming its output
/// left. A file some run holds (still writing) is left alone; the lock is
/// taken on the very file the name pointed to, and the name is removed only
/// if it still points there.
pub fn remove_leftovers(directory: &Path, target: &Path) {
    let Some(prefix) = target
        .file_name()
        .map(|name| format!(".{}.vmstate-", name.to_string_lossy()))
    else {
        return;
    };
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(&prefix) && name.ends_with(".tmp")) {
            continue;
        }
        let path = entry.path();
        let Ok(file) = File::options()
            .read(true)
            .custom_flags(libc_flags(
                OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC,
            ))
            .open(&path)
        else {
            continue;
        };
        let same = |a: &std::fs::Metadata, b: &std::fs::Metadata| {
            a.is_file() && (a.dev(), a.ino()) == (b.dev(), b.ino())
        };
        if let (Ok(opened), Ok(()), Ok(named)) = (
            file.metadata(),
            file.try_lock(),
            std::fs::symlink_metadata(&path),
        ) && same(&opened, &named)
        {
            let _ = std::fs::remove_file(&path);
        }
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

/// Makes a rename or link in `directory` durable.
fn sync_directory(directory: &Path) -> io::Result<()> {
    File::open(directory)?.sync_all()
}

fn clone(file: &File, target: &Path) -> Result<File, CommandError> {
    file.try_clone()
        .map_err(|e| CommandError::BadInput(format!("{}: {e}", target.display())))
}

fn directory_of(target: &Path) -> PathBuf {
    target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_owned()
}

/// `.NAME.vmstate-RANDOM.tmp` beside `target`: hidden, recognisable by the
/// next run, and not guessable by another user who could plant a link there.
fn temporary_name(target: &Path) -> Result<PathBuf, CommandError> {
    let file_name = target.file_name().map_or_else(
        || "output".into(),
        |name| name.to_string_lossy().into_owned(),
    );
    let mut random = [0u8; 8];
    rustix::rand::getrandom(&mut random, rustix::rand::GetRandomFlags::empty())
        .map_err(|e| CommandError::Io(format!("cannot create {}: {e}", target.display())))?;
    Ok(directory_of(target).join(format!(
        ".{file_name}.vmstate-{:016x}.tmp",
        u64::from_ne_bytes(random)
    )))
}

/// Why `path` cannot be created, naming its directory when that is what is
/// missing (the OS error alone says only "No such file or directory").
fn cannot_create(path: &Path, error: &io::Error) -> CommandError {
    let directory = directory_of(path);
    if error.kind() == io::ErrorKind::NotFound && !directory.is_dir() {
        return CommandError::Io(format!(
            "cannot create {}: the directory {} does not exist",
            path.display(),
            directory.display()
        ));
    }
    CommandError::Io(format!("cannot create {}: {error}", path.display()))
}
