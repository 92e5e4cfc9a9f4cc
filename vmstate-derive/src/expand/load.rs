//! `VmState::load_state`: the version check, `pre_load`, fields gated by
//! version or predicate, the subsection loop, then `post_load`, in the order
//! of QEMU's `vmstate_load_state`.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Path;
use syn::spanned::Spanned;

use crate::model::{Codec, FieldModel, StructModel};

pub fn load_state_body(krate: &Path, described: &StructModel<'_>) -> TokenStream {
    let StructModel {
        name,
        version,
        minimum_version,
        ..
    } = described;
    // Spanned at the hook's path, so a wrong signature is reported there.
    let pre_load = described.hooks.pre_load.map(|hook| {
        quote_spanned! {super::at(hook.span())=>
            #krate::__private::hook(
                "pre_load",
                #hook(self),
                #krate::__private::Some(__reader.offset()),
            )?;
        }
    });
    let post_load = described.hooks.post_load.map(|hook| {
        quote_spanned! {super::at(hook.span())=>
            #krate::__private::hook(
                "post_load",
                #hook(self, __version_id),
                #krate::__private::Some(__reader.offset()),
            )?;
        }
    });
    let fields: Vec<_> = described
        .fields
        .iter()
        .map(|field| load_field(krate, field, *minimum_version, *version))
        .collect();
    // Fields whose size may be fixed: the same field code twice, from a
    // reader over exactly their bytes (every bounds check but the one in
    // `fields_head` folds away) or from the whole input, one check a field,
    // for other versions and for input that ends too early.
    let fields = if described.fields_may_be_fixed_size() {
        quote! {
            if let #krate::__private::Some(mut __head) =
                #krate::__private::fields_head::<Self>(__reader, __version_id)
            {
                {
                    let __reader = &mut __head;
                    #(#fields)*
                }
                #krate::__private::advance_past(__reader, &__head)?;
            } else {
                #(#fields)*
            }
        }
    } else {
        quote!(#(#fields)*)
    };
    let validate = described.hooks.validate.map(|hook| {
        quote_spanned! {super::at(hook.span())=>
            #krate::__private::hook(
                "validate",
                #hook(self),
                #krate::__private::Some(__reader.offset()),
            )?;
        }
    });
    let subsections = subsection_loop(krate, described);
    quote! {
        #krate::__private::check_version(
            #name,
            __version_id,
            #minimum_version,
            #version,
            __reader.offset(),
        )?;
        #pre_load
        #fields
        #validate
        #subsections
        #post_load
        #krate::__private::Ok(())
    }
}

fn load_field(
    krate: &Path,
    field: &FieldModel<'_>,
    minimum_version: u32,
    version: u32,
) -> TokenStream {
    let ident = field.ident;
    let name = ident.to_string();
    let ty = field.ty;
    let call = match &field.codec {
        Codec::Plain => quote_spanned! {super::at(ty.span())=>
            <#ty as #krate::VmStateField>::load_field(&mut self.#ident, __reader)
        },
        Codec::Equal => quote_spanned! {super::at(ty.span())=>
            #krate::__private::load_equal::<#ty>(&self.#ident, __reader)
        },
        Codec::Varray { len } => quote_spanned! {super::at(ty.span())=>
            #krate::__private::load_varray(&mut self.#ident, &self.#len, __reader)
        },
        // A view's own error (`Error::custom`) gets the field's first byte as
        // its offset, as built-in loads have theirs; an offset the view set
        // stays.
        Codec::With(module) => quote_spanned! {super::at(module.span())=>
            {
                let __at = __reader.offset();
                #module::load(&mut self.#ident, __reader).map_err(|e| e.at_offset(__at))
            }
        },
    };
    // A validator sees the struct with this field loaded, and its error points
    // at the field's first byte.
    let load = if let Some(validate) = field.validate {
        let check = quote_spanned! {super::at(validate.span())=>
            #krate::__private::hook(
                "validate",
                #validate(self),
                #krate::__private::Some(__start),
            )
        };
        quote! {
            let __start = __reader.offset();
            #call.map_err(|e| e.in_field(#name))?;
            #check.map_err(|e| e.in_field(#name))?;
        }
    } else {
        quote!(#call.map_err(|e| e.in_field(#name))?;)
    };
    super::gated(krate, &field.gate, load, minimum_version, version)
}

/// Subsections may come in any order, each at most once; one with this
/// struct's prefix that it does not declare is an error, while anything else
/// ends the loop and is left to the enclosing payload, as in QEMU.
fn subsection_loop(krate: &Path, described: &StructModel<'_>) -> TokenStream {
    let parent = &described.name;
    let unknown = quote! {
        return #krate::__private::Err(
            #krate::__private::unknown_subsection(__reader.offset(), __name, #parent),
        );
    };
    if described.subsections.is_empty() {
        return quote! {
            if let #krate::__private::Some(__name) =
                #krate::__private::peek_subsection(__reader, #parent)
            {
                #unknown
            }
        };
    }
    let count = described.subsections.len();
    let arms = described
        .subsections
        .iter()
        .enumerate()
        .map(|(index, subsection)| {
            let ident = subsection.ident;
            let field_name = ident.to_string();
            let ty = subsection.ty;
            quote_spanned! {super::at(subsection.span)=>
                if __name == <#ty as #krate::VmState>::NAME.as_bytes() {
                    let __in_subsection = |e: #krate::Error| {
                        e.in_subsection(#field_name, <#ty as #krate::VmState>::NAME)
                    };
                    if __seen[#index] {
                        return #krate::__private::Err(__in_subsection(
                            #krate::__private::duplicate_subsection(
                                __reader.offset(),
                                <#ty as #krate::VmState>::NAME,
                            ),
                        ));
                    }
                    __seen[#index] = true;
                    let __version = #krate::__private::enter_subsection(__reader)
                        .map_err(__in_subsection)?;
                    <#ty as #krate::VmState>::load_state(&mut self.#ident, __reader, __version)
                        .map_err(__in_subsection)?;
                    continue;
                }
            }
        });
    // Before `post_load`, which may read them: whether each subsection came
    // in this time, for the `Loaded` ones to keep.
    let remember = described
        .subsections
        .iter()
        .enumerate()
        .map(|(index, subsection)| {
            let ident = subsection.ident;
            let ty = subsection.ty;
            quote! {
                <#ty as #krate::VmState>::note_subsection_loaded(&mut self.#ident, __seen[#index]);
            }
        });
    quote! {
        let mut __seen = [false; #count];
        while let #krate::__private::Some(__name) =
            #krate::__private::peek_subsection(__reader, #parent)
        {
            #(#arms)*
            #unknown
        }
        #(#remember)*
    }
}
