//! When the checks fail, emit the errors *and* impls whose bodies never run, so
//! that the user's code that uses the type does not drown in follow-on errors
//! about missing impls.

use proc_macro2::TokenStream;
use quote::quote;
use syn::DeriveInput;

pub fn expand(input: &DeriveInput, errors: &TokenStream) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    // The user may have renamed the runtime with `crate = ...`; that attribute may
    // itself be broken, so the fallback always uses the default path.
    quote! {
        #errors
        const _: () = {
            #[automatically_derived]
            impl #impl_generics ::vmstate::VmStateField for #ident #ty_generics #where_clause {
                const MIN_WIRE_SIZE: usize = 0;
                fn save_field(&self, _: &mut ::vmstate::__private::Vec<u8>)
                    -> ::vmstate::__private::Result<(), ::vmstate::Error> {
                    ::core::unreachable!()
                }
                fn load_field(&mut self, _: &mut ::vmstate::Reader<'_>)
                    -> ::vmstate::__private::Result<(), ::vmstate::Error> {
                    ::core::unreachable!()
                }
            }
            #[automatically_derived]
            impl #impl_generics ::vmstate::with::StructKey for #ident #ty_generics #where_clause {}
            #[automatically_derived]
            impl #impl_generics ::vmstate::VmState for #ident #ty_generics #where_clause {
                const NAME: &'static str = "";
                const VERSION: u32 = 0;
                const MINIMUM_VERSION: u32 = 0;
                const SCHEMA: ::vmstate::schema::Schema = ::vmstate::schema::Schema {
                    name: "",
                    version: 0,
                    minimum_version: 0,
                    fields: &[],
                    subsections: &[],
                };
                fn save_state_at(&self, _: &mut ::vmstate::__private::Vec<u8>, _: u32)
                    -> ::vmstate::__private::Result<(), ::vmstate::Error> {
                    ::core::unreachable!()
                }
                fn load_state(&mut self, _: &mut ::vmstate::Reader<'_>, _: u32)
                    -> ::vmstate::__private::Result<(), ::vmstate::Error> {
                    ::core::unreachable!()
                }
                fn describe_state(&self) -> ::vmstate::desc::StateDesc {
                    ::core::unreachable!()
                }
            }
        };
    }
}
