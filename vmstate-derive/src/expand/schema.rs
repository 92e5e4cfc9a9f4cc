//! `VmState::SCHEMA` and `VmStateField::WIRE`: the static description of every
//! field of every version, built from the field types' own `WIRE` consts.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::Path;

use crate::model::{Codec, FieldModel, Gate, StructModel};
use crate::validate::varray_element;

pub fn schema_const(krate: &Path, described: &StructModel<'_>) -> TokenStream {
    let StructModel {
        name,
        version,
        minimum_version,
        ..
    } = described;
    let fields = described
        .fields
        .iter()
        .map(|field| field_schema(krate, field));
    let subsections = described.subsections.iter().map(|subsection| {
        let field = subsection.ident.to_string();
        let since = subsection.since;
        let ty = subsection.ty;
        quote! {
            #krate::schema::SubsectionSchema {
                field: #field,
                since: #since,
                schema: &<#ty as #krate::VmState>::SCHEMA,
            }
        }
    });
    quote! {
        #krate::schema::Schema {
            name: #name,
            version: #version,
            minimum_version: #minimum_version,
            fields: &[#(#fields),*],
            subsections: &[#(#subsections),*],
        }
    }
}

fn field_schema(krate: &Path, field: &FieldModel<'_>) -> TokenStream {
    let name = &field.wire_name;
    let ty = field.ty;
    let rust_type = ty.to_token_stream().to_string();
    let one = quote!(#krate::schema::Count::One);
    let (wire, count) = match &field.codec {
        Codec::Plain | Codec::Equal => (quote!(<#ty as #krate::VmStateField>::WIRE), one),
        Codec::Varray { len } => {
            let len = len.to_string();
            // The checks made sure a variable array has an element type.
            let element = varray_element(ty).unwrap_or(ty);
            (
                quote!(<#element as #krate::VmStateField>::WIRE),
                quote!(#krate::schema::Count::Field(#len)),
            )
        }
        Codec::With(with) => (super::view::wire(krate, with, ty), one),
    };
    let (since, until, exists) = match &field.gate {
        Gate::Versions { since, until } => {
            let until = until.map_or_else(
                || quote!(#krate::__private::None),
                |until| quote!(#krate::__private::Some(#until)),
            );
            (*since, until, false)
        }
        Gate::Exists(_) => (0, quote!(#krate::__private::None), true),
    };
    let equal = matches!(field.codec, Codec::Equal);
    let info = field.info.as_ref().map_or_else(
        || quote!(#krate::__private::None),
        |info| quote!(#krate::__private::Some(#info)),
    );
    quote! {
        #krate::schema::FieldSchema {
            name: #name,
            rust_type: #rust_type,
            wire: #wire,
            count: #count,
            since: #since,
            until: #until,
            exists: #exists,
            equal: #equal,
            info: #info,
        }
    }
}
