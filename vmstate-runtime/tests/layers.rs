//! The runtime's modules import only downward: a module may name modules of
//! its own layer and of the layers below, never one above, and no modules
//! import each other in a cycle. The codec core is what a device crate
//! compiles with no default features, so it must also stay free of the JSON
//! crate that only reading a stream's vmdesc and the checker need.
//!
//! The check reads the source: every `crate::NAME` path and every
//! `crate::{...}` group, with the names that `lib.rs` re-exports at the root
//! traced back to their modules. Code must respect every layer. A doc link is
//! held only to the feature layers (core, stream container, tooling): a doc
//! link upward across them breaks the docs of a build without the upper one,
//! while one inside the always-built core breaks nothing and says where to
//! look.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// The layers, bottom first: the name, the feature layer it belongs to, and
/// the top-level modules of `src/` in it. README.md's layout table states the
/// same.
const LAYERS: &[(&str, &str, &[&str])] = &[
    (
        "core: primitives",
        CORE,
        &[
            "error", "reader", "writer", "bulk", "schema", "desc", "layout",
        ],
    ),
    (
        "core: traits and std types",
        CORE,
        &[
            "field",
            "state",
            "derived",
            "std_fields",
            "pointer",
            "varray",
            "count_of",
            "subsection",
            "loaded",
        ],
    ),
    ("core: views", CORE, &["with"]),
    ("core: lock", CORE, &["lock"]),
    ("core: derive support", CORE, &["__private"]),
    ("stream container", "stream", &["stream", "container"]),
    ("tooling", "tooling", &["check", "testing", "release"]),
];

/// The feature layer of the codec core, built whatever the features.
const CORE: &str = "core";

/// Workspace crates below every layer: std-only leaves that `lib.rs` may
/// re-export (`pub use vmstate_lock::Priority;`).
const LEAVES: &[&str] = &["vmstate_lock"];

/// External crates the codec core must not name.
const NOT_IN_CORE: &[&str] = &["serde_json", "indexmap"];

/// The layer index of a top-level module, if the table lists it.
fn layer_of(module: &str) -> Option<usize> {
    LAYERS
        .iter()
        .position(|(_, _, modules)| modules.contains(&module))
}

/// The index of the feature layer that layer `layer` belongs to.
fn feature_layer(layer: usize) -> usize {
    let mut groups: Vec<&str> = Vec::new();
    for (_, group, _) in LAYERS {
        if !groups.contains(group) {
            groups.push(group);
        }
    }
    groups
        .iter()
        .position(|group| *group == LAYERS[layer].1)
        .unwrap_or(usize::MAX)
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

/// Every first path segment after `crate::` in `source`, with its line number
/// and whether the line is a comment (a doc link); a `crate::{a, b::c}` group
/// yields `a` and `b`.
fn crate_references(source: &str) -> Vec<(usize, String, bool)> {
    let mut found = Vec::new();
    for (index, line) in source.lines().enumerate() {
        let comment = line.trim_start().starts_with("//");
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
                        found.push((index + 1, name.to_owned(), comment));
                    }
                }
            } else {
                let name = ident_prefix(rest);
                if !name.is_empty() {
                    found.push((index + 1, name.to_owned(), comment));
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
    for (line, name, comment) in crate_references(source) {
        let Some(target) = target_module(&name, reexports) else {
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
        let upward = if comment {
            feature_layer(theirs) > feature_layer(own)
        } else {
            theirs > own
        };
        if upward {
            out.push(format!(
                "{file}:{line}: `{module}` ({}) {} `crate::{name}` from `{target}` ({}), a layer above it",
                LAYERS[own].0,
                if comment { "links to" } else { "imports" },
                LAYERS[theirs].0
            ));
        }
    }
    if LAYERS[own].1 == CORE {
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

/// The module a `crate::NAME` path names: NAME itself, or the module a root
/// re-export of NAME comes from.
fn target_module(name: &str, reexports: &BTreeMap<String, String>) -> Option<String> {
    if layer_of(name).is_some() {
        Some(name.to_owned())
    } else {
        reexports.get(name).cloned()
    }
}

/// The modules each module's code (not its doc links) names.
fn code_imports(
    sources: &[(String, String)],
    reexports: &BTreeMap<String, String>,
) -> BTreeMap<String, BTreeSet<String>> {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, source) in sources {
        let imports = graph.entry(module.clone()).or_default();
        for (_, name, comment) in crate_references(source) {
            if let Some(target) = target_module(&name, reexports)
                && !comment
                && target != *module
            {
                imports.insert(target);
            }
        }
    }
    graph
}

/// A cycle of modules in `graph`, first module repeated at the end, if any.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        module: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|m| m == module) {
            let mut cycle = path[at..].to_vec();
            cycle.push(module.to_owned());
            return Some(cycle);
        }
        if done.contains(module) {
            return None;
        }
        path.push(module.to_owned());
        for next in graph.get(module).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(module.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|module| visit(module, graph, &mut Vec::new(), &mut done))
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
    let mut sources = Vec::new();
    for path in &files {
        let relative = path.strip_prefix(&src).expect("under src/");
        let Some(module) = module_of(relative) else {
            continue;
        };
        let source = fs::read_to_string(path).expect("a readable source file");
        let file = format!("src/{}", relative.display());
        violations.extend(violations_in(&file, &module, &source, &reexports));
        sources.push((module, source));
    }
    assert!(
        sources.len() > 20,
        "only {} source files found under {src:?}",
        sources.len()
    );
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    let graph = code_imports(&sources, &reexports);
    assert!(
        graph.len() > 20 && graph.values().map(BTreeSet::len).sum::<usize>() > 40,
        "the import graph is implausibly small: {graph:?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "modules import each other in a cycle: {}",
            cycle.join(" -> ")
        );
    }
}

