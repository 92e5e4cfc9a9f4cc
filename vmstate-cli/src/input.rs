//! Opening the input: a stream file, standard input spooled to a temporary
//! file (the reader seeks to the stream's description at its end), the VM
//! state of a qcow2 image's internal snapshot (`disk.qcow2@NAME`), or the
//! stream of a libvirt save image.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use vmstate::container::libvirt::SaveImage;
use vmstate::container::qcow2::{self, Snapshot, VmState};

use crate::CommandError;
use crate::input_guard::Guard;
use crate::libvirt_image::ImageStream;

/// Where a path on the command line points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A stream file, a mapped-ram file, or `-`.
    Stream(PathBuf),
    /// A qcow2 image, and the snapshot named after its `@` (none: the image
    /// itself, whose snapshots `inspect` lists).
    Qcow2 {
        /// The image file.
        image: PathBuf,
        /// The snapshot's name or ID.
        snapshot: Option<String>,
    },
}

impl Location {
    /// Reads `path`: a file that exists is taken whole (a qcow2 image when
    /// it starts as one); otherwise `IMAGE@NAME` names snapshot NAME of the
    /// qcow2 image IMAGE.
    pub fn of(path: &Path) -> Result<Self, CommandError> {
        if path == Path::new("-") {
            return Ok(Self::Stream(path.to_owned()));
        }
        if let Ok(file) = File::open(path) {
            if file.metadata().is_ok_and(|m| m.is_file()) && is_qcow2(&file, path)? {
                return Ok(Self::Qcow2 {
                    image: path.to_owned(),
                    snapshot: None,
                });
            }
            return Ok(Self::Stream(path.to_owned()));
        }
        if let Some((image, snapshot)) = split_snapshot(path)
            && let Ok(file) = File::open(&image)
            && is_qcow2(&file, &image)?
        {
            return Ok(Self::Qcow2 {
                image,
                snapshot: Some(snapshot),
            });
        }
        Ok(Self::Stream(path.to_owned()))
    }
}

/// `IMAGE@NAME` split at its last `@`, when both sides are non-empty.
pub fn split_snapshot(path: &Path) -> Option<(PathBuf, String)> {
    let text = path.to_str()?;
    let (image, name) = text.rsplit_once('@')?;
    (!image.is_empty() && !name.is_empty()).then(|| (PathBuf::from(image), name.to_owned()))
}

fn is_qcow2(file: &File, path: &Path) -> Result<bool, CommandError> {
    qcow2::is_qcow2(file)
        .map_err(|e| CommandError::Usage(format!("cannot read {}: {e}", path.display())))
}

/// The snapshot an input came from, as it was read.
#[derive(Debug, Clone)]
pub struct SnapshotInput {
    /// The image file.
    pub image: PathBuf,
    /// The snapshot's entry when its state was read.
    pub snapshot: Snapshot,
}

/// An opened input: readable and seekable whatever holds the stream.
#[derive(Debug)]
pub struct Input {
    source: Source,
    /// The snapshot the stream is the state of, for a qcow2 input.
    pub snapshot: Option<SnapshotInput>,
    /// The header and domain XML around the stream, for a libvirt save image.
    pub libvirt: Option<SaveImage>,
    /// The file as opened, to check at commit that nobody changed it.
    watched: Option<Guard>,
}

#[derive(Debug)]
enum Source {
    File(File),
    Qcow2(VmState),
    Libvirt(ImageStream),
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.source {
            Source::File(file) => file.read(buf),
            Source::Qcow2(state) => state.read(buf),
            Source::Libvirt(stream) => stream.read(buf),
        }
    }
}

impl Seek for Input {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match &mut self.source {
            Source::File(file) => file.seek(to),
            Source::Qcow2(state) => state.seek(to),
            Source::Libvirt(stream) => stream.seek(to),
        }
    }
}

impl Input {
    /// A guard on the file the input was read from, for the output that
    /// replaces it (see [`Guard`]); `None` for standard input and snapshots.
    ///
    /// # Errors
    /// [`CommandError::BadInput`] when the file cannot be duplicated.
    pub fn guard(&self) -> Result<Option<Guard>, CommandError> {
        self.watched.as_ref().map(Guard::duplicate).transpose()
    }

    /// Reads the stream's bytes at `offset` without moving the input, for
    /// [`StreamReader::with_page_counts`](vmstate::stream::StreamReader::with_page_counts);
    /// `Unsupported` for a snapshot's state, whose clusters are found
    /// through a table the reading moves.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        match &self.source {
            Source::File(file) => file.read_at(buf, offset),
            Source::Libvirt(stream) => stream.read_at(offset, buf),
            Source::Qcow2(_) => Err(io::ErrorKind::Unsupported.into()),
        }
    }

    /// The file itself, when the stream is a whole file (not a snapshot's
    /// clusters or a libvirt image's part): the kernel can copy its ranges.
    pub fn plain_file(&self) -> Option<&File> {
        match &self.source {
            Source::File(file) => Some(file),
            Source::Qcow2(_) | Source::Libvirt(_) => None,
        }
    }
}

