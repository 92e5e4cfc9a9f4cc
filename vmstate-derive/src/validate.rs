//! Every rule about what the user may write, checked with an accumulator so that
//! all mistakes are reported at once, each on the span of the attribute or
//! field at fault. Each `check_*` function is one rule.

use proc_macro2::Span;
use syn::spanned::Spanned as _;
use syn::{GenericArgument, Ident, Path, PathArguments, Type};

mod unsupported;

use crate::ast::{Container, Data, Field, Spanned, Style, Subsection, Variant};
use crate::diag::{self, Accumulator, Error};
use crate::model::{
    Codec, EnumModel, FieldModel, Gate, Hooks, Model, Needed, Shape, StructModel, SubsectionModel,
};
use crate::symbol::{self, Symbol};
use vmstate_lock::Priority;

/// The keys a field's `#[vmstate(...)]` attributes wrote, each with its span.
type Keys = [(Symbol, Span)];

/// Turns the parsed input into a [`Model`], or reports every problem found.
pub fn validate(container: &Container) -> diag::Result<Model<'_>> {
    let mut errors = Error::accumulator();
    let shape = match &container.data {
        Data::Struct(fields) => match fields.style {
            Style::Tuple => check_newtype(container, &fields.fields, &mut errors),
            Style::Struct | Style::Unit => Some(Shape::Struct(check_struct(
                container,
                &fields.fields,
                &mut errors,
            ))),
        },
        Data::Enum(variants) => check_enum(container, variants, &mut errors).map(Shape::Enum),
    };
    let model = shape.map(|shape| Model {
        ident: &container.ident,
        generics: &container.generics,
        krate: container
            .krate
            .clone()
            .unwrap_or_else(|| syn::parse_quote!(::vmstate)),
        bound: container.bound.as_ref().map(|bound| bound.as_slice()),
        shape,
    });
    errors.finish_with(model).and_then(|model| {
        model.ok_or_else(|| Error::custom("unsupported type shape").with_span(&container.ident))
    })
}

fn check_struct<'a>(
    container: &'a Container,
    fields: &'a [Field],
    errors: &mut Accumulator,
) -> StructModel<'a> {
    let (name, version) = check_description_keys(container, errors);
    let minimum_version = check_minimum_version(container, version, errors);
    let mut model = StructModel {
        name,
        version,
        minimum_version,
        priority: check_priority(container, errors),
        hooks: Hooks {
            pre_save: container.pre_save.as_ref(),
            post_save: container.post_save.as_ref(),
            pre_load: container.pre_load.as_ref(),
            post_load: container.post_load.as_ref(),
            validate: container.validate.as_ref(),
        },
        fields: Vec::new(),
        subsections: Vec::new(),
    };
    for (position, field) in fields.iter().enumerate() {
        // Named structs always have idents; `Container` hands us no other kind here.
        let Some(ident) = field.ident.as_ref() else {
            continue;
        };
        let keys = field.keys.as_slice();
        if let Some((subsection, span)) = check_subsection_attr(field, errors) {
            check_no_field_keys_on_subsection(keys, errors);
            let needed = check_needed(subsection.needed, &field.ty, errors);
            model.subsections.push(SubsectionModel {
                ident,
                ty: &field.ty,
                needed,
                since: subsection.since.unwrap_or(0),
                name_without_slash: subsection.name_without_slash.is_present(),
                span,
            });
            continue;
        }
        if field.skip.is_present() {
            check_skip_alone(keys, errors);
            continue;
        }
        unsupported::check_std_type_has_view(field, errors);
        let gate = check_gate(field, keys, version, minimum_version, errors);
        let codec = check_codec(field, keys, &fields[..position], fields, errors);
        model.fields.push(FieldModel {
            ident,
            wire_name: field
                .rename
                .as_ref()
                .map_or_else(|| ident.to_string(), |name| name.as_str().to_owned()),
            info: field.info.as_ref().map(|info| info.as_str().to_owned()),
            validate: field.validate.as_ref(),
            value: check_value(field, keys, errors),
            count_of: check_count_of(field, keys, &fields[position + 1..], errors),
            ty: &field.ty,
            gate,
            codec,
        });
    }
    model
}

