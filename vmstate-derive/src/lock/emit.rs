//! The `const` assertions that compare each recorded wire type with the one
//! the compiler resolved for the field now, with the field's name and the
//! version in the message and the error on the field.

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::{Ident, Path};
use vmstate_lock::schema::{Count, Owned, Schema, WireType};

use super::Context;
use super::structure::Checked;

pub fn const_checks(
    krate: &Path,
    ident: &Ident,
    cx: &Context<'_>,
    checked: &Checked,
) -> TokenStream {
    let mut tokens = TokenStream::new();
    // A field usually has the same recorded wire at every version: one check.
    let mut seen = BTreeSet::new();
    for pair in &checked.pairs {
        if !seen.insert((
            pair.index,
            pair.wire.to_string(),
            format!("{:?}", pair.wire),
        )) {
            continue;
        }
        let recorded = wire(krate, &pair.wire);
        let index = pair.index;
        let prefix = format!(
            "field `{}` of `{}` no longer has the wire layout that version {} has in {}:{}: ",
            pair.name, cx.key, pair.version, cx.file, pair.line
        );
        // A `with` field's layout is its type's and its view's.
        let what = match cx.described.fields[index].codec {
            crate::model::Codec::With(_) => "type and view",
            _ => "type",
        };
        let advice = if cx.frozen {
            format!(
                ". A frozen copy of a release has that release's layout: give `{}` back its recorded {what}",
                pair.name
            )
        } else {
            format!(
                ". Released layouts never change: give `{}` back its recorded {what}, and carry a new layout in a new field with `#[vmstate(since = {})]`{}",
                pair.name,
                cx.next(),
                cx.and_bump()
            )
        };
        let span = crate::expand::at(pair.span);
        tokens.extend(quote_spanned! {span=>
            const _: () = {
                const RECORDED: #krate::schema::WireType = #recorded;
                const DIFFERENCE: ::core::option::Option<#krate::__private::lock::Message> =
                    #krate::__private::lock::wire_diff(
                        &RECORDED,
                        &<#ident as #krate::VmState>::SCHEMA.fields[#index].wire,
                        #prefix,
                        #advice,
                    );
                if let ::core::option::Option::Some(message) = &DIFFERENCE {
                    ::core::panic!("{}", message.as_str());
                }
            };
        });
    }
    for sub in &checked.subsections {
        let described = &cx.described.subsections[sub.index];
        let ty = described.ty;
        let (vmsd, version) = (&sub.vmsd, sub.recorded_version);
        let prefix = format!(
            "subsection `{}` of `{}` no longer loads what version {} sent ({}:{}): ",
            described.ident, cx.key, sub.version, cx.file, sub.line
        );
        let advice = ". A subsection's name and the versions it loads are part of every released parent version";
        let span = crate::expand::at(described.ident.span());
        tokens.extend(quote_spanned! {span=>
            const _: () = {
                const DIFFERENCE: ::core::option::Option<#krate::__private::lock::Message> =
                    #krate::__private::lock::subsection_diff(
                        #vmsd,
                        #version,
                        &<#ty as #krate::VmState>::SCHEMA,
                        #prefix,
                        #advice,
                    );
                if let ::core::option::Option::Some(message) = &DIFFERENCE {
                    ::core::panic!("{}", message.as_str());
                }
            };
        });
    }
    tokens
}

/// A recorded wire type as a `WireType` expression.
fn wire(krate: &Path, recorded: &WireType<Owned>) -> TokenStream {
    match recorded {
        WireType::Scalar { info, size } => {
            quote!(#krate::schema::WireType::Scalar { info: #info, size: #size })
        }
        WireType::Array { element, len } => {
            let element = wire(krate, element);
            quote!(#krate::schema::WireType::Array { element: &#element, len: #len })
        }
        WireType::Struct(layout) => {
            let schema = schema(krate, layout);
            quote!(#krate::schema::WireType::Struct(&#schema))
        }
        WireType::Unused(size) => quote!(#krate::schema::WireType::Unused(#size)),
        WireType::View { form, parts } => {
            let parts = parts.iter().map(|part| {
                let name = &part.name;
                let wire = wire(krate, &part.wire);
                quote!(#krate::schema::Part { name: #name, wire: #wire })
            });
            quote!(#krate::schema::WireType::View { form: #form, parts: &[#(#parts),*] })
        }
        WireType::With { view, rust_type } => {
            quote!(#krate::schema::WireType::With { view: #view, rust_type: #rust_type })
        }
        WireType::Opaque => quote!(#krate::schema::WireType::Opaque),
    }
}

/// A recorded layout as a `Schema` literal of the static form: the same
/// model, spelled for the compiler.
fn schema(krate: &Path, layout: &Schema<Owned>) -> TokenStream {
    let none = quote!(#krate::__private::None);
    let string = |text: &Option<String>| {
        text.as_ref().map_or_else(
            || none.clone(),
            |text| quote!(#krate::__private::Some(#text)),
        )
    };
    let fields = layout.fields.iter().map(|field| {
        let name = &field.name;
        let rust_type = &field.rust_type;
        let wire = wire(krate, &field.wire);
        let (since, exists, equal) = (field.since, field.exists, field.equal);
        let until = field.until.map_or_else(
            || none.clone(),
            |until| quote!(#krate::__private::Some(#until)),
        );
        let info = string(&field.info);
        let count = match &field.count {
            Count::One => quote!(#krate::schema::Count::One),
            Count::Field(count) => quote!(#krate::schema::Count::Field(#count)),
        };
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
    });
    let subsections = layout.subsections.iter().map(|sub| {
        let (field, since) = (&sub.field, sub.since);
        let schema = schema(krate, &sub.schema);
        quote! {
            #krate::schema::SubsectionSchema {
                field: #field,
                since: #since,
                schema: &#schema,
            }
        }
    });
    let (name, version, minimum_version) = (&layout.name, layout.version, layout.minimum_version);
    // The form spelled out: a literal nested in a projection (`F::Ref<..>`)
    // does not infer it.
    quote! {
        #krate::schema::Schema::<#krate::schema::Static> {
            name: #name,
            version: #version,
            minimum_version: #minimum_version,
            fields: &[#(#fields),*],
            subsections: &[#(#subsections),*],
        }
    }
}
