//! Where `set` and `convert` write: a stream file or standard output
//! ([`Output`]; a libvirt save image when the input was one), or a qcow2
//! image's internal snapshot (`OUT@NAME`), the same kind of file the input
//! was.
//!
//! A snapshot's new state is spooled to an unnamed file beside the image,
//! then put in place by [`qcow2::Image::replace_vm_state`], which leaves the
//! image whole at every instant. The image is locked the way QEMU locks it,
//! so a running QEMU that has it open makes the write fail rather than
//! change under it. `-o NEW@NAME` for an image that does not exist yet
//! writes a copy of the input's image with the new state, named only once
//! complete.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use rustix::fs::{FallocateFlags, FlockOperation};
use vmstate::container::qcow2::{Image, Snapshot};

use crate::CommandError;
use crate::atomic_output::Output;
use crate::input::{Input, Location, in_image, split_snapshot, tempfile_in};

/// The output of `set` and `convert`.
pub enum Target {
    /// A stream file or standard output.
    Stream(Output),
    /// A snapshot of a qcow2 image.
    Snapshot(Box<SnapshotTarget>),
}

/// A qcow2 snapshot being written: the new state gathers in `spool`.
pub struct SnapshotTarget {
    spool: File,
    image: PathBuf,
    name: String,
    /// The snapshot as the input read it, when the input is this snapshot:
    /// the write is refused if the image changed since.
    expected: Option<Snapshot>,
    /// For a new image: the image it copies.
    copy_of: Option<PathBuf>,
}

impl Target {
    /// Opens the output named `path` for a stream read from `input`.
    pub fn create(path: &Path, input: &Input) -> Result<Self, CommandError> {
        if path != Path::new("-")
            && std::fs::symlink_metadata(path).is_err()
            && let (Some(from), Some((image, name))) = (&input.snapshot, split_snapshot(path))
            && std::fs::symlink_metadata(&image).is_err()
        {
            return Ok(Self::Snapshot(Box::new(SnapshotTarget {
                spool: spool_beside(&image)?,
                expected: names(&from.snapshot, &name).then(|| from.snapshot.clone()),
                image,
                name,
                copy_of: Some(from.image.clone()),
            })));
        }
        match Location::of(path)? {
            // Committed only if the input is as it was read: another
            // writer's change to it is never silently undone.
            Location::Stream(path) => Ok(Self::Stream(
                crate::libvirt_image::output(&path, input.libvirt.clone())?
                    .watching(input.guard()?),
            )),
            Location::Qcow2 {
                image,
                snapshot: None,
            } => Err(CommandError::Usage(format!(
                "{} is a qcow2 image: write into one of its snapshots as {}@NAME",
                image.display(),
                image.display()
            ))),
            Location::Qcow2 {
                image,
                snapshot: Some(name),
            } => {
                let expected = input.snapshot.as_ref().and_then(|from| {
                    (same_file(&from.image, &image) && names(&from.snapshot, &name))
                        .then(|| from.snapshot.clone())
                });
                Ok(Self::Snapshot(Box::new(SnapshotTarget {
                    spool: spool_beside(&image)?,
                    image,
                    name,
                    expected,
                    copy_of: None,
                })))
            }
        }
    }

    /// The file itself when the output is a file (a stream file, or the
    /// snapshot's spool), so a writer can seek; `None` for standard output
    /// and devices.
    pub fn seekable(&self) -> Result<Option<File>, CommandError> {
        match self {
            Self::Stream(output) => output.seekable(),
            Self::Snapshot(target) => target
                .spool
                .try_clone()
                .map(Some)
                .map_err(|e| CommandError::Io(format!("spooling the new state: {e}"))),
        }
    }

    /// Whether the output is a file synced before it takes its name, whose
    /// writeback is worth starting while it is written (see
    /// [`crate::writeback`]); a snapshot's spool is read back instead.
    pub fn synced(&self) -> bool {
        match self {
            Self::Stream(output) => output.synced(),
            Self::Snapshot(_) => false,
        }
    }