/// A struct has a VMState description, so `name` and `version` must be given:
/// both are part of the wire format and must never be guessed.
fn check_description_keys(container: &Container, errors: &mut Accumulator) -> (String, u32) {
    let name = if let Some(name) = &container.name {
        check_name(name, errors);
        name.as_str().to_owned()
    } else {
        errors.push(
            Error::custom(
                "missing `#[vmstate(name = \"...\")]`: the VMSD name is part of the wire format",
            )
            .with_span(&container.ident),
        );
        String::new()
    };
    // `u32::MAX` keeps every `since` check quiet while `version` itself is missing.
    let version = if let Some(version) = &container.version {
        **version
    } else {
        errors.push(
            Error::custom(
                "missing `#[vmstate(version = N)]`: the version this build saves must be explicit",
            )
            .with_span(&container.ident),
        );
        u32::MAX
    };
    (name, version)
}

/// A VMSD name travels with a one-byte length, so it is 1 to 255 bytes long.
fn check_name(name: &Spanned<String>, errors: &mut Accumulator) {
    if name.is_empty() || name.len() > 255 {
        errors.push(
            Error::custom(format!(
                "a VMSD name must be 1 to 255 bytes long, this one is {}",
                name.len()
            ))
            .with_span(&name.span()),
        );
    }
}

/// `minimum_version` defaults to `version` and may not exceed it.
fn check_minimum_version(container: &Container, version: u32, errors: &mut Accumulator) -> u32 {
    match &container.minimum_version {
        Some(minimum) if **minimum > version => {
            errors.push(
                Error::custom(format!(
                    "`minimum_version = {}` is above `version = {version}`",
                    **minimum
                ))
                .with_span(&minimum.span()),
            );
            version
        }
        Some(minimum) => **minimum,
        None => version,
    }
}

/// `priority` names one of QEMU's `MigrationPriority` values, spelled as
/// `vmstate::Priority::name` spells them; the numbers differ between QEMU
/// releases, so only names are accepted.
fn check_priority(container: &Container, errors: &mut Accumulator) -> Option<String> {
    let given = container.priority.as_ref()?;
    if Priority::from_name(given).is_none() {
        let known: Vec<String> = Priority::ALL
            .iter()
            .map(|priority| format!("\"{}\"", priority.name()))
            .collect();
        errors.push(
            Error::custom(format!(
                "unknown priority \"{}\": QEMU's priorities are {}",
                given.as_str(),
                known.join(", ")
            ))
            .with_span(&given.span()),
        );
        return None;
    }
    Some(given.as_str().to_owned())
}

/// A field carries at most one `#[subsection(needed = ...)]`; returns its
/// predicate and the span of the word `subsection`.
fn check_subsection_attr(field: &Field, errors: &mut Accumulator) -> Option<(Subsection, Span)> {
    let mut found = None;
    for attr in &field.attrs {
        if found.is_some() {
            errors.push(Error::custom("duplicate `#[subsection]` attribute").with_span(attr));
        } else if let syn::Meta::Path(path) = &attr.meta {
            errors.push(
                Error::custom(format!(
                    "`#[{attr}]` needs a predicate: write `#[{attr}({needed} = path)]` with a `fn(&Self) -> bool`",
                    attr = symbol::SUBSECTION,
                    needed = symbol::NEEDED,
                ))
                .with_span(path),
            );
        } else if let Some(parsed) = errors.handle(Subsection::from_attribute(attr)) {
            found = Some((parsed, attr.path().span()));
        }
    }
    found
}

