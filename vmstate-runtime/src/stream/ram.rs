//! The `ram` section's payload: a sequence of be64 words `offset | flags`, each
//! followed by what its flags say (QEMU `migration/ram.c`, section version 4).
//!
//! With the `mapped-ram` capability (QEMU 9.0+, `migrate file:PATH`) the
//! block list is different: after each block's name and length comes a
//! [`MappedRamHeader`], then a region of the *file* that holds the block's
//! dirty bitmap and its pages at fixed offsets (pages QEMU never wrote are
//! holes), and the record stream goes on after that region. The later parts
//! of the section carry no pages, only EOS.

/// Flag bits in the low bits of each RAM word (QEMU `RAM_SAVE_FLAG_*`).
pub mod flags {
    /// A page whose bytes all equal one fill byte (QEMU still calls it COMPRESS).
    pub const ZERO: u64 = 0x02;
    /// The block list: total size, then each block's name and length.
    pub const MEM_SIZE: u64 = 0x04;
    /// A page sent whole.
    pub const PAGE: u64 = 0x08;
    /// End of this part of the section.
    pub const EOS: u64 = 0x10;
    /// Same block as the previous page: no block name follows.
    pub const CONTINUE: u64 = 0x20;
    /// A page as an XBZRLE delta against the receiver's copy of it (the
    /// `xbzrle` capability, in the later iterations of a live migration).
    pub const XBZRLE: u64 = 0x40;
    /// A page compressed with zlib (the `compress` capability, QEMU 2.1 to
    /// 9.0; 9.1 removed it).
    pub const COMPRESS_PAGE: u64 = 0x100;
    /// Every flag this reader understands.
    pub const KNOWN: u64 = ZERO | MEM_SIZE | PAGE | EOS | CONTINUE | XBZRLE | COMPRESS_PAGE;
}

/// `MappedRamHeader` (QEMU `migration/ram.c`): where a block's bitmap and pages
/// live in a mapped-ram file. Packed, big-endian, 28 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MappedRamHeader {
    /// `MAPPED_RAM_HDR_VERSION`, 1 in every QEMU release so far.
    pub version: u32,
    /// The target page size: one bitmap bit per page of this size.
    pub page_size: u64,
    /// File offset of the bitmap: `BITS_TO_LONGS(pages)` host `unsigned
    /// long` words, one bit per page that the file holds.
    pub bitmap_offset: u64,
    /// File offset of page 0 (aligned to 1 MiB by QEMU); page `n` is at
    /// `pages_offset + n * page_size`.
    pub pages_offset: u64,
}

impl MappedRamHeader {
    /// `sizeof(MappedRamHeader)`.
    pub const LEN: usize = 28;

    /// Parses the header's wire form.
    #[must_use]
    pub fn from_bytes(bytes: [u8; Self::LEN]) -> Self {
        let be64 = |at: usize| {
            let mut word = [0; 8];
            word.copy_from_slice(&bytes[at..at + 8]);
            u64::from_be_bytes(word)
        };
        Self {
            version: u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]),
            page_size: be64(4),
            bitmap_offset: be64(12),
            pages_offset: be64(20),
        }
    }

    /// The header's wire form.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; Self::LEN] {
        let mut bytes = [0; Self::LEN];
        bytes[..4].copy_from_slice(&self.version.to_be_bytes());
        bytes[4..12].copy_from_slice(&self.page_size.to_be_bytes());
        bytes[12..20].copy_from_slice(&self.bitmap_offset.to_be_bytes());
        bytes[20..].copy_from_slice(&self.pages_offset.to_be_bytes());
        bytes
    }

    /// The bitmap's length in bytes for a block of `used_length` bytes:
    /// QEMU's `BITS_TO_LONGS(pages) * sizeof(unsigned long)` with the
    /// 8-byte longs of 64-bit hosts (a 32-bit host's bitmap can be 4 bytes
    /// shorter; both end before the 1 MiB-aligned pages). `None` when the
    /// page size is zero.
    #[must_use]
    pub fn bitmap_len(&self, used_length: u64) -> Option<u64> {
        let pages = used_length.checked_div(self.page_size)?;
        Some(pages.div_ceil(64) * 8)
    }

    /// Whether QEMU left the block out of the file (`x-ignore-shared`):
    /// both offsets are zero and no region follows the header.
    #[must_use]
    pub fn is_ignored(&self) -> bool {
        self.bitmap_offset == 0 && self.pages_offset == 0
    }
}

