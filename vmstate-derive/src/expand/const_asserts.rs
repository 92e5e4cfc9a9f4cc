//! Rules that need the subsection types' names, which only the compiler knows:
//! checked in `const` items, so a broken rule stops the build with a message
//! on the user's `#[subsection]` attribute.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote_spanned};
use syn::Type;
use syn::spanned::Spanned;

use crate::model::{Model, StructModel};

pub fn subsection_asserts(model: &Model<'_>, described: &StructModel<'_>) -> TokenStream {
    let krate = &model.krate;
    let parent = &described.name;
    // A free `const` cannot name the struct's type parameters; subsections whose
    // type uses them are checked when the impl is used instead (name lookups fail
    // at run time with a clear error, never silently).
    let params: Vec<String> = model
        .generics
        .type_params()
        .map(|param| param.ident.to_string())
        .collect();
    let checkable: Vec<_> = described
        .subsections
        .iter()
        .filter(|subsection| !mentions(subsection.ty, &params))
        .collect();
    let mut checks = TokenStream::new();
    for (index, subsection) in checkable.iter().enumerate() {
        let ty = subsection.ty;
        let require_slash = !subsection.name_without_slash;
        let prefix_message = if require_slash {
            format!(
                "the subsection in field `{}` must have a VMSD name that starts with `{parent}/`",
                subsection.ident
            )
        } else {
            format!(
                "the subsection in field `{}` must have a VMSD name that starts with `{parent}`",
                subsection.ident
            )
        };
        // Named consts, so that rustc's "evaluation of `...` failed" reads as
        // the rule that broke; spanned at the subsection's type, whose name is
        // at fault.
        checks.extend(quote_spanned! {ty.span()=>
            const _: () = {
                const SUBSECTION_NAME_HAS_PARENT_PREFIX: () = ::core::assert!(
                    #krate::__private::is_subsection_name(
                        #parent,
                        <#ty as #krate::VmState>::NAME,
                        #require_slash,
                    ),
                    #prefix_message,
                );
                const SUBSECTION_NAME_FITS_IN_255_BYTES: () = ::core::assert!(
                    <#ty as #krate::VmState>::NAME.len() <= 255,
                    "a subsection name must fit in 255 bytes",
                );
                const SUBSECTION_VERSION_FITS_IN_A_BYTE: () = ::core::assert!(
                    #krate::__private::fits_in_a_byte(<#ty as #krate::VmState>::VERSION),
                    "QEMU 7.2 reads a subsection's version into a byte: keep it at most 255",
                );
                // Used, so that no `dead_code` lint fires on them.
                let () = SUBSECTION_NAME_HAS_PARENT_PREFIX;
                let () = SUBSECTION_VERSION_FITS_IN_A_BYTE;
                SUBSECTION_NAME_FITS_IN_255_BYTES
            };
        });
        for earlier in &checkable[..index] {
            let earlier_ty = earlier.ty;
            let duplicate_message = format!(
                "fields `{}` and `{}` hold subsections with the same VMSD name",
                earlier.ident, subsection.ident
            );
            checks.extend(quote_spanned! {ty.span()=>
                const _: () = {
                    const SUBSECTION_NAMES_ARE_DISTINCT: () = ::core::assert!(
                        !#krate::__private::str_eq(
                            <#earlier_ty as #krate::VmState>::NAME,
                            <#ty as #krate::VmState>::NAME,
                        ),
                        #duplicate_message,
                    );
                    SUBSECTION_NAMES_ARE_DISTINCT
                };
            });
        }
    }
    checks
}

fn mentions(ty: &Type, params: &[String]) -> bool {
    let text = ty.to_token_stream().to_string();
    text.split(|c: char| !c.is_alphanumeric() && c != '_')
        .any(|word| params.iter().any(|param| param == word))
}
