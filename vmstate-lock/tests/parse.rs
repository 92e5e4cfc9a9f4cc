//! The parser on damaged and arbitrary input: never a panic, and a lock cut
//! short or edited by hand is an error naming the line and advising to
//! restore the file, never a lock read in part.

use proptest::prelude::*;
use vmstate_lock::schema::{Count, FieldSchema, Owned, Part, Schema, WireType};
use vmstate_lock::{Lock, LockErrorKind, record, render_entry};

type Wire = WireType<Owned>;

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
field map view gtree since 1
  part key struct
    vmsd key v1
    field k uint32 4
  part value x2 view option
    part value uint64 8
field name view string
field custom with my::view Vec<&'static%20str> exists
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
    assert_eq!(entry.layout.fields.len(), 10);
    let map = &entry.layout.fields[7];
    assert_eq!(map.since, 1);
    let Wire::View { form, parts } = &map.wire else {
        panic!("{map:?}")
    };
    assert_eq!(form, "gtree");
    assert_eq!(parts.len(), 2);
    assert!(matches!(&parts[0].wire, Wire::Struct(key) if key.version == 1));
    assert_eq!(
        parts[1].wire.to_string(),
        "2 x option (value: uint64, 8 bytes)"
    );
    assert_eq!(
        entry.layout.fields[9].wire,
        Wire::With {
            view: "my::view".to_owned(),
            rust_type: "Vec<&'static str>".to_owned()
        }
    );
    assert!(matches!(
        &entry.layout.fields[2].wire,
        Wire::Struct(layout) if layout.version == 2 && layout.subsections.len() == 1
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
    let text = render_entry(&entry.key, &entry.layout) + "\nend\n";
    let back = Lock::parse(&text).unwrap();
    assert_eq!(back.entries[0].layout, entry.layout);
    let again = render_entry(&entry.key, &back.entries[0].layout);
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
        "[crate::A v1]\nvmsd a\nfield m view gtree\n  part k uint8 1 since 2\nend\n",
        "[crate::A v1]\nvmsd a\nfield m view gtree\n  part\nend\n",
        "[crate::A v1]\nvmsd a\nfield m view gtree\n    part k uint8 1\nend\n",
        "[crate::A v1]\nvmsd a\nfield m with onlypath\nend\n",
        "[crate::A v1]\nvmsd a\npart k uint8 1\nend\n",
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
                    Just("opaque"), Just("view"), Just("part"), Just("with"), Just("end"), Just("v1"), Just("é"), Just("#"), Just("  "),
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
    let layout = |version| Schema::named("dev", version);
    let first = record(&path, "crate::Dev", &[layout(1)], Some(("1.0", 1))).unwrap();
    assert!(first.new_type);
    assert_eq!(first.versions, [1]);
    let again = record(&path, "crate::Dev", &[layout(1), layout(2)], None).unwrap();
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

fn field(name: &str, wire: Wire) -> FieldSchema<Owned> {
    FieldSchema {
        name: name.to_owned(),
        rust_type: String::new(),
        wire,
        count: Count::One,
        since: 0,
        until: None,
        exists: false,
        equal: false,
        info: None,
    }
}

/// The layout `dev` at version 1 with `fields`.
fn dev(fields: Vec<FieldSchema<Owned>>) -> Schema<Owned> {
    Schema {
        fields,
        ..Schema::named("dev", 1)
    }
}

fn tree(value: Wire) -> Wire {
    Wire::View {
        form: "gtree_direct_key".to_owned(),
        parts: vec![
            Part {
                name: "key".to_owned(),
                wire: Wire::Scalar {
                    info: "uint64".to_owned(),
                    size: 8,
                },
            },
            Part {
                name: "value".to_owned(),
                wire: value,
            },
        ],
    }
}

fn uint(size: usize) -> Wire {
    Wire::Scalar {
        info: format!("uint{}", size * 8),
        size,
    }
}

/// An `opaque` word says nothing: it is filled in by any layout, while a
/// difference anywhere else is never papered over.
#[test]
fn opaque_is_filled_in_and_nothing_else_is() {
    let old = dev(vec![field("a", uint(1)), field("map", Wire::Opaque)]);
    let now = dev(vec![field("a", uint(1)), field("map", tree(uint(4)))]);
    assert_eq!(old.fill_opaque(&now), Some(now.clone()));
    assert!(old.has_opaque() && !now.has_opaque());
    // Nothing to fill: the same layout back.
    assert_eq!(now.fill_opaque(&now), Some(now.clone()));
    // A recorded view is no `opaque`: a widened value is a difference.
    let widened = dev(vec![field("a", uint(1)), field("map", tree(uint(8)))]);
    assert_eq!(now.fill_opaque(&widened), None);
    // Nor is a field that changed beside an `opaque` one.
    let retyped = dev(vec![field("a", uint(2)), field("map", tree(uint(4)))]);
    assert_eq!(old.fill_opaque(&retyped), None);
}

/// Recording fills in the `opaque` words of a recorded block in place and
/// leaves every other byte of the file as it was.
#[test]
fn recording_fills_in_opaque_words_only() {
    let dir = std::env::temp_dir().join(format!("vmstate-lock-fill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("vmstate.lock");
    let before = "\
# kept

[crate::Dev v1]
vmsd dev
field a uint8 1
field map opaque

[crate::Other v1]
vmsd other
field map opaque

[release 1.0]
crate::Dev v1

end
";
    std::fs::write(&path, before).unwrap();
    let now = dev(vec![field("a", uint(1)), field("map", tree(uint(4)))]);
    let recorded = record(&path, "crate::Dev", &[now], None).unwrap();
    assert_eq!((recorded.versions, recorded.filled), (vec![], vec![1]));
    let after = std::fs::read_to_string(&path).unwrap();
    let expected = before.replacen(
        "field map opaque\n",
        "field map view gtree_direct_key\n  part key uint64 8\n  part value uint32 4\n",
        1,
    );
    assert_eq!(after, expected);
    std::fs::remove_dir_all(&dir).unwrap();
}
