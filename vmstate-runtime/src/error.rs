//! The one error type of the crate, built to say *where* a load failed.
//!
//! Errors are created at the point of failure with the byte offset known to the
//! [`Reader`](crate::Reader), and gain their field path while they travel up
//! through the generated code (`Error::in_field` and friends). The success path
//! pays nothing for this: the path is only built on the way out of a failure.

use std::fmt;

/// What went wrong, without the where: see [`Error`] for the location.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input ended inside a value.
    UnexpectedEof {
        /// Bytes the value needed.
        needed: usize,
        /// Bytes that were left.
        available: usize,
    },
    /// The incoming version is newer than the local type knows (QEMU: "incoming
    /// `version_id` is higher than local `version_id`").
    VersionTooNew {
        /// The VMSD name of the type being loaded.
        name: &'static str,
        /// Version found in the input.
        found: u32,
        /// Highest version this build can load (`T::VERSION`).
        supported: u32,
    },
    /// The incoming version is older than the local type still accepts (QEMU:
    /// "incoming `version_id` is lower than minimum `version_id`").
    VersionTooOld {
        /// The VMSD name of the type being loaded.
        name: &'static str,
        /// Version found in the input.
        found: u32,
        /// Lowest version this build can load (`T::MINIMUM_VERSION`).
        minimum: u32,
    },
    /// A subsection whose name has the parent's prefix but that the parent does not
    /// declare (QEMU: "unknown subsection").
    UnknownSubsection {
        /// The subsection name found in the input.
        name: String,
        /// The VMSD name of the parent.
        parent: &'static str,
    },
    /// The same subsection appeared twice in one payload.
    DuplicateSubsection {
        /// The subsection name.
        name: &'static str,
    },
    /// A subsection that must be saved is not known to the target version.
    SubsectionNotAllowed {
        /// The subsection name.
        name: &'static str,
        /// The version being saved.
        version: u32,
    },
    /// An `equal` field differs from the local value (QEMU `VMSTATE_*_EQUAL`).
    NotEqual {
        /// The local value, formatted with `Debug`.
        expected: String,
        /// The incoming value, formatted with `Debug`.
        found: String,
    },
    /// An enum discriminant that names no variant.
    InvalidEnumValue {
        /// The Rust enum type.
        type_name: &'static str,
        /// The discriminant read from the input.
        value: u64,
    },
    /// A variable-array count that cannot be right: negative, or more elements
    /// than the remaining input can hold.
    InvalidLength {
        /// The count, as read from the count field.
        count: i128,
        /// The largest count the remaining input could hold.
        max: u64,
    },
    /// On save, a variable array's length differs from its count field.
    LengthMismatch {
        /// The name of the count field.
        len_field: &'static str,
        /// The value of the count field.
        count: i128,
        /// The actual number of elements.
        actual: usize,
    },
    /// On save, a variable array has more elements than its `count_of` count
    /// field's integer type can hold.
    CountOverflow {
        /// The name of the variable array.
        array_field: &'static str,
        /// The actual number of elements.
        actual: usize,
        /// The largest count the count field holds.
        max: u64,
    },
    /// Bytes were left over after a complete payload.
    TrailingBytes {
        /// How many bytes were left.
        count: usize,
    },
    /// A user hook (`pre_save`, `post_load`, ...) returned an error.
    Hook {
        /// The hook's key in `#[vmstate(...)]`.
        hook: &'static str,
        /// The hook's error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
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
    /// A RAM page for a block that was never announced.
    UnknownRamBlock {
        /// The block name, or empty when a page continues no earlier block.
        name: String,
    },
    /// The stream's JSON description (vmdesc) is malformed.
    InvalidVmdesc {
        /// What is wrong, with the JSON path.
        message: String,
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
    /// A marker byte of a QEMU list, tree or pointer array that is none of the
    /// values the form allows (QEMU `get_nullptr`, `vmstate_ptr_marker_load`).
    BadMarker {
        /// What the marker introduces, e.g. `null-pointer marker`.
        what: &'static str,
        /// The byte found.
        found: u8,
        /// The values allowed, as text.
        expected: &'static str,
    },
    /// A loaded value outside the range the field accepts (QEMU
    /// `get_int32_le`), or a key that does not fit the map's key type.
    OutOfRange {
        /// What was loaded.
        what: &'static str,
        /// The value found.
        value: i128,
        /// The smallest accepted value.
        minimum: i128,
        /// The largest accepted value.
        maximum: i128,
    },
    /// A tree whose declared entry count differs from the entries that follow
    /// it (QEMU `get_gtree`: "inconsistent stream").
    CountMismatch {
        /// What was counted.
        what: &'static str,
        /// The count the input declares.
        declared: u64,
        /// The entries found, up to the first one past the count.
        found: u64,
    },
    /// Text on the wire that is not UTF-8: a string field, a capability name.
    InvalidUtf8 {
        /// What the text is, e.g. `string`, `capability name`.
        what: &'static str,
        /// The decoding error, which says where the invalid bytes start.
        source: core::str::Utf8Error,
    },
    /// A value that a wire view cannot represent: a local buffer shorter than
    /// the bytes on the wire, an armed timer whose expiry is the "not armed"
    /// value, more entries than a 32-bit count holds.
    Unrepresentable {
        /// The wire view, e.g. `PartialBuffer`.
        view: &'static str,
        /// Why, as a sentence fragment.
        reason: String,
    },
    /// A value saved a different number of bytes than its type's `WIRE`
    /// declares: a hand-written [`VmStateField`](crate::VmStateField) whose
    /// `WIRE` disagrees with its save.
    WireSizeMismatch,
    /// A PART or END record names a section id that no START record opened.
    UnknownSectionId {
        /// The section id in the record.
        section_id: u32,
    },
    /// A mapped-ram block header that QEMU would refuse or that points
    /// outside the file.
    InvalidMappedRam {
        /// The RAM block's name.
        block: String,
        /// What is wrong with the header.
        reason: String,
    },
    /// A payload does not carry the subsection its stream's description
    /// (vmdesc) lists at this point.
    SubsectionMismatch {
        /// The subsection the description names.
        expected: String,
    },
    /// A mapped-ram region would be written at another file offset than the
    /// one it was read from, while the block's header points at fixed offsets.
    RegionMoved {
        /// The file offset it was read from.
        read_at: u64,
        /// The file offset it would be written at.
        write_at: u64,
    },
    /// A release does not list the type being saved.
    NotInRelease {
        /// The release.
        release: String,
        /// The VMSD name of the type.
        name: &'static str,
    },
    /// A needed subsection that the target release does not know.
    SubsectionNotInRelease {
        /// The subsection's VMSD name.
        name: String,
        /// The release.
        release: String,
    },
    /// Saved state that the model of a device does not decode (QEMU's raw
    /// `VirtQueueElement` images).
    UnmodelledElement {
        /// What holds the element.
        holder: &'static str,
    },
    /// A list whose length another value fixes has another length.
    ListLengthMismatch {
        /// The list, e.g. `ports_map words`.
        what: &'static str,
        /// Its length.
        found: usize,
        /// The value that fixes the length.
        count_field: &'static str,
        /// That value.
        count: u64,
        /// The length the value asks for.
        expected: usize,
    },
    /// A value outside the range its field allows.
    UnexpectedValue {
        /// The field, e.g. `request list marker`.
        what: String,
        /// The value read.
        found: u64,
        /// The values allowed, in words.
        expected: String,
    },
    /// A name too long for its length byte.
    NameTooLong {
        /// What the name names, e.g. `capability name`.
        what: &'static str,
        /// The name.
        name: String,
        /// The most bytes the wire can hold.
        max: usize,
    },
    /// None of the layouts a section may have fits the payload.
    NoLayoutFits {
        /// The section idstr.
        idstr: &'static str,
    },
    /// A payload cannot be written at an older version without loss: fields
    /// added after it carry values other than their defaults.
    CannotLower {
        /// The VMSD name.
        name: &'static str,
        /// The older version asked for.
        version: u32,
        /// The fields added after that version.
        fields: Vec<&'static str>,
    },
    /// A failure reported by a custom wire view or other user code.
    Custom {
        /// The message.
        message: String,
    },
}

/// One step of the path from a payload's root to the failing value.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathSegment {
    /// A named struct field.
    Field(&'static str),
    /// An element of an array or variable array.
    Index(usize),
    /// A dotted field path from a stream's own description (vmdesc), such as
    /// `channels[1].count`.
    DescribedField(String),
    /// A subsection, stored in the named field of its parent.
    Subsection {
        /// The parent's field that holds the subsection state.
        field: &'static str,
        /// The subsection's VMSD name.
        name: &'static str,
    },
}

/// Where in a migration stream a payload came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionRef {
    /// The section's idstr, or the type's VMSD name for a bare payload.
    pub name: String,
    /// The section's instance id, when the payload came from a stream.
    pub instance: Option<u32>,
}

