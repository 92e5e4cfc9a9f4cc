//! Which recorded type is this one. The lock keys a type by its module path
//! within the crate and its name (`crate::uart::Uart`), as the recording
//! test reads them from `module_path!()`. A derive cannot see its module, so
//! it picks the recorded type of its name (the source file's module breaks a
//! tie), and a `const` assertion over `module_path!()` then proves the pick:
//! a type that moved is reported, never checked against another type's
//! layout or recorded afresh as a new one.

use std::path::Component;

use crate::diag::Error;
use proc_macro2::{Span, TokenStream};
use quote::quote_spanned;
use syn::{Ident, Path};
use vmstate_lock::{Lock, split_key};

use super::structure::present;
use crate::model::StructModel;

/// The recorded key of the type, `None` when it has none yet.
///
/// # Errors
/// When the type is recorded under another name (a rename), or when several
/// recorded types could be it.
pub fn select(
    lock: &Lock,
    ident: &Ident,
    described: &StructModel<'_>,
    frozen: bool,
    file: &str,
) -> Result<Option<String>, Error> {
    let name = ident.to_string();
    let mut candidates: Vec<&str> = lock
        .keys()
        .into_iter()
        .filter(|key| split_key(key).1 == name)
        .collect();
    // Types of one name in several modules: the VMSD name tells them apart
    // first (and a frozen copy, which lives beside the type it copies, shares
    // it); a recorded type of this name but another VMSD name is this one
    // only if it is in this source file (else this is a new type that reuses
    // a name).
    let guess = source_module(ident.span());
    let same_vmsd = |key: &&str| vmsd_of(lock, key) == Some(described.name.as_str());
    if candidates.iter().any(same_vmsd) {
        candidates.retain(same_vmsd);
    } else if let Some(guess) = &guess {
        candidates.retain(|key| in_module(split_key(key).0, guess));
    }
    // A frozen copy renamed for its release (`UartV1`) copies the one type
    // recorded under its VMSD name.
    if frozen && candidates.is_empty() {
        candidates = lock
            .keys()
            .into_iter()
            .filter(|key| vmsd_of(lock, key) == Some(described.name.as_str()))
            .collect();
    }
    match candidates[..] {
        [] if frozen => Ok(None),
        [] => renamed(lock, ident, described, file).map(|()| None),
        [key] => Ok(Some(key.to_owned())),
        _ => {
            // Then the source file's module, when nothing recorded in a
            // module inside it could be this type instead.
            if let Some(guess) = &guess {
                let nested = format!("{guess}::");
                let exact: Vec<&str> = candidates
                    .iter()
                    .copied()
                    .filter(|key| split_key(key).0 == guess)
                    .collect();
                let within: Vec<&str> = candidates
                    .iter()
                    .copied()
                    .filter(|key| split_key(key).0.starts_with(&nested))
                    .collect();
                match (&exact[..], &within[..]) {
                    ([key], []) | ([], [key]) => return Ok(Some((*key).to_owned())),
                    _ => {}
                }
            }
            Err(Error::custom(format!(
                "{file} records several types named `{ident}` ({}), and a derive cannot tell which one this is: it sees the source file ({}), not the inline module; give locked types of one file distinct names",
                candidates
                    .iter()
                    .map(|key| format!("`{key}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                guess.unwrap_or_else(|| "unknown".to_owned())
            ))
            .with_span(&ident.span()))
        }
    }
}

/// Whether `module` is `file_module` or a module inside it.
fn in_module(module: &str, file_module: &str) -> bool {
    module
        .strip_prefix(file_module)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with("::"))
}

/// The VMSD name a key was recorded with.
fn vmsd_of<'a>(lock: &'a Lock, key: &str) -> Option<&'a str> {
    lock.versions_of(key)
        .last()
        .map(|entry| entry.layout.name.as_str())
}

