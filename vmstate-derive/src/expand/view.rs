//! The wire type that a `with` field's schema carries. A ready-made view of
//! the runtime, written by its full path (`vmstate::with::gtree`,
//! `crate::with::Bitmap::<64>`), says its layout for the field's type
//! through `with::ViewLayout`, so the lock compares what the compiler
//! resolved; any other view is known by its path and the field's type as
//! written, which is all a build can compare.

use proc_macro2::TokenStream;
use quote::{ToTokens, quote};
use syn::{Path, PathArguments, Type};

/// The runtime's views that are modules: each has a `View` type.
const MODULE_VIEWS: &[&str] = &[
    "bitmap",
    "gtree",
    "int32_positive_le",
    "option",
    "ptr_array_auto_alloc",
    "qlist",
    "qtailq",
    "string",
    "timer",
];

/// The runtime's views that are types with a const parameter.
const TYPE_VIEWS: &[&str] = &["Bitmap", "PartialBuffer"];

/// The `WireType` expression for field type `ty` saved through `with`.
pub fn wire(krate: &Path, with: &Path, ty: &Type) -> TokenStream {
    match runtime_view(with) {
        Some(Kind::Module) => {
            quote!(<#with::View as #krate::with::ViewLayout<#ty>>::WIRE)
        }
        Some(Kind::Type) => quote!(<#with as #krate::with::ViewLayout<#ty>>::WIRE),
        None => {
            let view = normalised(with);
            let rust_type = normalised(ty);
            quote!(#krate::schema::WireType::With { view: #view, rust_type: #rust_type })
        }
    }
}

enum Kind {
    Module,
    Type,
}

/// Whether `with` is one of the runtime's views by its full path: `with`
/// then the view's name, after `vmstate` or `crate` (the facade itself) and
/// nothing else, so that a user's own module of one of these names is never
/// asked for a `View` it does not have. A view imported under a short name
/// is a view like any other: recorded by its path.
fn runtime_view(with: &Path) -> Option<Kind> {
    let segments: Vec<_> = with.segments.iter().collect();
    let [root, parent, last] = segments[..] else {
        return None;
    };
    let rooted = root.ident == "vmstate" || (root.ident == "crate" && with.leading_colon.is_none());
    if !rooted || parent.ident != "with" || !root.arguments.is_none() || !parent.arguments.is_none()
    {
        return None;
    }
    let name = last.ident.to_string();
    match &last.arguments {
        PathArguments::None if MODULE_VIEWS.contains(&name.as_str()) => Some(Kind::Module),
        PathArguments::AngleBracketed(_) if TYPE_VIEWS.contains(&name.as_str()) => Some(Kind::Type),
        _ => None,
    }
}

/// Token text with whitespace only where it separates two words
/// (`dyn Trait`, `&'a mut T`): the same for every way the source spaced it.
pub fn normalised(tokens: &impl ToTokens) -> String {
    let text = tokens.to_token_stream().to_string();
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if pending_space && out.chars().next_back().is_some_and(is_word) && is_word(c) {
            out.push(' ');
        }
        pending_space = false;
        out.push(c);
    }
    out
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '\''
}

#[cfg(test)]
mod tests {
    use super::{Kind, normalised, runtime_view};

    #[test]
    fn types_are_spaced_one_way() {
        for (written, expected) in [
            ("BTreeMap<u64, u32>", "BTreeMap<u64,u32>"),
            ("BTreeMap < u64 ,u32 >", "BTreeMap<u64,u32>"),
            (
                "std :: collections :: VecDeque<u8>",
                "std::collections::VecDeque<u8>",
            ),
            ("& 'static mut [u8; 4]", "&'static mut[u8;4]"),
            ("Box<dyn Send>", "Box<dyn Send>"),
        ] {
            let ty: syn::Type = syn::parse_str(written).unwrap();
            assert_eq!(normalised(&ty), expected, "{written}");
        }
    }

    #[test]
    fn only_full_paths_name_runtime_views() {
        for (path, kind) in [
            ("vmstate::with::gtree", Some("module")),
            ("::vmstate::with::qtailq", Some("module")),
            ("crate::with::option", Some("module")),
            ("vmstate::with::Bitmap::<64>", Some("type")),
            ("crate::with::PartialBuffer::<8>", Some("type")),
            ("vmstate::with::Bitmap", None),
            ("my::with::gtree", None),
            ("gtree", None),
            ("with::gtree", None),
            ("vmstate::with::views::gtree", None),
            ("vmstate::with::mine", None),
            ("::crate::with::gtree", None),
        ] {
            let path: syn::Path = syn::parse_str(path).unwrap();
            let found = runtime_view(&path).map(|kind| match kind {
                Kind::Module => "module",
                Kind::Type => "type",
            });
            assert_eq!(found, kind, "{}", normalised(&path));
        }
    }
}
