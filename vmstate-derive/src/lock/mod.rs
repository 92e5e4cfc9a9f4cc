//! The layout lock, read side: the build checks the type against every
//! version that `vmstate.lock` records and never writes the file (recording
//! is a test the derive emits, run under `VMSTATE_LOCK=record cargo test`).
//!
//! Names and positions are compared here, where the macro can give advice
//! that fits the mistake (`structure`); wire types are compared by the
//! compiler, in `const` assertions over the type's `SCHEMA` (`emit`), so what
//! counts is the layout the compiler resolved, not the spelling.

mod emit;
mod key;
mod orphaned;
mod structure;
mod vanished;

use std::path::{Path, PathBuf};

use crate::diag::Error;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use vmstate_lock::Lock;

use crate::ast::Container;
use crate::model::{Model, StructModel};

/// The lock file at a crate's root.
const DEFAULT_FILE: &str = "vmstate.lock";

/// What the checks need to know about the lock and the type.
pub struct Context<'a> {
    /// The lock file's name, as messages show it.
    pub file: String,
    /// The type's key in the lock: `crate::module::Name`.
    pub key: String,
    pub described: &'a StructModel<'a>,
    /// The newest version the lock records for the type.
    pub newest: u32,
    pub frozen: bool,
    pub struct_span: Span,
    /// What to say when the type, inlined in another recorded type, changed
    /// its layout: no version of its own can make that change.
    pub inlined_note: Option<String>,
}

impl Context<'_> {
    /// The version a change must go to: the current one when it is already
    /// past every recorded version, else the one after the newest recorded.
    pub fn next(&self) -> u32 {
        self.described.version.max(self.newest + 1)
    }

    /// " and bump `version` to N" when the current version is recorded.
    pub fn and_bump(&self) -> String {
        if self.described.version <= self.newest {
            format!(" and bump `version` to {}", self.next())
        } else {
            String::new()
        }
    }
}

/// Whether this build runs under `VMSTATE_LOCK=record`, which may create a
/// configured lock that does not exist yet.
fn recording() -> bool {
    std::env::var("VMSTATE_LOCK").is_ok_and(|v| v == "record")
}

/// Checks the type against the lock. Returns the tokens to add to the
/// expansion: `const` assertions, the recording test, warnings, and a
/// dependency on the file so that editing it rebuilds.
pub fn apply(
    container: &Container,
    model: &Model<'_>,
    described: &StructModel<'_>,
) -> Result<TokenStream, Error> {
    // A free `const` or test cannot name a generic type's parameters.
    if model.generics.params.iter().next().is_some() {
        return Ok(TokenStream::new());
    }
    let Some(path) = lock_path(container) else {
        return Ok(TokenStream::new());
    };
    let ident = &container.ident;
    let krate = &model.krate;
    let frozen = container.frozen.is_present();
    let span = container
        .lock
        .as_ref()
        .map_or_else(|| ident.span(), crate::ast::Spanned::span);
    let file = file_label(&path);
    let mut tokens = TokenStream::new();
    if !frozen {
        tokens.extend(record_test(krate, ident, &path));
    }
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        // The crate root's lock is optional: without it nothing is locked.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && container.lock.is_none() => {
            return Ok(tokens);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && recording() => {
            return Ok(tokens);
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::custom(format!(
                "the lock {} does not exist: a configured lock is never skipped; create it with `VMSTATE_LOCK=record cargo test`, or correct the path (relative to the crate's directory, the one holding its Cargo.toml)",
                path.display()
            ))
            .with_span(&span));
        }
        Err(e) => {
            return Err(
                Error::custom(format!("cannot read {}: {e}", path.display())).with_span(&span),
            );
        }
    };
    let shown = path.display().to_string();
    tokens.extend(quote! {
        // Rebuild when the lock changes.
        const _: &[u8] = ::core::include_bytes!(#shown);
    });
    let lock = Lock::parse_bytes(&bytes).map_err(|e| {
        Error::custom(format!(
            "{file}, {e}; the build reads the lock and never repairs it"
        ))
        .with_span(&span)
    })?;
    let selected = key::select(&lock, ident, described, frozen, &file)?;
    let Some(key) = selected else {
        // Not recorded yet: nothing to check against.
        if !frozen {
            let note = format!(
                "`{ident}` is not recorded in {file}, so its layout is not checked: record it with `VMSTATE_LOCK=record cargo test` before releasing"
            );
            tokens.extend(warn(&note, ident.span()));
        }
        return Ok(tokens);
    };
    let entries = lock.versions_of(&key);
    let newest = entries.last().map_or(0, |entry| entry.version);
    if !frozen {
        tokens.extend(key::module_guard(
            krate,
            &key,
            &file,
            entries[0].line,
            ident,
        ));
    }
    if !frozen {
        tokens.extend(report_vanished(&lock, &key, &file, ident));
    }
    let inlined_note = structure::inlined_note(&lock, &key, &described.name, ident);
    let cx = Context {
        file,
        key,
        described,
        newest,
        frozen,
        struct_span: ident.span(),
        inlined_note,
    };
    let checked = structure::check(&cx, &entries)?;
    tokens.extend(emit::const_checks(krate, ident, &cx, &checked));
    for warning in &checked.warnings {
        tokens.extend(warn(&warning.0, warning.1));
    }
    if !frozen && newest < described.version {
        let note = format!(
            "version {} of `{}` is not recorded in {}: record it with `VMSTATE_LOCK=record cargo test` before releasing",
            described.version, cx.key, cx.file
        );
        tokens.extend(warn(&note, ident.span()));
    }
    Ok(tokens)
}

