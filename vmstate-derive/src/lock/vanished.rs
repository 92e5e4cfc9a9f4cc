//! Recorded types that are gone. A derive sees only its own type, but it can
//! read the source file the type is in: every type the lock records in the
//! same module, when that module is this file (the type's own key says so),
//! must still be named there, or its released layouts are no longer checked
//! by anything. One derive per file reports, the same one in every build.

use proc_macro2::Span;
use vmstate_lock::{Lock, split_key};

/// The recorded types of `own_key`'s module that `text` (the module's source
/// file) no longer names, in lock order, when this derive is the one that
/// reports them: the first type of the module, in lock order, that the file
/// still names. A type counts as named when its name is a word of the file
/// or its VMSD name is a string literal there (a `frozen` copy under another
/// name keeps it), so that mentions in comments or macro calls never make a
/// present type look gone.
pub fn vanished<'a>(lock: &'a Lock, own_key: &str, text: &str) -> Vec<&'a str> {
    let module = split_key(own_key).0;
    let (present, gone): (Vec<&str>, Vec<&str>) = lock
        .keys()
        .into_iter()
        .filter(|key| split_key(key).0 == module)
        .partition(|key| named(lock, key, text));
    if present.first() == Some(&own_key) {
        gone
    } else {
        Vec::new()
    }
}

pub(super) fn named(lock: &Lock, key: &str, text: &str) -> bool {
    let vmsd = lock
        .versions_of(key)
        .last()
        .map(|entry| format!("\"{}\"", entry.layout.name));
    has_word(text, split_key(key).1) || vmsd.is_some_and(|vmsd| text.contains(&vmsd))
}

/// Whether `word` occurs in `text` with no identifier character either side.
pub(super) fn has_word(text: &str, word: &str) -> bool {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_';
    !word.is_empty()
        && text.match_indices(word).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + word.len()..].chars().next();
            !before.is_some_and(is_ident) && !after.is_some_and(is_ident)
        })
}

/// The source file of the type at `span` and its text, when it is a file of
/// the package whose module is `module`: rustc names the file, it lies under
/// the crate's directory, and its path makes that module. A crate root given
/// by path (trybuild's), a file included from elsewhere or an inline module
/// is not checked, since the file is then not the module's whole text.
pub fn module_file(span: Span, module: &str) -> Option<ModuleFile> {
    let path = super::key::source_file(span)?;
    let relative = path.strip_prefix(super::manifest_dir()).ok()?;
    if super::key::module_of(&relative.with_extension("")) != module {
        return None;
    }
    let text = std::fs::read_to_string(&path).ok()?;
    Some(ModuleFile {
        shown: relative.display().to_string(),
        path,
        text,
    })
}

/// A module's own source file.
pub struct ModuleFile {
    /// Its absolute path.
    pub path: std::path::PathBuf,
    /// Its path relative to the crate's directory, as messages show it.
    pub shown: String,
    /// Its text.
    pub text: String,
}

#[cfg(test)]
mod tests {
    use vmstate_lock::Lock;

    use super::{has_word, vanished};

    const LOCK: &str = "\
[crate::uart::Uart v1]
vmsd uart
field a uint8 1

[crate::uart::OldUart v1]
vmsd old-uart
field a uint8 1

[crate::uart::Fifo v1]
vmsd uart-fifo
field a uint8 1

[crate::rtc::Rtc v1]
vmsd rtc
field a uint8 1

end
";

    #[test]
    fn words_are_whole() {
        assert!(has_word("struct Uart {", "Uart"));
        assert!(has_word("Uart", "Uart"));
        assert!(!has_word("struct Uart16550 {", "Uart"));
        assert!(!has_word("struct OldUart {", "Uart"));
        assert!(!has_word("my_Uart", "Uart"));
        assert!(!has_word("anything", ""));
    }

    #[test]
    fn the_first_present_type_reports_the_others_gone() {
        let lock = Lock::parse(LOCK).unwrap();
        let file = "struct Uart {}\nstruct Fifo {}\n";
        assert_eq!(
            vanished(&lock, "crate::uart::Uart", file),
            ["crate::uart::OldUart"]
        );
        // Only once per file: the other derive stays quiet.
        assert!(vanished(&lock, "crate::uart::Fifo", file).is_empty());
        // Another module's types are another file's business.
        assert!(!vanished(&lock, "crate::uart::Uart", file).contains(&"crate::rtc::Rtc"));
    }

    #[test]
    fn a_frozen_copy_or_a_mention_keeps_a_type() {
        let lock = Lock::parse(LOCK).unwrap();
        let frozen = "struct Uart {}\nstruct Fifo {}\n#[vmstate(name = \"old-uart\", frozen)]\nstruct OldUartV1 {}\n";
        assert!(vanished(&lock, "crate::uart::Uart", frozen).is_empty());
        let generated = "struct Uart {}\nstruct Fifo {}\ndevice!(OldUart);\n";
        assert!(vanished(&lock, "crate::uart::Uart", generated).is_empty());
    }

    #[test]
    fn when_the_first_type_is_gone_the_next_reports() {
        let lock = Lock::parse(LOCK).unwrap();
        let file = "struct Fifo {}\n";
        assert!(vanished(&lock, "crate::uart::Uart", file).is_empty());
        assert_eq!(
            vanished(&lock, "crate::uart::Fifo", file),
            ["crate::uart::Uart", "crate::uart::OldUart"]
        );
    }
}
