//! The stream layer's error kinds: what reading or writing a migration
//! stream's framing, RAM and description can hit, beyond the payload errors
//! of the codec core ([`ErrorKind`](crate::ErrorKind)). An
//! [`Error`](crate::Error) carries them with its location;
//! `error.kind::<StreamErrorKind>()` gives them back.

use std::fmt;

use crate::error::{Kind, plural};

/// What went wrong in a migration stream's framing, RAM or description.
#[derive(Debug)]
#[non_exhaustive]
pub enum StreamErrorKind {
    /// A migration stream does not start with `QEVM`.
    BadMagic {
        /// The first four bytes.
        found: u32,
    },
    /// A migration stream of a format version other than 3.
    UnsupportedStreamVersion {
        /// The version found.
        found: u32,
    },
    /// A byte where a record type (section, EOF, ...) was expected.
    UnknownRecord {
        /// The byte found.
        byte: u8,
    },
    /// A PART or END record names a section id that no START record opened.
    UnknownSectionId {
        /// The section id in the record.
        section_id: u32,
    },
    /// A section footer that is missing or names another section.
    BadFooter {
        /// The section id that the footer must carry.
        expected: u32,
        /// What was found instead, as text.
        found: String,
    },
    /// A section whose payload cannot be delimited: no model knows it and the
    /// stream carries no description of it.
    UndelimitedSection {
        /// The section's idstr.
        idstr: String,
        /// The section's instance id.
        instance_id: u32,
        /// The section's version id.
        version_id: u32,
    },
    /// An iterative section (START, PART, END) other than RAM, whose framing
    /// this reader does not know.
    IterativeSection {
        /// The section's idstr.
        idstr: String,
    },
    /// A byte where a record type was expected, right after a payload whose
    /// end only a model (the reader's delimiter) gave: in a stream without a
    /// description, the model's layout was not the one that wrote the
    /// section, so the reader lost its place.
    MisdelimitedSection {
        /// The byte found.
        byte: u8,
        /// The idstr of the section the model delimited.
        idstr: String,
        /// Its instance id.
        instance_id: u32,
        /// Its version id.
        version_id: u32,
        /// The byte offset of its payload.
        payload_offset: u64,
        /// The payload's length as the model read it.
        len: usize,
    },
    /// A RAM page header with flags this reader does not support.
    UnsupportedRamFlags {
        /// The flags found.
        flags: u64,
    },
    /// A compressed or XBZRLE page that QEMU would refuse: a length past
    /// what a page can take, or an encoding it does not know.
    InvalidEncodedPage {
        /// The page's flags.
        flags: u64,
        /// What is wrong.
        reason: String,
    },
    /// A RAM page for a block that was never announced.
    UnknownRamBlock {
        /// The block name, or empty when a page continues no earlier block.
        name: String,
    },
    /// A mapped-ram block header that QEMU would refuse or that points
    /// outside the file.
    InvalidMappedRam {
        /// The RAM block's name.
        block: String,
        /// What is wrong with the header.
        reason: String,
    },
    /// A mapped-ram region would be written at another file offset than the
    /// one it was read from, while the block's header points at fixed offsets.
    RegionMoved {
        /// The file offset it was read from.
        read_at: u64,
        /// The file offset it would be written at.
        write_at: u64,
    },
    /// The stream's JSON description (vmdesc) is malformed.
    InvalidVmdesc {
        /// What is wrong, with the JSON path.
        message: String,
    },
    /// A payload does not carry the subsection its stream's description
    /// (vmdesc) lists at this point.
    SubsectionMismatch {
        /// The subsection the description names.
        expected: String,
    },
    /// A value or size beyond a configured limit.
    LimitExceeded {
        /// What was limited.
        what: &'static str,
        /// The value found.
        found: u64,
        /// The limit.
        limit: u64,
    },
    /// Reading or writing the underlying file failed.
    Io {
        /// The I/O error.
        source: std::io::Error,
    },
}

impl fmt::Display for StreamErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadMagic { found } => write!(
                f,
                "not a QEMU migration stream: starts with {found:#010x}, not `QEVM`"
            ),
            Self::UnsupportedStreamVersion { found } => write!(
                f,
                "migration stream format version {found} is not supported (only 3)"
            ),
            Self::UnknownRecord { byte } => write!(f, "unknown record type {byte:#04x}"),
            Self::UnknownSectionId { section_id } => write!(
                f,
                "section id {section_id} continues a section that never started"
            ),
            Self::BadFooter { expected, found } => write!(
                f,
                "section footer for section id {expected} expected, found {found}"
            ),
            Self::UndelimitedSection {
                idstr,
                instance_id,
                version_id,
            } => write!(
                f,
                "cannot tell where section `{idstr}` (instance {instance_id}, version {version_id}) \
                 ends: the stream has no description of its sections (no vmdesc: machine types \
                 before 2.4 send none, and no section footers), so only a model knows where a \
                 section ends, and no model knows this one"
            ),
            Self::IterativeSection { idstr } => write!(
                f,
                "section `{idstr}` is sent in parts (START/PART/END), and only RAM's parts \
                 can be read"
            ),
            Self::MisdelimitedSection {
                byte,
                idstr,
                instance_id,
                version_id,
                payload_offset,
                len,
            } => write!(
                f,
                "unknown record type {byte:#04x} right after the payload of section `{idstr}` \
                 (instance {instance_id}, version {version_id}: {len} byte{} from byte offset \
                 {payload_offset}, as its model reads them): the stream has no description \
                 of its sections (no vmdesc), so only the model says where that section ends, \
                 and the model's layout is not the one that wrote it",
                plural(*len)
            ),
            Self::UnsupportedRamFlags { flags } => {
                write!(f, "unsupported RAM page flags {flags:#x}")
            }
            Self::InvalidEncodedPage { flags, reason } => {
                write!(f, "RAM page with flags {flags:#x}: {reason}")
            }
            Self::UnknownRamBlock { name } if name.is_empty() => {
                f.write_str("RAM page continues a block, but no block came before")
            }
            Self::UnknownRamBlock { name } => write!(f, "RAM page for unknown block `{name}`"),
            Self::InvalidMappedRam { block, reason } => {
                write!(f, "mapped-ram header of RAM block `{block}`: {reason}")
            }
            Self::RegionMoved { read_at, write_at } => write!(
                f,
                "mapped-ram region read at file offset {read_at} would be written at \
                 {write_at}: a record before it changed length, and the block's header \
                 points at fixed offsets"
            ),
            Self::InvalidVmdesc { message } => {
                write!(f, "invalid stream description (vmdesc): {message}")
            }
            Self::SubsectionMismatch { expected } => {
                write!(
                    f,
                    "expected subsection `{expected}` as the description says"
                )
            }
            Self::LimitExceeded { what, found, limit } => {
                write!(f, "{what} of {found} exceeds the limit of {limit}")
            }
            Self::Io { source } => write!(f, "I/O error: {source}"),
        }
    }
}

impl Kind for StreamErrorKind {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source } => Some(source),
            _ => None,
        }
    }
}
