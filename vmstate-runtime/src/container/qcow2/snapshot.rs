//! The snapshot table: one entry per internal snapshot, each naming its L1
//! table and how many bytes of VM state it saved.
//!
//! Entries are kept as read, unknown extra data included, so that rewriting
//! the table changes only the fields of the snapshot whose state changed.

use super::{Qcow2Error, be16, be32, be64};

/// QEMU's limit on snapshots in one image (`QCOW_MAX_SNAPSHOTS`).
pub const MAX_SNAPSHOTS: u32 = 65_536;
/// QEMU's limit on the snapshot table's size (`QCOW_MAX_SNAPSHOTS_SIZE`).
pub const MAX_TABLE_SIZE: u64 = 64 << 20;
/// QEMU's limit on one entry's extra data (`QCOW_MAX_SNAPSHOT_EXTRA_DATA`).
const MAX_EXTRA_DATA: usize = 1024;
/// The fixed part of an entry, before its extra data.
const FIXED: usize = 40;

/// One internal snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    /// The numeric ID `qemu-img snapshot -l` shows (a string in the format).
    pub id: String,
    /// The name (`savevm NAME`).
    pub name: String,
    /// When it was taken: seconds since the epoch, host clock.
    pub date_sec: u32,
    /// Nanoseconds of `date_sec`.
    pub date_nsec: u32,
    /// The guest clock when it was taken, in nanoseconds.
    pub vm_clock_nsec: u64,
    /// Bytes of VM state (the migration stream); 0 for a disk-only snapshot.
    pub vm_state_size: u64,
    /// The virtual disk size when it was taken.
    pub disk_size: u64,
    /// Instructions executed (`-icount`), when recorded.
    pub icount: Option<u64>,
    /// Where its L1 table is.
    pub l1_table_offset: u64,
    /// Entries of its L1 table.
    pub l1_size: u32,
    /// The entry's extra data as read (`vm_state_size_large`, `disk_size`,
    /// icount and anything newer).
    extra: Vec<u8>,
    id_bytes: Vec<u8>,
    name_bytes: Vec<u8>,
}

impl Snapshot {
    /// Whether it holds a VM state (`savevm`), not only the disks.
    #[must_use]
    pub fn has_vm_state(&self) -> bool {
        self.vm_state_size > 0
    }

    /// This entry with a new L1 table and VM state size.
    ///
    /// # Errors
    /// A state of 4 GiB or more in an entry too old to record its size in
    /// 64 bits.
    pub fn with_vm_state(
        &self,
        l1_table_offset: u64,
        l1_size: u32,
        vm_state_size: u64,
    ) -> Result<Self, Qcow2Error> {
        let mut next = self.clone();
        if next.extra.len() >= 8 {
            next.extra[..8].copy_from_slice(&vm_state_size.to_be_bytes());
        } else if u32::try_from(vm_state_size).is_err() {
            return Err(Qcow2Error::new(format!(
                "snapshot {}: its table entry records the VM state size in 32 bits, too few for {vm_state_size} bytes",
                self.name
            )));
        }
        next.l1_table_offset = l1_table_offset;
        next.l1_size = l1_size;
        next.vm_state_size = vm_state_size;
        Ok(next)
    }

