//! Streams whose RAM pages QEMU compressed (the `compress` capability, QEMU
//! 2.1 to 9.0), against real QEMU: the tool reads them, keeps them byte for
//! byte, and judges them as QEMU does. QEMU loads compressed pages only with
//! its own `compress` capability on, set before the stream comes in, and
//! QEMU 9.1 removed the capability: a plain `-incoming` load fails in 7.2 and
//! in 10.0 alike. The tool used to stop at them with no verdict; `convert`
//! inflates them into plain pages, which both releases load.

mod support;

use std::collections::BTreeMap;
use std::io::Cursor;
use std::path::Path;

use support::qemu::{Qemu, Release, scratch};
use support::vmstate;
use vmstate::stream::{RamRecord, Record, StreamReader};

const MACHINE: &str = "pc-i440fx-7.2";

/// Every RAM page of the stream at `path`, by block and offset, as bytes:
/// ZERO records as their fill, PAGE records as sent (compressed pages are
/// not expected).
fn pages_of(path: &Path) -> BTreeMap<(String, u64), Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    let mut reader = StreamReader::new(Cursor::new(bytes)).unwrap();
    let mut pages = BTreeMap::new();
    let mut current = String::new();
    while let Some(record) = reader.next_record().unwrap() {
        let (offset, block, data) = match record {
            Record::Ram(RamRecord::Zero {
                offset,
                block,
                fill,
            }) => (offset, block, vec![fill; 4096]),
            Record::Ram(RamRecord::Page {
                offset,
                block,
                data,
            }) => (offset, block, data),
            Record::Ram(RamRecord::Compressed { .. }) => panic!("a compressed page"),
            _ => continue,
        };
        if let Some(block) = block {
            current = block;
        }
        pages.insert((current.clone(), offset), data);
    }
    pages
}

/// What QEMU prints when its loader meets a compressed page it cannot take.
const REFUSED: &str = "error while loading state section id";

#[test]
fn compressed_pages_are_kept_and_judged_as_qemu_judges_them() {
    let dir = scratch("compressed-pages");
    let stream = dir.join("compressed.mig");
    let mut qemu = Qemu::start(Release::V7_2, MACHINE, &["-S"]);
    qemu.enable_capability("compress");
    qemu.save(&stream);
    qemu.quit();
    let path = stream.display().to_string();

    let (code, out, err) = vmstate(&["inspect", &path]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(" compressed page"), "{out}");

    // The verdict: refused by both releases, each for its own reason.
    let (code, out, err) = vmstate(&["check", &path, "qemu-7.2"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("compressed by the `compress` capability")
            && out.contains("`-incoming defer`"),
        "{out}"
    );
    let (code, out, err) = vmstate(&["check", &path, "qemu-10.0"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("QEMU 9.1 removed the capability"), "{out}");

    // Real QEMU agrees: a plain load fails in both releases.
    for release in [Release::V7_2, Release::V10_0] {
        match Qemu::load(release, MACHINE, &[], &stream) {
            Ok(qemu) => {
                qemu.quit();
                panic!("QEMU {release:?} loaded compressed pages without the capability");
            }
            Err(stderr) => assert!(stderr.contains(REFUSED), "{release:?}: {stderr}"),
        }
    }

    // `set` keeps every compressed page as it was: one byte changes.
    let edited = dir.join("edited.mig");
    let (code, _, err) =
        support::set_field(&path, "i8259:0", "imr=0x12", &edited.display().to_string());
    assert_eq!(code, 0, "{err}");
    let (before, after) = (
        std::fs::read(&stream).unwrap(),
        std::fs::read(&edited).unwrap(),
    );
    assert_eq!(before.len(), after.len());
    let changed = before.iter().zip(&after).filter(|(a, b)| a != b).count();
    assert_eq!(changed, 1);
    // And 7.2 with the capability on, as the verdict says, loads the edit.
    let uri = format!("exec:cat {}", edited.display());
    let mut qemu = Qemu::load_deferred(Release::V7_2, MACHINE, "compress", &uri);
    let pic = qemu.human("info pic");
    qemu.quit();
    assert!(pic.contains("imr=12"), "{pic}");

    // `convert` inflates them into plain pages, which both releases load
    // with no capability: the very pages the same paused guest saves
    // without compression.
    let plain = dir.join("plain.mig");
    let mut qemu = Qemu::start(Release::V7_2, MACHINE, &["-S"]);
    qemu.save(&plain);
    qemu.quit();
    let expected = pages_of(&plain);
    for (release, name) in [(Release::V10_0, "qemu-10.0"), (Release::V7_2, "qemu-7.2")] {
        let out = dir.join(format!("converted-for-{name}.mig"));
        let (code, _, err) = support::convert_to(&path, name, &out);
        assert_eq!(code, 0, "{err}");
        assert!(pages_of(&out) == expected, "{name}: other pages");
        let (code, text, err) = vmstate(&["check", &out.display().to_string(), name]);
        assert_eq!(code, 0, "{text}{err}");
        Qemu::load(release, MACHINE, &[], &out)
            .unwrap_or_else(|e| panic!("{name} refused the converted stream: {e}"))
            .quit();
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
