//! The one error type of the crate, built to say *where* a load failed.
//!
//! Errors are created at the point of failure with the byte offset known to the
//! [`Reader`](crate::Reader), and gain their field path while they travel up
//! through the generated code (`Error::in_field` and friends). The success path
//! pays nothing for this: the path is only built on the way out of a failure.
//!
//! What went wrong is the error's kind. The codec core's own kinds, what a
//! payload load or save can hit, are [`ErrorKind`]; each layer above defines
//! its own kind type beside its code (the stream's, the release's, the device
//! models') and the core knows them only as [`Kind`]s, so it names no layer
//! above it. [`Error::kind`] gives back the kind as its own type.

use std::any::Any;
use std::fmt;

/// What went wrong, of any layer: the codec core's [`ErrorKind`], or a kind
/// that a layer above the core defines for its own failures (a stream's bad
/// magic, a release that lacks a type, a device model's limits). An [`Error`]
/// carries one; [`Error::kind`] gives it back as its own type. A crate built
/// on this one gives its own failures a kind the same way: an enum that
/// implements `Kind`, passed to [`Error::new`] or [`Error::at`].
///
/// Its `Display` is the sentence that follows the error's location.
pub trait Kind: Any + fmt::Debug + fmt::Display + Send + Sync {
    /// The lower-level error this kind reports, if it wraps one (an I/O
    /// error, a hook's error): [`Error`]'s `source`.
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        None
    }
}

/// The codec core's error kinds: what a payload load or save can hit. The
/// location is the [`Error`]'s.
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
    /// A list whose length differs from the count that fixes it: on save, a
    /// variable array and its `len` count field, or a model's list and the
    /// field its length derives from; on load, the nodes of a QEMU tree and
    /// the count before them (QEMU `get_gtree`: "inconsistent stream").
    LengthMismatch {
        /// The list, e.g. `variable array`, `tree`, `ports_map`.
        what: &'static str,
        /// Its length: the elements held, on save; on load, the entries that
        /// follow, up to the first one past the count.
        found: u64,
        /// The value that fixes the length: the count field's name, or
        /// `nnodes` for the count a QEMU tree writes before its nodes.
        count_field: &'static str,
        /// That value.
        count: i128,
        /// The length it asks for: the count itself, or a length derived
        /// from it (one `ports_map` word per 32 ports).
        expected: i128,
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
    /// A loaded value outside the range its field accepts (QEMU
    /// `get_int32_le`, a model's list marker or pin level), or a key that
    /// does not fit the map's key type.
    OutOfRange {
        /// What was loaded, e.g. `value`, `tree key`, `request list marker`.
        what: &'static str,
        /// The value found.
        value: i128,
        /// The smallest accepted value.
        minimum: i128,
        /// The largest accepted value.
        maximum: i128,
        /// What the accepted values mean or where the range comes from, when
        /// the numbers alone do not say: `at most the local value`,
        /// `0 ends the list, 1 starts a request`.
        note: Option<&'static str>,
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

/// A save or load error: what went wrong (its [`Kind`]: an [`ErrorKind`] of
/// the codec core, or the kind of the layer that failed), in which section, at
/// which field path and at which byte offset.
///
/// Boxed, so that `Result<(), Error>` is one pointer wide on the hot path.
pub struct Error(Box<Inner>);

#[derive(Debug)]
struct Inner {
    kind: AnyKind,
    offset: Option<u64>,
    /// Innermost segment first: segments are pushed while the error unwinds.
    path: Vec<PathSegment>,
    section: Option<SectionRef>,
}

/// The kind an [`Error`] holds: the core's in place, an upper layer's boxed.
#[derive(Debug)]
enum AnyKind {
    Core(ErrorKind),
    Layer(Box<dyn Kind>),
}

impl AnyKind {
    fn of<K: Kind>(kind: K) -> Self {
        // A core kind is kept in place; taking it out of an `Option` is how a
        // generic value moves into its concrete type without a box.
        let mut slot = Some(kind);
        if let Some(core) = (&mut slot as &mut dyn Any)
            .downcast_mut::<Option<ErrorKind>>()
            .and_then(Option::take)
        {
            return Self::Core(core);
        }
        match slot {
            Some(kind) => Self::Layer(Box::new(kind)),
            None => unreachable!("only a core kind is taken out of the slot"),
        }
    }

    fn get(&self) -> &dyn Kind {
        match self {
            Self::Core(kind) => kind,
            Self::Layer(kind) => &**kind,
        }
    }
}

impl Error {
    /// An error of `kind` at absolute byte `offset` of the input.
    #[must_use]
    pub fn at<K: Kind>(kind: K, offset: u64) -> Self {
        Self::build(AnyKind::of(kind), Some(offset))
    }

    /// An error of `kind` with no byte position (save errors, for example).
    #[must_use]
    pub fn new<K: Kind>(kind: K) -> Self {
        Self::build(AnyKind::of(kind), None)
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

    fn build(kind: AnyKind, offset: Option<u64>) -> Self {
        Self(Box::new(Inner {
            kind,
            offset,
            path: Vec::new(),
            section: None,
        }))
    }

    /// What went wrong, when it is a `K`: the codec core's [`ErrorKind`], or
    /// the kind of the layer that failed (`vmstate::stream::StreamErrorKind`,
    /// ...). `None` for a kind of another type.
    ///
    /// A pattern names the type, so a `match` reads as on an enum:
    ///
    /// ```
    /// use vmstate_runtime::{Error, ErrorKind};
    ///
    /// let error = Error::at(ErrorKind::TrailingBytes { count: 2 }, 10);
    /// assert!(matches!(error.kind(), Some(ErrorKind::TrailingBytes { count: 2 })));
    /// ```
    #[must_use]
    pub fn kind<K: Kind>(&self) -> Option<&K> {
        let kind: &dyn Any = self.0.kind.get();
        kind.downcast_ref()
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
        fmt::Display::fmt(self.0.kind.get(), f)
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
                what,
                found,
                count_field,
                count,
                expected,
            } => {
                write!(f, "{what} has {found} element")?;
                if *found != 1 {
                    f.write_str("s")?;
                }
                if count == expected {
                    write!(f, ", but its count `{count_field}` says {count}")
                } else {
                    write!(f, ", but `{count_field}` {count} asks for {expected}")
                }
            }
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
                note,
            } => {
                write!(
                    f,
                    "{what} {value} is out of range: accepted values are {minimum} to {maximum}"
                )?;
                match note {
                    Some(note) => write!(f, " ({note})"),
                    None => Ok(()),
                }
            }
            Self::InvalidUtf8 { what, source } => write!(
                f,
                "{what} is not UTF-8: the bytes are invalid from byte {} on",
                source.valid_up_to()
            ),
            Self::Unrepresentable { view, reason } => {
                write!(f, "`{view}` cannot represent this value: {reason}")
            }
            Self::WireSizeMismatch => f.write_str(
                "a value saved a different number of bytes than its type's `WIRE` declares",
            ),
            Self::Custom { message } => f.write_str(message),
        }
    }
}

