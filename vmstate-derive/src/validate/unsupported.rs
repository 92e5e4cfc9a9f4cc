//! Std types that are no wire type by themselves but have a ready-made view.
//! They are recognised by name, so that the user gets one error that names
//! the view, where the trait bound would fail in every generated use of the
//! type and could only suggest writing a view. Types not recognised here get
//! `VmStateField`'s `on_unimplemented` text, which lists the views too.

use crate::diag::{Accumulator, Error};
use syn::{GenericArgument, Path, PathArguments, Type};

use super::is_integer;
use crate::ast::Field;

/// A field with no `with` view whose type is `Option<T>` (but not a pointer
/// `Option<Box<T>>`), `String` or `HashMap` has no wire form: the error names
/// the view that fits. A field with `with = ...::gtree` must not have an
/// integer key, which QEMU writes as a direct key.
pub fn check_std_type_has_view(field: &Field, errors: &mut Accumulator) {
    match &field.with {
        Some(with) => {
            check_gtree_key(with, &field.ty, errors);
            check_auto_alloc_of_structs(with, &field.ty, errors);
        }
        None => {
            if let Some(advice) = advice(&field.ty) {
                errors.push(Error::custom(advice).with_span(&field.ty));
            }
        }
    }
}

/// `with::gtree` writes the key as its own payload, so a `u32` key would be
/// 4 bytes where QEMU's direct-key tree writes 8. Aliases of integers escape
/// this test; the runtime's `StructKey` bound catches them.
fn check_gtree_key(with: &Path, ty: &Type, errors: &mut Accumulator) {
    let is_gtree = is_view(with, "gtree");
    let key = named(ty)
        .filter(|(name, _)| name == "BTreeMap")
        .and_then(|(_, args)| args.first().copied());
    if let (true, Some(key)) = (is_gtree, key)
        && is_integer(key)
    {
        errors.push(
            Error::custom(format!(
                "an integer key is QEMU's direct-key tree (`VMSTATE_GTREE_DIRECT_KEY_V`, the key as a be64), which `with::gtree` does not write: remove `with`, a `BTreeMap<{}, V>` is a field as it is",
                type_name(key)
            ))
            .with_span(with),
        );
    }
}

/// `with::ptr_array_auto_alloc` is QEMU's form for pointers to structs (a
/// marker, then the struct's VMSD); pointers to scalars are QEMU's
/// `VMSTATE_ARRAY_OF_POINTER`, which the field type is as it is.
fn check_auto_alloc_of_structs(with: &Path, ty: &Type, errors: &mut Accumulator) {
    let is_auto_alloc = is_view(with, "ptr_array_auto_alloc");
    let element = match ungrouped(ty) {
        Type::Array(array) => Some(&*array.elem),
        other => named(other)
            .filter(|(name, _)| name == "Vec")
            .and_then(|(_, args)| args.first().copied()),
    };
    let pointee = element
        .and_then(named)
        .filter(|(name, _)| name == "Option")
        .and_then(|(_, args)| named(args.first()?))
        .filter(|(name, _)| name == "Box")
        .and_then(|(_, args)| args.first().copied());
    if let (true, Some(pointee)) = (is_auto_alloc, pointee)
        && is_scalar(pointee)
    {
        errors.push(
            Error::custom(format!(
                "`with::ptr_array_auto_alloc` is for pointers to structs; an array of pointers to `{}` is QEMU's `VMSTATE_ARRAY_OF_POINTER`, which the field is as it is: remove `with`",
                type_name(pointee)
            ))
            .with_span(with),
        );
    }
}

/// Whether `with` names the runtime's view `name` (`...::with::name`): a
/// user's own module of that name may mean something else. A view imported
/// under a short name is left to the runtime's trait bounds.
fn is_view(with: &Path, name: &str) -> bool {
    let mut segments = with.segments.iter().rev();
    segments.next().is_some_and(|last| last.ident == name)
        && segments.next().is_some_and(|parent| parent.ident == "with")
}

/// A fixed-width integer, `bool`, `f32` or `f64`.
fn is_scalar(ty: &Type) -> bool {
    is_integer(ty) || matches!(type_name(ty).as_str(), "bool" | "f32" | "f64")
}