    /// A writer at the start of the output.
    pub fn file(&self) -> Result<Box<dyn Write>, CommandError> {
        match self {
            Self::Stream(output) => output.file(),
            Self::Snapshot(_) => Ok(Box::new(self.seekable()?.ok_or_else(|| {
                CommandError::Io("spooling the new state: no file".to_owned())
            })?)),
        }
    }

    /// Gives the written stream its place: OUT's name, or the snapshot.
    pub fn commit(self) -> Result<(), CommandError> {
        match self {
            Self::Stream(output) => output.commit(),
            Self::Snapshot(target) => target.commit(),
        }
    }
}

impl SnapshotTarget {
    fn commit(mut self) -> Result<(), CommandError> {
        let len = self
            .spool
            .seek(SeekFrom::End(0))
            .and_then(|len| self.spool.seek(SeekFrom::Start(0)).map(|_| len))
            .map_err(|e| CommandError::Io(format!("rereading the new state: {e}")))?;
        let Some(original) = self.copy_of.take() else {
            let file = File::options()
                .read(true)
                .write(true)
                .open(&self.image)
                .map_err(|e| {
                    CommandError::Io(format!("cannot open {}: {e}", self.image.display()))
                })?;
            lock(&file, &self.image)?;
            return self.write_into(file, len);
        };
        // A new image: a copy of the input's, with the new state, named
        // only once whole.
        let output = Output::create(&self.image)?;
        let mut copy = output.seekable()?.ok_or_else(|| {
            CommandError::Usage(format!("{} is not a regular file", self.image.display()))
        })?;
        let mut from = File::open(&original)
            .map_err(|e| CommandError::Io(format!("cannot open {}: {e}", original.display())))?;
        std::io::copy(&mut from, &mut copy).map_err(|e| {
            CommandError::Io(format!(
                "copying {} to {}: {e}",
                original.display(),
                self.image.display()
            ))
        })?;
        self.write_into(copy, len)?;
        output.commit()
    }

    /// Puts the spooled state into snapshot `name` of the image in `file`,
    /// then gives the freed clusters' space back to the file system.
    fn write_into(mut self, file: File, len: u64) -> Result<(), CommandError> {
        let mut image = Image::open(file).map_err(|e| in_image(&self.image, &e))?;
        let index = image
            .find(&self.name)
            .map_err(|e| in_image(&self.image, &e))?;
        let expected = self
            .expected
            .take()
            .unwrap_or_else(|| image.snapshots()[index].clone());
        if !expected.has_vm_state() {
            return Err(CommandError::Usage(format!(
                "{}@{}: the snapshot saved the disks only; a VM state can only replace another",
                self.image.display(),
                self.name
            )));
        }
        let replaced = image
            .replace_vm_state(index, &expected, &mut self.spool, len)
            .map_err(|e| in_image(&self.image, &e))?;
        for (offset, length) in replaced.freed {
            // As QEMU discards freed clusters; a file system that cannot
            // punch holes keeps them allocated, which is harmless.
            let _ = rustix::fs::fallocate(
                image.file(),
                FallocateFlags::PUNCH_HOLE | FallocateFlags::KEEP_SIZE,
                offset,
                length,
            );
        }
        Ok(())
    }
}

/// Takes the write lock QEMU's own locks conflict with: fails when a QEMU
/// (or another writer) has the image open.
fn lock(file: &File, image: &Path) -> Result<(), CommandError> {
    rustix::fs::fcntl_lock(file, FlockOperation::NonBlockingLockExclusive).map_err(|e| {
        CommandError::Io(format!(
            "{} is in use (a running QEMU or another program has it open: {e}); stop it and try again",
            image.display()
        ))
    })
}

/// Whether `name` names `snapshot` (by name or ID).
fn names(snapshot: &Snapshot, name: &str) -> bool {
    snapshot.name == name || snapshot.id == name
}

fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// An unnamed file in the image's directory, for the new state.
fn spool_beside(image: &Path) -> Result<File, CommandError> {
    let directory = image
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    tempfile_in(directory)
}