impl Kind for ErrorKind {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Hook { source, .. } => Some(&**source),
            Self::InvalidUtf8 { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `"s"` unless `n` is 1.
pub(crate) fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.kind.get().source()
    }
}

#[cfg(test)]
mod tests {
    use super::{Error, ErrorKind, Kind};
    use std::fmt;

    /// A kind defined outside the core, as an upper layer or a user's crate
    /// defines one.
    #[derive(Debug)]
    enum Outer {
        Refused { source: std::io::Error },
    }

    impl fmt::Display for Outer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            match self {
                Self::Refused { source } => write!(f, "refused: {source}"),
            }
        }
    }

    impl Kind for Outer {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            match self {
                Self::Refused { source } => Some(source),
            }
        }
    }

    #[test]
    fn a_kind_of_any_layer_comes_back_as_its_own_type() {
        let core = Error::at(ErrorKind::TrailingBytes { count: 1 }, 7);
        assert!(matches!(
            core.kind(),
            Some(ErrorKind::TrailingBytes { count: 1 })
        ));
        assert!(core.kind::<Outer>().is_none());

        let outer = Error::at(
            Outer::Refused {
                source: std::io::Error::other("no"),
            },
            3,
        )
        .in_field("f")
        .in_section("dev", Some(1));
        assert!(matches!(outer.kind(), Some(Outer::Refused { .. })));
        assert!(outer.kind::<ErrorKind>().is_none());
        assert_eq!(
            outer.to_string(),
            "section `dev` instance 1, field `f`, byte offset 3: refused: no"
        );
        let source = std::error::Error::source(&outer).expect("the kind's source");
        assert_eq!(source.to_string(), "no");
    }
}
