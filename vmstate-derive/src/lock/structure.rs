//! Which recorded field is which current field, version by version, by name
//! and position; every mismatch is an error whose advice fits the mistake.
//! Wire types are not compared here (see `emit`).

use crate::diag::Error;
use proc_macro2::Span;
use vmstate_lock::schema::{Count, Owned, Schema, WireType};
use vmstate_lock::{Entry, Lock};

use super::Context;
use crate::model::{Codec, FieldModel, Gate};

/// A current field matched with a recorded one.
pub struct Pair {
    /// Index into the type's `SCHEMA.fields`.
    pub index: usize,
    pub span: Span,
    pub name: String,
    pub version: u32,
    pub line: usize,
    pub wire: WireType<Owned>,
}

/// A current subsection matched with a recorded one.
pub struct SubPair {
    /// Index into the type's subsections.
    pub index: usize,
    pub version: u32,
    pub line: usize,
    pub vmsd: String,
    pub recorded_version: u32,
}

/// What the const checks and warnings need.
#[derive(Default)]
pub struct Checked {
    pub pairs: Vec<Pair>,
    pub subsections: Vec<SubPair>,
    pub warnings: Vec<(String, Span)>,
}

/// Compares every recorded version still loaded; stops after the first
/// version with mistakes, since later ones usually repeat them.
pub fn check(cx: &Context<'_>, entries: &[&Entry]) -> Result<Checked, Error> {
    let described = cx.described;
    let mut errors = Vec::new();
    let mut checked = Checked::default();
    if !cx.frozen && cx.newest > described.version {
        errors.push(
            Error::custom(format!(
                "{} records version {} of `{}`, but `version = {}`: a released version number cannot be taken back (a copy of an old release kept for tests is `#[vmstate(frozen)]`)",
                cx.file, cx.newest, cx.key, described.version
            ))
            .with_span(&cx.struct_span),
        );
    }
    for entry in entries {
        let version = entry.version;
        if version < described.minimum_version || version > described.version {
            continue;
        }
        let before = errors.len();
        if entry.layout.name != described.name {
            errors.push(
                Error::custom(format!(
                    "version {version} of `{}` is recorded in {}:{} with VMSD name `{}`, but `name = \"{}\"`: the name is on the wire, so keep `name = \"{}\"`",
                    cx.key, cx.file, entry.line, entry.layout.name, described.name, entry.layout.name
                ))
                .with_span(&cx.struct_span),
            );
        }
        fields_at(cx, entry, &mut errors, &mut checked);
        subsections_at(cx, entry, &mut errors, &mut checked);
        if errors.len() > before {
            break;
        }
    }
    if errors.is_empty() {
        Ok(checked)
    } else if let Some(note) = &cx.inlined_note {
        Err(Error::multiple(errors).with_note(note))
    } else {
        Err(Error::multiple(errors))
    }
}

/// When the lock records the type `key` (VMSD `vmsd`) inlined in another
/// type's layout, what actually works for a change of its fields: QEMU loads
/// an inlined struct at the version it is now (`VMSTATE_STRUCT` passes the
/// struct's own `version_id`), a number no stream carries, so `since` and a
/// new version on the inner type change the outer type's released layout
/// all the same.
pub fn inlined_note(lock: &Lock, key: &str, vmsd: &str, ident: &syn::Ident) -> Option<String> {
    let (outer, field, line) = lock.entries.iter().rev().find_map(|entry| {
        (entry.key != key)
            .then(|| inlining_field(&entry.layout, vmsd).map(|field| (entry, field)))
            .flatten()
            .map(|(entry, field)| (&entry.key, field, entry.line))
    })?;
    let name = vmstate_lock::split_key(outer).1;
    Some(format!(
        "note: that alone does not work here: `{ident}` is inlined in `{outer}` (field `{field}`, recorded at line {line}), which loads it at the version `{ident}` has now, since no stream carries an inlined struct's version, so `since` and a new version here change `{name}`'s released layout all the same; keep `{ident}` as recorded, and carry the new state in `{name}`: a new field with `since` and a version bump there, or a subsection of it"
    ))
}

/// The field of `layout` that inlines the struct of VMSD name `vmsd`,
/// directly, as array elements, or inside another inlined struct.
fn inlining_field<'a>(layout: &'a Schema<Owned>, vmsd: &str) -> Option<&'a str> {
    fn holds(wire: &WireType<Owned>, vmsd: &str) -> bool {
        match wire {
            WireType::Struct(layout) => {
                layout.name == vmsd || layout.fields.iter().any(|f| holds(&f.wire, vmsd))
            }
            WireType::Array { element, .. } => holds(element, vmsd),
            WireType::View { parts, .. } => parts.iter().any(|part| holds(&part.wire, vmsd)),
            _ => false,
        }
    }
    layout
        .fields
        .iter()
        .find(|field| holds(&field.wire, vmsd))
        .map(|field| field.name.as_str())
}

/// Whether a field is on the wire at `version` (an `exists` field may be).
pub(super) fn present(field: &FieldModel<'_>, version: u32) -> bool {
    matches!(field.gate, Gate::Exists(_)) || field.gate.static_at(version)
}

