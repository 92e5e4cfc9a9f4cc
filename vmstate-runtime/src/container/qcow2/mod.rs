//! Internal snapshots of qcow2 images: the VM state QEMU's `savevm NAME`
//! stores in the image and `-loadvm NAME` restores.
//!
//! QEMU keeps a snapshot's migration stream in the image's own guest address
//! space, past the virtual disk: from the first L1 entry after the disk's end
//! (`qcow2_vm_state_offset`), through the snapshot's L1 and L2 tables like
//! any guest data. [`Image`] lists the snapshots, reads a snapshot's state as
//! a seekable stream ([`VmState`]) with memory bounded by one L2 table, and
//! puts a new state in its place ([`Image::replace_vm_state`]) so that an
//! interruption at any point leaves an image `qemu-img check` finds clean:
//! the new state, its tables, a new snapshot table and copies of the
//! refcount blocks that change are written to clusters the image does not
//! use first, and one write of the header's L1-, refcount- and
//! snapshot-table fields makes them the image's.
//!
//! qcow2 versions 2 and 3 are read, with any cluster size, refcount width
//! and extended L2 entries. Encrypted images, external data files and
//! compressed clusters in a VM state are refused with an error that says so.

mod header;
mod rewrite;
mod snapshot;
mod vm_state;

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;

pub use header::{Header, MAGIC, incompatible};
pub use rewrite::Replaced;
pub use snapshot::Snapshot;
pub use vm_state::VmState;

/// Bits 9 to 55 of an L1 or L2 entry: the cluster's host offset.
const OFFSET_MASK: u64 = 0x00ff_ffff_ffff_fe00;
/// Bits 9 to 63 of a refcount table entry: the refcount block's offset.
const REFCOUNT_TABLE_MASK: u64 = 0xffff_ffff_ffff_fe00;
/// An L1 or L2 entry's "refcount is exactly one" flag.
const COPIED: u64 = 1 << 63;
/// A standard L2 entry's "compressed cluster" flag.
const COMPRESSED: u64 = 1 << 62;
/// A standard L2 entry's "reads as zeros" flag (version 3).
const ZERO: u64 = 1;
/// QEMU's limit on an L1 table (`QCOW_MAX_L1_SIZE`), in entries.
const MAX_L1_ENTRIES: u64 = (32 << 20) / 8;
/// QEMU's limit on the refcount table (`QCOW_MAX_REFTABLE_SIZE`), in bytes.
const MAX_REFCOUNT_TABLE: u64 = 8 << 20;

/// What went wrong with a qcow2 image, and at which byte of the file when
/// one byte is to blame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Qcow2Error {
    offset: Option<u64>,
    message: String,
}

impl Qcow2Error {
    /// An error about the image as a whole.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            offset: None,
            message: message.into(),
        }
    }

    /// An error at byte `offset` of the image file.
    #[must_use]
    pub fn at(offset: u64, message: impl Into<String>) -> Self {
        Self {
            offset: Some(offset),
            message: message.into(),
        }
    }

    fn io(what: &str, offset: u64, error: &std::io::Error) -> Self {
        Self::at(offset, format!("{what}: {error}"))
    }

    /// The byte of the file the error is about, when there is one.
    #[must_use]
    pub fn offset(&self) -> Option<u64> {
        self.offset
    }

    /// What is wrong.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Qcow2Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.offset {
            Some(offset) => write!(f, "qcow2 image, byte {offset}: {}", self.message),
            None => write!(f, "qcow2 image: {}", self.message),
        }
    }
}

impl std::error::Error for Qcow2Error {}

/// Whether `file` starts with the qcow2 magic.
///
/// # Errors
/// The file cannot be read.
pub fn is_qcow2(file: &File) -> std::io::Result<bool> {
    let mut magic = [0u8; 4];
    let mut read = 0;
    while read < magic.len() {
        match file.read_at(&mut magic[read..], read as u64)? {
            0 => return Ok(false),
            n => read += n,
        }
    }
    Ok(magic == MAGIC)
}

/// A qcow2 image opened for its internal snapshots.
#[derive(Debug)]
pub struct Image {
    file: File,
    header: Header,
    snapshots: Vec<Snapshot>,
}

impl Image {
    /// Reads the header and the snapshot table of the image in `file`.
    ///
    /// # Errors
    /// [`Qcow2Error`] when the file is not a qcow2 image this module reads,
    /// or its snapshot table is damaged.
    pub fn open(file: File) -> Result<Self, Qcow2Error> {
        let mut first = vec![0u8; 104];
        let got = read_up_to(&file, &mut first, 0)?;
        first.truncate(got);
        let header = Header::parse(&first)?;
        let snapshots = read_snapshot_table(&file, &header)?;
        Ok(Self {
            file,
            header,
            snapshots,
        })
    }

    /// The header as read (or as last rewritten).
    #[must_use]
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// Every internal snapshot, in the table's order.
    #[must_use]
    pub fn snapshots(&self) -> &[Snapshot] {
        &self.snapshots
    }

    /// The file the image is in.
    #[must_use]
    pub fn file(&self) -> &File {
        &self.file
    }