/// `needed = loaded` keeps its flag in the field, so the field must be a
/// `Loaded<T>`; any other path is the user's predicate.
fn check_needed(needed: Path, ty: &Type, errors: &mut Accumulator) -> Needed {
    if !needed.is_ident(symbol::LOADED.as_str()) {
        return Needed::Predicate(needed);
    }
    let is_loaded = matches!(ty, Type::Path(path)
        if path.path.segments.last().is_some_and(|last| last.ident == "Loaded"));
    if !is_loaded {
        errors.push(
            Error::custom(format!(
                "`{needed} = {loaded}` keeps whether the subsection was loaded in the field: declare it as `vmstate::Loaded<{ty}>`",
                needed = symbol::NEEDED,
                loaded = symbol::LOADED,
                ty = quote::quote!(#ty).to_string().replace(' ', ""),
            ))
            .with_span(ty),
        );
    }
    Needed::Loaded
}

/// A subsection is sent whole when needed; version gates, `equal`, `len`,
/// `with` and `skip` do not apply to it.
fn check_no_field_keys_on_subsection(keys: &Keys, errors: &mut Accumulator) {
    for (key, span) in keys {
        errors.push(
            Error::custom(format!(
                "`{key}` cannot be used on a `#[subsection]` field: a subsection is sent whole when `needed` says so"
            ))
            .with_span(span),
        );
    }
}

/// A skipped field is not on the wire, so no other field key means anything.
fn check_skip_alone(keys: &Keys, errors: &mut Accumulator) {
    for (key, span) in keys.iter().filter(|(key, _)| *key != symbol::SKIP) {
        errors.push(
            Error::custom(format!(
                "`{key}` has no effect on a `skip` field, which is not migrated"
            ))
            .with_span(span),
        );
    }
}

/// Reports every key of `keys` that is in `excluded`, as not combinable with `key`.
fn check_exclusive(key: Symbol, excluded: &[Symbol], keys: &Keys, errors: &mut Accumulator) {
    for (other, span) in keys.iter().filter(|(other, _)| excluded.contains(other)) {
        errors.push(
            Error::custom(format!(
                "`{key}` cannot be combined with `{other}` on one field"
            ))
            .with_span(span),
        );
    }
}

/// `since` may not exceed the container's `version`; `until` must come after
/// `since`, may not exceed `version` and must leave the field on the wire at
/// some accepted version; `exists` replaces both, so it stands alone.
fn check_gate<'a>(
    field: &'a Field,
    keys: &Keys,
    version: u32,
    minimum_version: u32,
    errors: &mut Accumulator,
) -> Gate<'a> {
    if let Some(exists) = &field.exists {
        let versioned = [symbol::SINCE, symbol::UNTIL];
        for (key, span) in keys.iter().filter(|(key, _)| versioned.contains(key)) {
            errors.push(
                Error::custom(format!(
                    "`{key}` and `exists` cannot both be given: `exists` replaces the version test"
                ))
                .with_span(span),
            );
        }
        return Gate::Exists(exists);
    }
    let since = field.since.as_ref().map_or(0, |since| **since);
    if let Some(given) = &field.since
        && **given > version
    {
        errors.push(
            Error::custom(format!(
                "`since = {}` is above the struct's `version = {version}`: bump `version` first",
                **given
            ))
            .with_span(&given.span()),
        );
    }
    let until = field.until.as_ref().map(|until| {
        let value = **until;
        let problem = if value <= since {
            Some(format!("`until = {value}` must be above `since = {since}`"))
        } else if value > version {
            Some(format!(
                "`until = {value}` is above the struct's `version = {version}`: a field is removed in the version that stops writing it"
            ))
        } else if value <= minimum_version {
            Some(format!(
                "`until = {value}` is at or below `minimum_version = {minimum_version}`: the field is on the wire at no accepted version; remove it"
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            errors.push(Error::custom(problem).with_span(&until.span()));
        }
        value
    });
    Gate::Versions { since, until }
}

/// `value` replaces what is saved, so it goes with a plain field: a variable
/// array's length, a custom view or a computed count would not match it.
fn check_value<'a>(
    field: &'a Field,
    keys: &Keys,
    errors: &mut Accumulator,
) -> Option<&'a syn::Path> {
    let value = field.value.as_ref()?;
    let excluded = [symbol::LEN, symbol::WITH, symbol::EQUAL, symbol::COUNT_OF];
    check_exclusive(symbol::VALUE, &excluded, keys, errors);
    Some(value)
}

