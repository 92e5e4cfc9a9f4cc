//! The runtime's modules import only downward: a module may name modules of
//! its own layer and of the layers below, never one above. The codec core is
//! what a device crate compiles with no default features, so it must also stay
//! free of the JSON crate that only the stream and the checker need.
//!
//! The check reads the source: every `crate::NAME` path (in `use` items, code
//! and doc links alike, since a doc link upward breaks the docs of a build
//! without the upper layer) and every `crate::{...}` group, with the names
//! that `lib.rs` re-exports at the root traced back to their modules.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom first, and the top-level modules of `src/` in each.
/// README.md's layout table states the same.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "codec core",
        &[
            "error",
            "reader",
            "bulk",
            "field",
            "state",
            "subsection",
            "loaded",
            "schema",
            "desc",
            "lock",
            "layout",
            "count_of",
            "pointer",
            "std_fields",
            "writer",
            "with",
            "__private",
        ],
    ),
    ("stream container", &["stream", "container"]),
    ("tooling", &["check", "testing", "release"]),
];

/// Workspace crates below every layer: std-only leaves that `lib.rs` may
/// re-export (`pub use vmstate_lock::Priority;`).
const LEAVES: &[&str] = &["vmstate_lock"];

/// External crates the codec core must not name.
const NOT_IN_CORE: &[&str] = &["serde_json", "indexmap"];

/// The layer index of a top-level module, if the table lists it.
fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, modules)| modules.contains(&module))
}

/// The top-level module a source file belongs to (`stream/reader.rs` is in
/// `stream`); `None` for `lib.rs`, the crate root.
fn module_of(relative: &Path) -> Option<String> {
    let first = relative.components().next()?.as_os_str().to_str()?;
    if first == "lib.rs" {
        return None;
    }
    Some(first.trim_end_matches(".rs").to_owned())
}

/// The root names `lib.rs` re-exports, mapped to the module they come from:
/// `pub use state::{VmState, from_slice};` maps `VmState` to `state`.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for item in lib.split(';') {
        let item = item.trim();
        let Some(rest) = item
            .lines()
            .map(str::trim)
            .filter(|line| !line.starts_with("//") && !line.starts_with("#["))
            .collect::<Vec<_>>()
            .join(" ")
            .strip_prefix("pub use ")
            .map(str::to_owned)
        else {
            continue;
        };
        let Some((module, list)) = rest.split_once("::") else {
            continue;
        };
        let list = list.trim().trim_start_matches('{').trim_end_matches('}');
        for name in list.split(',') {
            let name = name.split(" as ").last().unwrap_or(name).trim();
            if !name.is_empty() {
                names.insert(name.to_owned(), module.trim().to_owned());
            }
        }
    }
    names
}

/// Every first path segment after `crate::` in `source`, with its line number;
/// a `crate::{a, b::c}` group yields `a` and `b`.
fn crate_references(source: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    for (index, line) in source.lines().enumerate() {
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let preceded_by_ident = rest[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
            rest = &rest[at + "crate::".len()..];
            if preceded_by_ident {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for entry in group[..end].split(',') {
                    let name = ident_prefix(entry.trim());
                    if !name.is_empty() {
                        found.push((index + 1, name.to_owned()));
                    }
                }
            } else {
                let name = ident_prefix(rest);
                if !name.is_empty() {
                    found.push((index + 1, name.to_owned()));
                }
            }
        }
    }
    found
}

fn ident_prefix(text: &str) -> &str {
    let end = text
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(text.len());
    &text[..end]
}