    /// The entry as the table stores it, padded to 8 bytes.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            FIXED + self.extra.len() + self.id_bytes.len() + self.name_bytes.len() + 8,
        );
        out.extend_from_slice(&self.l1_table_offset.to_be_bytes());
        out.extend_from_slice(&self.l1_size.to_be_bytes());
        out.extend_from_slice(
            &u16::try_from(self.id_bytes.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(
            &u16::try_from(self.name_bytes.len())
                .unwrap_or(u16::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(&self.date_sec.to_be_bytes());
        out.extend_from_slice(&self.date_nsec.to_be_bytes());
        out.extend_from_slice(&self.vm_clock_nsec.to_be_bytes());
        // QEMU writes the low 32 bits here whatever the size; the extra
        // data holds all 64.
        #[allow(clippy::cast_possible_truncation)]
        // reason: the field is the size modulo 2^32, as QEMU writes it
        out.extend_from_slice(&(self.vm_state_size as u32).to_be_bytes());
        out.extend_from_slice(
            &u32::try_from(self.extra.len())
                .unwrap_or(u32::MAX)
                .to_be_bytes(),
        );
        out.extend_from_slice(&self.extra);
        out.extend_from_slice(&self.id_bytes);
        out.extend_from_slice(&self.name_bytes);
        out.resize(out.len().next_multiple_of(8), 0);
        out
    }
}

/// Why a table did not parse.
#[derive(Debug)]
pub enum TableError {
    /// The bytes end before the last entry does: read more and try again.
    Cut(Qcow2Error),
    /// An entry QEMU would refuse.
    Invalid(Qcow2Error),
}

/// Parses `count` entries from the table's bytes, which start at file offset
/// `at` (for error messages); `disk_size` is the header's, for entries that
/// do not record their own.
///
/// # Errors
/// [`TableError::Cut`] when an entry runs past `bytes`;
/// [`TableError::Invalid`] when it has too much extra data or an L1 table
/// larger than QEMU allows.
pub fn parse_table(
    bytes: &[u8],
    count: u32,
    at: u64,
    disk_size: u64,
) -> Result<Vec<Snapshot>, TableError> {
    let mut snapshots = Vec::with_capacity(usize::try_from(count.min(1024)).unwrap_or(0));
    let mut offset = 0usize;
    for index in 0..count {
        let here = at + offset as u64;
        let cut = || {
            TableError::Cut(Qcow2Error::at(
                here,
                format!("snapshot table entry {index} runs past the end of the file"),
            ))
        };
        let fixed = bytes.get(offset..offset + FIXED).ok_or_else(cut)?;
        let l1_table_offset = be64(fixed, 0).ok_or_else(cut)?;
        let l1_size = be32(fixed, 8).ok_or_else(cut)?;
        let id_size = usize::from(be16(fixed, 12).ok_or_else(cut)?);
        let name_size = usize::from(be16(fixed, 14).ok_or_else(cut)?);
        let seconds = be32(fixed, 16).ok_or_else(cut)?;
        let nanoseconds = be32(fixed, 20).ok_or_else(cut)?;
        let vm_clock_nsec = be64(fixed, 24).ok_or_else(cut)?;
        let small_vm_state_size = be32(fixed, 32).ok_or_else(cut)?;
        let extra_size = usize::try_from(be32(fixed, 36).ok_or_else(cut)?).unwrap_or(usize::MAX);
        if extra_size > MAX_EXTRA_DATA {
            return Err(TableError::Invalid(Qcow2Error::at(
                here + 36,
                format!(
                    "snapshot table entry {index} has {extra_size} bytes of extra data; QEMU allows {MAX_EXTRA_DATA}"
                ),
            )));
        }
        if u64::from(l1_size) > super::MAX_L1_ENTRIES {
            return Err(TableError::Invalid(Qcow2Error::at(
                here + 8,
                format!(
                    "snapshot table entry {index} has an L1 table of {l1_size} entries; QEMU allows {}",
                    super::MAX_L1_ENTRIES
                ),
            )));
        }
        let mut cursor = offset + FIXED;
        let mut take = |len: usize| {
            let slice = bytes.get(cursor..cursor + len).ok_or_else(cut)?;
            cursor += len;
            Ok::<_, TableError>(slice.to_vec())
        };
        let extra = take(extra_size)?;
        let id_bytes = take(id_size)?;
        let name_bytes = take(name_size)?;
        let vm_state_size = be64(&extra, 0).unwrap_or(u64::from(small_vm_state_size));
        let own_disk_size = be64(&extra, 8).unwrap_or(disk_size);
        let icount = be64(&extra, 16).filter(|&count| count != u64::MAX);
        snapshots.push(Snapshot {
            id: String::from_utf8_lossy(&id_bytes).into_owned(),
            name: String::from_utf8_lossy(&name_bytes).into_owned(),
            date_sec: seconds,
            date_nsec: nanoseconds,
            vm_clock_nsec,
            vm_state_size,
            disk_size: own_disk_size,
            icount,
            l1_table_offset,
            l1_size,
            extra,
            id_bytes,
            name_bytes,
        });
        offset = cursor.next_multiple_of(8);
    }
    Ok(snapshots)
}

/// The whole table's bytes.
#[must_use]
pub fn encode_table(snapshots: &[Snapshot]) -> Vec<u8> {
    snapshots.iter().flat_map(Snapshot::encode).collect()
}
