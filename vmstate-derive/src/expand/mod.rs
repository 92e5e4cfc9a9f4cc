//! Code generation from a checked [`Model`]. Everything is wrapped in
//! `const _: () = { ... };` and reaches the runtime through one absolute path
//! (`::vmstate` or the `crate = ...` override).

mod bounds;
mod const_asserts;
mod describe;
mod load;
mod save;
mod scalar;
mod schema;
mod view;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::model::{Codec, Gate, Model, Shape, StructModel};

/// A span at the user's code for error messages, but resolving names as the
/// macro's own output does: generated locals such as `__out` must be found
/// even when the field's type came out of a `macro_rules!` expansion.
pub fn at(span: Span) -> Span {
    span.resolved_at(Span::call_site())
}

/// Wraps `code` in the test that decides whether a field is on the wire at
/// `__version_id`; no test when every version in `minimum..=maximum` has it.
fn gated(
    krate: &syn::Path,
    gate: &Gate<'_>,
    code: TokenStream,
    minimum: u32,
    maximum: u32,
) -> TokenStream {
    if gate.always_within(minimum, maximum) {
        return code;
    }
    match gate {
        Gate::Exists(exists) => quote! {
            if #exists(self, __version_id) {
                #code
            }
        },
        Gate::Versions { since, until } => {
            let until = until.map_or_else(
                || quote!(#krate::__private::None),
                |until| quote!(#krate::__private::Some(#until)),
            );
            quote! {
                if #krate::__private::on_wire_at(#since, #until, __version_id) {
                    #code
                }
            }
        }
    }
}

pub fn expand(model: &Model<'_>) -> TokenStream {
    let body = match &model.shape {
        Shape::Struct(described) => expand_struct(model, described),
        Shape::Newtype(inner) => scalar::expand_newtype(model, inner),
        Shape::Enum(enumeration) => scalar::expand_enum(model, enumeration),
    };
    quote! {
        const _: () = {
            #body
        };
    }
}

/// A struct with named fields implements `VmState` (its description and
/// payload) and `VmStateField` (inlined at its current version, like QEMU's
/// `VMSTATE_STRUCT`).
fn expand_struct(model: &Model<'_>, described: &StructModel<'_>) -> TokenStream {
    let krate = &model.krate;
    let ident = model.ident;
    let (impl_generics, ty_generics, _) = model.generics.split_for_impl();
    let where_clause = bounds::where_clause(model, described);
    let checked_where_clause = bounds::where_clause_with_field_types(model, described);
    let StructModel {
        name,
        version,
        minimum_version,
        ..
    } = described;
    let save_body = save::save_state_body(krate, described);
    let load_body = load::load_state_body(krate, described);
    let describe_body = describe::describe_state_body(krate, described);
    let sync_counts = describe::sync_counts_body(krate, described);
    let schema = schema::schema_const(krate, described);
    let const_asserts = const_asserts::subsection_asserts(model, described);
    let field_impl = field_impl(model, described);
    let inline = inline_hint(described);
    // Only given when not the default, so the trait's default stays the one place that says it.
    let priority = described.priority.as_ref().map(|priority| {
        quote! {
            const PRIORITY: #krate::Priority = match #krate::Priority::from_name(#priority) {
                #krate::__private::Some(priority) => priority,
                // The derive accepted only names that `from_name` knows.
                #krate::__private::None => #krate::Priority::Default,
            };
        }
    });
    quote! {
        #const_asserts

        // A struct with its own VMSD may key a `with::gtree` tree; integers
        // may not, since QEMU writes those as direct keys.
        #[automatically_derived]
        impl #impl_generics #krate::with::StructKey for #ident #ty_generics #where_clause {}

        #[automatically_derived]
        impl #impl_generics #krate::VmState for #ident #ty_generics #checked_where_clause {
            const NAME: &'static str = #name;
            const VERSION: u32 = #version;
            const MINIMUM_VERSION: u32 = #minimum_version;
            const SCHEMA: #krate::schema::Schema = #schema;
            #priority

            #inline
            fn save_state_at(
                &self,
                __out: &mut #krate::__private::Vec<u8>,
                __version_id: u32,
            ) -> #krate::__private::Result<(), #krate::Error> {
                #save_body
            }

            #inline
            fn load_state(
                &mut self,
                __reader: &mut #krate::Reader<'_>,
                __version_id: u32,
            ) -> #krate::__private::Result<(), #krate::Error> {
                #load_body
            }

            fn describe_state(&self) -> #krate::desc::StateDesc {
                // At `VERSION` every gate is known and no subsection is too
                // new, so the description cannot fail.
                #krate::__private::described_at_version(
                    <Self as #krate::VmState>::describe_state_at(self, <Self as #krate::VmState>::VERSION),
                    <Self as #krate::VmState>::NAME,
                    <Self as #krate::VmState>::VERSION,
                )
            }

            fn sync_counts(&mut self) {
                #sync_counts
            }

            fn describe_state_at(
                &self,
                __version_id: u32,
            ) -> #krate::__private::Result<#krate::desc::StateDesc, #krate::Error> {
                #describe_body
            }
        }

        #field_impl

    }
}

