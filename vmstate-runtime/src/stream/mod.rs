//! QEMU migration streams: the container around device payloads.
//!
//! A stream is `QEVM`, format version 3, a configuration section, then
//! sections (START/PART/END for iterative state such as RAM, FULL for device
//! state), each with a footer, then EOF and the JSON description (vmdesc).
//! [`StreamReader`] turns a stream into [`Record`]s with bounded memory (RAM
//! arrives one page at a time) and [`StreamWriter`] writes records back, byte
//! for byte: reading then writing an unmodified stream gives identical bytes.
//! A mapped-ram save file's RAM regions come through as
//! [`RamRecord::Region`] chunks, which a writer made with
//! [`StreamWriter::with_holes`] writes back as holes where they are zero.
//! A reader made with [`StreamReader::with_page_runs`] yields a stream's
//! pages in runs of up to [`PAGE_RUN_MAX`] bytes ([`RamRecord::Pages`]), for
//! tools that pass RAM through or only count it. [`DeviceStream`] writes a
//! whole stream of a monitor's own devices, at their current versions or at
//! those of an older release.

mod builder;
mod command;
mod configuration;
#[cfg(feature = "vmdesc")]
mod decode;
mod device;
mod error;
mod page_count;
mod priority;
mod ram;
mod reader;
pub(crate) mod vmdesc;
mod writer;

pub use builder::DeviceStream;
pub use command::{COMMANDS, CommandInfo, command_info};
pub use configuration::{Configuration, Uuid};
#[cfg(feature = "vmdesc")]
pub use decode::{Decoded, Leaf, ScalarKind, decode, hex, scalar_kind};
pub use device::DeviceSection;
pub use error::StreamErrorKind;
pub use page_count::ReadAt;
pub use priority::sort_by_priority;
pub use ram::{MappedRamHeader, PAGE_RUN_MAX, REGION_CHUNK, RamBlock, RamRecord};
pub use reader::{DataExtents, Delimiter, StreamLimits, StreamReader};
pub use vmdesc::{DeviceDesc, DeviceIndex, Vmdesc};
pub use writer::StreamWriter;

/// `QEVM`, the first four bytes of every stream.
pub const MAGIC: u32 = 0x5145_564d;
/// The only stream format version in use since QEMU 1.3.
pub const FORMAT_VERSION: u32 = 3;

/// Record type bytes (QEMU's `QEMU_VM_*`).
pub mod tag {
    /// End of the device state.
    pub const EOF: u8 = 0x00;
    /// First part of an iterative section, with its full header.
    pub const SECTION_START: u8 = 0x01;
    /// A further part of an iterative section.
    pub const SECTION_PART: u8 = 0x02;
    /// The last part of an iterative section.
    pub const SECTION_END: u8 = 0x03;
    /// A whole device state, with its full header.
    pub const SECTION_FULL: u8 = 0x04;
    /// A subsection inside a payload.
    pub const SUBSECTION: u8 = 0x05;
    /// The JSON description that follows EOF.
    pub const VMDESCRIPTION: u8 = 0x06;
    /// The configuration section (machine type).
    pub const CONFIGURATION: u8 = 0x07;
    /// A command packet (postcopy, COLO).
    pub const COMMAND: u8 = 0x08;
    /// The footer after each section.
    pub const SECTION_FOOTER: u8 = 0x7e;
}

/// Which of the four section records this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// `0x01`: first part of an iterative section.
    Start,
    /// `0x02`: a middle part.
    Part,
    /// `0x03`: the last part.
    End,
    /// `0x04`: a whole device state.
    Full,
}

impl SectionKind {
    /// The record type byte.
    #[must_use]
    pub fn tag(self) -> u8 {
        match self {
            Self::Start => tag::SECTION_START,
            Self::Part => tag::SECTION_PART,
            Self::End => tag::SECTION_END,
            Self::Full => tag::SECTION_FULL,
        }
    }
}

/// The identity that START and FULL headers carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionInfo {
    /// The device's idstr, e.g. `mc146818rtc` or `0000:00:02.0/e1000`.
    pub idstr: String,
    /// Tells apart devices with the same idstr.
    pub instance_id: u32,
    /// The payload's version.
    pub version_id: u32,
}

/// A section header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionHeader {
    /// START, PART, END or FULL.
    pub kind: SectionKind,
    /// The number that PART/END headers and footers refer to.
    pub section_id: u32,
    /// The identity, on START and FULL headers only.
    pub info: Option<SectionInfo>,
}

/// One element of a stream, in stream order.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// The configuration section.
    Configuration(Configuration),
    /// A section header; its payload follows as [`Record::State`] or
    /// [`Record::Ram`] records.
    Section(SectionHeader),
    /// A FULL section's payload.
    State {
        /// The payload bytes.
        payload: Vec<u8>,
        /// Absolute offset of the payload's first byte in the stream.
        offset: u64,
    },
    /// One element of a RAM section's payload.
    Ram(RamRecord),
    /// The footer after a section.
    Footer {
        /// The section id it closes.
        section_id: u32,
    },
    /// A command packet.
    Command {
        /// The command number.
        command: u16,
        /// Its data.
        data: Vec<u8>,
    },
    /// End of the device state.
    Eof,
    /// The JSON description of the FULL sections (vmdesc).
    Vmdesc {
        /// The raw JSON text.
        json: Vec<u8>,
    },
}
