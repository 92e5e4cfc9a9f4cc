//! `VmState::save_state_at`: hooks, the fields on the wire at the target
//! version in declaration order, then the needed subsections, as QEMU's
//! `vmstate_save_state` does. `save_state` is this at `VERSION`, where every
//! test below folds to a constant.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Path;
use syn::spanned::Spanned;

use crate::model::{Codec, FieldModel, Gate, StructModel};

pub fn save_state_body(krate: &Path, described: &StructModel<'_>) -> TokenStream {
    let StructModel {
        name,
        version,
        minimum_version,
        ..
    } = described;
    // Spanned at the hook's path, so a wrong signature is reported there.
    let pre_save = described.hooks.pre_save.map(|hook| {
        quote_spanned! {super::at(hook.span())=>
            #krate::__private::hook("pre_save", #hook(self), #krate::__private::None)?;
        }
    });
    let post_save = described.hooks.post_save.map(|hook| {
        quote_spanned! {super::at(hook.span())=>
            #krate::__private::hook("post_save", #hook(self), #krate::__private::None)?;
        }
    });
    let fields = described
        .fields
        .iter()
        .map(|field| save_field(krate, field, described));
    let subsections = described.subsections.iter().map(|subsection| {
        let ident = subsection.ident;
        let field_name = ident.to_string();
        let ty = subsection.ty;
        let needed = subsection.needed(krate);
        let since = subsection.since;
        // The type's span, so that a missing `VmState` impl is one error there.
        let save = quote_spanned! {super::at(ty.span())=>
            #krate::__private::save_subsection::<#ty>(&self.#ident, __out)
        };
        let name = quote_spanned!(super::at(ty.span())=> <#ty as #krate::VmState>::NAME);
        // Older receivers that do not know the subsection cannot take it.
        let known = (since > *minimum_version).then(|| {
            quote! {
                if __version_id < #since {
                    return #krate::__private::Err(
                        #krate::__private::subsection_not_allowed(#name, __version_id)
                            .in_subsection(#field_name, #name),
                    );
                }
            }
        });
        quote_spanned! {super::at(subsection.span)=>
            if #needed {
                #known
                #save.map_err(|e| e.in_subsection(#field_name, #name))?;
            }
        }
    });
    quote! {
        #krate::__private::check_save_version(#name, __version_id, #minimum_version, #version)?;
        #pre_save
        #(#fields)*
        #(#subsections)*
        #post_save
        #krate::__private::Ok(())
    }
}