/// `count_of = array` makes an integer field the element count of a later
/// variable array whose `len` names it: saved as the array's length, loaded
/// as any integer. It computes the value, so it excludes the other codecs.
fn check_count_of<'a>(
    field: &'a Field,
    keys: &Keys,
    later: &[Field],
    errors: &mut Accumulator,
) -> Option<&'a Ident> {
    let array = field.count_of.as_ref()?;
    check_exclusive(
        symbol::COUNT_OF,
        &[symbol::LEN, symbol::WITH, symbol::EQUAL],
        keys,
        errors,
    );
    if !is_integer(&field.ty) {
        errors.push(
            Error::custom("`count_of` applies to a fixed-width integer field").with_span(&field.ty),
        );
    }
    let this = field.ident.as_ref();
    match later.iter().find(|f| f.ident.as_ref() == Some(array)) {
        Some(target) if target.len.as_ref() == this && this.is_some() => {}
        Some(_) => errors.push(
            Error::custom(format!(
                "`count_of = {array}`: `{array}` must be a variable array with `#[vmstate(len = {})]`",
                this.map_or_else(String::new, ToString::to_string)
            ))
            .with_span(array),
        ),
        None => errors.push(
            Error::custom(format!(
                "`count_of = {array}` must name a later field of this struct: the count comes first on the wire"
            ))
            .with_span(array),
        ),
    }
    Some(array)
}

/// `len`, `equal` and `with` pick the codec and exclude each other; a `Vec`,
/// `VecDeque` or boxed slice needs `len`, and `len` needs one.
fn check_codec<'a>(
    field: &'a Field,
    keys: &Keys,
    earlier: &[Field],
    all: &[Field],
    errors: &mut Accumulator,
) -> Codec<'a> {
    let codecs = [symbol::LEN, symbol::EQUAL, symbol::WITH];
    let mut chosen = keys.iter().filter(|(key, _)| codecs.contains(key));
    if let Some((first, _)) = chosen.next() {
        for (key, span) in chosen {
            errors.push(
                Error::custom(format!(
                    "`{key}` cannot be combined with `{first}` on one field"
                ))
                .with_span(span),
            );
        }
    }
    let is_varray = varray_element(&field.ty).is_some();
    if let Some(len) = &field.len {
        check_len_target(len, earlier, all, errors);
        if !is_varray {
            errors.push(
                Error::custom("`len` applies to a `Vec<T>`, `VecDeque<T>` or `Box<[T]>` field")
                    .with_span(&field.ty),
            );
        }
        return Codec::Varray { len };
    }
    if is_varray && field.with.is_none() {
        errors.push(
            Error::custom(
                "a variable array needs `#[vmstate(len = field)]` naming the earlier integer field that holds its count; a QEMU list is `#[vmstate(with = vmstate::with::qtailq)]` (or `qlist`)",
            )
            .with_span(&field.ty),
        );
    }
    if let Some(with) = &field.with {
        return Codec::With(with);
    }
    if field.equal.is_present() {
        return Codec::Equal;
    }
    Codec::Plain
}

/// `len` names an integer field declared earlier: the count must be loaded
/// before the array, as in QEMU's `VMSTATE_VARRAY_*`.
fn check_len_target(len: &Ident, earlier: &[Field], all: &[Field], errors: &mut Accumulator) {
    if let Some(target) = earlier.iter().find(|f| f.ident.as_ref() == Some(len)) {
        if !is_integer(&target.ty) {
            errors.push(
                Error::custom(format!(
                    "`len = {len}` must name an integer field, but `{len}` is not a fixed-width integer"
                ))
                .with_span(len),
            );
        }
    } else if all.iter().any(|f| f.ident.as_ref() == Some(len)) {
        errors.push(
            Error::custom(format!(
                "`len = {len}` names a field declared after this one; the count must come first on the wire"
            ))
            .with_span(len),
        );
    } else {
        errors.push(Error::custom(format!("`len = {len}`: no field named `{len}`")).with_span(len));
    }
}