fn since_of(field: &FieldModel<'_>) -> u32 {
    match field.gate {
        Gate::Versions { since, .. } => since,
        Gate::Exists(_) => 0,
    }
}

fn until_of(field: &FieldModel<'_>) -> Option<u32> {
    match field.gate {
        Gate::Versions { until, .. } => until,
        Gate::Exists(_) => None,
    }
}

#[allow(
    clippy::too_many_lines,
    reason = "one case per kind of mistake, read in order"
)]
fn fields_at(cx: &Context<'_>, entry: &Entry, errors: &mut Vec<Error>, checked: &mut Checked) {
    let version = entry.version;
    let all = &cx.described.fields;
    let current: Vec<(usize, &FieldModel<'_>)> = all
        .iter()
        .enumerate()
        .filter(|(_, field)| present(field, version))
        .collect();
    let recorded = &entry.layout.fields;
    let at = format!(
        "version {version} of `{}` ({}:{})",
        cx.key, cx.file, entry.line
    );
    let next = cx.next();
    let bump = cx.and_bump();
    let is_recorded = |name: &str| recorded.iter().any(|r| r.name == name);
    let is_current = |name: &str| current.iter().any(|(_, f)| f.wire_name == name);
    let added: Vec<usize> = (0..current.len())
        .filter(|&i| !is_recorded(&current[i].1.wire_name))
        .collect();
    let removed: Vec<usize> = (0..recorded.len())
        .filter(|&i| !is_current(&recorded[i].name))
        .collect();

    // Same count, and the unknown names sit where the missing ones were:
    // renamed fields. Names are not in the payload, so this passes.
    let renamed = !added.is_empty() && current.len() == recorded.len() && added == removed;
    if !renamed {
        for &i in &added {
            let field = current[i].1;
            let since = since_of(field);
            let message = if since == 0 {
                format!(
                    "field `{}` is on the wire at {at}, released without it: write `#[vmstate(since = {next})]` on it{bump}",
                    field.ident
                )
            } else {
                format!(
                    "`since = {since}` puts field `{}` on the wire at {at}, released without it: write `#[vmstate(since = {next})]`{bump}",
                    field.ident
                )
            };
            errors.push(Error::custom(message).with_span(&field.ident.span()));
        }
        for &i in &removed {
            let old = &recorded[i];
            let still = all.iter().find(|f| f.wire_name == old.name);
            let (message, span) = match still {
                Some(field) if until_of(field).is_some_and(|until| until <= version) => (
                    format!(
                        "`until = {}` takes field `{}` off the wire at {at}, released with it: write `#[vmstate(until = {next})]`{bump}",
                        until_of(field).unwrap_or_default(),
                        field.ident
                    ),
                    field.ident.span(),
                ),
                Some(field) => (
                    format!(
                        "`since = {}` takes field `{}` off the wire at {at}, released with it: write `since = {}` as recorded",
                        since_of(field),
                        field.ident,
                        old.since
                    ),
                    field.ident.span(),
                ),
                None => (
                    format!(
                        "field `{}` ({}) is on the wire at {at} and no longer in the struct: keep it where it was, with `#[vmstate(until = {next})]`{bump}, so older receivers still get it",
                        old.name, old.wire
                    ),
                    cx.struct_span,
                ),
            };
            errors.push(Error::custom(message).with_span(&span));
        }
        if !added.is_empty() || !removed.is_empty() {
            return;
        }
    }

    // The same names: any difference in order is a reorder.
    if !renamed
        && let Some(i) = (0..current.len()).find(|&i| current[i].1.wire_name != recorded[i].name)
    {
        let moved = current[i].1;
        let expected = &recorded[i].name;
        errors.push(
            Error::custom(format!(
                "field `{}` is declared where {at} has `{expected}`: the wire order is the declaration order, so a reorder changes the bytes of a released version; declare the fields in the recorded order again (`{expected}` before `{}`); no version number can record a new order of the same fields",
                moved.ident, moved.ident
            ))
            .with_span(&moved.ident.span()),
        );
        return;
    }

    for (position, &(index, field)) in current.iter().enumerate() {
        let old = &recorded[position];
        let note = format!("field `{}` is recorded as", field.ident);
        let warned = checked
            .warnings
            .iter()
            .any(|(text, _)| text.starts_with(&note));
        if renamed && old.name != field.wire_name && !warned {
            checked.warnings.push((
                format!(
                    "field `{}` is recorded as `{}` at {at}: the payload is the same, but vmdesc names the field `{}` now; add `#[vmstate(rename = \"{}\")]` to keep the recorded name",
                    field.ident, old.name, field.wire_name, old.name
                ),
                field.ident.span(),
            ));
        }
        // The versions a recorded field is on the wire are part of the layout
        // of every released version; a recorded `until` is final, while a
        // field recorded without one may gain one past the recorded versions
        // (checked above, by what is on the wire).
        let (since, until) = (since_of(field), until_of(field));
        let since_changed = since != old.since;
        if since_changed || (old.until.is_some() && until != old.until) {
            let (key, was, now) = if since_changed {
                ("since", old.since.to_string(), since.to_string())
            } else {
                (
                    "until",
                    old.until.unwrap_or_default().to_string(),
                    until.map_or_else(|| "none".to_owned(), |until| until.to_string()),
                )
            };
            errors.push(
                Error::custom(format!(
                    "field `{}` is recorded at {at} with `{key} = {was}`, and now has `{key} = {now}`: the versions a field is sent at are part of every released layout; write `{key} = {was}` as recorded",
                    field.ident
                ))
                .with_span(&field.ident.span()),
            );
            continue;
        }
        let exists = matches!(field.gate, Gate::Exists(_));
        let varray = matches!(field.codec, Codec::Varray { .. });
        let old_varray = matches!(old.count, Count::Field(_));
        if exists != old.exists || varray != old_varray {
            errors.push(
                Error::custom(format!(
                    "field `{}` at {at} was recorded {}with `exists` and {}with `len`: whether a field is sent, and how many elements, are part of the layout",
                    field.ident,
                    if old.exists { "" } else { "without " },
                    if old_varray { "" } else { "without " },
                ))
                .with_span(&field.ident.span()),
            );
            continue;
        }
        let opaque_note = format!("field `{}` is recorded as `opaque`", field.ident);
        let opaque_warned = checked
            .warnings
            .iter()
            .any(|(text, _)| text.starts_with(&opaque_note));
        if old.wire.has_opaque() && gained_layout(field) && !opaque_warned {
            checked.warnings.push((
                format!(
                    "{opaque_note} at {at}, by a vmstate that recorded no layout for views and std types, so its layout is not checked: run `VMSTATE_LOCK=record cargo test` to fill it in (recording changes only the `opaque` words), and check that the layout it writes is the released one",
                ),
                field.ident.span(),
            ));
        }
        checked.pairs.push(Pair {
            index,
            span: field.ident.span(),
            name: field.ident.to_string(),
            version,
            line: entry
                .field_lines
                .get(position)
                .copied()
                .unwrap_or(entry.line),
            wire: old.wire.clone(),
        });
    }
}

fn subsections_at(cx: &Context<'_>, entry: &Entry, errors: &mut Vec<Error>, checked: &mut Checked) {
    let version = entry.version;
    let at = format!(
        "version {version} of `{}` ({}:{})",
        cx.key, cx.file, entry.line
    );
    let current: Vec<(usize, &crate::model::SubsectionModel<'_>)> = cx
        .described
        .subsections
        .iter()
        .enumerate()
        .filter(|(_, sub)| sub.since <= version)
        .collect();
    let recorded = &entry.layout.subsections;
    for (index, sub) in &current {
        match recorded
            .iter()
            .position(|r| sub.ident == r.field.as_str())
        {
            Some(at) => checked.subsections.push(SubPair {
                index: *index,
                version,
                line: entry.subsection_lines.get(at).copied().unwrap_or(entry.line),
                vmsd: recorded[at].schema.name.clone(),
                recorded_version: recorded[at].schema.version,
            }),
            None => errors.push(
                Error::custom(format!(
                    "subsection `{}` may follow {at}, released without it, whose receivers would refuse it: write `#[subsection(needed = ..., since = {})]`{}",
                    sub.ident,
                    cx.next(),
                    cx.and_bump()
                ))
                .with_span(&sub.ident.span()),
            ),
        }
    }
    for old in recorded {
        if !current
            .iter()
            .any(|(_, sub)| sub.ident == old.field.as_str())
        {
            errors.push(
                Error::custom(format!(
                    "subsection `{}` (`{}` v{}) may follow {at}, and is no longer sent: streams of that version that carry it would not load; keep it",
                    old.field, old.schema.name, old.schema.version
                ))
                .with_span(&cx.struct_span),
            );
        }
    }
    let order: Vec<&str> = recorded
        .iter()
        .map(|r| r.field.as_str())
        .filter(|name| current.iter().any(|(_, sub)| sub.ident == name))
        .collect();
    if let Some((_, sub)) = current
        .iter()
        .zip(&order)
        .find(|((_, sub), name)| sub.ident != **name)
        .map(|(pair, _)| pair)
    {
        errors.push(
            Error::custom(format!(
                "subsection `{}` is declared out of the order recorded for {at}: subsections are sent in declaration order; declare them in the recorded order again",
                sub.ident
            ))
            .with_span(&sub.ident.span()),
        );
    }
}

/// Whether a field recorded as `opaque` by older versions has a layout now:
/// a `with` view, or a std type that gained one (a direct-key `BTreeMap`, a
/// pointer `Option<Box<T>>`, in an array or not). A hand-written field impl
/// without a `WIRE` stays `opaque`, and is not warned about at every build.
fn gained_layout(field: &FieldModel<'_>) -> bool {
    if matches!(field.codec, Codec::With(_)) {
        return true;
    }
    let mut ty = field.ty;
    while let syn::Type::Array(array) = ty {
        ty = &array.elem;
    }
    let syn::Type::Path(path) = ty else {
        return false;
    };
    path.path
        .segments
        .last()
        .is_some_and(|last| last.ident == "BTreeMap" || last.ident == "Option")
}
