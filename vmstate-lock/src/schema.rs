//! The layout model: what a type puts on the wire, field by field, at each of
//! its versions. It is the one model of a layout, in two forms:
//!
//! - [`Static`], the default: `&'static` strings and slices, built in
//!   `const` context. A derived type's `T::SCHEMA` is one (every field that
//!   any version carries, with its version range and tests, and every
//!   subsection); the derive's `const` assertions compare the layouts that
//!   the lock records, written as literals of this form, with it.
//! - [`Owned`]: `String`s, `Vec`s and `Box`es, built at run time. The lock
//!   reads and writes layouts in it ([`Schema::recorded_at`] is what
//!   recording writes for one version; the parser gives it back).
//!
//! The `const fn`s that the codec and the derive's assertions evaluate at
//! compile time are defined on the static form; everything that walks a
//! layout at run time works on both.
//!
//! QEMU's own two JSON forms are not this model and are read into their
//! own: the vmdesc at a stream's end (the runtime's `desc::StateDesc`, what
//! one stream sent: the fields of one version, arrays as QEMU groups them,
//! no gates) and `-dump-vmstate` (its `check::Description`, a QEMU build's
//! tables: gates, but C struct sizes and no wire types before our extended
//! dumps). Each holds what QEMU writes and nothing more, so nothing is
//! guessed to fill a field of this model; a schema is written into both
//! (`VmState::describe_state`, `check::dump`).

use std::fmt;
use std::ops::Deref;

use crate::on_wire_at;

mod sealed {
    pub trait Sealed {}
}

/// How a layout holds its strings, lists and nested parts: [`Static`] or
/// [`Owned`]. Sealed: those are the two forms.
pub trait Form:
    sealed::Sealed + Copy + fmt::Debug + PartialEq + Eq + Send + Sync + 'static
{
    /// A string.
    type Str: Deref<Target = str> + Clone + fmt::Debug + PartialEq + Eq + Send + Sync;
    /// A list of `T`.
    type List<T: Send + Sync + 'static>: Deref<Target = [T]> + Send + Sync;
    /// One `T` held out of line (a nested layout).
    type Ref<T: Send + Sync + 'static>: Deref<Target = T> + Send + Sync;

    /// A copy of `list`.
    #[doc(hidden)]
    fn clone_list<T: Clone + Send + Sync + 'static>(list: &Self::List<T>) -> Self::List<T>;

    /// A copy of `held`.
    #[doc(hidden)]
    fn clone_ref<T: Clone + Send + Sync + 'static>(held: &Self::Ref<T>) -> Self::Ref<T>;
}

/// The compile-time form: `&'static` everything, `Copy`, built in `const`
/// context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Static {}

/// The run-time form: owned strings, lists and boxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owned {}

impl sealed::Sealed for Static {}
impl sealed::Sealed for Owned {}

impl Form for Static {
    type Str = &'static str;
    type List<T: Send + Sync + 'static> = &'static [T];
    type Ref<T: Send + Sync + 'static> = &'static T;

    fn clone_list<T: Clone + Send + Sync + 'static>(list: &Self::List<T>) -> Self::List<T> {
        list
    }

    fn clone_ref<T: Clone + Send + Sync + 'static>(held: &Self::Ref<T>) -> Self::Ref<T> {
        held
    }
}

impl Form for Owned {
    type Str = String;
    type List<T: Send + Sync + 'static> = Vec<T>;
    type Ref<T: Send + Sync + 'static> = Box<T>;

    fn clone_list<T: Clone + Send + Sync + 'static>(list: &Self::List<T>) -> Self::List<T> {
        list.clone()
    }

    fn clone_ref<T: Clone + Send + Sync + 'static>(held: &Self::Ref<T>) -> Self::Ref<T> {
        held.clone()
    }
}

/// A type's VMState description.
pub struct Schema<F: Form = Static> {
    /// The VMSD name.
    pub name: F::Str,
    /// The version this build saves (for a recorded layout, the version
    /// recorded).
    pub version: u32,
    /// The oldest version this build loads.
    pub minimum_version: u32,
    /// Every migrated field, in wire order (`skip` fields are not here).
    pub fields: F::List<FieldSchema<F>>,
    /// Every subsection, in wire order.
    pub subsections: F::List<SubsectionSchema<F>>,
}

