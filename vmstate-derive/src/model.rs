//! The checked description that code generation works from: every rule of
//! `validate.rs` holds for it, so `expand` never has to report an error.

use proc_macro2::Span;
use syn::{Generics, Ident, Path, Type, WherePredicate};
use vmstate_lock::on_wire_at;

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
    /// The name of a `vmstate::Priority`, when not the default.
    pub priority: Option<String>,
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
    /// exactly its size (`VmStateField::save_fixed`). This only decides which
    /// code to emit: whether the size is fixed, and what it is, the runtime
    /// computes from `SCHEMA` (`Schema::fixed_size`), where the field types
    /// are known.
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
    /// The later variable array whose length is saved as this count field.
    pub count_of: Option<&'a Ident>,
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
            // The versions that have the field are one run, so both ends
            // having it means every version between does.
            Self::Versions { since, until } => {
                on_wire_at(*since, *until, minimum) && on_wire_at(*since, *until, maximum)
            }
            Self::Exists(_) => false,
        }
    }

    /// Whether the field is on the wire at `version` when no predicate decides.
    pub fn static_at(&self, version: u32) -> bool {
        match self {
            Self::Versions { since, until } => on_wire_at(*since, *until, version),
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
    /// A `Vec`/`VecDeque`/`Box<[T]>` whose count is the earlier field `len`.
    Varray { len: &'a Ident },
    /// A user module's `save`/`load`.
    With(&'a Path),
}

pub struct SubsectionModel<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub needed: Needed,
    /// The first version of the parent whose receivers know this subsection.
    pub since: u32,
    /// The name need only start with the parent's, without a `/` after it.
    pub name_without_slash: bool,
    /// The `#[subsection]` attribute, where const-evaluated checks report.
    pub span: Span,
}

/// When a subsection is sent.
pub enum Needed {
    /// When the user's `fn(&Self) -> bool` says so.
    Predicate(Path),
    /// When the last load received it (`needed = loaded`, a `Loaded<T>` field).
    Loaded,
}

impl SubsectionModel<'_> {
    /// The expression that decides whether the subsection is sent.
    pub fn needed(&self, krate: &Path) -> proc_macro2::TokenStream {
        let ident = self.ident;
        match &self.needed {
            Needed::Predicate(predicate) => quote::quote!(#predicate(self)),
            Needed::Loaded => quote::quote!(#krate::Loaded::was_loaded(&self.#ident)),
        }
    }
}

pub struct EnumModel<'a> {
    /// The integer type of `#[repr(...)]`.
    pub repr: Ident,
    pub variants: Vec<&'a Ident>,
}

#[cfg(test)]
mod tests {
    use syn::{DeriveInput, parse_quote};

    use super::{Gate, Shape, StructModel};
    use crate::ast::Container;
    use crate::validate::validate;

    /// Builds the struct model of `input` and hands it to `test`.
    fn with_model(input: &DeriveInput, test: impl FnOnce(&StructModel<'_>)) {
        let container = Container::from_derive_input(input).unwrap();
        let model = validate(&container).unwrap();
        let Shape::Struct(described) = &model.shape else {
            panic!("a struct model");
        };
        test(described);
    }

    #[test]
    fn version_gates_know_where_they_hold() {
        let always = Gate::Versions {
            since: 0,
            until: None,
        };
        assert!(always.always_within(1, 5));
        assert!(always.static_at(0));
        let since = Gate::Versions {
            since: 3,
            until: None,
        };
        assert!(!since.always_within(2, 5));
        assert!(since.always_within(3, 5));
        assert!(!since.static_at(2));
        assert!(since.static_at(3));
        let until = Gate::Versions {
            since: 0,
            until: Some(4),
        };
        assert!(until.always_within(1, 3));
        assert!(!until.always_within(1, 4));
        assert!(until.static_at(3));
        assert!(!until.static_at(4));
        let path: syn::Path = parse_quote!(f);
        let exists = Gate::Exists(&path);
        assert!(!exists.always_within(0, 0));
        assert!(!exists.static_at(1));
    }

    #[test]
    fn plain_fields_may_have_a_fixed_size() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "d", version = 2)]
            struct D { a: u8, #[vmstate(since = 2, equal)] b: [u16; 4], #[vmstate(skip)] c: Vec<u8> }
        };
        with_model(&input, |described| {
            assert!(described.fields_may_be_fixed_size());
            assert!(described.may_be_fixed_size());
        });
    }

    #[test]
    fn variable_arrays_views_and_predicates_are_not_fixed() {
        let sources: [DeriveInput; 3] = [
            parse_quote!(
                #[vmstate(name = "d", version = 1)]
                struct D {
                    n: u8,
                    #[vmstate(len = n)]
                    a: Vec<u8>,
                }
            ),
            parse_quote!(
                #[vmstate(name = "d", version = 1)]
                struct D {
                    #[vmstate(with = m)]
                    a: u8,
                }
            ),
            parse_quote!(
                #[vmstate(name = "d", version = 1)]
                struct D {
                    #[vmstate(exists = f)]
                    a: u8,
                }
            ),
        ];
        for input in &sources {
            with_model(input, |described| {
                assert!(!described.fields_may_be_fixed_size());
                assert!(!described.may_be_fixed_size());
            });
        }
    }

    #[test]
    fn subsections_leave_the_fields_fixed_but_not_the_whole() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "d", version = 1)]
            struct D { a: u8, #[subsection(needed = f)] s: S }
        };
        with_model(&input, |described| {
            assert!(described.fields_may_be_fixed_size());
            assert!(!described.may_be_fixed_size());
        });
    }
}
