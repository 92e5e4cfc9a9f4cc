//! `#[derive(VmState)]`: version-aware save/load code in QEMU's VMState wire
//! format. Use it through the `vmstate` crate, which documents every attribute.
//!
//! The pipeline is visible in the modules: `ast` reads the attributes with
//! syn, `validate` checks them (reporting every mistake at once) into a
//! `model`, and `expand` writes the impls; `fallback` keeps user code free
//! of follow-on errors when validation fails.

mod ast;
mod diag;
mod expand;
mod fallback;
mod lock;
mod model;
mod symbol;
mod validate;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `vmstate::VmState` (and `vmstate::VmStateField`) for a struct with
/// named fields, and `vmstate::VmStateField` for a newtype or a fieldless enum
/// with an integer `repr`. See the `vmstate` crate for the attributes.
#[proc_macro_derive(VmState, attributes(vmstate, subsection))]
pub fn derive_vmstate(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    derive(&input).into()
}

fn derive(input: &DeriveInput) -> proc_macro2::TokenStream {
    if let syn::Data::Union(union) = &input.data {
        let error = diag::Error::custom(
            "unions cannot derive VmState: the active field is unknown; use a struct or an enum",
        )
        .with_span(&union.union_token);
        return fallback::expand(input, &error.write_errors());
    }
    let checked = ast::Container::from_derive_input(input).and_then(|container| {
        let model = validate::validate(&container)?;
        let expanded = expand::expand(&model);
        let locked = match &model.shape {
            model::Shape::Struct(described) => lock::apply(&container, &model, described),
            _ => Ok(proc_macro2::TokenStream::new()),
        };
        // A lock error is reported with the full impl, so nothing else fails.
        Ok(match locked {
            Ok(tokens) => quote::quote!(#expanded #tokens),
            Err(error) => {
                let error = error.write_errors();
                quote::quote!(#expanded #error)
            }
        })
    });
    match checked {
        Ok(tokens) => tokens,
        Err(errors) => fallback::expand(input, &errors.write_errors()),
    }
}