/// `VmStateField` for a struct: the struct inlined at its current version,
/// alone or in arrays.
fn field_impl(model: &Model<'_>, described: &StructModel<'_>) -> TokenStream {
    let krate = &model.krate;
    let ident = model.ident;
    let (impl_generics, ty_generics, _) = model.generics.split_for_impl();
    let checked_where_clause = bounds::where_clause_with_field_types(model, described);
    let min_wire_size = save::min_wire_size(krate, described);
    let compressible = describe::compressible(krate, described);
    let inline = inline_hint(described);
    let load_infallible = load_infallible(krate, described);
    let saved_len_hint = save::saved_len_hint(krate, described);
    let save_fixed = save::save_fixed_body(krate, described).map(|body| {
        quote! {
            #[inline(always)]
            fn save_fixed(
                &self,
                __out: &mut &mut [u8],
            ) -> #krate::__private::Result<(), #krate::Error> {
                #body
            }
        }
    });
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::VmStateField for #ident #ty_generics #checked_where_clause {
            const MIN_WIRE_SIZE: usize = #min_wire_size;
            const VMDESC_COMPRESSIBLE: bool = #compressible;
            const WIRE: #krate::schema::WireType =
                #krate::schema::WireType::Struct(&<Self as #krate::VmState>::SCHEMA);
            const LOAD_INFALLIBLE: bool = #load_infallible;

            fn describe_field(
                &self,
                name: &str,
                out: &mut #krate::__private::Vec<#krate::desc::FieldDesc>,
            ) {
                #krate::__private::describe_struct(
                    name,
                    <Self as #krate::VmState>::describe_state(self),
                    out,
                );
            }

            #inline
            fn save_field(
                &self,
                out: &mut #krate::__private::Vec<u8>,
            ) -> #krate::__private::Result<(), #krate::Error> {
                <Self as #krate::VmState>::save_state(self, out)
            }

            #inline
            fn load_field(
                &mut self,
                reader: &mut #krate::Reader<'_>,
            ) -> #krate::__private::Result<(), #krate::Error> {
                <Self as #krate::VmState>::load_state(
                    self,
                    reader,
                    <Self as #krate::VmState>::VERSION,
                )
            }

            #[inline]
            fn saved_len_hint(&self) -> usize {
                #saved_len_hint
            }

            fn sync_field_counts(&mut self) {
                <Self as #krate::VmState>::sync_counts(self);
            }

            #save_fixed

            #[inline]
            fn save_slice(
                items: &[Self],
                out: &mut #krate::__private::Vec<u8>,
            ) -> #krate::__private::Result<(), #krate::Error> {
                #krate::__private::save_struct_slice(items, out)
            }
        }
    }
}

/// `VmStateField::LOAD_INFALLIBLE` of a struct: true only when nothing in its
/// own load can refuse an input of the length its counts give (hooks,
/// `validate`, `equal`, custom views, `exists`, subsections) and every field
/// type's load, or variable-array element's, cannot either. A count must be
/// found by its name in the schema, so it must not be renamed nor share its
/// name with another field's wire name.
fn load_infallible(krate: &syn::Path, described: &StructModel<'_>) -> TokenStream {
    let hooks = &described.hooks;
    let own_checks =
        hooks.pre_load.is_some() || hooks.post_load.is_some() || hooks.validate.is_some();
    let count_found = |len: &syn::Ident| {
        let name = len.to_string();
        described
            .fields
            .iter()
            .filter(|field| field.wire_name == name)
            .map(|field| field.ident)
            .eq([len])
    };
    let plain = described.fields.iter().all(|field| {
        let codec = match &field.codec {
            Codec::Plain => true,
            Codec::Varray { len } => count_found(len),
            Codec::Equal | Codec::With(_) => false,
        };
        codec
            && field.value.is_none()
            && field.validate.is_none()
            && !matches!(field.gate, Gate::Exists(_))
    });
    if own_checks || !plain || !described.subsections.is_empty() {
        return quote!(false);
    }
    let flags = described.fields.iter().map(|field| {
        let ty = field.ty;
        if let Codec::Varray { .. } = field.codec {
            quote! {
                <<#ty as #krate::__private::Varray>::Item as #krate::VmStateField>::LOAD_INFALLIBLE
            }
        } else {
            quote!(<#ty as #krate::VmStateField>::LOAD_INFALLIBLE)
        }
    });
    quote! {
        #krate::__private::all(&[#(#flags,)*])
    }
}

/// A struct that may have a fixed wire size is inlined wherever it is saved or
/// loaded: into arrays of it and into the structs around it, where the
/// version is a constant, every gate folds, and the one bounds check of
/// `fields_head` stands for all of its fields' (docs/performance.md). Others
/// are left to the compiler.
fn inline_hint(described: &StructModel<'_>) -> TokenStream {
    if described.may_be_fixed_size() {
        quote!(#[inline(always)])
    } else {
        quote!(#[inline])
    }
}