/// A save or load error: what went wrong ([`ErrorKind`]), in which section, at
/// which field path and at which byte offset.
///
/// Boxed, so that `Result<(), Error>` is one pointer wide on the hot path.
pub struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: ErrorKind,
    offset: Option<u64>,
    /// Innermost segment first: segments are pushed while the error unwinds.
    path: Vec<PathSegment>,
    section: Option<SectionRef>,
}

impl Error {
    /// An error of `kind` at absolute byte `offset` of the input.
    #[must_use]
    pub fn at(kind: ErrorKind, offset: u64) -> Self {
        Self::build(kind, Some(offset))
    }

    /// An error of `kind` with no byte position (save errors, for example).
    #[must_use]
    pub fn new(kind: ErrorKind) -> Self {
        Self::build(kind, None)
    }

    /// A [`ErrorKind::Custom`] error, for custom wire views and validation code.
    #[must_use]
    pub fn custom(message: impl fmt::Display) -> Self {
        Self::new(ErrorKind::Custom {
            message: message.to_string(),
        })
    }

    /// A [`ErrorKind::Custom`] error at absolute byte `offset`, for custom wire
    /// views: the derive adds the field path as the error unwinds, and the
    /// offset says where in the input the bad value starts.
    #[must_use]
    pub fn custom_at(message: impl fmt::Display, offset: u64) -> Self {
        Self::custom(message).at_offset(offset)
    }