/// One migrated field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldSchema<F: Form = Static> {
    /// The field's name on the wire descriptions (`rename`, or the identifier).
    pub name: F::Str,
    /// The Rust type as written, e.g. `[u8; 128]` (empty in a recorded
    /// layout: the lock compares wire types, not spellings).
    pub rust_type: F::Str,
    /// The wire type (for a variable array, of one element).
    pub wire: WireType<F>,
    /// How many times the wire type repeats.
    pub count: Count<F>,
    /// On the wire from this version on (0: always).
    pub since: u32,
    /// On the wire only below this version.
    pub until: Option<u32>,
    /// Whether an `exists` predicate decides instead of the versions.
    pub exists: bool,
    /// Whether the incoming value must equal the local one.
    pub equal: bool,
    /// QEMU's type name given with `info = "..."`.
    pub info: Option<F::Str>,
}

/// How many elements a field has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Count<F: Form = Static> {
    /// One value of the wire type (which may itself be an array).
    One,
    /// A variable array whose count is the named earlier field.
    Field(F::Str),
}

/// A subsection.
pub struct SubsectionSchema<F: Form = Static> {
    /// The parent's field that holds it.
    pub field: F::Str,
    /// The first version of the parent whose receivers know it.
    pub since: u32,
    /// Its own description. In a recorded layout, only its name and
    /// version: the subsection's type has entries of its own.
    pub schema: F::Ref<Schema<F>>,
}

/// How a type is laid out on the wire.
pub enum WireType<F: Form = Static> {
    /// A fixed-size value with QEMU's type name (`uint32`, `bool`, ...).
    Scalar {
        /// QEMU's `VMStateInfo` name.
        info: F::Str,
        /// Bytes on the wire.
        size: usize,
    },
    /// Elements back to back.
    Array {
        /// The element type.
        element: F::Ref<WireType<F>>,
        /// The number of elements.
        len: usize,
    },
    /// An inlined struct, at its current version (a recorded one: at the
    /// version recorded).
    Struct(F::Ref<Schema<F>>),
    /// Bytes written as zeros and skipped on load.
    Unused(usize),
    /// A ready-made view or std type whose bytes depend on the value (a
    /// tree, a list, an option, a string, a bitmap): the form's name and the
    /// wire types of its parts, which the layout lock records and compares.
    View {
        /// The form: `gtree`, `qtailq`, `option`, ...
        form: F::Str,
        /// Its parts, in the order the form writes them.
        parts: F::List<Part<F>>,
    },
    /// A `with` view the runtime does not know: its path and the field's
    /// Rust type, as written (whitespace normalised), which is all a build
    /// can compare.
    With {
        /// The view's path.
        view: F::Str,
        /// The field's Rust type.
        rust_type: F::Str,
    },
    /// A layout only known by saving a value: a hand-written `VmStateField`
    /// impl that does not say its `WIRE`. Locks written before views and
    /// std types had a recorded layout hold it too: it says nothing, so it
    /// is not checked, and recording fills it in.
    Opaque,
}

/// One part of a [`WireType::View`]: a tree's key or value, a list's
/// element, an option's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part<F: Form = Static> {
    /// What the part is to the form.
    pub name: F::Str,
    /// Its wire type.
    pub wire: WireType<F>,
}

// The static form is plain data: references all the way down.
impl Copy for Schema {}
impl Copy for FieldSchema {}
impl Copy for Count {}
impl Copy for SubsectionSchema {}
impl Copy for WireType {}
impl Copy for Part {}

// `Debug`, `Clone` and `PartialEq` by hand where a field holds a list or a
// nested part: a derive would bound them on `F::List<..>: Trait`, which for
// a nested layout asks the impl being proven.

impl<F: Form> fmt::Debug for Schema<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Schema")
            .field("name", &self.name)
            .field("version", &self.version)
            .field("minimum_version", &self.minimum_version)
            .field("fields", &&*self.fields)
            .field("subsections", &&*self.subsections)
            .finish()
    }
}

#[allow(
    clippy::expl_impl_clone_on_copy,
    reason = "one impl for both forms; only the static one is `Copy`"
)]
impl<F: Form> Clone for Schema<F> {
    fn clone(&self) -> Self {
        Self {
            name: self.name.clone(),
            version: self.version,
            minimum_version: self.minimum_version,
            fields: F::clone_list(&self.fields),
            subsections: F::clone_list(&self.subsections),
        }
    }
}

impl<F: Form> PartialEq for Schema<F> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.version == other.version
            && self.minimum_version == other.minimum_version
            && *self.fields == *other.fields
            && *self.subsections == *other.subsections
    }
}

impl<F: Form> Eq for Schema<F> {}

impl<F: Form> fmt::Debug for SubsectionSchema<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SubsectionSchema")
            .field("field", &self.field)
            .field("since", &self.since)
            .field("schema", &*self.schema)
            .finish()
    }
}

