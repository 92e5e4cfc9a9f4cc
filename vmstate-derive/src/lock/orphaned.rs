//! Recorded types whose module no derive reads any more: a deleted file, a
//! file with no locked type left, a removed inline module. The per-file check
//! (`vanished`) needs a derive in the module; this one is made by a single
//! derive of the crate, the first recorded type (in lock order) that its
//! module's file still names, which finds every other recorded module from
//! the crate's source tree the way rustc does (`a::b` is `a/b.rs` or
//! `a/b/mod.rs` beside the crate root, or an inline `mod b { .. }` in its
//! parent's file).

use std::path::{Path, PathBuf};

use vmstate_lock::{Lock, split_key};

use super::vanished::{has_word, named};

/// The crate's source tree, as far as one derive's own file shows it.
pub struct Tree {
    /// The directory of the crate root, which holds the top modules' files.
    base: PathBuf,
    /// The crate root's file, when it can be told (`src/lib.rs`).
    root: Option<PathBuf>,
}

impl Tree {
    /// The tree around `file` (absolute), whose module is `module`: for
    /// `src/virtio/queue.rs`, `crate::virtio::queue`, the base is `src`.
    pub fn around(file: &Path, module: &str) -> Option<Self> {
        let depth = module.split("::").count() - 1;
        let is_mod_rs = file.file_stem().is_some_and(|stem| stem == "mod");
        if depth == 0 {
            return Some(Self {
                base: file.parent()?.to_path_buf(),
                root: Some(file.to_path_buf()),
            });
        }
        // `a/b.rs` is one level below its base per segment but the last;
        // `a/b/mod.rs` one more.
        let mut base = file.parent()?;
        for _ in 0..depth - usize::from(!is_mod_rs) {
            base = base.parent()?;
        }
        let root = ["lib.rs", "main.rs"]
            .iter()
            .map(|name| base.join(name))
            .find(|path| path.is_file());
        Some(Self {
            base: base.to_path_buf(),
            root,
        })
    }

    /// Where `module`'s items are written, as rustc would find them.
    fn resolve(&self, module: &str) -> Place {
        let mut segments = module.split("::");
        if segments.next() != Some("crate") {
            return Place::Unknown;
        }
        let Some(root) = &self.root else {
            return Place::Unknown;
        };
        let Ok(text) = std::fs::read_to_string(root) else {
            return Place::Unknown;
        };
        let mut place = Place::File {
            path: root.clone(),
            text,
        };
        let mut dir = self.base.clone();
        for segment in segments {
            place = match place {
                Place::File { text, path } | Place::Inline { text, path } => {
                    let candidates = [
                        dir.join(format!("{segment}.rs")),
                        dir.join(segment).join("mod.rs"),
                    ];
                    dir.push(segment);
                    if let Some((path, text)) = candidates.iter().find_map(|path| {
                        std::fs::read_to_string(path)
                            .ok()
                            .map(|text| (path.clone(), text))
                    }) {
                        Place::File { path, text }
                    } else {
                        match declaration(&text, segment) {
                            Some('{') => Place::Inline { path, text },
                            // `mod b;` whose file is elsewhere (`#[path]`).
                            Some(_) => Place::Unknown,
                            None => Place::Missing {
                                parent: path,
                                tried: candidates.to_vec(),
                            },
                        }
                    }
                }
                gone @ (Place::Missing { .. } | Place::Unknown) => return gone,
            };
        }
        place
    }

    /// Whether any Rust file of the crate's tree holds `needle`.
    fn any_file_contains(&self, needle: &str) -> bool {
        let mut dirs = vec![self.base.clone()];
        while let Some(dir) = dirs.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                // Not through symbolic links: a link to a parent would loop.
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                if kind.is_dir() {
                    dirs.push(path);
                } else if kind.is_file()
                    && path.extension().is_some_and(|ext| ext == "rs")
                    && std::fs::read_to_string(&path).is_ok_and(|text| text.contains(needle))
                {
                    return true;
                }
            }
        }
        false
    }
}