/// A tuple struct is supported as a newtype, whose wire form is its one field's.
fn check_newtype<'a>(
    container: &'a Container,
    fields: &'a [Field],
    errors: &mut Accumulator,
) -> Option<Shape<'a>> {
    check_no_description_keys(container, "a newtype", errors);
    if let [field] = fields {
        for (key, span) in &field.keys {
            errors.push(
                Error::custom(format!("`{key}` is not supported on a newtype's field"))
                    .with_span(span),
            );
        }
        unsupported::check_std_type_has_view(field, errors);
        Some(Shape::Newtype(&field.ty))
    } else {
        errors.push(
            Error::custom(
                "tuple structs are supported only as newtypes with one field; name the fields",
            )
            .with_span(&container.ident),
        );
        None
    }
}

/// An enum is a field type, saved as its `repr` integer: it needs one, and only
/// fieldless variants have a discriminant to save.
fn check_enum<'a>(
    container: &'a Container,
    variants: &'a [Variant],
    errors: &mut Accumulator,
) -> Option<EnumModel<'a>> {
    check_no_description_keys(container, "an enum", errors);
    for variant in variants {
        if !variant.fields.is_unit() {
            errors.push(
                Error::custom(
                    "only fieldless variants are supported: an enum is saved as its `repr` integer",
                )
                .with_span(&variant.ident),
            );
        }
    }
    let repr = enum_repr(container);
    if repr.is_none() {
        errors.push(
            Error::custom(
                "an enum needs `#[repr(u8)]` (or another fixed-width integer) to fix its wire size",
            )
            .with_span(&container.ident),
        );
    }
    Some(EnumModel {
        repr: repr?,
        variants: variants.iter().map(|v| &v.ident).collect(),
    })
}

/// Newtypes and enums have no VMState description of their own; they are fields.
fn check_no_description_keys(container: &Container, what: &str, errors: &mut Accumulator) {
    let description_keys = container
        .keys
        .iter()
        .filter(|(key, _)| !symbol::SHAPE_KEYS.contains(key));
    for (key, span) in description_keys {
        errors.push(
            Error::custom(format!(
                "`{key}` is not allowed on {what}: it is saved as a field, not as a VMState description"
            ))
            .with_span(span),
        );
    }
}

/// The integer of `#[repr(...)]`, if there is one.
fn enum_repr(container: &Container) -> Option<Ident> {
    container.attrs.iter().find_map(|attr| {
        let ident: Ident = attr.parse_args().ok()?;
        is_integer_name(&ident.to_string()).then_some(ident)
    })
}

/// The element type of `Vec<T>`, `VecDeque<T>` or `Box<[T]>`.
pub fn varray_element(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let last = path.path.segments.last()?;
    let PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    let Some(GenericArgument::Type(arg)) = args.args.first() else {
        return None;
    };
    match (last.ident.to_string().as_str(), arg) {
        ("Vec" | "VecDeque", element) => Some(element),
        ("Box", Type::Slice(slice)) => Some(&slice.elem),
        _ => None,
    }
}

fn is_integer(ty: &Type) -> bool {
    match ty {
        Type::Path(path) => path
            .path
            .get_ident()
            .is_some_and(|ident| is_integer_name(&ident.to_string())),
        _ => false,
    }
}

fn is_integer_name(name: &str) -> bool {
    matches!(
        name,
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64"
    )
}

#[cfg(test)]
mod tests {
    use syn::{DeriveInput, parse_quote};

    use super::validate;
    use crate::ast::Container;
    use crate::model::{Codec, Gate, Shape};