/// One RAM block as the block list announces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RamBlock {
    /// The block's idstr, e.g. `pc.ram`.
    pub name: String,
    /// Its used length in bytes.
    pub used_length: u64,
}

/// One element of a RAM section's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RamRecord {
    /// The block list, sent in the START part.
    MemSize {
        /// The sum of the blocks' lengths, as sent.
        total: u64,
        /// The blocks.
        blocks: Vec<RamBlock>,
    },
    /// A page filled with one byte.
    Zero {
        /// Offset of the page within its block.
        offset: u64,
        /// The block name when the record carries one (no CONTINUE flag).
        block: Option<String>,
        /// The fill byte (0 in every stream QEMU writes).
        fill: u8,
    },
    /// A page sent whole.
    Page {
        /// Offset of the page within its block.
        offset: u64,
        /// The block name when the record carries one (no CONTINUE flag).
        block: Option<String>,
        /// The page's bytes.
        data: Vec<u8>,
    },
    /// A page compressed with zlib by the `compress` capability (QEMU
    /// `do_compress_ram_page`): a be32 length, then the compressed bytes, as
    /// sent. Only a receiver whose own `compress` capability is on loads it.
    Compressed {
        /// Offset of the page within its block.
        offset: u64,
        /// The block name when the record carries one (no CONTINUE flag).
        block: Option<String>,
        /// The zlib stream, as sent.
        data: Vec<u8>,
    },
    /// A page as an XBZRLE delta against the copy the receiver holds from an
    /// earlier iteration (QEMU `save_xbzrle_page`): an encoding byte, a be16
    /// length, then the encoded bytes, as sent.
    Xbzrle {
        /// Offset of the page within its block.
        offset: u64,
        /// The block name when the record carries one (no CONTINUE flag).
        block: Option<String>,
        /// The encoded delta, as sent.
        data: Vec<u8>,
    },
    /// A run of consecutive ZERO and PAGE records in their exact wire form
    /// (each word, block name and fill byte or page), at most
    /// [`PAGE_RUN_MAX`] bytes plus one record. Only a reader made with
    /// [`StreamReader::with_page_runs`](super::StreamReader::with_page_runs)
    /// yields it: RAM then moves in large buffers, read once and written once,
    /// instead of one allocation per page.
    Pages {
        /// The records' bytes, whole records only.
        data: Vec<u8>,
        /// How many of them are ZERO records.
        zero_pages: u64,
        /// How many of them are PAGE records.
        data_pages: u64,
    },
    /// A run of consecutive ZERO and PAGE records that was counted, not
    /// kept. Only a reader made with
    /// [`StreamReader::with_page_counts`](super::StreamReader::with_page_counts)
    /// yields it; it has no bytes to write, so
    /// [`StreamWriter`](super::StreamWriter) refuses it and
    /// [`write_to`](Self::write_to) writes nothing for it.
    Counted {
        /// The records' length in bytes.
        len: u64,
        /// How many of them are ZERO records.
        zero_pages: u64,
        /// How many of them are PAGE records.
        data_pages: u64,
    },
    /// End of this part of the section.
    Eos,
    /// A mapped-ram block list's first word: the sum of the blocks' lengths.
    /// Each block follows as a [`RamRecord::MappedBlock`] and its region.
    MappedMemSize {
        /// The sum of the blocks' lengths, as sent.
        total: u64,
    },
    /// One block of a mapped-ram block list: its name, length and header.
    /// The block's file region follows as [`RamRecord::Region`] records.
    MappedBlock {
        /// The block's name and length.
        block: RamBlock,
        /// Where its bitmap and pages are.
        header: MappedRamHeader,
    },
    /// Bytes of the file region after a [`RamRecord::MappedBlock`] (its
    /// bitmap, the padding up to the pages, the pages), in file order, at most
    /// [`REGION_CHUNK`] bytes, never crossing a multiple of it.
    Region {
        /// Absolute file offset of `data[0]`.
        offset: u64,
        /// The bytes, holes read as zeros.
        data: Vec<u8>,
    },
}