    fn build(kind: ErrorKind, offset: Option<u64>) -> Self {
        Self(Box::new(Inner {
            kind,
            offset,
            path: Vec::new(),
            section: None,
        }))
    }

    /// What went wrong.
    #[must_use]
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }

    /// Absolute byte offset in the input where the failing value starts, if known.
    #[must_use]
    pub fn offset(&self) -> Option<u64> {
        self.0.offset
    }

    /// The section the failing payload belongs to, if known.
    #[must_use]
    pub fn section(&self) -> Option<&SectionRef> {
        self.0.section.as_ref()
    }

    /// The path from the payload's root to the failing value, outermost first.
    pub fn path(&self) -> impl Iterator<Item = &PathSegment> {
        self.0.path.iter().rev()
    }

    /// The field path as text, e.g. `channels[2].count` or
    /// `reinject.irq_reinject_on_ack_count`; empty at the payload's root.
    #[must_use]
    pub fn path_string(&self) -> String {
        let mut text = String::new();
        for segment in self.path() {
            match segment {
                PathSegment::Field(name) | PathSegment::Subsection { field: name, .. } => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(name);
                }
                PathSegment::DescribedField(path) => {
                    if !text.is_empty() {
                        text.push('.');
                    }
                    text.push_str(path);
                }
                PathSegment::Index(index) => {
                    use fmt::Write;
                    let _ = write!(text, "[{index}]");
                }
            }
        }
        text
    }

    /// Adds the struct field `name` as the next-outer path segment.
    #[must_use]
    pub fn in_field(mut self, name: &'static str) -> Self {
        self.0.path.push(PathSegment::Field(name));
        self
    }

    /// Adds a dotted path from a stream description as the next-outer segment.
    #[must_use]
    pub fn in_field_owned(mut self, path: &str) -> Self {
        self.0
            .path
            .push(PathSegment::DescribedField(path.to_owned()));
        self
    }

    /// Adds the array element `index` as the next-outer path segment.
    #[must_use]
    pub fn in_element(mut self, index: usize) -> Self {
        self.0.path.push(PathSegment::Index(index));
        self
    }

    /// Adds the subsection `name`, held in field `field`, as the next-outer segment.
    #[must_use]
    pub fn in_subsection(mut self, field: &'static str, name: &'static str) -> Self {
        self.0.path.push(PathSegment::Subsection { field, name });
        self
    }

    /// Records the section the payload belongs to, unless one is already recorded.
    #[must_use]
    pub fn in_section(mut self, name: &str, instance: Option<u32>) -> Self {
        if self.0.section.is_none() {
            self.0.section = Some(SectionRef {
                name: name.to_owned(),
                instance,
            });
        }
        self
    }

    /// Sets the byte offset, unless one is already recorded.
    #[must_use]
    pub fn at_offset(mut self, offset: u64) -> Self {
        self.0.offset.get_or_insert(offset);
        self
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut located = false;
        if let Some(section) = &self.0.section {
            write!(f, "section `{}`", section.name)?;
            if let Some(instance) = section.instance {
                write!(f, " instance {instance}")?;
            }
            located = true;
        }
        let path = self.path_string();
        if !path.is_empty() {
            f.write_str(if located { ", field `" } else { "field `" })?;
            write!(f, "{path}`")?;
            located = true;
        }
        let subsections: Vec<&str> = self
            .path()
            .filter_map(|segment| match segment {
                PathSegment::Subsection { name, .. } => Some(*name),
                _ => None,
            })
            .collect();
        if !subsections.is_empty() {
            write!(f, " (subsection `{}`)", subsections.join("` > `"))?;
        }
        if let Some(offset) = self.0.offset {
            f.write_str(if located {
                ", byte offset "
            } else {
                "byte offset "
            })?;
            write!(f, "{offset}")?;
            located = true;
        }
        if located {
            f.write_str(": ")?;
        }
        fmt::Display::fmt(&self.0.kind, f)
    }
}