#[allow(
    clippy::expl_impl_clone_on_copy,
    reason = "one impl for both forms; only the static one is `Copy`"
)]
impl<F: Form> Clone for SubsectionSchema<F> {
    fn clone(&self) -> Self {
        Self {
            field: self.field.clone(),
            since: self.since,
            schema: F::clone_ref(&self.schema),
        }
    }
}

impl<F: Form> PartialEq for SubsectionSchema<F> {
    fn eq(&self, other: &Self) -> bool {
        self.field == other.field && self.since == other.since && *self.schema == *other.schema
    }
}

impl<F: Form> Eq for SubsectionSchema<F> {}

impl<F: Form> fmt::Debug for WireType<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scalar { info, size } => f
                .debug_struct("Scalar")
                .field("info", info)
                .field("size", size)
                .finish(),
            Self::Array { element, len } => f
                .debug_struct("Array")
                .field("element", &**element)
                .field("len", len)
                .finish(),
            Self::Struct(schema) => f.debug_tuple("Struct").field(&**schema).finish(),
            Self::Unused(size) => f.debug_tuple("Unused").field(size).finish(),
            Self::View { form, parts } => f
                .debug_struct("View")
                .field("form", form)
                .field("parts", &&**parts)
                .finish(),
            Self::With { view, rust_type } => f
                .debug_struct("With")
                .field("view", view)
                .field("rust_type", rust_type)
                .finish(),
            Self::Opaque => f.write_str("Opaque"),
        }
    }
}

#[allow(
    clippy::expl_impl_clone_on_copy,
    reason = "one impl for both forms; only the static one is `Copy`"
)]
impl<F: Form> Clone for WireType<F> {
    fn clone(&self) -> Self {
        match self {
            Self::Scalar { info, size } => Self::Scalar {
                info: info.clone(),
                size: *size,
            },
            Self::Array { element, len } => Self::Array {
                element: F::clone_ref(element),
                len: *len,
            },
            Self::Struct(schema) => Self::Struct(F::clone_ref(schema)),
            Self::Unused(size) => Self::Unused(*size),
            Self::View { form, parts } => Self::View {
                form: form.clone(),
                parts: F::clone_list(parts),
            },
            Self::With { view, rust_type } => Self::With {
                view: view.clone(),
                rust_type: rust_type.clone(),
            },
            Self::Opaque => Self::Opaque,
        }
    }
}

impl<F: Form> PartialEq for WireType<F> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Scalar { info: a, size: x }, Self::Scalar { info: b, size: y }) => {
                a == b && x == y
            }
            (Self::Array { element: a, len: x }, Self::Array { element: b, len: y }) => {
                x == y && **a == **b
            }
            (Self::Struct(a), Self::Struct(b)) => **a == **b,
            (Self::Unused(x), Self::Unused(y)) => x == y,
            (Self::View { form: f, parts: a }, Self::View { form: g, parts: b }) => {
                f == g && **a == **b
            }
            (
                Self::With {
                    view: v,
                    rust_type: a,
                },
                Self::With {
                    view: w,
                    rust_type: b,
                },
            ) => v == w && a == b,
            (Self::Opaque, Self::Opaque) => true,
            _ => false,
        }
    }
}

impl<F: Form> Eq for WireType<F> {}

impl<F: Form> FieldSchema<F> {
    /// Whether the field's `since` and `until` put it on the wire at
    /// `version` ([`on_wire_at`], the rule's one statement); an `exists`
    /// field is there only when its predicate also says so.
    #[must_use]
    pub const fn versions_include(&self, version: u32) -> bool {
        on_wire_at(self.since, self.until, version)
    }

    /// Whether the field is part of the layout the lock records at
    /// `version`: `exists` fields are, with their flag, since only a value
    /// can tell.
    #[must_use]
    pub const fn in_layout_at(&self, version: u32) -> bool {
        self.exists || self.versions_include(version)
    }
}

impl WireType {
    /// Bytes on the wire, when fixed.
    #[must_use]
    pub const fn fixed_size(&self) -> Option<usize> {
        match self {
            Self::Scalar { size, .. } | Self::Unused(size) => Some(*size),
            Self::Array { element, len } => match element.fixed_size() {
                Some(size) => Some(size * *len),
                None => None,
            },
            Self::Struct(schema) => schema.fixed_size(),
            // A view's size is the value's.
            Self::View { .. } | Self::With { .. } | Self::Opaque => None,
        }
    }

