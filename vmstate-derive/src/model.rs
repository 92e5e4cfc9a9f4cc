//! The checked description that code generation works from: every rule of
//! `check.rs` holds for it, so `expand` never has to report an error.

use proc_macro2::Span;
use syn::{Generics, Ident, Path, Type, WherePredicate};

/// A type that passed every check.
pub struct Model<'a> {
    pub ident: &'a Ident,
    pub generics: &'a Generics,
    /// Path to the runtime, `::vmstate` by default.
    pub krate: Path,
    /// `Some` when the user replaced the inferred bounds.
    pub bound: Option<&'a [WherePredicate]>,
    pub shape: Shape<'a>,
}

pub enum Shape<'a> {
    /// A struct with named fields: a full VMState description.
    Struct(StructModel<'a>),
    /// `struct Foo(T)`: the wire form of `T`.
    Newtype(&'a Type),
    /// A fieldless enum with an integer `repr`.
    Enum(EnumModel<'a>),
}

pub struct StructModel<'a> {
    pub name: String,
    pub version: u32,
    pub minimum_version: u32,
    pub hooks: Hooks<'a>,
    /// Migrated fields in wire order; `skip` fields are not here.
    pub fields: Vec<FieldModel<'a>>,
    /// Subsections in declaration order, which is their wire order.
    pub subsections: Vec<SubsectionModel<'a>>,
}

impl StructModel<'_> {
    /// Whether the wire form can have a fixed size, depending on the field
    /// types: no subsections, no `exists` predicates, no variable arrays or
    /// custom views. Arrays of such structs save each element into a slice of
    /// exactly its size (`VmStateField::save_fixed`).
    pub fn may_be_fixed_size(&self) -> bool {
        self.subsections.is_empty() && self.fields_may_be_fixed_size()
    }

    /// Whether the fields, without the subsections after them, can have a
    /// fixed wire size at the current version: loads then read them from a
    /// reader of exactly that size (`__private::fields_head`).
    pub fn fields_may_be_fixed_size(&self) -> bool {
        self.fields.iter().all(|field| {
            !matches!(field.gate, Gate::Exists(_))
                && matches!(field.codec, Codec::Plain | Codec::Equal)
        })
    }
}

#[derive(Default)]
pub struct Hooks<'a> {
    pub pre_save: Option<&'a Path>,
    pub post_save: Option<&'a Path>,
    pub pre_load: Option<&'a Path>,
    pub post_load: Option<&'a Path>,
    pub validate: Option<&'a Path>,
}

pub struct FieldModel<'a> {
    pub ident: &'a Ident,
    /// The name in descriptions: `rename`, or the identifier.
    pub wire_name: String,
    /// QEMU's type name override for descriptions.
    pub info: Option<String>,
    /// Computes the value to save instead of reading the field.
    pub value: Option<&'a Path>,
    /// Checks the struct right after this field loads.
    pub validate: Option<&'a Path>,
    pub ty: &'a Type,
    pub gate: Gate<'a>,
    pub codec: Codec<'a>,
}

/// When a field is on the wire.
pub enum Gate<'a> {
    /// For stream versions in `since..until` (`until` open when `None`).
    Versions { since: u32, until: Option<u32> },
    /// When `fn(&Self, version_id) -> bool` says so.
    Exists(&'a Path),
}

impl Gate<'_> {
    /// Whether the field is on the wire at every version in `minimum..=maximum`.
    pub fn always_within(&self, minimum: u32, maximum: u32) -> bool {
        match self {
            Self::Versions { since, until } => {
                *since <= minimum && until.is_none_or(|until| until > maximum)
            }
            Self::Exists(_) => false,
        }
    }

    /// Whether the field is on the wire at `version` when no predicate decides.
    pub fn static_at(&self, version: u32) -> bool {
        match self {
            Self::Versions { since, until } => {
                *since <= version && until.is_none_or(|until| version < until)
            }
            Self::Exists(_) => false,
        }
    }
}

/// How a field is written and read.
pub enum Codec<'a> {
    /// Its own `VmStateField` impl.
    Plain,
    /// Loaded, then compared with the local value.
    Equal,
    /// A `Vec`/`Box<[T]>` whose count is the earlier field `len`.
    Varray { len: &'a Ident },
    /// A user module's `save`/`load`.
    With(&'a Path),
}

pub struct SubsectionModel<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub needed: Path,
    /// The first version of the parent whose receivers know this subsection.
    pub since: u32,
    /// The name need only start with the parent's, without a `/` after it.
    pub name_without_slash: bool,
    /// The `#[subsection]` attribute, where const-evaluated checks report.
    pub span: Span,
}

pub struct EnumModel<'a> {
    /// The integer type of `#[repr(...)]`.
    pub repr: Ident,
    pub variants: Vec<&'a Ident>,
}