    /// Every message that checking `input` reports; empty when it passes.
    fn reported(input: &DeriveInput) -> Vec<String> {
        let container = Container::from_derive_input(input).unwrap();
        match validate(&container) {
            Ok(_) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[track_caller]
    fn assert_one_error(input: &DeriveInput, words: &str) {
        let errors = reported(input);
        assert_eq!(errors.len(), 1, "{errors:#?}");
        assert!(errors[0].contains(words), "`{}` lacks `{words}`", errors[0]);
    }

    #[test]
    fn a_correct_struct_passes_into_its_model() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 3, minimum_version = 2, priority = "iommu")]
            struct Dev {
                #[vmstate(count_of = buf)]
                n: u8,
                #[vmstate(since = 3)]
                a: u32,
                #[vmstate(len = n)]
                buf: std::collections::VecDeque<u8>,
                #[vmstate(exists = Dev::has)]
                b: u16,
                #[vmstate(skip)]
                c: u8,
                #[vmstate(equal, rename = "d.e")]
                d: u8,
                #[subsection(needed = Dev::sub_needed, since = 3)]
                sub: Sub,
            }
        };
        let container = Container::from_derive_input(&input).unwrap();
        let model = validate(&container).unwrap();
        let Shape::Struct(described) = &model.shape else {
            panic!("a struct model");
        };
        assert_eq!(described.name, "dev");
        assert_eq!((described.version, described.minimum_version), (3, 2));
        assert_eq!(described.priority.as_deref(), Some("iommu"));
        let names: Vec<_> = described
            .fields
            .iter()
            .map(|f| f.wire_name.as_str())
            .collect();
        assert_eq!(
            names,
            ["n", "a", "buf", "b", "d.e"],
            "`skip` fields are not migrated"
        );
        assert_eq!(described.fields[0].count_of.unwrap(), "buf");
        assert!(matches!(
            described.fields[1].gate,
            Gate::Versions {
                since: 3,
                until: None
            }
        ));
        assert!(matches!(described.fields[2].codec, Codec::Varray { len } if len == "n"));
        assert!(matches!(described.fields[3].gate, Gate::Exists(_)));
        assert!(matches!(described.fields[4].codec, Codec::Equal));
        assert_eq!(described.subsections.len(), 1);
        assert_eq!(described.subsections[0].since, 3);
        assert!(!described.may_be_fixed_size());
    }

    // check_description_keys
    #[test]
    fn name_and_version_are_required() {
        let input: DeriveInput = parse_quote!(
            struct Dev {
                a: u8,
            }
        );
        let errors = reported(&input);
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert!(
            errors[0].contains("missing `#[vmstate(name"),
            "{}",
            errors[0]
        );
        assert!(
            errors[1].contains("missing `#[vmstate(version"),
            "{}",
            errors[1]
        );
    }

    // check_name
    #[test]
    fn a_name_is_1_to_255_bytes() {
        let input: DeriveInput = parse_quote!(
            #[vmstate(name = "", version = 1)]
            struct Dev {
                a: u8,
            }
        );
        assert_one_error(&input, "1 to 255 bytes long, this one is 0");
        let long = "x".repeat(256);
        let input: DeriveInput = parse_quote!(
            #[vmstate(name = #long, version = 1)]
            struct Dev {
                a: u8,
            }
        );
        assert_one_error(&input, "this one is 256");
    }

    // check_minimum_version
    #[test]
    fn minimum_version_is_at_most_version() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 1, minimum_version = 2)] struct Dev { a: u8 }
        };
        assert_one_error(&input, "`minimum_version = 2` is above `version = 1`");
    }

    // check_priority
    #[test]
    fn priority_is_one_of_qemus_names() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 1, priority = "MIG_PRI_IOMMU")] struct Dev { a: u8 }
        };
        assert_one_error(
            &input,
            "unknown priority \"MIG_PRI_IOMMU\": QEMU's priorities are \"low\", \"default\", \"iommu\"",
        );
    }

    // check_subsection_attr
    #[test]
    fn a_subsection_needs_one_predicate() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 1)]
            struct Dev { #[subsection] a: Sub }
        };
        assert_one_error(
            &input,
            "`#[subsection]` needs a predicate: write `#[subsection(needed = path)]`",
        );
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 1)]
            struct Dev { #[subsection(needed = f)] #[subsection(needed = g)] a: Sub }
        };
        assert_one_error(&input, "duplicate `#[subsection]` attribute");
    }

    // check_no_field_keys_on_subsection
    #[test]
    fn a_subsection_field_takes_no_field_keys() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 2)]
            struct Dev { #[vmstate(since = 2, equal)] #[subsection(needed = f)] a: Sub }
        };
        let errors = reported(&input);
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert!(errors[0].starts_with("`since` cannot be used on a `#[subsection]` field"));
        assert!(errors[1].starts_with("`equal` cannot be used on a `#[subsection]` field"));
    }

    // check_skip_alone
    #[test]
    fn skip_stands_alone() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 1)]
            struct Dev { #[vmstate(skip, equal)] a: u8 }
        };
        assert_one_error(&input, "`equal` has no effect on a `skip` field");
    }

    // check_value
    #[test]
    fn value_goes_with_a_plain_field() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 1)]
            struct Dev { n: u8, #[vmstate(value = f, len = n)] a: Vec<u8> }
        };
        assert_one_error(&input, "`value` cannot be combined with `len` on one field");
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 1)]
            struct Dev { #[vmstate(value = f, count_of = a)] n: u8, #[vmstate(len = n)] a: Vec<u8> }
        };
        assert_one_error(
            &input,
            "`value` cannot be combined with `count_of` on one field",
        );
    }

    // check_count_of
    #[test]
    fn count_of_names_a_later_array_counted_by_this_integer() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 1)]
            struct Dev { #[vmstate(count_of = a)] n: u8, #[vmstate(len = n)] a: Vec<u8> }
        };
        assert!(reported(&input).is_empty());
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 1)]
            struct Dev { #[vmstate(count_of = a)] n: u8, a: [u8; 4] }
        };
        assert_one_error(
            &input,
            "`a` must be a variable array with `#[vmstate(len = n)]`",
        );
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 1)]
            struct Dev { #[vmstate(len = n)] a: Vec<u8>, #[vmstate(count_of = a)] n: u8 }
        };
        let errors = reported(&input);
        assert!(
            errors
                .iter()
                .any(|e| e.contains("`count_of = a` must name a later field")),
            "{errors:#?}"
        );
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 1)]
            struct Dev { #[vmstate(count_of = a)] n: bool, #[vmstate(len = n)] a: Vec<u8> }
        };
        let errors = reported(&input);
        assert!(
            errors
                .iter()
                .any(|e| e.contains("`count_of` applies to a fixed-width integer")),
            "{errors:#?}"
        );
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 1)]
            struct Dev { #[vmstate(count_of = a, equal)] n: u8, #[vmstate(len = n)] a: Vec<u8> }
        };
        assert_one_error(
            &input,
            "`count_of` cannot be combined with `equal` on one field",
        );
    }

    // check_gate
    #[test]
    fn exists_replaces_the_version_keys() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 3)]
            struct Dev { #[vmstate(since = 2, until = 3, exists = f)] a: u8 }
        };
        let errors = reported(&input);
        assert_eq!(errors.len(), 2, "{errors:#?}");
        assert!(errors[0].starts_with("`since` and `exists` cannot both be given"));
        assert!(errors[1].starts_with("`until` and `exists` cannot both be given"));
    }

    #[test]
    fn version_keys_stay_within_the_versions() {
        let cases: [(DeriveInput, &str); 4] = [
            (
                parse_quote!(
                    #[vmstate(name = "d", version = 2)]
                    struct D {
                        #[vmstate(since = 3)]
                        a: u8,
                    }
                ),
                "`since = 3` is above the struct's `version = 2`",
            ),
            (
                parse_quote!(
                    #[vmstate(name = "d", version = 3)]
                    struct D {
                        #[vmstate(since = 2, until = 2)]
                        a: u8,
                    }
                ),
                "`until = 2` must be above `since = 2`",
            ),
            (
                parse_quote!(
                    #[vmstate(name = "d", version = 3)]
                    struct D {
                        #[vmstate(until = 4)]
                        a: u8,
                    }
                ),
                "`until = 4` is above the struct's `version = 3`",
            ),
            (
                parse_quote!(
                    #[vmstate(name = "d", version = 3, minimum_version = 2)]
                    struct D {
                        #[vmstate(until = 2)]
                        a: u8,
                    }
                ),
                "`until = 2` is at or below `minimum_version = 2`",
            ),
        ];
        for (input, words) in &cases {
            assert_one_error(input, words);
        }
    }

    // check_codec
    #[test]
    fn one_codec_per_field() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 1)]
            struct Dev { n: u8, #[vmstate(len = n, with = m)] a: Vec<u8> }
        };
        assert_one_error(&input, "`with` cannot be combined with `len` on one field");
    }

    #[test]
    fn len_goes_with_a_variable_array_and_back() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 1)]
            struct Dev { n: u8, #[vmstate(len = n)] a: [u8; 4] }
        };
        assert_one_error(
            &input,
            "`len` applies to a `Vec<T>`, `VecDeque<T>` or `Box<[T]>` field",
        );
        for ty in [
            quote::quote!(Vec<u8>),
            quote::quote!(VecDeque<u8>),
            quote::quote!(Box<[u8]>),
        ] {
            let input: DeriveInput = parse_quote! {
                #[vmstate(name = "dev", version = 1)]
                struct Dev { a: #ty }
            };
            assert_one_error(&input, "a variable array needs `#[vmstate(len = field)]`");
            let input: DeriveInput = parse_quote! {
                #[vmstate(name = "dev", version = 1)]
                struct Dev { n: u32, #[vmstate(len = n)] a: #ty }
            };
            assert!(reported(&input).is_empty(), "{ty}");
        }
    }

    // check_len_target
    #[test]
    fn len_names_an_earlier_integer_field() {
        let cases: [(DeriveInput, &str); 3] = [
            (
                parse_quote!(
                    #[vmstate(name = "d", version = 1)]
                    struct D {
                        n: bool,
                        #[vmstate(len = n)]
                        a: Vec<u8>,
                    }
                ),
                "`n` is not a fixed-width integer",
            ),
            (
                parse_quote!(
                    #[vmstate(name = "d", version = 1)]
                    struct D {
                        #[vmstate(len = n)]
                        a: Vec<u8>,
                        n: u8,
                    }
                ),
                "names a field declared after this one",
            ),
            (
                parse_quote!(
                    #[vmstate(name = "d", version = 1)]
                    struct D {
                        #[vmstate(len = m)]
                        a: Vec<u8>,
                    }
                ),
                "`len = m`: no field named `m`",
            ),
        ];
        for (input, words) in &cases {
            assert_one_error(input, words);
        }
    }

    // check_newtype
    #[test]
    fn a_tuple_struct_is_a_plain_newtype() {
        let input: DeriveInput = parse_quote!(
            struct Irq(#[vmstate(since = 1)] u32);
        );
        assert_one_error(&input, "`since` is not supported on a newtype's field");
        let input: DeriveInput = parse_quote!(
            struct Pair(u32, u32);
        );
        assert_one_error(
            &input,
            "tuple structs are supported only as newtypes with one field",
        );
        let input: DeriveInput = parse_quote!(
            struct Irq(u32);
        );
        let container = Container::from_derive_input(&input).unwrap();
        assert!(matches!(
            validate(&container).unwrap().shape,
            Shape::Newtype(_)
        ));
    }

    // check_enum
    #[test]
    fn an_enum_is_fieldless_with_an_integer_repr() {
        let input: DeriveInput = parse_quote!(
            #[repr(u8)]
            enum Mode {
                A,
                B(u8),
            }
        );
        assert_one_error(&input, "only fieldless variants are supported");
        let input: DeriveInput = parse_quote!(
            #[repr(C)]
            enum Mode {
                A,
                B,
            }
        );
        assert_one_error(&input, "an enum needs `#[repr(u8)]`");
        let input: DeriveInput = parse_quote!(
            #[repr(i16)]
            enum Mode {
                A,
                B,
            }
        );
        let container = Container::from_derive_input(&input).unwrap();
        let Shape::Enum(model) = validate(&container).unwrap().shape else {
            panic!("an enum model");
        };
        assert_eq!(model.repr, "i16");
        assert_eq!(model.variants.len(), 2);
    }

    // check_no_description_keys
    #[test]
    fn fields_have_no_description_keys() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "mode", priority = "iommu", crate = "::v")]
            #[repr(u8)]
            enum Mode { A }
        };
        let errors = reported(&input);
        assert_eq!(
            errors.len(),
            2,
            "`crate` applies to every shape: {errors:#?}"
        );
        assert!(errors[0].starts_with("`name` is not allowed on an enum"));
        assert!(errors[1].starts_with("`priority` is not allowed on an enum"));
        let input: DeriveInput = parse_quote!(
            #[vmstate(post_load = f)]
            struct Irq(u32);
        );
        assert_one_error(&input, "`post_load` is not allowed on a newtype");
    }
}