    /// QEMU's type name: the element's for arrays, `struct`, `unused_buffer`.
    #[must_use]
    pub fn info(&self) -> &'static str {
        match self {
            Self::Scalar { info, .. } => info,
            Self::Array { element, .. } => element.info(),
            Self::Struct(_) => "struct",
            Self::Unused(_) => "unused_buffer",
            // As QEMU describes a value it saves with its own `put`.
            Self::View { .. } | Self::With { .. } | Self::Opaque => "buffer",
        }
    }
}

impl Schema {
    /// Bytes on the wire at the current version, when fixed: no `exists`
    /// fields, variable arrays, subsections or opaque fields.
    #[must_use]
    pub const fn fixed_size(&self) -> Option<usize> {
        if !self.subsections.is_empty() {
            return None;
        }
        self.fields_fixed_size()
    }

    /// Bytes that the fields (not the subsections after them) take on the
    /// wire at the current version, when fixed: no `exists` fields, variable
    /// arrays or opaque fields.
    #[must_use]
    pub const fn fields_fixed_size(&self) -> Option<usize> {
        let mut total = 0;
        let mut i = 0;
        while i < self.fields.len() {
            let field = &self.fields[i];
            i += 1;
            if !field.versions_include(self.version) {
                continue;
            }
            if field.exists || !matches!(field.count, Count::One) {
                return None;
            }
            match field.wire.fixed_size() {
                Some(size) => total += size,
                None => return None,
            }
        }
        Some(total)
    }

    /// The bytes that a load at the current version reads from `bytes`, when
    /// the schema and `bytes` tell: no subsections or `exists` fields, every
    /// field of a fixed size or a variable array of fixed-size elements whose
    /// count is an earlier integer field, read from `bytes`. `None` otherwise,
    /// and for a negative count or a length past the end of `bytes`.
    #[must_use]
    pub fn payload_len(&self, bytes: &[u8]) -> Option<usize> {
        if !self.subsections.is_empty() {
            return None;
        }
        // Where each field starts, for the counts of later variable arrays.
        let mut starts = Vec::with_capacity(self.fields.len());
        let mut total = 0usize;
        for field in self.fields {
            starts.push(total);
            if !field.versions_include(self.version) {
                continue;
            }
            if field.exists {
                return None;
            }
            let size = field.wire.fixed_size()?;
            let count = match field.count {
                Count::One => 1,
                Count::Field(name) => {
                    let index = self.fields.iter().position(|f| f.name == name)?;
                    self.count_at(index, *starts.get(index)?, bytes)?
                }
            };
            total = total.checked_add(size.checked_mul(count)?)?;
            if total > bytes.len() {
                return None;
            }
        }
        Some(total)
    }

    /// The value of the integer field `index`, which starts at `start` in
    /// `bytes`, as a count.
    fn count_at(&self, index: usize, start: usize, bytes: &[u8]) -> Option<usize> {
        let field = &self.fields[index];
        let WireType::Scalar { info, size } = field.wire else {
            return None;
        };
        if field.exists
            || !field.versions_include(self.version)
            || !matches!(field.count, Count::One)
            || !matches!(
                info,
                "uint8" | "uint16" | "uint32" | "uint64" | "int8" | "int16" | "int32" | "int64"
            )
        {
            return None;
        }
        let raw = bytes.get(start..start.checked_add(size)?)?;
        let value = raw.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let negative = info.starts_with("int") && raw.first().is_some_and(|b| b & 0x80 != 0);
        if negative {
            return None;
        }
        usize::try_from(value).ok()
    }
}

impl<F: Form> Schema<F> {
    /// What the lock records for this type at `version`: the fields in the
    /// layout then ([`FieldSchema::in_layout_at`]) with their wire types,
    /// counts and gates (not their Rust types, `equal` flags or `info`
    /// names, which do not change a byte), inlined structs at their own
    /// versions, and the subsections the parent knows then, by name and
    /// version.
    #[must_use]
    pub fn recorded_at(&self, version: u32) -> Schema<Owned> {
        Schema {
            name: self.name.to_string(),
            version,
            minimum_version: version,
            fields: self
                .fields
                .iter()
                .filter(|field| field.in_layout_at(version))
                .map(|field| FieldSchema {
                    name: field.name.to_string(),
                    rust_type: String::new(),
                    wire: field.wire.recorded(),
                    count: match &field.count {
                        Count::One => Count::One,
                        Count::Field(count) => Count::Field(count.to_string()),
                    },
                    since: field.since,
                    until: field.until,
                    exists: field.exists,
                    equal: false,
                    info: None,
                })
                .collect(),
            subsections: self
                .subsections
                .iter()
                .filter(|sub| sub.since <= version)
                .map(|sub| SubsectionSchema {
                    field: sub.field.to_string(),
                    since: sub.since,
                    schema: Box::new(Schema::named(&sub.schema.name, sub.schema.version)),
                })
                .collect(),
        }
    }
}