/// A type not recorded under its name is new, unless the lock records a type
/// of the same VMSD name whose fields, at a version this one still loads,
/// are this one's: then it was renamed, and its released layouts would go
/// unchecked under the new key.
fn renamed(
    lock: &Lock,
    ident: &Ident,
    described: &StructModel<'_>,
    file: &str,
) -> Result<(), Error> {
    for key in lock.keys() {
        let Some(entry) = lock.versions_of(key).into_iter().rfind(|entry| {
            entry.layout.name == described.name
                && (described.minimum_version..=described.version).contains(&entry.version)
        }) else {
            continue;
        };
        let recorded: Vec<&str> = entry
            .layout
            .fields
            .iter()
            .map(|field| field.name.as_str())
            .collect();
        let current: Vec<&str> = described
            .fields
            .iter()
            .filter(|field| present(field, entry.version))
            .map(|field| field.wire_name.as_str())
            .collect();
        if !recorded.is_empty() && recorded == current {
            let (module, old) = split_key(key);
            return Err(Error::custom(format!(
                "`{ident}` is not recorded in {file}, but `{key}` is ({file}:{}), with the same VMSD name `{}` and the same fields: a renamed or moved type is a new key to the lock, and its released layouts would go unchecked; keep the old name `{old}` (in `{module}`)",
                entry.line, described.name
            ))
            .with_span(&ident.span()));
        }
    }
    Ok(())
}

/// The `const` assertion that the type is in the module its key names.
pub fn module_guard(
    krate: &Path,
    key: &str,
    file: &str,
    line: usize,
    ident: &Ident,
) -> TokenStream {
    let module = split_key(key).0;
    let prefix = format!("`{ident}` is recorded in {file}:{line} as `{key}`, but is now in `");
    let advice = format!(
        "`: a moved type is a new key to the lock, and its released layouts would go unchecked; keep `{ident}` in `{module}`, or, to move it, write its new path for `{key}` on every line of {file} that names it"
    );
    let span = crate::expand::at(ident.span());
    quote_spanned! {span=>
        const _: () = {
            const DIFFERENCE: ::core::option::Option<#krate::__private::lock::Message> =
                #krate::__private::lock::moved(::core::module_path!(), #module, #prefix, #advice);
            if let ::core::option::Option::Some(message) = &DIFFERENCE {
                ::core::panic!("{}", message.as_str());
            }
        };
    }
}

/// The module a source file is, as the crate sees it (`crate::uart` for
/// `src/uart.rs`), when the compiler names the file; inline modules are not
/// seen. Only breaks ties between recorded types of one name.
fn source_module(span: Span) -> Option<String> {
    let file = source_file(span)?;
    let Ok(relative) = file.strip_prefix(super::manifest_dir()) else {
        // Outside the package: a crate root given by path (trybuild's).
        return Some("crate".to_owned());
    };
    Some(module_of(&relative.with_extension("")))
}

/// The absolute path of the file the compiler read `span` from, when it
/// names one (not in a proc macro's own tests, nor for generated code).
pub(super) fn source_file(span: Span) -> Option<std::path::PathBuf> {
    if !proc_macro::is_available() {
        return None;
    }
    let file = span.unwrap().local_file()?;
    // rustc names files relative to its working directory, the workspace's.
    if file.is_relative() {
        Some(std::env::current_dir().ok()?.join(file))
    } else {
        Some(file)
    }
}

/// `src/a/mod` is `crate::a`, `src/lib` and `tests/t` are `crate`.
pub(super) fn module_of(relative: &std::path::Path) -> String {
    let mut parts: Vec<String> = relative
        .components()
        .filter_map(|part| match part {
            Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    match parts.first().map(String::as_str) {
        Some("src") => {
            parts.remove(0);
            if parts.first().is_some_and(|first| first == "bin") && parts.len() >= 2 {
                parts.drain(..2);
            }
        }
        Some("tests" | "examples" | "benches") => {
            parts.remove(0);
            if parts.len() == 1 {
                parts.clear();
            }
        }
        _ => {}
    }
    if parts.last().is_some_and(|last| last == "mod")
        || (parts.len() == 1 && matches!(parts[0].as_str(), "lib" | "main"))
    {
        parts.pop();
    }
    std::iter::once("crate".to_owned())
        .chain(parts)
        .collect::<Vec<_>>()
        .join("::")
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::module_of;

    #[test]
    fn source_files_name_their_modules() {
        for (file, module) in [
            ("src/lib", "crate"),
            ("src/main", "crate"),
            ("src/uart", "crate::uart"),
            ("src/virtio/mod", "crate::virtio"),
            ("src/virtio/queue", "crate::virtio::queue"),
            ("src/bin/tool", "crate"),
            ("src/bin/tool/main", "crate"),
            ("tests/lock", "crate"),
            ("tests/support/mod", "crate::support"),
        ] {
            assert_eq!(module_of(&PathBuf::from(file)), module, "{file}");
        }
    }
}
