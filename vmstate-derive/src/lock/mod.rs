//! The layout lock, read side: the build checks the type against every
//! version that `vmstate.lock` records and never writes the file (recording
//! is a test the derive emits, run under `VMSTATE_LOCK=record cargo test`).
//!
//! Names and positions are compared here, where the macro can give advice
//! that fits the mistake (`structure`); wire types are compared by the
//! compiler, in `const` assertions over the type's `SCHEMA` (`emit`), so what
//! counts is the layout the compiler resolved, not the spelling.

mod emit;
mod structure;

use std::path::{Path, PathBuf};

use darling::Error;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use vmstate_runtime::lock::Lock;

use crate::ast::Container;
use crate::model::{Model, StructModel};

/// The lock file at a crate's root.
const DEFAULT_FILE: &str = "vmstate.lock";

/// What the checks need to know about the lock and the type.
pub struct Context<'a> {
    /// The lock file's name, as messages show it.
    pub file: String,
    /// The Rust type's name: the lock's key.
    pub key: String,
    pub described: &'a StructModel<'a>,
    /// The newest version the lock records for the type.
    pub newest: u32,
    pub frozen: bool,
    pub struct_span: Span,
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
    let key = ident.to_string();
    let frozen = container.frozen.is_present();
    let span = container
        .lock
        .as_ref()
        .map_or_else(|| ident.span(), darling::util::SpannedValue::span);
    let mut tokens = TokenStream::new();
    if !frozen {
        tokens.extend(record_test(krate, ident, &path));
    }
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(tokens),
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
    let file = file_label(&path);
    let lock = Lock::parse_bytes(&bytes).map_err(|e| {
        Error::custom(format!(
            "{file}, {e}; the build reads the lock and never repairs it"
        ))
        .with_span(&span)
    })?;
    let entries = lock.versions_of(&key);
    let Some(newest) = entries.last().map(|entry| entry.version) else {
        return Ok(tokens);
    };
    let cx = Context {
        file,
        key,
        described,
        newest,
        frozen,
        struct_span: ident.span(),
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
/// `VMSTATE_LOCK=record cargo test`; it does nothing otherwise.
fn record_test(krate: &syn::Path, ident: &syn::Ident, path: &Path) -> TokenStream {
    let name = format_ident!("__vmstate_lock_record_{}", ident);
    let path = path.display().to_string();
    let key = ident.to_string();
    quote! {
        #[cfg(test)]
        #[::core::prelude::v1::test]
        #[doc(hidden)]
        #[allow(non_snake_case, unnameable_test_items)]
        fn #name() {
            #krate::__private::lock::record_in_test(
                #path,
                #key,
                &<#ident as #krate::VmState>::SCHEMA,
            );
        }
    }
}

/// The lock that applies: `lock = "path"` relative to the file holding the
/// derive, else `vmstate.lock` at the crate root for the package's library
/// and main binary. Tests, examples and benches are separate crates whose
/// types are not released, so they are only locked when they ask.
fn lock_path(container: &Container) -> Option<PathBuf> {
    let manifest_dir =
        std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from("."), PathBuf::from);
    if let Some(lock) = &container.lock {
        let source = proc_macro::is_available()
            .then(|| lock.span().unwrap().local_file())
            .flatten();
        let base = source
            .and_then(|file| file.parent().map(Path::to_path_buf))
            .map_or(manifest_dir, |dir| {
                if dir.is_absolute() {
                    dir
                } else {
                    // Relative source paths are relative to the package.
                    std::env::var_os("CARGO_MANIFEST_DIR")
                        .map_or_else(|| dir.clone(), |root| PathBuf::from(root).join(&dir))
                }
            });
        return Some(base.join(lock.as_str()));
    }
    let crate_name = std::env::var("CARGO_CRATE_NAME").ok()?;
    let package = std::env::var("CARGO_PKG_NAME").ok()?.replace('-', "_");
    (crate_name == package).then(|| manifest_dir.join(DEFAULT_FILE))
}

/// The lock file's name, as messages show it.
fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    )
}