/// Where a module's items are written.
enum Place {
    /// A file of its own.
    File { path: PathBuf, text: String },
    /// An inline `mod name { .. }` in this file.
    Inline { path: PathBuf, text: String },
    /// Nowhere: no file, and `parent` does not declare it.
    Missing {
        parent: PathBuf,
        tried: Vec<PathBuf>,
    },
    /// Somewhere this check cannot follow (`#[path]`, a root it cannot tell).
    Unknown,
}

/// What becomes of a recorded type.
enum Status {
    /// Its module's own file names it: a derive there checks that module.
    InFile,
    /// Named where its module is written, or where this check cannot see.
    Kept,
    /// Gone, and why.
    Gone(String),
}

/// A recorded type no derive checks any more, and why.
pub struct Orphan<'a> {
    /// The type's key.
    pub key: &'a str,
    /// Where its module's text should be and is not, or what no longer names it.
    pub why: String,
}

/// The recorded types that are gone from modules no derive of theirs reads,
/// when `own_key` is the one derive of the crate to report them: the first
/// recorded type, in lock order, that its module's own file names. Types
/// gone from a file where another recorded type is still named are that
/// file's report (`vanished`), not this one's. A type whose VMSD name is
/// still a string literal in some file of the crate is kept: a `frozen`
/// copy of it may live in any module.
pub fn orphaned<'a>(lock: &'a Lock, own_key: &str, tree: &Tree) -> Vec<Orphan<'a>> {
    let keys = lock.keys();
    let mut statuses = Vec::with_capacity(keys.len());
    let mut reporter = None;
    for key in keys {
        let status = status(lock, key, tree);
        if reporter.is_none() && matches!(status, Status::InFile) {
            if key != own_key {
                return Vec::new();
            }
            reporter = Some(key);
        }
        statuses.push((key, status));
    }
    if reporter.is_none() {
        return Vec::new();
    }
    // Modules whose own file a derive reads: `vanished` reports those.
    let filed: Vec<&str> = statuses
        .iter()
        .filter(|(_, status)| matches!(status, Status::InFile))
        .map(|(key, _)| split_key(key).0)
        .collect();
    statuses
        .into_iter()
        .filter_map(|(key, status)| match status {
            Status::Gone(why) if !filed.contains(&split_key(key).0) => Some(Orphan { key, why }),
            _ => None,
        })
        .filter(|orphan| {
            let vmsd = lock
                .versions_of(orphan.key)
                .last()
                .map(|entry| format!("\"{}\"", entry.layout.name));
            !vmsd.is_some_and(|vmsd| tree.any_file_contains(&vmsd))
        })
        .collect()
}

fn status(lock: &Lock, key: &str, tree: &Tree) -> Status {
    let (module, _) = split_key(key);
    match tree.resolve(module) {
        Place::File { path, text } => {
            if named(lock, key, &text) {
                Status::InFile
            } else {
                Status::Gone(format!("{} no longer declares it", shown(tree, &path)))
            }
        }
        Place::Inline { path, text } => {
            if named(lock, key, &text) {
                Status::Kept
            } else {
                Status::Gone(format!("{} no longer declares it", shown(tree, &path)))
            }
        }
        Place::Missing { parent, tried } => Status::Gone(format!(
            "its module `{module}` is gone: no {} and no `mod` of it in {}",
            tried
                .iter()
                .map(|path| shown(tree, path))
                .collect::<Vec<_>>()
                .join(" or "),
            shown(tree, &parent)
        )),
        Place::Unknown => Status::Kept,
    }
}

/// A path as messages show it: relative to the crate's directory.
fn shown(tree: &Tree, path: &Path) -> String {
    let manifest = super::manifest_dir();
    path.strip_prefix(&manifest)
        .or_else(|_| path.strip_prefix(tree.base.parent().unwrap_or(&tree.base)))
        .unwrap_or(path)
        .display()
        .to_string()
}