/// The warnings for recorded types that no derive checks any more: those of
/// this type's module that its source file no longer declares, and, from the
/// one derive of the crate that reports them, those of modules that are gone
/// or have no recorded type left.
fn report_vanished(lock: &Lock, key: &str, file: &str, ident: &syn::Ident) -> TokenStream {
    let module = vmstate_lock::split_key(key).0;
    let Some(source) = vanished::module_file(ident.span(), module) else {
        return TokenStream::new();
    };
    let mut tokens = TokenStream::new();
    for gone in vanished::vanished(lock, key, &source.text) {
        let why = format!("no longer declared in {}, its module", source.shown);
        let keep = format!("in {}", source.shown);
        tokens.extend(warn(
            &gone_note(lock, gone, file, &why, &keep),
            ident.span(),
        ));
    }
    if let Some(tree) = orphaned::Tree::around(&source.path, module) {
        for orphan in orphaned::orphaned(lock, key, &tree) {
            let why = format!("no derive checks it any more ({})", orphan.why);
            let note = gone_note(lock, orphan.key, file, &why, "in any module of the crate");
            tokens.extend(warn(&note, ident.span()));
        }
    }
    tokens
}

/// The warning for the recorded type `gone`, which `why` says is gone, and
/// where a frozen copy would keep it checked.
fn gone_note(lock: &Lock, gone: &str, file: &str, why: &str, keep: &str) -> String {
    let entries = lock.versions_of(gone);
    let line = entries.first().map_or(0, |entry| entry.line);
    let vmsd = entries
        .last()
        .map_or("", |entry| entry.layout.name.as_str());
    format!(
        "`{gone}` is recorded in {file}:{line} and {why}: streams of its released versions would go unchecked; keep the type, or a `#[vmstate(frozen)]` copy of its last release (VMSD name `{vmsd}`), {keep}; if removing it is intended, delete its `[{gone} vN]` blocks (and its `[release ...]` lines) from {file}"
    )
}

/// A warning at `span`: a deprecated item is the one warning a derive can
/// raise on stable.
fn warn(note: &str, span: Span) -> TokenStream {
    let warning = format_ident!("VMSTATE_LOCK", span = span);
    quote! {
        const _: () = {
            #[deprecated(note = #note)]
            #[allow(non_upper_case_globals)]
            const #warning: () = ();
            #warning
        };
    }
}

/// The test that records the type's missing versions under
/// `VMSTATE_LOCK=record cargo test`, keyed by where the compiler says the
/// type is; it does nothing otherwise.
fn record_test(krate: &syn::Path, ident: &syn::Ident, path: &Path) -> TokenStream {
    let name = format_ident!("__vmstate_lock_record_{}", ident);
    let path = path.display().to_string();
    let type_name = ident.to_string();
    quote! {
        #[cfg(test)]
        #[::core::prelude::v1::test]
        #[doc(hidden)]
        #[allow(non_snake_case, unnameable_test_items)]
        fn #name() {
            #krate::__private::lock::record_in_test(
                #path,
                ::core::module_path!(),
                #type_name,
                &<#ident as #krate::VmState>::SCHEMA,
            );
        }
    }
}

/// The lock that applies: `lock = "path"` relative to the deriving crate's
/// directory, else `vmstate.lock` there for the package's library and main
/// binary. Tests, examples and benches are separate crates whose types are
/// not released, so they are only locked when they ask.
fn lock_path(container: &Container) -> Option<PathBuf> {
    let manifest_dir = manifest_dir();
    if let Some(lock) = &container.lock {
        return Some(manifest_dir.join(lock.as_str()));
    }
    let crate_name = std::env::var("CARGO_CRATE_NAME").ok()?;
    let package = std::env::var("CARGO_PKG_NAME").ok()?.replace('-', "_");
    (crate_name == package).then(|| manifest_dir.join(DEFAULT_FILE))
}

/// The directory of the deriving crate's `Cargo.toml`: the same in every
/// workspace layout, unlike rustc's working directory or source paths.
fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from)
}

/// The lock file's name, as messages show it.
fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}
