//! `vmstate reference -o REF -- QEMU ARGS...` with real QEMU 7.2 and 10.0:
//! REF is the stream of the guest's configuration, the guest's disk is the
//! same byte for byte afterwards, and a run that fails (usage: exit 2; QEMU
//! refusing its command line: exit 1, with QEMU's message) leaves REF as it
//! was and nothing beside it. A missing QEMU or `qemu-img` fails the test.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use support::qemu::{repository, scratch};
use support::vmstate;

/// QEMU 7.2 as installed on the path.
const QEMU_7_2: &str = "qemu-system-x86_64";

/// The guest's options, as a user would give them to the destination.
const GUEST: [&str; 9] = [
    "-M",
    "pc-i440fx-7.2",
    "-nodefaults",
    "-m",
    "16",
    "-display",
    "none",
    "-accel",
    "tcg",
];

fn qemu_10_0() -> String {
    repository().join("scripts/qemu-10.0").display().to_string()
}

/// A new qcow2 image of 1 MiB.
fn qcow2(path: &Path) {
    let status = Command::new("qemu-img")
        .args(["create", "-q", "-f", "qcow2"])
        .arg(path)
        .arg("1M")
        .status()
        .unwrap_or_else(|e| panic!("cannot run qemu-img ({e}); run scripts/install-qemu.sh"));
    assert!(status.success(), "qemu-img create failed");
}

/// The names of the files in `dir`, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `vmstate reference -o REF -- QEMU GUEST... EXTRA...`.
fn reference(reference: &Path, qemu: &str, extra: &[&str]) -> (i32, String, String) {
    let reference = reference.display().to_string();
    let mut args = vec!["reference", "-o", &reference, "--", qemu];
    args.extend(GUEST);
    args.extend(extra);
    vmstate(&args)
}

/// Runs `reference` with a qcow2 disk given by `disk_options` (the image's
/// path replaces `DISK`) and checks REF and the disk; returns what
/// `reference` wrote on standard error.
fn reference_leaves_the_disk_alone(name: &str, qemu: &str, disk_options: &[&str]) -> String {
    let dir = scratch(name);
    let disk = dir.join("disk.qcow2");
    qcow2(&disk);
    let before = std::fs::read(&disk).unwrap();
    let ref_path = dir.join("ref.mig");
    let disk_text = disk.display().to_string();
    let extra: Vec<String> = disk_options
        .iter()
        .map(|option| option.replace("DISK", &disk_text))
        .collect();
    let extra: Vec<&str> = extra.iter().map(String::as_str).collect();

    let (code, out, notes) = reference(&ref_path, qemu, &extra);
    assert_eq!(code, 0, "reference failed: {notes}");
    assert!(
        out.starts_with(&format!("{}: machine pc-i440fx-7.2, ", ref_path.display())),
        "{out}"
    );
    assert_eq!(listing(&dir), ["disk.qcow2", "ref.mig"]);
    assert_eq!(
        std::fs::read(&disk).unwrap(),
        before,
        "the disk changed: {}",
        disk.display()
    );

    let ref_text = ref_path.display().to_string();
    let (code, listing, err) = vmstate(&["inspect", &ref_text]);
    assert_eq!(code, 0, "inspect failed: {err}");
    assert!(listing.starts_with("machine: pc-i440fx-7.2\n"), "{listing}");
    // The disk's controller and the guest's RAM are in the reference.
    assert!(listing.contains(" 0000:00:01.1/ide "), "{listing}");
    assert!(listing.contains(" ram "), "{listing}");

    // What REF is for: a destination's verdict on a stream, with REF.
    let (code, out, err) = vmstate(&["check", &ref_text, "qemu-7.2", "--reference", &ref_text]);
    assert_eq!(code, 0, "{out}{err}");
    let _ = std::fs::remove_dir_all(&dir);
    notes
}

#[test]
fn qemu_7_2_writes_a_reference_of_the_guest_and_its_disk_is_not_written() {
    // The guest's own -serial stdio moves off the standard streams.
    let err = reference_leaves_the_disk_alone(
        "reference-7.2",
        QEMU_7_2,
        &[
            "-drive",
            "file=DISK,format=qcow2,if=ide",
            "-serial",
            "stdio",
        ],
    );
    assert!(
        err.contains("vmstate: note: -serial stdio replaced by -serial null"),
        "{err}"
    );
}

#[test]
fn qemu_10_0_writes_a_reference_of_the_guest_and_its_disk_is_not_written() {
    // -snapshot does not cover -blockdev: the note says so, and a paused
    // guest still writes nothing to the image.
    let err = reference_leaves_the_disk_alone(
        "reference-10.0",
        &qemu_10_0(),
        &[
            "-blockdev",
            "driver=qcow2,file.driver=file,file.filename=DISK,node-name=d0",
            "-device",
            "ide-hd,drive=d0",
        ],
    );
    assert!(
        err.contains("-snapshot does not cover -blockdev nodes"),
        "{err}"
    );
}

#[test]
fn usage_errors_exit_2_and_write_nothing() {
    let dir = scratch("reference-usage");
    let ref_path = dir.join("ref.mig");
    let ref_text = ref_path.display().to_string();
    let cases: [(&[&str], &str); 4] = [
        // No `--`: QEMU's command line must follow it.
        (
            &["reference", "-o", &ref_text, QEMU_7_2, "-M", "pc"],
            "unexpected argument",
        ),
        // `--` and no binary.
        (&["reference", "-o", &ref_text, "--"], "QEMU_BINARY"),
        (
            &[
                "reference",
                "-o",
                &ref_text,
                "--",
                "/nonexistent/qemu-system-x86_64",
            ],
            "QEMU binary `/nonexistent/qemu-system-x86_64` not found",
        ),
        (
            &[
                "reference",
                "-o",
                &ref_text,
                "--",
                QEMU_7_2,
                "-incoming",
                "defer",
            ],
            "-incoming: a reference is the state QEMU builds from the command line",
        ),
    ];
    for (args, message) in cases {
        let (code, _, err) = vmstate(args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
        assert!(listing(&dir).is_empty(), "{args:?}: {:?}", listing(&dir));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_qemu_that_refuses_its_command_line_exits_1_and_ref_stays_as_it_was() {
    let dir = scratch("reference-refused");
    let ref_path: PathBuf = dir.join("ref.mig");
    std::fs::write(&ref_path, "the previous reference").unwrap();
    let qemu_10_0 = qemu_10_0();
    let cases = [
        (QEMU_7_2, "-bogus-option", "-bogus-option: invalid option"),
        (
            qemu_10_0.as_str(),
            "-bogus-option",
            "-bogus-option: invalid option",
        ),
    ];
    for (qemu, option, message) in cases {
        let (code, out, err) = reference(&ref_path, qemu, &[option]);
        assert_eq!(code, 1, "{qemu}: {out}{err}");
        assert!(err.contains(message), "{qemu}: {err}");
        assert!(err.starts_with("vmstate: error: "), "{qemu}: {err}");
        assert_eq!(
            std::fs::read_to_string(&ref_path).unwrap(),
            "the previous reference"
        );
        assert_eq!(listing(&dir), ["ref.mig"]);
    }
    // A device QEMU does not have: refused once the machine is being built.
    let (code, _, err) = reference(&ref_path, QEMU_7_2, &["-device", "no-such-device"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("'no-such-device' is not a valid device model name"),
        "{err}"
    );
    assert_eq!(listing(&dir), ["ref.mig"]);
    let _ = std::fs::remove_dir_all(&dir);
}