    /// The snapshot `qemu-img snapshot -l` shows with this name or, when no
    /// name matches, this ID (QEMU's own order of lookup).
    ///
    /// # Errors
    /// No snapshot matches; the message lists those that hold a VM state.
    pub fn find(&self, name_or_id: &str) -> Result<usize, Qcow2Error> {
        if let Some(index) = self.snapshots.iter().position(|s| s.name == name_or_id) {
            return Ok(index);
        }
        if let Some(index) = self.snapshots.iter().position(|s| s.id == name_or_id) {
            return Ok(index);
        }
        let known: Vec<String> = self
            .snapshots
            .iter()
            .filter(|s| s.has_vm_state())
            .map(|s| format!("{} (ID {})", s.name, s.id))
            .collect();
        Err(Qcow2Error::new(if known.is_empty() {
            format!("no snapshot named {name_or_id:?}, and no snapshot holds a VM state")
        } else {
            format!(
                "no snapshot named {name_or_id:?}; those with a VM state: {}",
                known.join(", ")
            )
        }))
    }

    /// The VM state of snapshot `index`, as a seekable stream.
    ///
    /// # Errors
    /// The snapshot holds no VM state, or the image keeps it where this
    /// module cannot read it (encrypted, an external data file), or its L1
    /// table is out of bounds.
    pub fn vm_state(&self, index: usize) -> Result<VmState, Qcow2Error> {
        let snapshot = self
            .snapshots
            .get(index)
            .ok_or_else(|| Qcow2Error::new(format!("no snapshot #{index}")))?;
        vm_state::open(&self.file, &self.header, snapshot)
    }

    /// Puts the `len` bytes of `source` in place of snapshot `index`'s VM
    /// state, crash-safe: until the one header write that commits it, the
    /// image is the old one; after it, the new one. `expected` is the
    /// snapshot as the caller read it: if the table no longer holds it (the
    /// image changed since), nothing is written.
    ///
    /// # Errors
    /// [`Qcow2Error`] when the image cannot take a new state (dirty, corrupt,
    /// encrypted, an external data file, compressed clusters in the old
    /// state), the snapshot changed since it was read, `source` ends early,
    /// or the file cannot be written. The image is then as it was.
    pub fn replace_vm_state(
        &mut self,
        index: usize,
        expected: &Snapshot,
        source: &mut dyn Read,
        len: u64,
    ) -> Result<Replaced, Qcow2Error> {
        rewrite::replace(self, index, expected, source, len)
    }
}

/// Reads the snapshot table, growing the read until the entries fit (the
/// table's size is only known by walking it), up to QEMU's limit.
fn read_snapshot_table(file: &File, header: &Header) -> Result<Vec<Snapshot>, Qcow2Error> {
    if header.nb_snapshots == 0 {
        return Ok(Vec::new());
    }
    if header.nb_snapshots > snapshot::MAX_SNAPSHOTS {
        return Err(Qcow2Error::at(
            60,
            format!(
                "{} snapshots; QEMU allows {}",
                header.nb_snapshots,
                snapshot::MAX_SNAPSHOTS
            ),
        ));
    }
    if !header
        .snapshots_offset
        .is_multiple_of(header.cluster_size())
    {
        return Err(Qcow2Error::at(
            64,
            format!(
                "the snapshot table offset {:#x} is not cluster-aligned",
                header.snapshots_offset
            ),
        ));
    }
    let mut want = 64 * 1024;
    loop {
        let mut bytes = vec![0u8; want];
        let got = read_up_to(file, &mut bytes, header.snapshots_offset)?;
        bytes.truncate(got);
        match snapshot::parse_table(
            &bytes,
            header.nb_snapshots,
            header.snapshots_offset,
            header.size,
        ) {
            Ok(table) => return Ok(table),
            Err(snapshot::TableError::Cut(error)) => {
                let limit = usize::try_from(snapshot::MAX_TABLE_SIZE).unwrap_or(usize::MAX);
                if got < want || want >= limit {
                    return Err(error);
                }
                want = (want * 4).min(limit);
            }
            Err(snapshot::TableError::Invalid(error)) => return Err(error),
        }
    }
}

/// Reads into `buf` from `offset` until it is full or the file ends; the
/// bytes read.
fn read_up_to(file: &File, buf: &mut [u8], offset: u64) -> Result<usize, Qcow2Error> {
    let mut done = 0;
    while done < buf.len() {
        match file.read_at(&mut buf[done..], offset + done as u64) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(Qcow2Error::io(
                    "cannot read the image",
                    offset + done as u64,
                    &e,
                ));
            }
        }
    }
    Ok(done)
}

/// Reads exactly `buf.len()` bytes at `offset`, naming `what` when the file
/// ends first.
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64, what: &str) -> Result<(), Qcow2Error> {
    if read_up_to(file, buf, offset)? < buf.len() {
        return Err(Qcow2Error::at(
            offset,
            format!("{what} runs past the end of the file"),
        ));
    }
    Ok(())
}

/// `count` big-endian u64s at `offset` (an L1 or refcount table).
fn read_u64s(file: &File, offset: u64, count: u64, what: &str) -> Result<Vec<u64>, Qcow2Error> {
    let len = usize::try_from(count * 8)
        .map_err(|_| Qcow2Error::at(offset, format!("{what} is too large")))?;
    let mut bytes = vec![0u8; len];
    read_exact_at(file, &mut bytes, offset, what)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|b| u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]))
        .collect())
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(
        bytes.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn be32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        bytes.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

fn be64(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_be_bytes(
        bytes.get(at..at.checked_add(8)?)?.try_into().ok()?,
    ))
}
