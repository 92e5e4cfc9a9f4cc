//! `VmState::save_state`: hooks, fields in declaration order, then the needed
//! subsections, as QEMU's `vmstate_save_state` does.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Path;
use syn::spanned::Spanned;

use crate::model::{Codec, FieldModel, Gate, StructModel};

pub fn save_state_body(krate: &Path, described: &StructModel<'_>) -> TokenStream {
    let pre_save = described.hooks.pre_save.map(
        |hook| quote!(#krate::__private::hook("pre_save", #hook(self), #krate::__private::None)?;),
    );
    let post_save = described.hooks.post_save.map(
        |hook| quote!(#krate::__private::hook("post_save", #hook(self), #krate::__private::None)?;),
    );
    let fields = described
        .fields
        .iter()
        .map(|field| save_field(krate, field));
    let subsections = described.subsections.iter().map(|subsection| {
        let ident = subsection.ident;
        let field_name = ident.to_string();
        let ty = subsection.ty;
        let needed = &subsection.needed;
        // The type's span, so that a missing `VmState` impl is one error there.
        let save = quote_spanned! {ty.span()=>
            #krate::__private::save_subsection::<#ty>(&self.#ident, __out)
        };
        let name = quote_spanned!(ty.span()=> <#ty as #krate::VmState>::NAME);
        quote_spanned! {subsection.span=>
            if #needed(self) {
                #save.map_err(|e| e.in_subsection(#field_name, #name))?;
            }
        }
    });
    quote! {
        #pre_save
        #(#fields)*
        #(#subsections)*
        #post_save
        #krate::__private::Ok(())
    }
}

fn save_field(krate: &Path, field: &FieldModel<'_>) -> TokenStream {
    let ident = field.ident;
    let name = ident.to_string();
    let ty = field.ty;
    let call = match &field.codec {
        Codec::Plain | Codec::Equal => quote_spanned! {ty.span()=>
            <#ty as #krate::VmStateField>::save_field(&self.#ident, __out)
        },
        Codec::Varray { len } => {
            let len_name = len.to_string();
            quote_spanned! {ty.span()=>
                #krate::__private::save_varray(&self.#ident, &self.#len, #len_name, __out)
            }
        }
        Codec::With(module) => quote_spanned! {module.span()=>
            #module::save(&self.#ident, __out)
        },
    };
    let save = quote!(#call.map_err(|e| e.in_field(#name))?;);
    match &field.gate {
        // Saving is always at `VERSION`, and every `since` is at most `VERSION`.
        Gate::Always | Gate::Since(_) => save,
        Gate::Exists(exists) => quote! {
            if #exists(self, <Self as #krate::VmState>::VERSION) {
                #save
            }
        },
    }
}

/// The bytes a value takes at the least: every field that is always on the wire
/// when the struct is inlined at its current version.
pub fn min_wire_size(krate: &Path, described: &StructModel<'_>) -> TokenStream {
    let sizes = described
        .fields
        .iter()
        .filter(|field| !matches!(field.gate, Gate::Exists(_)))
        .filter(|field| matches!(field.codec, Codec::Plain | Codec::Equal))
        .map(|field| {
            let ty = field.ty;
            quote!(<#ty as #krate::VmStateField>::MIN_WIRE_SIZE)
        });
    quote!(0usize #(.saturating_add(#sizes))*)
}