/// The violations in one file of module `module`: upward imports, names the
/// table cannot place, and crates the core must not use.
fn violations_in(
    file: &str,
    module: &str,
    source: &str,
    reexports: &BTreeMap<String, String>,
) -> Vec<String> {
    let mut out = Vec::new();
    let Some(own) = layer_of(module) else {
        return vec![format!(
            "{file}: module `{module}` is in no layer: add it to LAYERS in tests/layers.rs and to README's layout table"
        )];
    };
    for (line, name) in crate_references(source) {
        let target = if layer_of(&name).is_some() {
            name.clone()
        } else if let Some(module) = reexports.get(&name) {
            module.clone()
        } else {
            out.push(format!(
                "{file}:{line}: `crate::{name}` is neither a module in LAYERS nor a root re-export of lib.rs"
            ));
            continue;
        };
        if LEAVES.contains(&target.as_str()) {
            continue;
        }
        let Some(theirs) = layer_of(&target) else {
            out.push(format!(
                "{file}:{line}: `crate::{name}` comes from module `{target}`, which is in no layer"
            ));
            continue;
        };
        if theirs > own {
            out.push(format!(
                "{file}:{line}: `{module}` ({}) imports `crate::{name}` from `{target}` ({}), a layer above it",
                LAYERS[own].0, LAYERS[theirs].0
            ));
        }
    }
    if own == 0 {
        for (index, text) in source.lines().enumerate() {
            for krate in NOT_IN_CORE {
                if text.contains(&format!("{krate}::")) || text.contains(&format!("use {krate}")) {
                    out.push(format!(
                        "{file}:{}: the codec core names `{krate}`, which a build without default features lacks",
                        index + 1
                    ));
                }
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn modules_import_only_downward() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = fs::read_to_string(src.join("lib.rs")).expect("src/lib.rs is readable");
    let reexports = root_reexports(&lib);
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    let mut violations = Vec::new();
    let mut checked = 0;
    for path in &files {
        let relative = path.strip_prefix(&src).expect("under src/");
        let Some(module) = module_of(relative) else {
            continue;
        };
        let source = fs::read_to_string(path).expect("a readable source file");
        let file = format!("src/{}", relative.display());
        violations.extend(violations_in(&file, &module, &source, &reexports));
        checked += 1;
    }
    assert!(
        checked > 20,
        "only {checked} source files found under {src:?}"
    );
    assert!(violations.is_empty(), "{}", violations.join("\n"));
}

#[test]
fn every_listed_module_exists() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (_, modules) in LAYERS {
        for module in *modules {
            let file = src.join(format!("{module}.rs"));
            let dir = src.join(module);
            assert!(
                file.is_file() || dir.is_dir(),
                "LAYERS lists `{module}`, which src/ does not have"
            );
        }
    }
}

#[test]
fn an_upward_import_is_reported() {
    let reexports = root_reexports("pub use state::{VmState, from_slice};\npub use error::Error;");
    let core = "use crate::error::Error;\nuse crate::stream::Record;\n/// See [`crate::check`].\n";
    let found = violations_in("src/field.rs", "field", core, &reexports);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].starts_with("src/field.rs:2: `field` (codec core) imports `crate::stream`"));
    assert!(found[1].starts_with("src/field.rs:3:"));

    let grouped = "use crate::{Error, VmState, check::Report};";
    let found = violations_in("src/testing/mod.rs", "testing", grouped, &reexports);
    assert!(found.is_empty(), "{found:?}");
    let found = violations_in("src/stream/mod.rs", "stream", grouped, &reexports);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("from `check` (tooling)"), "{found:?}");
}

#[test]
fn the_core_may_not_name_the_json_crate() {
    let found = violations_in(
        "src/schema.rs",
        "schema",
        "use serde_json::Value;\n",
        &BTreeMap::new(),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("`serde_json`"));
}

#[test]
fn an_unplaced_module_is_reported() {
    let found = violations_in("src/extra.rs", "extra", "", &BTreeMap::new());
    assert_eq!(found.len(), 1);
    assert!(found[0].contains("module `extra` is in no layer"));
}

/// The `[dependencies]` of a workspace member, by name.
fn dependencies_of(member: &str) -> Vec<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(member)
        .join("Cargo.toml");
    let text = fs::read_to_string(&manifest).expect("a member's Cargo.toml");
    let mut in_dependencies = false;
    let mut names = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_dependencies = line == "[dependencies]";
        } else if in_dependencies && !line.is_empty() && !line.starts_with('#') {
            let name = line.split(['=', '.', ' ']).next().unwrap_or_default();
            names.push(name.to_owned());
        }
    }
    names
}

/// The derive stands alone, as `serde_derive` and `thiserror-impl` do: it never
/// builds the runtime for the host, and the runtime and every deriving crate
/// do not wait on each other. What it shares with the runtime (the lock
/// format, the priority names) is in `vmstate-lock`, which depends on
/// nothing.
#[test]
fn the_derive_depends_on_the_syntax_crates_and_the_leaf_only() {
    let mut derive = dependencies_of("vmstate-derive");
    derive.sort();
    assert_eq!(
        derive,
        ["proc-macro2", "quote", "syn", "vmstate-lock"],
        "vmstate-derive/Cargo.toml"
    );
    // syn's `full` grammar (expressions, statements, items) is a third of its
    // build; a derive reads only the item it is given.
    let workspace =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.toml")).unwrap();
    let syn = workspace
        .lines()
        .find(|line| line.starts_with("syn "))
        .expect("the workspace names syn");
    assert!(!syn.contains("full"), "Cargo.toml: {syn}");
    assert_eq!(
        dependencies_of("vmstate-lock"),
        [] as [String; 0],
        "vmstate-lock/Cargo.toml: a std-only leaf"
    );
    assert!(
        dependencies_of("vmstate-runtime").contains(&"vmstate-lock".to_owned()),
        "the runtime re-exports the lock format"
    );
}
