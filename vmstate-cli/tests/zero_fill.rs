//! ZERO records whose fill byte is not 0, against real QEMU. Only QEMU
//! before 1.5 wrote them (for pages of one repeated byte); QEMU 7.2 still
//! loads them, and QEMU from 8.2 refuses them ("Found a zero page with
//! value"), after the guest stopped. `check` said "loads" to 10.0 and
//! `convert` wrote them as they were. No QEMU here writes one, so the test
//! sets the fill byte of two ZERO records of a real 7.2 stream.

mod support;

use support::qemu::{Qemu, Release, scratch};
use support::vmstate;

const MACHINE: &str = "pc-i440fx-7.2";

/// The fill byte the test writes: 85 in QEMU's message.
const FILL: u8 = 0x55;

/// Where the fill bytes of the first `count` ZERO records lie that follow
/// one another in `bytes`: a ZERO record with CONTINUE is a be64 word whose
/// low bits are 0x22, then its fill byte, and the next record's word starts
/// right after (another page, or EOS).
fn zero_fill_bytes(bytes: &[u8], count: usize) -> Vec<usize> {
    let word = |at: usize| {
        bytes
            .get(at..at + 8)
            .map(|w| u64::from_be_bytes(w.try_into().unwrap()))
    };
    let mut found = Vec::new();
    let mut at = 0;
    while found.len() < count && at + 17 < bytes.len() {
        let is_zero = word(at).is_some_and(|w| w & 0xfff == 0x22) && bytes[at + 8] == 0;
        let next = word(at + 9).map(|w| w & 0xfff);
        if is_zero && matches!(next, Some(0x22 | 0x28 | 0x10)) {
            found.push(at + 8);
            at += 9;
        } else {
            at += 1;
        }
    }
    found
}

#[test]
fn zero_pages_with_a_fill_byte_are_judged_as_qemu_judges_them() {
    let dir = scratch("zero-fill");
    let saved = dir.join("saved.mig");
    let mut qemu = Qemu::start(Release::V7_2, MACHINE, &["-S"]);
    qemu.save(&saved);
    qemu.quit();
    let mut bytes = std::fs::read(&saved).unwrap();
    let fills = zero_fill_bytes(&bytes, 2);
    assert_eq!(fills.len(), 2, "a paused guest's stream has zero pages");
    for &at in &fills {
        bytes[at] = FILL;
    }
    let stream = dir.join("filled.mig");
    std::fs::write(&stream, &bytes).unwrap();
    let path = stream.display().to_string();

    // The verdicts, and real QEMU's.
    let (code, out, err) = vmstate(&["check", &path, "qemu-10.0"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("2 RAM pages sent as ZERO records")
            && out.contains("\"Found a zero page with value 85\""),
        "{out}"
    );
    match Qemu::load(Release::V10_0, MACHINE, &[], &stream) {
        Ok(qemu) => {
            qemu.quit();
            panic!("QEMU 10.0 loaded a zero page filled with {FILL:#x}");
        }
        Err(stderr) => assert!(
            stderr.contains("error while loading state section id") && stderr.contains("(ram)"),
            "{stderr}"
        ),
    }
    let (code, out, err) = vmstate(&["check", &path, "qemu-7.2"]);
    assert_eq!(code, 0, "{out}{err}");
    Qemu::load(Release::V7_2, MACHINE, &[], &stream)
        .expect("QEMU 7.2 loads filled zero pages")
        .quit();

    // `convert` sends them as whole pages of the fill byte, which 10.0 loads.
    let converted = dir.join("converted.mig");
    let (code, _, err) = support::convert_to(&path, "qemu-10.0", &converted);
    assert_eq!(code, 0, "{err}");
    let written = std::fs::read(&converted).unwrap();
    assert!(written.windows(4096).any(|w| w.iter().all(|&b| b == FILL)));
    let (code, out, err) = vmstate(&["check", &converted.display().to_string(), "qemu-10.0"]);
    assert_eq!(code, 0, "{out}{err}");
    Qemu::load(Release::V10_0, MACHINE, &[], &converted)
        .expect("QEMU 10.0 loads the converted stream")
        .quit();
    std::fs::remove_dir_all(&dir).ok();
}
