//! The layout lock: a committed, human-readable file that records the wire
//! layout of every released version of every type. A build whose layout of a
//! recorded version differs fails here, on the field or struct at fault; a
//! type under lock whose current version is not recorded gets a warning.
//! `VMSTATE_LOCK=record cargo build` records the versions that are missing.
//!
//! The file is found by walking up from the crate's manifest directory, as
//! Cargo finds a workspace root, so one lock can serve a whole workspace.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use darling::Error;
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote};

use crate::ast::Container;
use crate::model::{Codec, Gate, StructModel};

const DEFAULT_FILE: &str = "vmstate.lock";
const HEADER: &str = "# vmstate layout lock: the wire layout of every released version of every\n\
# type. Do not edit by hand: a released layout must never change. Record new\n\
# versions with `VMSTATE_LOCK=record cargo build` (add `VMSTATE_RELEASE=NAME` to\n\
# list them in release NAME) and commit this file.\n";

/// One line per thing on the wire at a version, with where it was declared.
struct Line {
    text: String,
    span: Span,
}

/// Checks the type against the lock and records missing versions when asked.
/// Returns tokens that make the build depend on the lock file and the
/// environment variable, plus a warning for an unrecorded version.
pub fn apply(container: &Container, described: &StructModel<'_>) -> Result<TokenStream, Error> {
    let file_name = container
        .lock
        .as_ref()
        .map_or(DEFAULT_FILE, |name| name.as_str());
    // Only the crates being built record: never a dependency, whose directory
    // may be read-only and whose layouts are its own authors' to lock.
    let recording = std::env::var("VMSTATE_LOCK").is_ok_and(|v| v == "record")
        && std::env::var_os("CARGO_PRIMARY_PACKAGE").is_some();
    let found = find(file_name);
    let mut tokens = quote! {
        // Rebuild when recording is switched on or off.
        const _: ::core::option::Option<&str> = ::core::option_env!("VMSTATE_LOCK");
        const _: ::core::option::Option<&str> = ::core::option_env!("VMSTATE_RELEASE");
    };
    let Some(path) = found
        .clone()
        .or_else(|| recording.then(|| manifest_dir().join(file_name)))
    else {
        return Ok(tokens);
    };
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut lock = parse(&text);
    let name = &described.name;
    let span = container.ident.span();

    let mut errors = Error::accumulator();
    for (&version, locked) in lock.layouts.get(name).into_iter().flatten() {
        if version > described.version {
            errors.push(
                Error::custom(format!(
                    "{} records version {version} of `{name}`, but `version = {}`: a released version number cannot be taken back",
                    file_label(&path),
                    described.version
                ))
                .with_span(&span),
            );
            continue;
        }
        if version < described.minimum_version {
            continue;
        }
        let current = layout(described, version);
        if let Some(error) = compare(
            &path,
            name,
            version,
            locked,
            &current,
            described.version,
            span,
        ) {
            errors.push(error);
            // One difference is enough: later versions usually repeat it.
            break;
        }
    }
    errors.finish()?;

    let recorded = lock
        .layouts
        .get(name)
        .map(|versions| versions.contains_key(&described.version));
    if recording {
        let versions = lock.layouts.entry(name.clone()).or_default();
        for version in described.minimum_version..=described.version {
            versions.entry(version).or_insert_with(|| {
                layout(described, version)
                    .into_iter()
                    .map(|line| line.text)
                    .collect()
            });
        }
        // `VMSTATE_RELEASE=NAME` also lists this version in release NAME.
        if let Ok(release) = std::env::var("VMSTATE_RELEASE")
            && !release.trim().is_empty()
        {
            lock.releases
                .entry(release.trim().to_owned())
                .or_default()
                .insert(format!("{name} v{}", described.version));
        }
        std::fs::write(&path, render(&lock)).map_err(|e| {
            Error::custom(format!("cannot write {}: {e}", path.display())).with_span(&span)
        })?;
    } else if recorded == Some(false) {
        // A deprecated item is the one warning a derive can raise on stable.
        let note = format!(
            "version {} of `{name}` is not recorded in {}: record it with `VMSTATE_LOCK=record cargo build` before releasing",
            described.version,
            file_label(&path)
        );
        let warning = format_ident!("VMSTATE_VERSION_NOT_LOCKED", span = span);
        tokens.extend(quote! {
            const _: () = {
                #[deprecated(note = #note)]
                #[allow(non_upper_case_globals)]
                const #warning: () = ();
                #warning
            };
        });
    }
    if path.exists() {
        let path = path.to_string_lossy().into_owned();
        tokens.extend(quote! {
            // Rebuild when the lock file changes.
            const _: &[u8] = ::core::include_bytes!(#path);
        });
    }
    Ok(tokens)
}

/// The lock file's name, as messages show it.
fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}

fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from)
}

/// The lock file named `file_name` in the manifest directory or an ancestor.
fn find(file_name: &str) -> Option<PathBuf> {
    let start = manifest_dir();
    start
        .ancestors()
        .map(|dir| dir.join(file_name))
        .find(|candidate| candidate.is_file())
}

