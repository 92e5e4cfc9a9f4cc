//! Static descriptions of derived types, known at compile time: every field
//! that any version carries, with its wire type, version range and tests, and
//! every subsection. `T::SCHEMA` is what QEMU's `-dump-vmstate` prints for a
//! device, and what layout checks compare.

/// A type's VMState description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schema {
    /// The VMSD name.
    pub name: &'static str,
    /// The version this build saves.
    pub version: u32,
    /// The oldest version this build loads.
    pub minimum_version: u32,
    /// Every migrated field, in wire order (`skip` fields are not here).
    pub fields: &'static [FieldSchema],
    /// Every subsection, in wire order.
    pub subsections: &'static [SubsectionSchema],
}

/// One migrated field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSchema {
    /// The field's name on the wire descriptions (`rename`, or the identifier).
    pub name: &'static str,
    /// The Rust type as written, e.g. `[u8; 128]`.
    pub rust_type: &'static str,
    /// The wire type (for a variable array, of one element).
    pub wire: WireType,
    /// How many times the wire type repeats.
    pub count: Count,
    /// On the wire from this version on (0: always).
    pub since: u32,
    /// On the wire only below this version.
    pub until: Option<u32>,
    /// Whether an `exists` predicate decides instead of the versions.
    pub exists: bool,
    /// Whether the incoming value must equal the local one.
    pub equal: bool,
    /// QEMU's type name given with `info = "..."`.
    pub info: Option<&'static str>,
}

impl FieldSchema {
    /// Whether the field's `since` and `until` put it on the wire at
    /// `version` ([`vmstate_lock::on_wire_at`], the rule's one statement);
    /// an `exists` field is there only when its predicate also says so.
    #[must_use]
    pub const fn versions_include(&self, version: u32) -> bool {
        vmstate_lock::on_wire_at(self.since, self.until, version)
    }
}

/// How many elements a field has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    /// One value of the wire type (which may itself be an array).
    One,
    /// A variable array whose count is the named earlier field.
    Field(&'static str),
}

/// A subsection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SubsectionSchema {
    /// The parent's field that holds it.
    pub field: &'static str,
    /// The first version of the parent whose receivers know it.
    pub since: u32,
    /// Its own description.
    pub schema: &'static Schema,
}

/// How a type is laid out on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireType {
    /// A fixed-size value with QEMU's type name (`uint32`, `bool`, ...).
    Scalar {
        /// QEMU's `VMStateInfo` name.
        info: &'static str,
        /// Bytes on the wire.
        size: usize,
    },
    /// Elements back to back.
    Array {
        /// The element type.
        element: &'static WireType,
        /// The number of elements.
        len: usize,
    },
    /// An inlined struct.
    Struct(&'static Schema),
    /// Bytes written as zeros and skipped on load.
    Unused(usize),
    /// A ready-made view or std type whose bytes depend on the value (a
    /// tree, a list, an option, a string, a bitmap): the form's name and the
    /// wire types of its parts, which the layout lock records and compares.
    View {
        /// The form: `gtree`, `qtailq`, `option`, ...
        form: &'static str,
        /// Its parts, in the order the form writes them.
        parts: &'static [Part],
    },
    /// A `with` view the runtime does not know: its path and the field's
    /// Rust type, as written (whitespace normalised), which is all a build
    /// can compare.
    With {
        /// The view's path.
        view: &'static str,
        /// The field's Rust type.
        rust_type: &'static str,
    },
    /// A layout only known by saving a value: a hand-written
    /// [`VmStateField`](crate::VmStateField) impl that does not say its
    /// [`WIRE`](crate::VmStateField::WIRE).
    Opaque,
}

/// One part of a [`WireType::View`]: a tree's key or value, a list's
/// element, an option's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    /// What the part is to the form.
    pub name: &'static str,
    /// Its wire type.
    pub wire: WireType,
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