impl fmt::Display for ErrorKind {
    #[allow(
        clippy::too_many_lines,
        reason = "one arm per variant: an exhaustive match catches a variant without a sentence"
    )]
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnexpectedEof { needed, available } => write!(
                f,
                "input ends too early: needed {needed} byte{}, {available} left",
                plural(*needed)
            ),
            Self::VersionTooNew {
                name,
                found,
                supported,
            } => write!(
                f,
                "`{name}` version {found} is newer than this build supports (highest is {supported})"
            ),
            Self::VersionTooOld {
                name,
                found,
                minimum,
            } => write!(
                f,
                "`{name}` version {found} is older than this build accepts (lowest is {minimum})"
            ),
            Self::UnknownSubsection { name, parent } => {
                write!(f, "unknown subsection `{name}` in `{parent}`")
            }
            Self::DuplicateSubsection { name } => {
                write!(f, "subsection `{name}` appears twice")
            }
            Self::SubsectionNotAllowed { name, version } => write!(
                f,
                "subsection `{name}` is needed, but receivers of version {version} do not know it: the state cannot be saved for them without loss"
            ),
            Self::NotEqual { expected, found } => write!(
                f,
                "incoming value {found} differs from the local value {expected}, and they must be equal"
            ),
            Self::InvalidEnumValue { type_name, value } => {
                write!(f, "{value} is not a valid `{type_name}`")
            }
            Self::InvalidLength { count, max } => write!(
                f,
                "variable-array count {count} is invalid: the remaining input holds at most {max} elements"
            ),
            Self::LengthMismatch {
                len_field,
                count,
                actual,
            } => write!(
                f,
                "variable array has {actual} elements but its count field `{len_field}` says {count}"
            ),
            Self::CountOverflow {
                array_field,
                actual,
                max,
            } => write!(
                f,
                "variable array `{array_field}` has {actual} elements, more than this count field holds ({max} at most)"
            ),
            Self::TrailingBytes { count } => write!(
                f,
                "{count} byte{} left over after the end of the payload",
                plural(*count)
            ),
            Self::Hook { hook, source } => write!(f, "{hook} hook failed: {source}"),
            Self::BadMagic { found } => write!(
                f,
                "not a QEMU migration stream: starts with {found:#010x}, not `QEVM`"
            ),
            Self::UnsupportedStreamVersion { found } => write!(
                f,
                "migration stream format version {found} is not supported (only 3)"
            ),
            Self::UnknownRecord { byte } => write!(f, "unknown record type {byte:#04x}"),
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
            Self::UnknownRamBlock { name } if name.is_empty() => {
                f.write_str("RAM page continues a block, but no block came before")
            }
            Self::UnknownRamBlock { name } => write!(f, "RAM page for unknown block `{name}`"),
            Self::InvalidVmdesc { message } => {
                write!(f, "invalid stream description (vmdesc): {message}")
            }
            Self::LimitExceeded { what, found, limit } => {
                write!(f, "{what} of {found} exceeds the limit of {limit}")
            }
            Self::Io { source } => write!(f, "I/O error: {source}"),
            Self::BadMarker { .. }
            | Self::OutOfRange { .. }
            | Self::CountMismatch { .. }
            | Self::InvalidUtf8 { .. }
            | Self::Unrepresentable { .. } => self.fmt_view_error(f),
            Self::WireSizeMismatch => f.write_str(
                "a value saved a different number of bytes than its type's `WIRE` declares",
            ),
            Self::UnknownSectionId { section_id } => write!(
                f,
                "section id {section_id} continues a section that never started"
            ),
            Self::InvalidMappedRam { block, reason } => {
                write!(f, "mapped-ram header of RAM block `{block}`: {reason}")
            }
            Self::SubsectionMismatch { expected } => {
                write!(
                    f,
                    "expected subsection `{expected}` as the description says"
                )
            }
            Self::RegionMoved { read_at, write_at } => write!(
                f,
                "mapped-ram region read at file offset {read_at} would be written at \
                 {write_at}: a record before it changed length, and the block's header \
                 points at fixed offsets"
            ),
            Self::NotInRelease { release, name } => {
                write!(f, "release `{release}` has no `{name}`")
            }
            Self::SubsectionNotInRelease { name, release } => write!(
                f,
                "subsection `{name}` is needed, but release `{release}` does not know it"
            ),
            Self::UnmodelledElement { holder } => {
                write!(f, "{holder}: its saved VirtQueueElement is not modelled")
            }
            Self::ListLengthMismatch {
                what,
                found,
                count_field,
                count,
                expected,
            } => write!(
                f,
                "{found} {what} for {count_field} {count}: expected {expected}"
            ),
            Self::UnexpectedValue {
                what,
                found,
                expected,
            } => write!(f, "{what} {found}: expected {expected}"),
            Self::NameTooLong { what, name, max } => {
                write!(f, "{what} `{name}` is longer than {max} bytes")
            }
            Self::NoLayoutFits { idstr } => {
                write!(f, "no {idstr} layout ends where a record starts")
            }
            Self::CannotLower {
                name,
                version,
                fields,
            } => write!(
                f,
                "`{name}` version {version} cannot hold this state: fields added after it carry \
                 values other than their defaults ({})",
                fields.join(", ")
            ),
            Self::Custom { message } => f.write_str(message),
        }
    }
}