/// What is on the wire at `version`, one line per field or subsection.
fn layout(described: &StructModel<'_>, version: u32) -> Vec<Line> {
    let mut lines = Vec::new();
    for field in &described.fields {
        let ty = type_text(field.ty);
        let mut text = match &field.gate {
            Gate::Versions { .. } if !field.gate.static_at(version) => continue,
            Gate::Versions { .. } => format!("{}: {ty}", field.ident),
            Gate::Exists(exists) => {
                format!("{}: {ty} if {}", field.ident, type_text(exists))
            }
        };
        match &field.codec {
            Codec::Varray { len } => {
                let _ = write!(text, " len {len}");
            }
            Codec::With(module) => {
                let _ = write!(text, " with {}", type_text(module));
            }
            Codec::Equal => text.push_str(" equal"),
            Codec::Plain => {}
        }
        lines.push(Line {
            text,
            span: field.ident.span(),
        });
    }
    for subsection in &described.subsections {
        if subsection.since <= version {
            lines.push(Line {
                text: format!(
                    "subsection {}: {}",
                    subsection.ident,
                    type_text(subsection.ty)
                ),
                span: subsection.ident.span(),
            });
        }
    }
    lines
}

/// Tokens as text without the spaces that token printing adds.
fn type_text(tokens: &impl ToTokens) -> String {
    tokens.to_token_stream().to_string().replace(' ', "")
}

/// The first difference between the recorded and current layout of a version,
/// as an error that says what changed and what to do.
fn compare(
    path: &Path,
    name: &str,
    version: u32,
    locked: &[String],
    current: &[Line],
    current_version: u32,
    struct_span: Span,
) -> Option<Error> {
    if locked.iter().eq(current.iter().map(|line| &line.text)) {
        return None;
    }
    let file = file_label(path);
    let next = current_version + 1;
    let first = locked
        .iter()
        .zip(current)
        .position(|(old, new)| *old != new.text)
        .unwrap_or(locked.len().min(current.len()));
    let without = |lines: &[String], i: usize| -> Vec<String> {
        let mut lines = lines.to_vec();
        lines.remove(i);
        lines
    };
    let current_text: Vec<String> = current.iter().map(|line| line.text.clone()).collect();
    let advice = format!(
        "released layouts never change: bump `version` to {next} and gate the change with `since = {next}` (new fields) or `until = {next}` (removed ones)"
    );
    let (message, span) = if current.len() == locked.len() + 1
        && without(&current_text, first) == locked
    {
        let added = &current[first];
        (
            format!(
                "`{}` is on the wire at version {version} of `{name}`, which {file} records without it: {advice}",
                added.text
            ),
            added.span,
        )
    } else if locked.len() == current.len() + 1 && without(locked, first) == current_text {
        (
            format!(
                "version {version} of `{name}` recorded in {file} has `{}`, which is no longer on the wire at that version: {advice}",
                locked[first]
            ),
            struct_span,
        )
    } else if let (Some(old), Some(new)) = (locked.get(first), current.get(first)) {
        (
            format!(
                "version {version} of `{name}` recorded in {file} has `{old}` here, but the struct now has `{}` (changed, renamed or reordered): {advice}",
                new.text
            ),
            new.span,
        )
    } else {
        (
            format!(
                "the layout of version {version} of `{name}` differs from the one recorded in {file}: {advice}"
            ),
            struct_span,
        )
    };
    Some(Error::custom(message).with_span(&span))
}

/// The lock file's contents.
#[derive(Default)]
struct Lock {
    /// Layout lines by type name, then version: `[name vN]` blocks.
    layouts: BTreeMap<String, BTreeMap<u32, Vec<String>>>,
    /// `[release NAME]` blocks: the `name vN` of every type in the release.
    releases: BTreeMap<String, BTreeSet<String>>,
}

/// What a block header opens.
enum Block {
    Layout(String, u32),
    Release(String),
}

fn parse(text: &str) -> Lock {
    let mut lock = Lock::default();
    let mut current = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = if let Some(release) = header.strip_prefix("release ") {
                Some(Block::Release(release.to_owned()))
            } else {
                header.rsplit_once(" v").and_then(|(name, version)| {
                    Some(Block::Layout(name.to_owned(), version.parse().ok()?))
                })
            };
            continue;
        }
        match &current {
            Some(Block::Layout(name, version)) => lock
                .layouts
                .entry(name.clone())
                .or_default()
                .entry(*version)
                .or_default()
                .push(line.to_owned()),
            Some(Block::Release(release)) => {
                lock.releases
                    .entry(release.clone())
                    .or_default()
                    .insert(line.to_owned());
            }
            None => {}
        }
    }
    lock
}

fn render(lock: &Lock) -> String {
    let mut out = String::from(HEADER);
    for (name, versions) in &lock.layouts {
        for (version, lines) in versions {
            let _ = write!(out, "\n[{name} v{version}]\n");
            for line in lines {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    for (release, members) in &lock.releases {
        let _ = write!(out, "\n[release {release}]\n");
        for member in members {
            out.push_str(member);
            out.push('\n');
        }
    }
    out
}
