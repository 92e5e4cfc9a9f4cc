//! `VmState::describe_state`: the vmdesc description of what `save_state`
//! writes for this value, with the same `exists` and `needed` decisions.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Path;
use syn::spanned::Spanned;

use crate::model::{Codec, FieldModel, Gate, StructModel};

pub fn describe_state_body(krate: &Path, described: &StructModel<'_>) -> TokenStream {
    let fields = described
        .fields
        .iter()
        .map(|field| describe_field(krate, field, described.version));
    let subsections = described.subsections.iter().map(|subsection| {
        let ident = subsection.ident;
        let ty = subsection.ty;
        let needed = &subsection.needed;
        let describe = quote_spanned! {super::at(ty.span())=>
            <#ty as #krate::VmState>::describe_state(&self.#ident)
        };
        quote! {
            if #needed(self) {
                __subsections.push(#describe);
            }
        }
    });
    quote! {
        let mut __fields = #krate::__private::Vec::new();
        let mut __subsections = #krate::__private::Vec::new();
        #(#fields)*
        #(#subsections)*
        #krate::__private::state_desc(
            <Self as #krate::VmState>::NAME,
            <Self as #krate::VmState>::VERSION,
            __fields,
            __subsections,
        )
    }
}

fn describe_field(krate: &Path, field: &FieldModel<'_>, version: u32) -> TokenStream {
    let ident = field.ident;
    let name = &field.wire_name;
    let ty = field.ty;
    let describe = match &field.codec {
        Codec::Plain | Codec::Equal => quote_spanned! {super::at(ty.span())=>
            <#ty as #krate::VmStateField>::describe_field(&self.#ident, #name, &mut __fields);
        },
        Codec::Varray { .. } => quote_spanned! {super::at(ty.span())=>
            #krate::__private::describe_varray(&self.#ident, #name, &mut __fields);
        },
        Codec::With(module) => quote_spanned! {super::at(module.span())=>
            #krate::__private::describe_with(#name, &mut __fields, |__out| {
                #module::save(&self.#ident, __out)
            });
        },
    };
    let describe = match &field.info {
        Some(info) => quote! {
            let __start = __fields.len();
            #describe
            #krate::__private::set_info(&mut __fields[__start..], #info);
        },
        None => describe,
    };
    // Described as saved at `VERSION`.
    match &field.gate {
        Gate::Exists(exists) => quote! {
            if #exists(self, <Self as #krate::VmState>::VERSION) {
                #describe
            }
        },
        gate if gate.static_at(version) => describe,
        Gate::Versions { .. } => TokenStream::new(),
    }
}

/// QEMU's `vmsd_can_compress`: an array of this struct is one vmdesc entry
/// unless the struct has subsections or `exists` fields, which the runtime
/// reads from `SCHEMA`, or a field type that does not compress.
pub fn compressible(krate: &Path, described: &StructModel<'_>) -> TokenStream {
    let flags = described.fields.iter().map(|field| {
        let ty = field.ty;
        match field.codec {
            Codec::Plain | Codec::Equal => {
                quote!(<#ty as #krate::VmStateField>::VMDESC_COMPRESSIBLE)
            }
            Codec::Varray { .. } | Codec::With(_) => quote!(true),
        }
    });
    quote! {
        #krate::__private::vmdesc_compressible(&<Self as #krate::VmState>::SCHEMA, &[#(#flags),*])
    }
}