impl ErrorKind {
    /// The sentences of the errors that QEMU's list, tree, pointer and range
    /// forms (`vmstate::with` and the std field types) report.
    fn fmt_view_error(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadMarker {
                what,
                found,
                expected,
            } => write!(f, "{what} is {found:#04x}, expected {expected}"),
            Self::OutOfRange {
                what,
                value,
                minimum,
                maximum,
            } => write!(
                f,
                "{what} {value} is out of range: accepted values are {minimum} to {maximum}"
            ),
            Self::CountMismatch {
                what,
                declared,
                found,
            } => write!(
                f,
                "{what}: the input declares {declared} entr{} but {found} follow",
                if *declared == 1 { "y" } else { "ies" }
            ),
            Self::InvalidUtf8 { what, source } => write!(
                f,
                "{what} is not UTF-8: the bytes are invalid from byte {} on",
                source.valid_up_to()
            ),
            Self::Unrepresentable { view, reason } => {
                write!(f, "`{view}` cannot represent this value: {reason}")
            }
            _ => Ok(()),
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.0.kind {
            ErrorKind::Hook { source, .. } => Some(&**source),
            ErrorKind::Io { source } => Some(source),
            ErrorKind::InvalidUtf8 { source, .. } => Some(source),
            _ => None,
        }
    }
}