fn save_field(krate: &Path, field: &FieldModel<'_>, described: &StructModel<'_>) -> TokenStream {
    let ident = field.ident;
    let name = ident.to_string();
    let ty = field.ty;
    let call = match (&field.codec, field.value, field.count_of) {
        (Codec::Plain | Codec::Equal, _, Some(array)) => {
            let array_name = array.to_string();
            quote_spanned! {super::at(ty.span())=>
                #krate::__private::count_of::<#ty, _>(&self.#array, #array_name)
                    .and_then(|__count| <#ty as #krate::VmStateField>::save_field(&__count, __out))
            }
        }
        (Codec::Plain | Codec::Equal, Some(value), None) => {
            quote_spanned! {super::at(value.span())=>
                <#ty as #krate::VmStateField>::save_field(&#value(self), __out)
            }
        }
        (Codec::Plain | Codec::Equal, None, None) => quote_spanned! {super::at(ty.span())=>
            <#ty as #krate::VmStateField>::save_field(&self.#ident, __out)
        },
        (Codec::Varray { len }, ..) => save_varray(krate, field, len, described),
        (Codec::With(module), ..) => quote_spanned! {super::at(module.span())=>
            #module::save(&self.#ident, __out)
        },
    };
    let save = quote!(#call.map_err(|e| e.in_field(#name))?;);
    super::gated(
        krate,
        &field.gate,
        save,
        described.minimum_version,
        described.version,
    )
}

/// A variable array is checked against the count that was *written* before
/// it: the count field's `value`, or the length of its `count_of` array, not
/// the value it holds. An array whose own length is the count has nothing to
/// check.
fn save_varray(
    krate: &Path,
    field: &FieldModel<'_>,
    len: &syn::Ident,
    described: &StructModel<'_>,
) -> TokenStream {
    let ident = field.ident;
    let ty = field.ty;
    let len_name = len.to_string();
    let count_field = described.fields.iter().find(|f| f.ident == len);
    match count_field.map(|f| (f.count_of, f.value, f.ty)) {
        Some((Some(array), ..)) if array == ident => quote_spanned! {super::at(ty.span())=>
            #krate::__private::save_counted_varray(&self.#ident, __out)
        },
        // Another array's length was written as the count: this one must match it.
        Some((Some(array), _, count_ty)) => {
            let array_name = array.to_string();
            quote_spanned! {super::at(ty.span())=>
                #krate::__private::count_of::<#count_ty, _>(&self.#array, #array_name)
                    .and_then(|__count| {
                        #krate::__private::save_varray(&self.#ident, &__count, #len_name, __out)
                    })
            }
        }
        Some((None, Some(value), _)) => quote_spanned! {super::at(ty.span())=>
            #krate::__private::save_varray(&self.#ident, &#value(self), #len_name, __out)
        },
        _ => quote_spanned! {super::at(ty.span())=>
            #krate::__private::save_varray(&self.#ident, &self.#len, #len_name, __out)
        },
    }
}

/// `VmStateField::save_fixed` of a struct that may have a fixed wire size:
/// `save_state` at the current version, into a slice. `None` for the others,
/// which keep the trait's default.
pub fn save_fixed_body(krate: &Path, described: &StructModel<'_>) -> Option<TokenStream> {
    if !described.may_be_fixed_size() {
        return None;
    }
    let hook = |name: &str, hook: Option<&Path>| {
        hook.map(|hook| {
            quote_spanned! {super::at(hook.span())=>
                #krate::__private::hook(#name, #hook(self), #krate::__private::None)?;
            }
        })
    };
    let pre_save = hook("pre_save", described.hooks.pre_save);
    let post_save = hook("post_save", described.hooks.post_save);
    let fields = described
        .fields
        .iter()
        .filter(|field| field.gate.static_at(described.version))
        .map(|field| {
            let ident = field.ident;
            let name = ident.to_string();
            let ty = field.ty;
            let value = field.value.map_or_else(
                || quote_spanned!(super::at(ty.span())=> &self.#ident),
                |value| quote_spanned!(super::at(value.span())=> &#value(self)),
            );
            let call = quote_spanned! {super::at(ty.span())=>
                <#ty as #krate::VmStateField>::save_fixed(#value, __out)
            };
            quote!(#call.map_err(|e| e.in_field(#name))?;)
        });
    Some(quote! {
        #pre_save
        #(#fields)*
        #post_save
        #krate::__private::Ok(())
    })
}

/// The bytes a value takes at the least: the runtime sums the field types'
/// `MIN_WIRE_SIZE` over the fields that `SCHEMA` says are always on the wire
/// when the struct is inlined at its current version.
pub fn min_wire_size(krate: &Path, described: &StructModel<'_>) -> TokenStream {
    let sizes = described.fields.iter().map(|field| {
        let ty = field.ty;
        match field.codec {
            Codec::Plain | Codec::Equal => quote!(<#ty as #krate::VmStateField>::MIN_WIRE_SIZE),
            Codec::Varray { .. } | Codec::With(_) => quote!(0usize),
        }
    });
    quote! {
        #krate::__private::min_wire_size(&<Self as #krate::VmState>::SCHEMA, &[#(#sizes),*])
    }
}

/// `VmStateField::saved_len_hint` of a struct: what `save_state` writes at
/// `VERSION`, field by field (the fields on the wire at that version, with
/// `exists` fields counted), then the needed subsections. A custom view
/// counts nothing, so the hint is then a lower bound.
pub fn saved_len_hint(krate: &Path, described: &StructModel<'_>) -> TokenStream {
    let version = described.version;
    let fields = described.fields.iter().filter_map(|field| {
        // `exists` fields count: a hint may be over, and those are rarely large.
        if !(matches!(field.gate, Gate::Exists(_)) || field.gate.static_at(version)) {
            return None;
        }
        let ident = field.ident;
        let ty = field.ty;
        match &field.codec {
            Codec::Plain | Codec::Equal => Some(quote! {
                <#ty as #krate::VmStateField>::saved_len_hint(&self.#ident)
            }),
            Codec::Varray { .. } => Some(quote! {
                #krate::__private::varray_len_hint(&self.#ident)
            }),
            Codec::With(_) => None,
        }
    });
    let subsections = described.subsections.iter().map(|subsection| {
        let ident = subsection.ident;
        let ty = subsection.ty;
        let needed = subsection.needed(krate);
        quote! {
            if #needed {
                #krate::__private::subsection_len_hint::<#ty>(&self.#ident)
            } else {
                0
            }
        }
    });
    quote! {
        0usize #(.saturating_add(#fields))* #(.saturating_add(#subsections))*
    }
}
