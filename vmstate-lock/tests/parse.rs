//! The parser on damaged and arbitrary input: never a panic, and a lock cut
//! short or edited by hand is an error naming the line and advising to
//! restore the file, never a lock read in part.

use proptest::prelude::*;
use vmstate_lock::{Layout, Lock, LockErrorKind, Wire, record, render_entry};

const LOCK: &str = "\
# A lock as recording writes it.

[crate::uart::Uart v1]
vmsd uart
field divisor uint16 2
field regs x2 x3 uint32 4 since 1
field inner struct
  vmsd uart/inner v2
  field a uint8 1
  subsection extra uart/inner/extra v1
field gap unused 4
field view opaque exists
field len uint8 1
field fifo uint8 1 until 3 varray len
subsection sub uart/sub v1 since 1

[release 1.0]
crate::uart::Uart v1

end
";

#[test]
fn a_whole_lock_parses() {
    let lock = Lock::parse(LOCK).unwrap();
    let entry = lock.entry("crate::uart::Uart", 1).unwrap();
    assert_eq!((entry.module(), entry.name()), ("crate::uart", "Uart"));
    assert_eq!(entry.layout.fields.len(), 7);
    assert!(matches!(
        &entry.layout.fields[2].wire,
        Wire::Struct { version: 2, layout } if layout.subsections.len() == 1
    ));
    assert_eq!(
        lock.releases[0].members,
        [("crate::uart::Uart".to_owned(), 1)]
    );
}

#[test]
fn what_is_rendered_parses_back() {
    let lock = Lock::parse(LOCK).unwrap();
    let entry = lock.entry("crate::uart::Uart", 1).unwrap();
    let text = render_entry(&entry.key, 1, &entry.layout) + "\nend\n";
    let back = Lock::parse(&text).unwrap();
    let again = render_entry(&entry.key, 1, &back.entries[0].layout);
    assert_eq!(text, again + "\nend\n");
}

/// Every cut of the file, at a line or inside one, short of its `end`, is an
/// error that advises restoring the file.
#[test]
fn a_lock_cut_anywhere_is_an_error() {
    let end = LOCK.rfind("end").unwrap();
    for cut in (0..end).filter(|&at| LOCK.is_char_boundary(at)) {
        let text = &LOCK[..cut];
        let Err(error) = Lock::parse(text) else {
            panic!("cut at byte {cut} parses:\n{text}")
        };
        let message = error.to_string();
        assert!(
            message.contains("restore the file from version control"),
            "{message}"
        );
        assert!(!message.contains("since ="), "{message}");
    }
}

#[test]
fn a_line_turned_into_a_comment_is_an_error() {
    let damaged = LOCK.replace("field gap unused 4", "# field gap unused 4");
    let error = Lock::parse(&damaged).unwrap_err();
    assert_eq!(error.line, 11, "{error}");
    assert!(
        matches!(error.kind, LockErrorKind::CommentInBlock(_)),
        "{error}"
    );
    assert!(error.to_string().contains("restore the file"), "{error}");
}

#[test]
fn lines_after_the_end_are_an_error() {
    let error = Lock::parse(&format!("{LOCK}field a uint8 1\n")).unwrap_err();
    assert!(matches!(error.kind, LockErrorKind::AfterEnd(_)), "{error}");
}

#[test]
fn a_character_where_a_keyword_ends_is_no_panic() {
    for text in [
        "[crate::A v1]\nvmsdé x\nend\n",
        "[crate::A v1]\nvmsd é\nfieldé a uint8 1\nend\n",
        "[crate::A v1]\nvmsd a\nfield a xé uint8 1\nend\n",
        "[crate::A vé]\nend\n",
        "[é]\nend\n",
        "[release é]\né vé\nend\n",
        "[crate::A v1]\nvmsd a\nfield s struct\n  vmsd é vé\nend\n",
        "[crate::A v+1]\nvmsd a\nend\n",
    ] {
        assert!(Lock::parse(text).is_err(), "{text}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let _ = Lock::parse_bytes(&bytes);
    }

    /// Lines built from the format's own words and a few awkward characters.
    #[test]
    fn arbitrary_lock_like_text_never_panics(
        lines in proptest::collection::vec(
            proptest::collection::vec(
                prop_oneof![
                    Just("[crate::A v1]"), Just("[release 1]"), Just("vmsd"), Just("field"),
                    Just("subsection"), Just("struct"), Just("x2"), Just("uint8"), Just("1"),
                    Just("since"), Just("until"), Just("exists"), Just("varray"), Just("unused"),
                    Just("opaque"), Just("end"), Just("v1"), Just("é"), Just("#"), Just("  "),
                    Just("["), Just("]"), Just("%20"), Just("\t"),
                ],
                0..6,
            ),
            0..12,
        )
    ) {
        let text: String = lines.iter().map(|words| words.join(" ") + "\n").collect();
        let _ = Lock::parse(&text);
        // A valid lock with the lines spliced in never panics either.
        let _ = Lock::parse(&LOCK.replacen("field len uint8 1\n", &text, 1));
    }

    #[test]
    fn any_string_never_panics(text in "\\PC{0,200}") {
        let _ = Lock::parse(&text);
    }
}

/// Recording writes a whole new file (no temporary left behind), ends it
/// with `end`, and lists a new type as new.
#[test]
fn recording_replaces_the_file_whole() {
    let dir = std::env::temp_dir().join(format!("vmstate-lock-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("vmstate.lock");
    let layout = Layout {
        vmsd: "dev".to_owned(),
        fields: Vec::new(),
        subsections: Vec::new(),
    };
    let first = record(
        &path,
        "crate::Dev",
        &[(1, layout.clone())],
        Some(("1.0", 1)),
    )
    .unwrap();
    assert!(first.new_type);
    assert_eq!(first.versions, [1]);
    let again = record(
        &path,
        "crate::Dev",
        &[(1, layout.clone()), (2, layout)],
        None,
    )
    .unwrap();
    assert!(!again.new_type);
    assert_eq!(again.versions, [2]);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.ends_with("\nend\n"), "{text}");
    assert_eq!(
        Lock::parse(&text).unwrap().versions_of("crate::Dev").len(),
        2
    );
    let left: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(left.len(), 1, "{left:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}
