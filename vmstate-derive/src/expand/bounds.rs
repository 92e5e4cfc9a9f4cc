//! Where-clauses: a bound for each migrated field whose type mentions a type
//! parameter, stating exactly what its codec needs, unless the user replaced
//! them with `#[vmstate(bound = "...")]`.

use proc_macro2::{TokenStream, TokenTree};
use quote::{ToTokens, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Ident, Type, WhereClause};

use crate::model::{Codec, Model, StructModel};

pub fn where_clause(model: &Model<'_>, described: &StructModel<'_>) -> Option<WhereClause> {
    let krate = &model.krate;
    let mut predicates = Vec::new();
    if model.bound.is_none() {
        let params = type_params(model);
        for field in &described.fields {
            let ty = field.ty;
            if !mentions_any(ty, &params) {
                continue;
            }
            predicates.push(match field.codec {
                Codec::Plain => quote!(#ty: #krate::VmStateField),
                Codec::Equal => quote! {
                    #ty: #krate::VmStateField
                        + ::core::clone::Clone
                        + ::core::cmp::PartialEq
                        + ::core::fmt::Debug
                },
                Codec::Varray { .. } => quote!(#ty: #krate::__private::Varray),
                Codec::With(_) => continue,
            });
        }
        for subsection in &described.subsections {
            let ty = subsection.ty;
            if mentions_any(ty, &params) {
                predicates.push(quote!(#ty: #krate::VmState));
            }
        }
    }
    finish(model, predicates)
}

/// [`where_clause`] and, for each field whose type names no type parameter,
/// the trait its codec needs, at the field's type. Such a bound is already
/// true or false; a false one is one error at the field for the impl, where
/// each use of the type in the impl's body would be another.
pub fn where_clause_with_field_types(
    model: &Model<'_>,
    described: &StructModel<'_>,
) -> Option<WhereClause> {
    let krate = &model.krate;
    let mut clause = where_clause(model, described);
    if model.bound.is_some() {
        return clause;
    }
    let params = type_params(model);
    let mut concrete = Vec::new();
    for field in &described.fields {
        let ty = field.ty;
        if mentions_any(ty, &params) {
            continue;
        }
        let span = super::at(ty.span());
        let krate = respanned(krate, span);
        concrete.push(match field.codec {
            Codec::Plain | Codec::Equal => quote_spanned!(span=> #ty: #krate::VmStateField),
            Codec::Varray { .. } => quote_spanned!(span=> #ty: #krate::__private::Varray),
            Codec::With(_) => continue,
        });
    }
    for subsection in &described.subsections {
        let ty = subsection.ty;
        if !mentions_any(ty, &params) {
            let span = super::at(ty.span());
            let krate = respanned(krate, span);
            concrete.push(quote_spanned!(span=> #ty: #krate::VmState));
        }
    }
    if concrete.is_empty() {
        return clause;
    }
    let clause = clause.get_or_insert_with(|| syn::parse_quote!(where));
    clause.predicates.extend(
        concrete
            .into_iter()
            .map(|tokens| -> syn::WherePredicate { syn::parse_quote!(#tokens) }),
    );
    Some(clause.clone())
}

/// The newtype's inner type, when generic, must itself be a field.
pub fn newtype_where_clause(model: &Model<'_>, inner: &Type) -> Option<WhereClause> {
    let krate = &model.krate;
    let mut predicates = Vec::new();
    if model.bound.is_none() && mentions_any(inner, &type_params(model)) {
        predicates.push(quote!(#inner: #krate::VmStateField));
    }
    finish(model, predicates)
}

/// `path` with every token at `span`, so that a bound naming it is reported
/// at the field rather than across the whole item.
fn respanned(path: &syn::Path, span: proc_macro2::Span) -> TokenStream {
    path.to_token_stream()
        .into_iter()
        .map(|mut token| {
            token.set_span(span);
            token
        })
        .collect()
}

fn finish(model: &Model<'_>, inferred: Vec<TokenStream>) -> Option<WhereClause> {
    let mut clause = model
        .generics
        .where_clause
        .clone()
        .unwrap_or_else(|| syn::parse_quote!(where));
    let explicit = model.bound.unwrap_or_default();
    clause.predicates.extend(explicit.iter().cloned());
    clause.predicates.extend(
        inferred
            .into_iter()
            .map(|tokens| -> syn::WherePredicate { syn::parse_quote!(#tokens) }),
    );
    (!clause.predicates.is_empty()).then_some(clause)
}

fn type_params<'a>(model: &Model<'a>) -> Vec<&'a Ident> {
    model
        .generics
        .type_params()
        .map(|param| &param.ident)
        .collect()
}

/// Whether any of `params` appears in `ty`, found by walking its tokens: a
/// plain identifier match is enough because type parameters shadow other names.
fn mentions_any(ty: &Type, params: &[&Ident]) -> bool {
    fn walk(tokens: TokenStream, params: &[&Ident]) -> bool {
        tokens.into_iter().any(|token| match token {
            TokenTree::Ident(ident) => params.iter().any(|param| **param == ident),
            TokenTree::Group(group) => walk(group.stream(), params),
            _ => false,
        })
    }
    !params.is_empty() && walk(ty.to_token_stream(), params)
}