/// The first extent of `input` that holds data at or after `from`, or `None`
/// when only a hole follows: what lets a mapped-ram file be read in time
/// proportional to the pages it holds (see
/// [`vmstate::stream::DataExtents`]). Inputs that are not a whole file are
/// all data.
pub fn data_extent<I: std::borrow::Borrow<Input>>(
    input: &I,
    from: u64,
) -> io::Result<Option<(u64, u64)>> {
    let Some(file) = input.borrow().plain_file() else {
        return Ok(Some((from, u64::MAX)));
    };
    match rustix::fs::seek(file, rustix::fs::SeekFrom::Data(from)) {
        Ok(start) => {
            let end = rustix::fs::seek(file, rustix::fs::SeekFrom::Hole(start))?;
            Ok(Some((start, end)))
        }
        Err(rustix::io::Errno::NXIO) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Opens `path`: spools standard input when it is `-`, reads the VM state
/// of snapshot NAME for `IMAGE@NAME`, and the stream of a libvirt save image.
pub fn open(path: &Path) -> Result<Input, CommandError> {
    match Location::of(path)? {
        Location::Stream(path) => {
            let file = open_stream(&path)?;
            let watched = Guard::watch(&path, &file)?;
            Ok(match crate::libvirt_image::detect(&file, &path)? {
                None => Input {
                    source: Source::File(file),
                    snapshot: None,
                    libvirt: None,
                    watched,
                },
                Some((image, stream)) => Input {
                    source: Source::Libvirt(stream),
                    snapshot: None,
                    libvirt: Some(image),
                    watched,
                },
            })
        }
        Location::Qcow2 {
            image,
            snapshot: None,
        } => Err(CommandError::Usage(format!(
            "{} is a qcow2 image: name one of its snapshots as {}@NAME ({})",
            image.display(),
            image.display(),
            snapshot_list(&image)?
        ))),
        Location::Qcow2 {
            image,
            snapshot: Some(name),
        } => {
            let opened = open_image(&image)?;
            let index = opened.find(&name).map_err(|e| in_image(&image, &e))?;
            let state = opened.vm_state(index).map_err(|e| in_image(&image, &e))?;
            Ok(Input {
                source: Source::Qcow2(state),
                snapshot: Some(SnapshotInput {
                    image,
                    snapshot: opened.snapshots()[index].clone(),
                }),
                libvirt: None,
                // The image has its own check (the snapshot as read).
                watched: None,
            })
        }
    }
}

/// Opens the qcow2 image at `path` for reading.
pub fn open_image(path: &Path) -> Result<qcow2::Image, CommandError> {
    let file = File::open(path)
        .map_err(|e| CommandError::Usage(format!("cannot open {}: {e}", path.display())))?;
    qcow2::Image::open(file).map_err(|e| in_image(path, &e))
}

/// A qcow2 error, naming the image.
pub fn in_image(path: &Path, error: &qcow2::Qcow2Error) -> CommandError {
    CommandError::BadInput(format!("{}: {error}", path.display()))
}

/// "snapshots with a VM state: a (ID 1), b (ID 2)", or that there is none.
fn snapshot_list(image: &Path) -> Result<String, CommandError> {
    let opened = open_image(image)?;
    let names: Vec<String> = opened
        .snapshots()
        .iter()
        .filter(|s| s.has_vm_state())
        .map(|s| format!("{} (ID {})", s.name, s.id))
        .collect();
    Ok(if names.is_empty() {
        "it has no snapshot with a VM state".to_owned()
    } else {
        format!("snapshots with a VM state: {}", names.join(", "))
    })
}

fn open_stream(path: &Path) -> Result<File, CommandError> {
    if path == Path::new("-") {
        let mut spool = tempfile_in(&std::env::temp_dir())?;
        io::copy(&mut io::stdin().lock(), &mut spool)
            .map_err(|e| CommandError::BadInput(format!("reading standard input: {e}")))?;
        spool
            .seek(SeekFrom::Start(0))
            .map_err(|e| CommandError::BadInput(format!("spooling standard input: {e}")))?;
        return Ok(spool);
    }
    File::open(path)
        .map_err(|e| CommandError::Usage(format!("cannot open {}: {e}", path.display())))
}

/// A new file in `dir` that is removed once closed.
pub fn tempfile_in(dir: &Path) -> Result<File, CommandError> {
    // Spools of one run (standard input, a libvirt stream, a new state) get
    // names of their own.
    static SPOOLS: AtomicUsize = AtomicUsize::new(0);
    match crate::atomic_output::unnamed_in(dir) {
        Ok(Some(file)) => return Ok(file),
        Ok(None) => {}
        Err(e) => {
            return Err(CommandError::BadInput(format!(
                "cannot create a file in {}: {e}",
                dir.display()
            )));
        }
    }
    let path = dir.join(format!(
        "vmstate-spool-{}-{}",
        std::process::id(),
        SPOOLS.fetch_add(1, Ordering::Relaxed)
    ));
    let file = File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| CommandError::Io(format!("cannot create {}: {e}", path.display())))?;
    // Without unnamed files: unlinked at once, the open handle keeps the data until it is closed.
    let _ = std::fs::remove_file(&path);
    Ok(file)
}