/// What follows `mod name` in `text`, `{` or `;`, when the text declares a
/// module of that name.
fn declaration(text: &str, name: &str) -> Option<char> {
    let mut rest = text;
    while let Some(at) = rest.find("mod") {
        let after = &rest[at + 3..];
        let before_ok = !rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let spaced = after.trim_start();
        if before_ok
            && spaced.len() < after.len()
            && spaced.starts_with(name)
            && has_word(&spaced[..name.len()], name)
        {
            let tail = spaced[name.len()..].trim_start();
            if let Some(c) = tail.chars().next().filter(|c| matches!(c, '{' | ';')) {
                return Some(c);
            }
        }
        rest = after;
    }
    None
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use vmstate_lock::Lock;

    use super::{Tree, declaration, orphaned};

    const LOCK: &str = "\
[crate::uart::Uart v1]
vmsd uart
field a uint8 1

[crate::pit::Pit v1]
vmsd pit
field a uint8 1

[crate::rtc::Rtc v1]
vmsd rtc
field a uint8 1

[crate::inner::Hidden v1]
vmsd hidden
field a uint8 1

end
";

    /// A scratch crate tree holding `files`.
    fn tree(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("vmstate-orphaned-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    fn keys(found: &[super::Orphan<'_>]) -> Vec<String> {
        found.iter().map(|orphan| orphan.key.to_owned()).collect()
    }

    #[test]
    fn declarations_are_found() {
        assert_eq!(declaration("pub mod uart;", "uart"), Some(';'));
        assert_eq!(declaration("mod inner {\n", "inner"), Some('{'));
        assert_eq!(declaration("pub(crate) mod  inner{", "inner"), Some('{'));
        assert_eq!(declaration("mod uart16550;", "uart"), None);
        assert_eq!(declaration("model uart;", "uart"), None);
        assert_eq!(declaration("mod other; // uart", "uart"), None);
    }

    #[test]
    fn a_deleted_file_and_a_file_without_types_are_reported_once() {
        let dir = tree(
            "deleted",
            &[
                (
                    "src/lib.rs",
                    "mod uart;\nmod rtc;\nmod inner { struct Hidden; }\n",
                ),
                ("src/uart.rs", "struct Uart;"),
                ("src/rtc.rs", "// nothing locked left\n"),
            ],
        );
        let lock = Lock::parse(LOCK).unwrap();
        let own = Tree::around(&dir.join("src/uart.rs"), "crate::uart").unwrap();
        let found = orphaned(&lock, "crate::uart::Uart", &own);
        assert_eq!(keys(&found), ["crate::pit::Pit", "crate::rtc::Rtc"]);
        assert!(
            found[0].why.contains("src/pit.rs or src/pit/mod.rs"),
            "{}",
            found[0].why
        );
        assert!(
            found[1].why.contains("src/rtc.rs no longer declares it"),
            "{}",
            found[1].why
        );
        // Another derive, even of a type named in its file, stays quiet.
        let hidden = Tree::around(&dir.join("src/lib.rs"), "crate").unwrap();
        assert!(orphaned(&lock, "crate::inner::Hidden", &hidden).is_empty());
    }

    #[test]
    fn inline_modules_frozen_copies_and_unknown_places_are_kept() {
        let dir = tree(
            "kept",
            &[
                (
                    "src/lib.rs",
                    "mod uart;\n#[path = \"clock.rs\"] mod rtc;\nmod inner { struct Hidden; }\nmod releases;\n",
                ),
                ("src/uart.rs", "struct Uart;"),
                ("src/clock.rs", "struct Rtc;"),
                (
                    "src/releases/mod.rs",
                    "#[vmstate(name = \"pit\", frozen)] struct PitV1;",
                ),
            ],
        );
        let lock = Lock::parse(LOCK).unwrap();
        let own = Tree::around(&dir.join("src/uart.rs"), "crate::uart").unwrap();
        assert!(keys(&orphaned(&lock, "crate::uart::Uart", &own)).is_empty());
    }

    #[test]
    fn a_removed_inline_module_is_reported() {
        let dir = tree(
            "inline",
            &[
                ("src/lib.rs", "mod uart;\n"),
                ("src/uart/mod.rs", "struct Uart;"),
            ],
        );
        let lock = Lock::parse(LOCK).unwrap();
        let own = Tree::around(&dir.join("src/uart/mod.rs"), "crate::uart").unwrap();
        let found = orphaned(&lock, "crate::uart::Uart", &own);
        assert_eq!(
            keys(&found),
            ["crate::pit::Pit", "crate::rtc::Rtc", "crate::inner::Hidden"]
        );
        assert!(
            found[2].why.contains("no `mod` of it in src/lib.rs"),
            "{}",
            found[2].why
        );
    }
}