/// The encoding byte of an XBZRLE page (QEMU `ENCODING_FLAG_XBZRLE`), the
/// only one QEMU writes or loads.
pub const XBZRLE_ENCODING: u8 = 0x01;

/// The longest compressed page QEMU loads: zlib's `compressBound` of a page
/// (`n + n/4096 + n/16384 + n/33554432 + 13`).
#[must_use]
pub const fn compressed_page_bound(page_size: usize) -> usize {
    page_size + (page_size >> 12) + (page_size >> 14) + (page_size >> 25) + 13
}

/// The most bytes of a mapped-ram region one [`RamRecord::Region`] carries:
/// QEMU's `MAPPED_RAM_FILE_OFFSET_ALIGNMENT`, so that the pages of a block
/// start a chunk.
pub const REGION_CHUNK: u64 = 1 << 20;

/// The most bytes a [`RamRecord::Pages`] run reads ahead: large enough that
/// the cost per system call vanishes, small enough to stay in the CPU's
/// cache between the read and the write.
pub const PAGE_RUN_MAX: usize = 1 << 20;

impl RamRecord {
    /// Appends the record's exact wire form.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let block_name = |out: &mut Vec<u8>, block: &Option<String>| {
            if let Some(name) = block {
                out.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
                out.extend_from_slice(name.as_bytes());
            }
        };
        let continue_flag = |block: &Option<String>| {
            if block.is_some() { 0 } else { flags::CONTINUE }
        };
        match self {
            Self::MemSize { total, blocks } => {
                out.extend_from_slice(&(total | flags::MEM_SIZE).to_be_bytes());
                for block in blocks {
                    out.push(u8::try_from(block.name.len()).unwrap_or(u8::MAX));
                    out.extend_from_slice(block.name.as_bytes());
                    out.extend_from_slice(&block.used_length.to_be_bytes());
                }
            }
            Self::Zero {
                offset,
                block,
                fill,
            } => {
                let word = offset | flags::ZERO | continue_flag(block);
                out.extend_from_slice(&word.to_be_bytes());
                block_name(out, block);
                out.push(*fill);
            }
            Self::Page {
                offset,
                block,
                data,
            } => {
                let word = offset | flags::PAGE | continue_flag(block);
                out.extend_from_slice(&word.to_be_bytes());
                block_name(out, block);
                out.extend_from_slice(data);
            }
            Self::Compressed {
                offset,
                block,
                data,
            } => {
                let word = offset | flags::COMPRESS_PAGE | continue_flag(block);
                out.extend_from_slice(&word.to_be_bytes());
                block_name(out, block);
                out.extend_from_slice(&u32::try_from(data.len()).unwrap_or(u32::MAX).to_be_bytes());
                out.extend_from_slice(data);
            }
            Self::Xbzrle {
                offset,
                block,
                data,
            } => {
                let word = offset | flags::XBZRLE | continue_flag(block);
                out.extend_from_slice(&word.to_be_bytes());
                block_name(out, block);
                out.push(XBZRLE_ENCODING);
                out.extend_from_slice(&u16::try_from(data.len()).unwrap_or(u16::MAX).to_be_bytes());
                out.extend_from_slice(data);
            }
            Self::Eos => out.extend_from_slice(&flags::EOS.to_be_bytes()),
            Self::MappedMemSize { total } => {
                out.extend_from_slice(&(total | flags::MEM_SIZE).to_be_bytes());
            }
            Self::MappedBlock { block, header } => {
                out.push(u8::try_from(block.name.len()).unwrap_or(u8::MAX));
                out.extend_from_slice(block.name.as_bytes());
                out.extend_from_slice(&block.used_length.to_be_bytes());
                out.extend_from_slice(&header.to_bytes());
            }
            Self::Pages { data, .. } | Self::Region { data, .. } => out.extend_from_slice(data),
            Self::Counted { .. } => {}
        }
    }
}
