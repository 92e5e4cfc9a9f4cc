//! The `ram` section's payload: a sequence of be64 words `offset | flags`, each
//! followed by what its flags say (QEMU `migration/ram.c`, section version 4).

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
    /// Every flag this reader understands.
    pub const KNOWN: u64 = ZERO | MEM_SIZE | PAGE | EOS | CONTINUE;
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
    /// End of this part of the section.
    Eos,
}

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
            Self::Eos => out.extend_from_slice(&flags::EOS.to_be_bytes()),
        }
    }
}