/// `__private` is what generated code names, not where code lives: an item
/// defined there would sit outside every layer's rules.
#[test]
fn derive_support_only_reexports() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/__private.rs");
    let source = fs::read_to_string(&path).expect("read __private.rs");
    let defined: Vec<&str> = source
        .lines()
        .map(str::trim_start)
        .filter(|line| {
            [
                "fn ",
                "const fn ",
                "struct ",
                "enum ",
                "trait ",
                "impl",
                "const ",
                "static ",
                "type ",
                "macro_rules!",
            ]
            .iter()
            .any(|item| line.strip_prefix("pub ").unwrap_or(line).starts_with(item))
        })
        .collect();
    assert!(
        defined.is_empty(),
        "__private.rs defines items; move them to the module of their layer and re-export them: {defined:?}"
    );
}

#[test]
fn a_cycle_is_found_and_a_tree_is_not() {
    let graph = |edges: &[(&str, &str)]| {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in edges {
            graph
                .entry((*from).to_owned())
                .or_default()
                .insert((*to).to_owned());
            graph.entry((*to).to_owned()).or_default();
        }
        graph
    };
    let cycle = find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("a", "d")]));
    assert_eq!(cycle.unwrap(), ["a", "b", "c", "a"]);
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("a", "c"), ("b", "c"), ("c", "d")])),
        None
    );
    let reexports = root_reexports("pub use field::VmStateField;");
    let sources = [
        (
            "field".to_owned(),
            "/// See [`crate::state`].\nuse crate::error::Error;".to_owned(),
        ),
        ("state".to_owned(), "use crate::VmStateField;".to_owned()),
    ];
    let imports = code_imports(&sources, &reexports);
    assert_eq!(imports["field"], BTreeSet::from(["error".to_owned()]));
    assert_eq!(imports["state"], BTreeSet::from(["field".to_owned()]));
}

#[test]
fn every_listed_module_exists() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (_, _, modules) in LAYERS {
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
    assert!(found[0].starts_with(
        "src/field.rs:2: `field` (core: traits and std types) imports `crate::stream`"
    ));
    assert!(found[1].starts_with("src/field.rs:3: `field` (core: traits and std types) links to"));

    // Inside the core, code respects the finer layers; doc links need not.
    let inside = "use crate::with::option;\n/// Views are in [`crate::with`].\n";
    let found = violations_in("src/field.rs", "field", inside, &reexports);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("src/field.rs:1: `field` (core: traits and std types) imports `crate::with` from `with` (core: views)"));

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
