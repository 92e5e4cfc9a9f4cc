//! The qcow2 header: the fields that lead to the snapshot table, the L1/L2
//! tables and the refcounts, checked the way QEMU checks them on open.

use super::{Qcow2Error, be32, be64};

/// `QFI\xfb`.
pub const MAGIC: [u8; 4] = *b"QFI\xfb";

/// Incompatible feature bits (qcow2 version 3).
pub mod incompatible {
    /// The refcounts may be stale (lazy refcounts, not closed cleanly).
    pub const DIRTY: u64 = 1 << 0;
    /// QEMU found the image corrupt and marked it.
    pub const CORRUPT: u64 = 1 << 1;
    /// Guest data lives in an external data file.
    pub const EXTERNAL_DATA: u64 = 1 << 2;
    /// A compression type other than zlib (matters for compressed clusters only).
    pub const COMPRESSION_TYPE: u64 = 1 << 3;
    /// 128-bit L2 entries with subcluster bitmaps.
    pub const EXTENDED_L2: u64 = 1 << 4;
    /// The bits this module knows.
    pub const KNOWN: u64 = DIRTY | CORRUPT | EXTERNAL_DATA | COMPRESSION_TYPE | EXTENDED_L2;
}

/// Byte offset of `l1_size`: the fields from here to `snapshots_offset`
/// (36 bytes, within the first sector) are rewritten in one write when a new
/// state takes its place: the active L1 table, the refcount table and the
/// snapshot table.
pub const COMMIT_OFFSET: u64 = 36;

/// The header fields this crate reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// 2 or 3.
    pub version: u32,
    /// log2 of the cluster size, 9 to 21.
    pub cluster_bits: u32,
    /// The virtual disk size in bytes.
    pub size: u64,
    /// 0 (none), 1 (AES) or 2 (LUKS).
    pub crypt_method: u32,
    /// Entries of the active L1 table.
    pub l1_size: u32,
    /// Where the active L1 table is.
    pub l1_table_offset: u64,
    /// Where the refcount table is.
    pub refcount_table_offset: u64,
    /// Clusters the refcount table takes.
    pub refcount_table_clusters: u32,
    /// Snapshots in the snapshot table.
    pub nb_snapshots: u32,
    /// Where the snapshot table is.
    pub snapshots_offset: u64,
    /// Incompatible feature bits ([`incompatible`]).
    pub incompatible_features: u64,
    /// log2 of the refcount width in bits, 0 to 6 (4 in version 2).
    pub refcount_order: u32,
}

impl Header {
    /// Parses and checks the header from the image's first bytes (at least
    /// 104 of them, or the whole file when it is shorter).
    ///
    /// # Errors
    /// [`Qcow2Error`] naming the field that is out of range.
    pub fn parse(bytes: &[u8]) -> Result<Self, Qcow2Error> {
        let be32 = |at: usize| be32(bytes, at);
        let be64 = |at: usize| be64(bytes, at);
        let short = || Qcow2Error::at(bytes.len() as u64, "the qcow2 header is cut short");
        if bytes.get(..4) != Some(&MAGIC[..]) {
            return Err(Qcow2Error::at(0, "not a qcow2 image (no QFI\\xfb magic)"));
        }
        let version = be32(4).ok_or_else(short)?;
        if version != 2 && version != 3 {
            return Err(Qcow2Error::at(
                4,
                format!("qcow2 version {version}; versions 2 and 3 are supported"),
            ));
        }
        let cluster_bits = be32(20).ok_or_else(short)?;
        if !(9..=21).contains(&cluster_bits) {
            return Err(Qcow2Error::at(
                20,
                format!("cluster_bits {cluster_bits} is outside QEMU's 9 to 21"),
            ));
        }
        let (incompatible_features, refcount_order) = if version == 3 {
            (be64(72).ok_or_else(short)?, be32(96).ok_or_else(short)?)
        } else {
            (0, 4)
        };
        if refcount_order > 6 {
            return Err(Qcow2Error::at(
                96,
                format!("refcount_order {refcount_order} is above 6 (64-bit refcounts)"),
            ));
        }
        let unknown = incompatible_features & !incompatible::KNOWN;
        if unknown != 0 {
            return Err(Qcow2Error::at(
                72,
                format!("unknown incompatible qcow2 features {unknown:#x}"),
            ));
        }
        Ok(Self {
            version,
            cluster_bits,
            size: be64(24).ok_or_else(short)?,
            crypt_method: be32(32).ok_or_else(short)?,
            l1_size: be32(36).ok_or_else(short)?,
            l1_table_offset: be64(40).ok_or_else(short)?,
            refcount_table_offset: be64(48).ok_or_else(short)?,
            refcount_table_clusters: be32(56).ok_or_else(short)?,
            nb_snapshots: be32(60).ok_or_else(short)?,
            snapshots_offset: be64(64).ok_or_else(short)?,
            incompatible_features,
            refcount_order,
        })
    }

    /// The bytes `COMMIT_OFFSET..COMMIT_OFFSET + 36`: the active L1 table's
    /// size and offset, the refcount table's offset and clusters, the
    /// snapshot count and the snapshot table's offset.
    #[must_use]
    pub fn commit_bytes(&self) -> [u8; 36] {
        let mut out = [0u8; 36];
        out[0..4].copy_from_slice(&self.l1_size.to_be_bytes());
        out[4..12].copy_from_slice(&self.l1_table_offset.to_be_bytes());
        out[12..20].copy_from_slice(&self.refcount_table_offset.to_be_bytes());
        out[20..24].copy_from_slice(&self.refcount_table_clusters.to_be_bytes());
        out[24..28].copy_from_slice(&self.nb_snapshots.to_be_bytes());
        out[28..36].copy_from_slice(&self.snapshots_offset.to_be_bytes());
        out
    }

    /// Bytes in a cluster.
    #[must_use]
    pub fn cluster_size(&self) -> u64 {
        1 << self.cluster_bits
    }

    /// Whether L2 entries are 128 bits wide, with subcluster bitmaps.
    #[must_use]
    pub fn extended_l2(&self) -> bool {
        self.incompatible_features & incompatible::EXTENDED_L2 != 0
    }

    /// Bytes of one L2 entry.
    #[must_use]
    pub fn l2_entry_size(&self) -> u64 {
        if self.extended_l2() { 16 } else { 8 }
    }

    /// log2 of the entries in an L2 table (QEMU's `l2_bits`).
    #[must_use]
    pub fn l2_bits(&self) -> u32 {
        self.cluster_bits - if self.extended_l2() { 4 } else { 3 }
    }

    /// log2 of the guest bytes one L1 entry covers.
    #[must_use]
    pub fn l1_coverage_bits(&self) -> u32 {
        self.cluster_bits + self.l2_bits()
    }

    /// The first L1 index past a disk of `disk_size` bytes: where QEMU puts
    /// the VM state (`qcow2_vm_state_offset`).
    #[must_use]
    pub fn vm_state_l1_index(&self, disk_size: u64) -> u64 {
        disk_size.div_ceil(1 << self.l1_coverage_bits())
    }

    /// Bits of one refcount.
    #[must_use]
    pub fn refcount_bits(&self) -> u32 {
        1 << self.refcount_order
    }

    /// Refcounts in one refcount block.
    #[must_use]
    pub fn refcounts_per_block(&self) -> u64 {
        self.cluster_size() * 8 / u64::from(self.refcount_bits())
    }
}
