//! A stream saved with the `validate-uuid` capability carries its source's
//! UUID (`configuration/uuid`), and every QEMU that loads it compares that
//! UUID with its own `-uuid`, whatever its own capabilities: another UUID is
//! refused ("UUID received is A and local is B"), the same one or none at all
//! loads. `vmstate check` must say the same with a reference of DEST's guest,
//! which `vmstate reference` saves with `validate-uuid` so that it carries
//! DEST's UUID; real QEMU 7.2 and 10.0 load every stream here.

mod support;

use std::path::Path;

use support::qemu::{COMMON, Qemu, Release, scratch};
use support::vmstate;

const MACHINE: &str = "pc-i440fx-7.2";
const SOURCE_UUID: &str = "11111111-2222-3333-4444-555555555555";
const OTHER_UUID: &str = "11111111-2222-3333-4444-555555555556";

/// `release`'s guest with `-uuid SOURCE_UUID`, saved with `validate-uuid`.
fn stream_with_uuid(release: Release, path: &Path) {
    let mut qemu = Qemu::start(release, MACHINE, &["-S", "-uuid", SOURCE_UUID]);
    qemu.enable_capability("validate-uuid");
    qemu.save(path);
    qemu.quit();
}

/// `vmstate reference` of `release`'s guest with `uuid` options.
fn reference(release: Release, uuid: &[&str], path: &Path) {
    let program = release.program().display().to_string();
    let path_text = path.display().to_string();
    let mut args = vec!["reference", "-o", &path_text, "--", &program, "-M", MACHINE];
    args.extend(COMMON);
    args.extend(uuid);
    let (code, _, stderr) = vmstate(&args);
    assert_eq!(code, 0, "vmstate reference failed: {stderr}");
}

#[test]
fn check_refuses_a_stream_whose_uuid_dest_does_not_have_as_qemu_does() {
    let dir = scratch("guest_uuid");
    let stream = dir.join("stream.mig");
    stream_with_uuid(Release::V10_0, &stream);
    let stream_text = stream.display().to_string();

    // Without a reference the UUID is named, and nothing is refused for it.
    let (_, stdout, _) = vmstate(&["inspect", &stream_text]);
    assert!(stdout.contains(&format!("uuid: {SOURCE_UUID}")), "{stdout}");
    let (code, stdout, _) = vmstate(&["check", &stream_text, "qemu-7.2"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "the stream carries its source's UUID, {SOURCE_UUID}"
        )),
        "{stdout}"
    );

    for dest in [Release::V7_2, Release::V10_0] {
        for (uuid, loads) in [
            (&["-uuid", OTHER_UUID][..], false),
            (&["-uuid", SOURCE_UUID][..], true),
            (&[][..], true),
        ] {
            let what = format!("{dest:?} with {uuid:?}");
            let reference_path = dir.join("ref.mig");
            reference(dest, uuid, &reference_path);
            let (code, stdout, stderr) = vmstate(&[
                "check",
                &stream_text,
                dest.dump_name(),
                "--reference",
                &reference_path.display().to_string(),
            ]);
            let real = Qemu::load(dest, MACHINE, uuid, &stream);
            match real {
                Ok(qemu) => {
                    assert!(loads, "{what}: QEMU loaded the stream");
                    qemu.quit();
                    assert_eq!(code, 0, "{what}: {stdout}{stderr}");
                }
                Err(qemu_error) => {
                    assert!(!loads, "{what}: QEMU refused: {qemu_error}");
                    let said = format!("UUID received is {SOURCE_UUID} and local is {OTHER_UUID}");
                    assert!(qemu_error.contains(&said), "{what}: {qemu_error}");
                    assert_eq!(code, 1, "{what}: {stdout}{stderr}");
                    assert!(stdout.contains(&said), "{what}: {stdout}");
                }
            }
        }
    }
}
