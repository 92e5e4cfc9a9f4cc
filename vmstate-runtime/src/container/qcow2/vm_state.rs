//! Reading a snapshot's VM state: guest offsets past the disk's end,
//! translated through the snapshot's L1 and L2 tables, one cluster (or
//! subcluster) at a time.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use super::header::incompatible;
use super::{
    COMPRESSED, Header, OFFSET_MASK, Qcow2Error, Snapshot, ZERO, be64, read_exact_at, read_u64s,
};

/// A snapshot's VM state as a seekable stream of `len` bytes. Holds the L1
/// entries of the state and one L2 table at a time.
#[derive(Debug)]
pub struct VmState {
    file: File,
    header: Header,
    /// The snapshot's L1 entries from the state's first one on.
    l1: Vec<u64>,
    len: u64,
    pos: u64,
    /// The L2 table last read: its index in `l1` and its bytes.
    l2: Option<(usize, Vec<u8>)>,
}

/// Opens snapshot `snapshot`'s state in `file`.
pub(super) fn open(
    file: &File,
    header: &Header,
    snapshot: &Snapshot,
) -> Result<VmState, Qcow2Error> {
    let named = |message: String| Qcow2Error::new(format!("snapshot {}: {message}", snapshot.name));
    if !snapshot.has_vm_state() {
        return Err(named("it saved the disks only, no VM state (a `qemu-img snapshot -c` or a disk-only snapshot)".into()));
    }
    if header.crypt_method != 0 {
        return Err(named(
            "the image is encrypted; its VM state cannot be read without the key".into(),
        ));
    }
    if header.incompatible_features & incompatible::EXTERNAL_DATA != 0 {
        return Err(named(
            "the image keeps its data in an external data file, which is not supported".into(),
        ));
    }
    let cluster_size = header.cluster_size();
    if !snapshot.l1_table_offset.is_multiple_of(cluster_size) {
        return Err(Qcow2Error::at(
            snapshot.l1_table_offset,
            format!(
                "snapshot {}: its L1 table offset is not cluster-aligned",
                snapshot.name
            ),
        ));
    }
    let first = header.vm_state_l1_index(snapshot.disk_size);
    let needed = snapshot
        .vm_state_size
        .div_ceil(1 << header.l1_coverage_bits());
    let have = u64::from(snapshot.l1_size).saturating_sub(first);
    if needed > have {
        return Err(named(format!(
            "{} bytes of VM state need {needed} L1 entries past the disk, its L1 table has {have}",
            snapshot.vm_state_size
        )));
    }
    let l1 = read_u64s(
        file,
        snapshot.l1_table_offset + first * 8,
        needed,
        "the snapshot's L1 table",
    )?;
    let file = file
        .try_clone()
        .map_err(|e| Qcow2Error::io("cannot reopen the image", 0, &e))?;
    Ok(VmState {
        file,
        header: header.clone(),
        l1,
        len: snapshot.vm_state_size,
        pos: 0,
        l2: None,
    })
}

/// Where a run of state bytes comes from.
enum Source {
    /// The image, at this offset.
    Host(u64),
    /// Zeros: an unallocated or zero cluster.
    Zeros,
}

impl VmState {
    /// Bytes of state.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the state is empty (never, for a snapshot that has one).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Where the byte at `pos` comes from, and how many bytes from there on
    /// come from the same place (to the end of its cluster or subcluster).
    fn locate(&mut self, pos: u64) -> Result<(Source, u64), Qcow2Error> {
        let cluster_bits = self.header.cluster_bits;
        let cluster_size = self.header.cluster_size();
        let l1_index = usize::try_from(pos >> self.header.l1_coverage_bits()).unwrap_or(usize::MAX);
        let l2_index = (pos >> cluster_bits) & ((1 << self.header.l2_bits()) - 1);
        let in_cluster = pos & (cluster_size - 1);
        let to_cluster_end = cluster_size - in_cluster;
        let l2_offset = self.l1.get(l1_index).map_or(0, |entry| entry & OFFSET_MASK);
        if l2_offset == 0 {
            return Ok((Source::Zeros, to_cluster_end));
        }
        if self.l2.as_ref().is_none_or(|(index, _)| *index != l1_index) {
            if !l2_offset.is_multiple_of(cluster_size) {
                return Err(Qcow2Error::at(
                    l2_offset,
                    "an L2 table of the VM state is not cluster-aligned",
                ));
            }
            let mut table = self.l2.take().map(|(_, t)| t).unwrap_or_default();
            table.resize(usize::try_from(cluster_size).unwrap_or(0), 0);
            read_exact_at(
                &self.file,
                &mut table,
                l2_offset,
                "an L2 table of the VM state",
            )?;
            self.l2 = Some((l1_index, table));
        }
        let table = self
            .l2
            .as_ref()
            .map(|(_, t)| t.as_slice())
            .unwrap_or_default();
        let at = usize::try_from(l2_index * self.header.l2_entry_size()).unwrap_or(usize::MAX);
        let entry = be64(table, at).unwrap_or(0);
        let entry_offset = l2_offset + l2_index * self.header.l2_entry_size();
        if entry & COMPRESSED != 0 {
            return Err(Qcow2Error::at(
                entry_offset,
                "the VM state has a compressed cluster; QEMU writes VM state uncompressed, and this tool does not read compressed clusters",
            ));
        }
        let host = entry & OFFSET_MASK;
        if !host.is_multiple_of(cluster_size) {
            return Err(Qcow2Error::at(
                entry_offset,
                format!(
                    "an L2 entry of the VM state points at {host:#x}, which is not cluster-aligned"
                ),
            ));
        }
        if self.header.extended_l2() {
            let bitmap = be64(table, at + 8).unwrap_or(0);
            let subcluster_size = cluster_size / 32;
            let subcluster = in_cluster / subcluster_size;
            let run = subcluster_size - in_cluster % subcluster_size;
            let allocated = bitmap >> subcluster & 1 != 0;
            if allocated && host != 0 {
                return Ok((Source::Host(host + in_cluster), run));
            }
            return Ok((Source::Zeros, run));
        }
        if host == 0 || self.header.version >= 3 && entry & ZERO != 0 {
            return Ok((Source::Zeros, to_cluster_end));
        }
        Ok((Source::Host(host + in_cluster), to_cluster_end))
    }
}

impl Read for VmState {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let (source, run) = self.locate(self.pos).map_err(io::Error::other)?;
        let want = run.min(self.len - self.pos).min(buf.len() as u64);
        let want = usize::try_from(want).unwrap_or(buf.len());
        let out = &mut buf[..want];
        match source {
            Source::Zeros => out.fill(0),
            Source::Host(offset) => {
                read_exact_at(&self.file, out, offset, "a cluster of the VM state")
                    .map_err(io::Error::other)?;
            }
        }
        self.pos += want as u64;
        Ok(want)
    }
}

impl Seek for VmState {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(at) => Some(at),
            SeekFrom::End(delta) => self.len.checked_add_signed(delta),
            SeekFrom::Current(delta) => self.pos.checked_add_signed(delta),
        };
        let target = target.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start of the VM state",
            )
        })?;
        self.pos = target;
        Ok(target)
    }
}
