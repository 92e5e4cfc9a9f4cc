//! Types that are fields but not VMState descriptions: newtypes (the wire form
//! of their one field) and fieldless enums (their `repr` integer).

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::Type;

use super::bounds;
use crate::model::{EnumModel, Model};

pub fn expand_newtype(model: &Model<'_>, inner: &Type) -> TokenStream {
    let krate = &model.krate;
    let ident = model.ident;
    let (impl_generics, ty_generics, _) = model.generics.split_for_impl();
    let where_clause = bounds::newtype_where_clause(model, inner);
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::VmStateField for #ident #ty_generics #where_clause {
            const MIN_WIRE_SIZE: usize = <#inner as #krate::VmStateField>::MIN_WIRE_SIZE;
            const VMDESC_COMPRESSIBLE: bool = <#inner as #krate::VmStateField>::VMDESC_COMPRESSIBLE;
            const WIRE: #krate::schema::WireType = <#inner as #krate::VmStateField>::WIRE;

            fn describe_field(
                &self,
                name: &str,
                out: &mut #krate::__private::Vec<#krate::desc::FieldDesc>,
            ) {
                <#inner as #krate::VmStateField>::describe_field(&self.0, name, out);
            }

            #[inline]
            fn save_field(
                &self,
                out: &mut #krate::__private::Vec<u8>,
            ) -> #krate::__private::Result<(), #krate::Error> {
                <#inner as #krate::VmStateField>::save_field(&self.0, out)
            }

            #[inline]
            fn save_fixed(
                &self,
                out: &mut &mut [u8],
            ) -> #krate::__private::Result<(), #krate::Error> {
                <#inner as #krate::VmStateField>::save_fixed(&self.0, out)
            }

            #[inline]
            fn load_field(
                &mut self,
                reader: &mut #krate::Reader<'_>,
            ) -> #krate::__private::Result<(), #krate::Error> {
                <#inner as #krate::VmStateField>::load_field(&mut self.0, reader)
            }
        }
    }
}

pub fn expand_enum(model: &Model<'_>, enumeration: &EnumModel<'_>) -> TokenStream {
    let krate = &model.krate;
    let ident = model.ident;
    let type_name = ident.to_string();
    let repr = &enumeration.repr;
    let (impl_generics, ty_generics, where_clause) = model.generics.split_for_impl();
    let variants = &enumeration.variants;
    // One const per variant, so that the discriminants can be match patterns.
    let consts: Vec<_> = variants
        .iter()
        .enumerate()
        .map(|(index, _)| format_ident!("__DISCRIMINANT_{}", index))
        .collect();
    quote! {
        #[automatically_derived]
        impl #impl_generics #krate::VmStateField for #ident #ty_generics #where_clause {
            const MIN_WIRE_SIZE: usize = ::core::mem::size_of::<#repr>();
            const WIRE: #krate::schema::WireType = <#repr as #krate::VmStateField>::WIRE;

            fn describe_field(
                &self,
                name: &str,
                out: &mut #krate::__private::Vec<#krate::desc::FieldDesc>,
            ) {
                let raw: #repr = 0;
                #krate::VmStateField::describe_field(&raw, name, out);
            }

            #[inline]
            fn save_field(
                &self,
                out: &mut #krate::__private::Vec<u8>,
            ) -> #krate::__private::Result<(), #krate::Error> {
                let raw: #repr = match self {
                    #(Self::#variants => Self::#variants as #repr,)*
                };
                #krate::VmStateField::save_field(&raw, out)
            }

            #[inline]
            fn save_fixed(
                &self,
                out: &mut &mut [u8],
            ) -> #krate::__private::Result<(), #krate::Error> {
                let raw: #repr = match self {
                    #(Self::#variants => Self::#variants as #repr,)*
                };
                #krate::VmStateField::save_fixed(&raw, out)
            }

            #[inline]
            fn load_field(
                &mut self,
                reader: &mut #krate::Reader<'_>,
            ) -> #krate::__private::Result<(), #krate::Error> {
                #(const #consts: #repr = #ident::#variants as #repr;)*
                let offset = reader.offset();
                let mut raw: #repr = 0;
                #krate::VmStateField::load_field(&mut raw, reader)?;
                *self = match raw {
                    #(#consts => Self::#variants,)*
                    #[allow(unreachable_patterns)]
                    other => {
                        return #krate::__private::Err(#krate::__private::invalid_enum_value(
                            #type_name,
                            // Sign-extended for signed reprs, which keeps negative values readable as u64 bits.
                            other as u64,
                            offset,
                        ));
                    }
                };
                #krate::__private::Ok(())
            }
        }
    }
}
