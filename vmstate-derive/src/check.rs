//! Every rule about what the user may write, checked with an accumulator so that
//! all mistakes are reported at once, each on the span of the attribute or
//! field at fault. Each `check_*` function is one rule.

use darling::util::SpannedValue;
use darling::{Error, FromMeta, ast::Style, error::Accumulator};
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{GenericArgument, Ident, PathArguments, Type};

use crate::ast::{Container, Field, Subsection, Variant};
use crate::model::{
    Codec, EnumModel, FieldModel, Gate, Hooks, Model, Shape, StructModel, SubsectionModel,
};

/// Turns the parsed input into a [`Model`], or reports every problem found.
pub fn check(container: &Container) -> darling::Result<Model<'_>> {
    let mut errors = Error::accumulator();
    let shape = match &container.data {
        darling::ast::Data::Struct(fields) => match fields.style {
            Style::Tuple => check_newtype(container, &fields.fields, &mut errors),
            Style::Struct | Style::Unit => Some(Shape::Struct(check_struct(
                container,
                &fields.fields,
                &mut errors,
            ))),
        },
        darling::ast::Data::Enum(variants) => {
            check_enum(container, variants, &mut errors).map(Shape::Enum)
        }
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
        // Named structs always have idents; darling hands us no other kind here.
        let Some(ident) = field.ident.as_ref() else {
            continue;
        };
        if let Some((subsection, span)) = check_subsection_attr(field, errors) {
            check_no_field_keys_on_subsection(field, errors);
            model.subsections.push(SubsectionModel {
                ident,
                ty: &field.ty,
                needed: subsection.needed,
                since: subsection.since.unwrap_or(0),
                name_without_slash: subsection.name_without_slash.is_present(),
                span,
            });
            continue;
        }
        if field.skip.is_present() {
            check_skip_alone(field, errors);
            continue;
        }
        let gate = check_gate(field, version, minimum_version, errors);
        let codec = check_codec(field, &fields[..position], fields, errors);
        model.fields.push(FieldModel {
            ident,
            wire_name: field
                .rename
                .as_ref()
                .map_or_else(|| ident.to_string(), |name| name.as_str().to_owned()),
            info: field.info.as_ref().map(|info| info.as_str().to_owned()),
            validate: field.validate.as_ref(),
            value: check_value(field, errors),
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
fn check_name(name: &SpannedValue<String>, errors: &mut Accumulator) {
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

/// A field carries at most one `#[subsection(needed = ...)]`; returns its
/// predicate and the span of the word `subsection`.
fn check_subsection_attr(field: &Field, errors: &mut Accumulator) -> Option<(Subsection, Span)> {
    let mut found = None;
    for attr in &field.attrs {
        if found.is_some() {
            errors.push(Error::custom("duplicate `#[subsection]` attribute").with_span(attr));
        } else if let syn::Meta::Path(path) = &attr.meta {
            errors.push(
                Error::custom(
                    "`#[subsection]` needs a predicate: write `#[subsection(needed = path)]` with a `fn(&Self) -> bool`",
                )
                .with_span(path),
            );
        } else if let Some(parsed) = errors.handle(Subsection::from_meta(&attr.meta)) {
            found = Some((parsed, attr.path().span()));
        }
    }
    found
}

/// A subsection is sent whole when needed; version gates, `equal`, `len`,
/// `with` and `skip` do not apply to it.
fn check_no_field_keys_on_subsection(field: &Field, errors: &mut Accumulator) {
    let conflicts = field_key_spans(field);
    for (key, span) in conflicts {
        errors.push(
            Error::custom(format!(
                "`{key}` cannot be used on a `#[subsection]` field: a subsection is sent whole when `needed` says so"
            ))
            .with_span(&span),
        );
    }
}

/// A skipped field is not on the wire, so no other field key means anything.
fn check_skip_alone(field: &Field, errors: &mut Accumulator) {
    for (key, span) in field_key_spans(field) {
        if key != "skip" {
            errors.push(
                Error::custom(format!(
                    "`{key}` has no effect on a `skip` field, which is not migrated"
                ))
                .with_span(&span),
            );
        }
    }
}

/// The field keys that were given, with their spans.
fn field_key_spans(field: &Field) -> Vec<(&'static str, Span)> {
    let mut keys = Vec::new();
    if let Some(since) = &field.since {
        keys.push(("since", since.span()));
    }
    if let Some(exists) = &field.exists {
        keys.push(("exists", exists.span()));
    }
    if let Some(until) = &field.until {
        keys.push(("until", until.span()));
    }
    if field.skip.is_present() {
        keys.push(("skip", field.skip.span()));
    }
    if field.equal.is_present() {
        keys.push(("equal", field.equal.span()));
    }
    if let Some(len) = &field.len {
        keys.push(("len", len.span()));
    }
    if let Some(with) = &field.with {
        keys.push(("with", with.span()));
    }
    if let Some(info) = &field.info {
        keys.push(("info", info.span()));
    }
    if let Some(rename) = &field.rename {
        keys.push(("rename", rename.span()));
    }
    if let Some(validate) = &field.validate {
        keys.push(("validate", validate.span()));
    }
    if let Some(value) = &field.value {
        keys.push(("value", value.span()));
    }
    keys
}

/// `since` may not exceed the container's `version`; `until` must come after
/// `since`, may not exceed `version` and must leave the field on the wire at
/// some accepted version; `exists` replaces both, so it stands alone.
fn check_gate<'a>(
    field: &'a Field,
    version: u32,
    minimum_version: u32,
    errors: &mut Accumulator,
) -> Gate<'a> {
    if let Some(exists) = &field.exists {
        for (key, span) in [
            field.since.as_ref().map(|v| ("since", v.span())),
            field.until.as_ref().map(|v| ("until", v.span())),
        ]
        .into_iter()
        .flatten()
        {
            errors.push(
                Error::custom(format!(
                    "`{key}` and `exists` cannot both be given: `exists` replaces the version test"
                ))
                .with_span(&span),
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
/// array's length or a custom view would not match a computed value.
fn check_value<'a>(field: &'a Field, errors: &mut Accumulator) -> Option<&'a syn::Path> {
    let value = field.value.as_ref()?;
    for (key, span) in field_key_spans(field) {
        if matches!(key, "len" | "with" | "equal") {
            errors.push(
                Error::custom(format!(
                    "`value` cannot be combined with `{key}` on one field"
                ))
                .with_span(&span),
            );
        }
    }
    Some(value)
}

/// `len`, `equal` and `with` pick the codec and exclude each other; a `Vec` or
/// boxed slice needs `len`, and `len` needs one.
fn check_codec<'a>(
    field: &'a Field,
    earlier: &[Field],
    all: &[Field],
    errors: &mut Accumulator,
) -> Codec<'a> {
    let chosen: Vec<_> = field_key_spans(field)
        .into_iter()
        .filter(|(key, _)| matches!(*key, "len" | "equal" | "with"))
        .collect();
    for (key, span) in chosen.iter().skip(1) {
        errors.push(
            Error::custom(format!(
                "`{key}` cannot be combined with `{}` on one field",
                chosen[0].0
            ))
            .with_span(span),
        );
    }
    let is_varray = varray_element(&field.ty).is_some();
    if let Some(len) = &field.len {
        check_len_target(len, earlier, all, errors);
        if !is_varray {
            errors.push(
                Error::custom("`len` applies to a `Vec<T>` or `Box<[T]>` field")
                    .with_span(&field.ty),
            );
        }
        return Codec::Varray { len };
    }
    if is_varray && field.with.is_none() {
        errors.push(
            Error::custom(
                "a variable array needs `#[vmstate(len = field)]` naming the earlier integer field that holds its count",
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
        for (key, span) in field_key_spans(field) {
            errors.push(
                Error::custom(format!("`{key}` is not supported on a newtype's field"))
                    .with_span(&span),
            );
        }
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
    let mut keys: Vec<(&str, Span)> = Vec::new();
    if let Some(name) = &container.name {
        keys.push(("name", name.span()));
    }
    if let Some(version) = &container.version {
        keys.push(("version", version.span()));
    }
    if let Some(minimum) = &container.minimum_version {
        keys.push(("minimum_version", minimum.span()));
    }
    if let Some(lock) = &container.lock {
        keys.push(("lock", lock.span()));
    }
    if container.frozen.is_present() {
        keys.push(("frozen", container.frozen.span()));
    }
    for (key, hook) in [
        ("pre_save", &container.pre_save),
        ("post_save", &container.post_save),
        ("pre_load", &container.pre_load),
        ("post_load", &container.post_load),
        ("validate", &container.validate),
    ] {
        if let Some(path) = hook {
            keys.push((key, path.span()));
        }
    }
    for (key, span) in keys {
        errors.push(
            Error::custom(format!(
                "`{key}` is not allowed on {what}: it is saved as a field, not as a VMState description"
            ))
            .with_span(&span),
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

/// The element type of `Vec<T>` or `Box<[T]>`.
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