/// What to write instead of a field of type `ty`, or `None` when `ty` is not
/// one of the std types this module knows.
fn advice(ty: &Type) -> Option<String> {
    let (name, args) = named(ty)?;
    match (name.as_str(), args.as_slice()) {
        // `Option<Box<T>>` is an element of a QEMU pointer array.
        ("Option", [inner]) if named(inner).is_some_and(|(name, _)| name == "Box") => None,
        ("Option", [inner]) if matches!(type_name(inner).as_str(), "u64" | "i64") => {
            Some(format!(
                "`Option<{inner}>` has no wire form of its own: a timer deadline is `#[vmstate(with = vmstate::with::timer)]` (QEMU `VMSTATE_TIMER_PTR`: the be64 expiry, -1 when not armed); a value that may be absent is `#[vmstate(with = vmstate::with::option)]` (a presence byte, then the value)",
                inner = type_name(inner)
            ))
        }
        ("Option", [inner]) => Some(format!(
            "`Option<{}>` has no wire form of its own: give the field the view `#[vmstate(with = vmstate::with::option)]` (a presence byte, then the value, as QEMU's `bool` field and `_TEST` field write it)",
            type_name(inner)
        )),
        ("String", []) => Some(
            "`String` has no wire form of its own: give the field the view `#[vmstate(with = vmstate::with::string)]` (a be32 byte count, then the UTF-8 bytes)"
                .to_owned(),
        ),
        ("HashMap", _) => Some(
            "a `HashMap` has no QEMU form (it has no order to save in): keep the map in a `BTreeMap`, which with an integer key is QEMU's direct-key tree as it is, and with a struct key takes `#[vmstate(with = vmstate::with::gtree)]`"
                .to_owned(),
        ),
        _ => None,
    }
}

/// The last segment of a path type, and its type arguments.
fn named(ty: &Type) -> Option<(String, Vec<&Type>)> {
    let ty = ungrouped(ty);
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let last = path.path.segments.last()?;
    let args = match &last.arguments {
        PathArguments::AngleBracketed(args) => args
            .args
            .iter()
            .filter_map(|arg| match arg {
                GenericArgument::Type(ty) => Some(ty),
                _ => None,
            })
            .collect(),
        PathArguments::None | PathArguments::Parenthesized(_) => Vec::new(),
    };
    Some((last.ident.to_string(), args))
}

/// `ty` without the invisible groups of `macro_rules!` and the parentheses
/// of `(T)`.
fn ungrouped(ty: &Type) -> &Type {
    match ty {
        Type::Group(group) => ungrouped(&group.elem),
        Type::Paren(paren) => ungrouped(&paren.elem),
        _ => ty,
    }
}

/// The type as the user would write it, for messages.
fn type_name(ty: &Type) -> String {
    quote::quote!(#ty)
        .to_string()
        .replace(" < ", "<")
        .replace(" >", ">")
        .replace(" , ", ", ")
}

#[cfg(test)]
mod tests {
    use syn::{Type, parse_quote};

    use super::advice;

    fn advised(ty: &Type) -> String {
        advice(ty).unwrap_or_default()
    }

    #[test]
    fn std_types_name_their_view() {
        assert!(advised(&parse_quote!(Option<u64>)).contains("with::timer"));
        assert!(advised(&parse_quote!(std::option::Option<i64>)).contains("with::option"));
        assert!(advised(&parse_quote!(Option<u32>)).contains("with::option"));
        assert!(!advised(&parse_quote!(Option<u32>)).contains("timer"));
        assert!(advised(&parse_quote!(String)).contains("with::string"));
        let map = advised(&parse_quote!(std::collections::HashMap<u64, u32>));
        assert!(
            map.contains("BTreeMap") && map.contains("with::gtree"),
            "{map}"
        );
    }

    /// Every message that checking `input` reports.
    fn reported(input: &syn::DeriveInput) -> Vec<String> {
        let container = crate::ast::Container::from_derive_input(input).unwrap();
        match crate::validate::validate(&container) {
            Ok(_) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn one_error_per_field_and_none_with_a_view() {
        let input: syn::DeriveInput = parse_quote! {
            #[vmstate(name = "d", version = 1)]
            struct D {
                deadline: Option<u64>,
                #[vmstate(with = vmstate::with::timer)]
                timer: Option<u64>,
                #[vmstate(skip)]
                name: String,
                #[vmstate(with = vmstate::with::gtree)]
                ids: BTreeMap<u32, u8>,
                #[vmstate(with = my::gtree)]
                own: BTreeMap<u32, u8>,
                #[vmstate(with = vmstate::with::gtree)]
                mappings: BTreeMap<Interval, u8>,
                #[vmstate(with = vmstate::with::ptr_array_auto_alloc)]
                ints: [Option<Box<i32>>; 2],
                #[vmstate(with = vmstate::with::ptr_array_auto_alloc)]
                ports: [Option<Box<Port>>; 2],
            }
        };
        let messages = reported(&input);
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(
            messages[2].contains("VMSTATE_ARRAY_OF_POINTER"),
            "{messages:?}"
        );
        assert!(messages[0].contains("with::timer"), "{messages:?}");
        assert!(messages[1].contains("direct-key"), "{messages:?}");
    }

    #[test]
    fn wire_types_and_pointers_are_left_to_the_trait() {
        let types: [Type; 6] = [
            parse_quote!(Option<Box<Port>>),
            parse_quote!([Option<Box<i32>>; 4]),
            parse_quote!(BTreeMap<u64, u32>),
            parse_quote!(u32),
            parse_quote!(MyString),
            parse_quote!(<T as Trait>::String),
        ];
        for ty in &types {
            assert_eq!(advice(ty), None, "{}", quote::quote!(#ty));
        }
    }
}
