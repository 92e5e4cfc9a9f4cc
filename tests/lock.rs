//! The layout lock's file side: what recording writes parses back, recording
//! refuses a lock it cannot read and only appends, several recorders at once
//! lose nothing, and an old release's struct kept for ping-pong tests is
//! checked against the lock without fighting it.

use std::path::PathBuf;
use std::sync::Arc;

use vmstate::VmState;
use vmstate::lock::{Lock, LockErrorKind, RecordError, record, render_entry};
use vmstate::schema::{Owned, WireType};

/// Release 2 of a device, checked against tests/data/lock/uart.lock.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(
    name = "lock-uart",
    version = 2,
    minimum_version = 1,
    lock = "tests/data/lock/uart.lock"
)]
struct Uart {
    divisor: u16,
    lcr: u8,
    #[vmstate(since = 2)]
    fifo: [u8; 4],
}

/// Release 1 kept beside it under the same name, as the README's workflow
/// does: `frozen` checks it against the lock's version 1 and lets it be
/// behind the lock's newest version.
mod release1 {
    use vmstate::VmState;

    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(
        name = "lock-uart",
        version = 1,
        frozen,
        lock = "tests/data/lock/uart.lock"
    )]
    pub struct Uart {
        pub divisor: u16,
        pub lcr: u8,
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "lock-inner", version = 2, minimum_version = 1)]
struct Inner {
    a: u16,
    #[vmstate(until = 2)]
    gone: u8,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "lock-outer/sub", version = 1)]
struct Sub {
    x: u32,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "lock-outer", version = 3, minimum_version = 1)]
struct Outer {
    head: u8,
    regs: [[u32; 2]; 3],
    #[vmstate(since = 2)]
    inner: [Inner; 2],
    #[vmstate(until = 3)]
    old: i64,
    #[subsection(needed = Outer::sub_needed, since = 2)]
    sub: Sub,
}

impl Outer {
    fn sub_needed(&self) -> bool {
        self.sub.x != 0
    }
}

fn temp_lock(name: &str) -> PathBuf {
    let path =
        std::env::temp_dir().join(format!("vmstate-lock-{}-{name}.lock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

#[test]
fn an_old_release_kept_for_tests_ping_pongs_with_the_current_one() {
    let old = release1::Uart {
        divisor: 12,
        lcr: 3,
    };
    vmstate::testing::verify_ping_pong::<release1::Uart, Uart>(&old).unwrap();
}

#[test]
fn what_recording_writes_parses_back_as_the_schema() {
    let text: String = (1..=3)
        .map(|v| render_entry("Outer", &Outer::SCHEMA, v) + "\n")
        .chain(["end\n".to_owned()])
        .collect();
    let lock = Lock::parse(&text).unwrap();
    // One model: the lock gives back exactly what recording was given.
    for v in 1..=3 {
        assert_eq!(
            lock.entry("Outer", v).unwrap().layout,
            Outer::SCHEMA.recorded_at(v)
        );
    }
    let v1 = lock.entry("Outer", 1).unwrap();
    let names: Vec<&str> = v1.layout.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["head", "regs", "old"]);
    assert!(v1.layout.subsections.is_empty());
    let v3 = lock.entry("Outer", 3).unwrap();
    let names: Vec<&str> = v3.layout.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["head", "regs", "inner"]);
    assert_eq!(v3.layout.subsections[0].schema.name, "lock-outer/sub");
    let WireType::<Owned>::Array { element, len: 3 } = &v3.layout.fields[1].wire else {
        panic!("{:?}", v3.layout.fields[1].wire)
    };
    assert!(matches!(&**element, WireType::Array { len: 2, .. }));
    // The inlined struct at its current version: without `gone`.
    let WireType::<Owned>::Array { element, len: 2 } = &v3.layout.fields[2].wire else {
        panic!("{:?}", v3.layout.fields[2].wire)
    };
    let WireType::Struct(layout) = &**element else {
        panic!("{element:?}")
    };
    assert_eq!(layout.version, 2);
    assert_eq!(layout.fields.len(), 1);
    assert_eq!(layout.fields[0].since, 0);
}

#[test]
fn an_unreadable_lock_is_refused_and_left_untouched() {
    for (name, bytes, line) in [
        (
            "not-utf8",
            &b"[Uart v1]\nvmsd lock-uart\n# caf\xe9\n"[..],
            3,
        ),
        (
            "unknown-line",
            &b"[Uart v1]\nvmsd lock-uart\nchecksum 12\n"[..],
            3,
        ),
        ("outside", &b"field a uint8 1\n"[..], 1),
    ] {
        let path = temp_lock(name);
        std::fs::write(&path, bytes).unwrap();
        let error = record(&path, "Uart", &Uart::SCHEMA, None).unwrap_err();
        let RecordError::Unreadable { source, .. } = &error else {
            panic!("{error}")
        };
        assert_eq!(source.line, line, "{name}: {error}");
        assert!(
            error.to_string().contains(&format!("line {line}")),
            "{error}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{name}");
        std::fs::remove_file(&path).unwrap();
    }
    let error = Lock::parse_bytes(b"[Uart v1]\nvmsd a\n[Uart v1]\nvmsd a\n").unwrap_err();
    assert!(
        matches!(error.kind, LockErrorKind::Duplicate { first: 1, .. }),
        "{error}"
    );
}

#[test]
fn recording_appends_only_what_is_missing() {
    let path = temp_lock("append");
    let kept = "# ours\n\n[Uart v1]\nvmsd lock-uart\nfield divisor uint16 2\nfield lcr uint8 1\n";
    std::fs::write(&path, format!("{kept}\nend\n")).unwrap();
    assert_eq!(
        record(&path, "Uart", &Uart::SCHEMA, Some("2.0")).unwrap(),
        [2]
    );
    assert_eq!(
        record(&path, "Uart", &Uart::SCHEMA, Some("2.0")).unwrap(),
        [] as [u32; 0]
    );
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.starts_with(kept), "{text}");
    assert!(text.ends_with("\nend\n"), "{text}");
    let lock = Lock::parse(&text).unwrap();
    assert_eq!(lock.versions_of("Uart").len(), 2);
    assert_eq!(lock.releases.len(), 1);
    let release = vmstate::release::Release::from_lock(&text, "2.0").unwrap();
    assert_eq!(release.version_of("lock-uart"), Some(2));
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn recorders_at_once_lose_nothing() {
    let path = Arc::new(temp_lock("concurrent"));
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let path = Arc::clone(&path);
            std::thread::spawn(move || {
                // Half record the same type, half each their own.
                let key = if i % 2 == 0 {
                    "Outer".to_owned()
                } else {
                    format!("Outer{i}")
                };
                record(&path, &key, &Outer::SCHEMA, Some("1.0")).unwrap();
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let lock = Lock::parse(&std::fs::read_to_string(&*path).unwrap()).unwrap();
    for key in ["Outer", "Outer1", "Outer3", "Outer5", "Outer7"] {
        let versions: Vec<u32> = lock.versions_of(key).iter().map(|e| e.version).collect();
        assert_eq!(versions, [1, 2, 3], "{key}");
    }
    std::fs::remove_file(&*path).unwrap();
}
