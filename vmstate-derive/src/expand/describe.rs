//! `VmState::describe_state_at`: the vmdesc description of what
//! `save_state_at` writes for this value at `__version_id`, with the same
//! version gates, `exists` and `needed` decisions, and the same refusal of a
//! needed subsection that the version does not know.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::Path;
use syn::spanned::Spanned;

use crate::model::{Codec, FieldModel, StructModel};

pub fn describe_state_body(krate: &Path, described: &StructModel<'_>) -> TokenStream {
    let StructModel {
        name,
        version,
        minimum_version,
        ..
    } = described;
    let fields = described
        .fields
        .iter()
        .map(|field| describe_field(krate, field, described));
    let subsections = described.subsections.iter().map(|subsection| {
        let ident = subsection.ident;
        let field_name = ident.to_string();
        let ty = subsection.ty;
        let needed = subsection.needed(krate);
        let since = subsection.since;
        let describe = quote_spanned! {super::at(ty.span())=>
            <#ty as #krate::VmState>::describe_state(&self.#ident)
        };
        let sub_name = quote_spanned!(super::at(ty.span())=> <#ty as #krate::VmState>::NAME);
        // As in the save: a needed subsection the version does not know
        // has no description there either.
        let known = (since > *minimum_version).then(|| {
            quote! {
                if __version_id < #since {
                    return #krate::__private::Err(
                        #krate::__private::subsection_not_allowed(#sub_name, __version_id)
                            .in_subsection(#field_name, #sub_name),
                    );
                }
            }
        });
        quote! {
            if #needed {
                #known
                __subsections.push(#describe);
            }
        }
    });
    quote! {
        #krate::__private::check_save_version(#name, __version_id, #minimum_version, #version)?;
        let mut __fields = #krate::__private::Vec::new();
        let mut __subsections = #krate::__private::Vec::new();
        #(#fields)*
        #(#subsections)*
        #krate::__private::Ok(#krate::__private::state_desc(
            <Self as #krate::VmState>::NAME,
            __version_id,
            __fields,
            __subsections,
        ))
    }
}

fn describe_field(
    krate: &Path,
    field: &FieldModel<'_>,
    described: &StructModel<'_>,
) -> TokenStream {
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
        Codec::With(module) if describes_itself(module) => {
            quote_spanned! {super::at(module.span())=>
                #module::describe(&self.#ident, #name, &mut __fields);
            }
        }
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
    super::gated(
        krate,
        &field.gate,
        describe,
        described.minimum_version,
        described.version,
    )
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

/// The runtime's ready-made views that describe their fields as values
/// (`with::option`, `with::string`, `with::timer`), found by the path's
/// last two segments; other views, the user's own included, are described
/// as the buffer they save.
fn describes_itself(module: &Path) -> bool {
    let mut segments = module.segments.iter().rev();
    let (Some(view), Some(parent)) = (segments.next(), segments.next()) else {
        return false;
    };
    parent.ident == "with"
        && ["option", "string", "timer"]
            .iter()
            .any(|name| view.ident == name)
}

/// `VmState::sync_counts`: each `count_of` count takes its array's length
/// (what a save writes and a load gives back), then inlined fields and
/// subsections sync their own.
pub fn sync_counts_body(krate: &Path, described: &StructModel<'_>) -> TokenStream {
    let fields = described.fields.iter().map(|field| {
        let ident = field.ident;
        let ty = field.ty;
        match (&field.codec, field.count_of) {
            (_, Some(array)) => {
                let array_name = array.to_string();
                quote_spanned! {super::at(ty.span())=>
                    if let #krate::__private::Ok(__count) =
                        #krate::__private::count_of::<#ty, _>(&self.#array, #array_name)
                    {
                        self.#ident = __count;
                    }
                }
            }
            (Codec::Plain | Codec::Equal, None) => quote_spanned! {super::at(ty.span())=>
                <#ty as #krate::VmStateField>::sync_field_counts(&mut self.#ident);
            },
            (Codec::Varray { .. }, None) => quote_spanned! {super::at(ty.span())=>
                #krate::__private::sync_varray_counts(&mut self.#ident);
            },
            // A custom view's value has no counts the derive knows of.
            (Codec::With(_), None) => TokenStream::new(),
        }
    });
    let subsections = described.subsections.iter().map(|subsection| {
        let ident = subsection.ident;
        let ty = subsection.ty;
        quote_spanned! {super::at(ty.span())=>
            <#ty as #krate::VmState>::sync_counts(&mut self.#ident);
        }
    });
    quote! {
        #(#fields)*
        #(#subsections)*
    }
}