impl Schema<Owned> {
    /// A layout known by its name and version only: a recorded subsection.
    #[must_use]
    pub fn named(name: &str, version: u32) -> Self {
        Self {
            name: name.to_owned(),
            version,
            minimum_version: version,
            fields: Vec::new(),
            subsections: Vec::new(),
        }
    }
}

impl<F: Form> WireType<F> {
    /// The wire type as the lock records it: an inlined struct at its
    /// current version.
    #[must_use]
    pub fn recorded(&self) -> WireType<Owned> {
        match self {
            Self::Scalar { info, size } => WireType::Scalar {
                info: info.to_string(),
                size: *size,
            },
            Self::Array { element, len } => WireType::Array {
                element: Box::new(element.recorded()),
                len: *len,
            },
            Self::Struct(inner) => WireType::Struct(Box::new(inner.recorded_at(inner.version))),
            Self::Unused(size) => WireType::Unused(*size),
            Self::View { form, parts } => WireType::View {
                form: form.to_string(),
                parts: parts
                    .iter()
                    .map(|part| Part {
                        name: part.name.to_string(),
                        wire: part.wire.recorded(),
                    })
                    .collect(),
            },
            Self::With { view, rust_type } => WireType::With {
                view: view.to_string(),
                rust_type: rust_type.to_string(),
            },
            Self::Opaque => WireType::Opaque,
        }
    }

    /// Whether an `Opaque` occurs anywhere in this wire type (inlined
    /// structs and view parts included).
    #[must_use]
    pub fn has_opaque(&self) -> bool {
        match self {
            Self::Opaque => true,
            Self::Array { element, .. } => element.has_opaque(),
            Self::Struct(layout) => layout.has_opaque(),
            Self::View { parts, .. } => parts.iter().any(|part| part.wire.has_opaque()),
            Self::Scalar { .. } | Self::Unused(_) | Self::With { .. } => false,
        }
    }
}

impl<F: Form> Schema<F> {
    /// Whether an `Opaque` wire type occurs anywhere in this layout.
    #[must_use]
    pub fn has_opaque(&self) -> bool {
        self.fields.iter().any(|field| field.wire.has_opaque())
    }
}

impl WireType<Owned> {
    /// `self` with every `Opaque` replaced by what `current` has there, when
    /// the two are otherwise the same; `None` when they differ elsewhere.
    /// Recording uses it to fill in the layouts that older versions wrote as
    /// `opaque`.
    #[must_use]
    pub fn fill_opaque(&self, current: &Self) -> Option<Self> {
        match (self, current) {
            (Self::Opaque, current) => Some(current.clone()),
            (Self::Array { element: a, len: x }, Self::Array { element: b, len: y }) if x == y => {
                Some(Self::Array {
                    element: Box::new(a.fill_opaque(b)?),
                    len: *x,
                })
            }
            (Self::Struct(a), Self::Struct(b)) if a.version == b.version => {
                Some(Self::Struct(Box::new(a.fill_opaque(b)?)))
            }
            (Self::View { form: f, parts: a }, Self::View { form: g, parts: b })
                if f == g && a.len() == b.len() =>
            {
                let parts = a
                    .iter()
                    .zip(b)
                    .map(|(a, b)| {
                        (a.name == b.name).then_some(())?;
                        Some(Part {
                            name: a.name.clone(),
                            wire: a.wire.fill_opaque(&b.wire)?,
                        })
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some(Self::View {
                    form: f.clone(),
                    parts,
                })
            }
            (a, b) if a == b => Some(a.clone()),
            _ => None,
        }
    }
}

impl Schema<Owned> {
    /// `self` with every `Opaque` replaced by what `current` has there, when
    /// the two are otherwise the same; `None` when they differ elsewhere.
    /// See [`WireType::fill_opaque`].
    #[must_use]
    pub fn fill_opaque(&self, current: &Self) -> Option<Self> {
        if self.name != current.name
            || self.version != current.version
            || self.fields.len() != current.fields.len()
            || self.subsections != current.subsections
        {
            return None;
        }
        let fields = self
            .fields
            .iter()
            .zip(&current.fields)
            .map(|(a, b)| {
                let same = a.name == b.name
                    && a.since == b.since
                    && a.until == b.until
                    && a.exists == b.exists
                    && a.count == b.count;
                same.then_some(())?;
                Some(FieldSchema {
                    wire: a.wire.fill_opaque(&b.wire)?,
                    ..a.clone()
                })
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Self {
            fields,
            ..self.clone()
        })
    }
}
