//! The Extended Tag Field Supported bit of a PCI Express function's device
//! capabilities on Arm `virt` guests, against real QEMU: QEMU 9.2 and later
//! set it on machine types 9.2 and later (`x-pcie-ext-tag`, off in
//! `hw_compat_9_1`), QEMU 7.2 never, and both compare the read-only
//! register on load ("Bad config data: i=0xa4"). `convert --machine`
//! without a reference once wrote such renames and `check` called them
//! loadable.

mod support;

use std::path::Path;

use support::qemu::{Arch, Qemu, Release, scratch};
use support::{inspect_json, vmstate};

/// A PCI Express function on the root bus of `virt`'s host bridge.
const DEVICES: &[&str] = &["-device", "qemu-xhci"];
/// Its section.
const XHCI: &str = "0000:00:01.0/xhci";
/// Its device capabilities' low byte: the PCI Express capability at 0xa0.
const DEVCAP: usize = 0xa4;
/// Extended Tag Field Supported.
const EXT_TAG: u8 = 0x20;

/// A paused guest's stream, written by `release` on `machine`.
fn make_stream(release: Release, machine: &str, path: &Path) {
    let mut args = DEVICES.to_vec();
    args.push("-S");
    let mut qemu = Qemu::start_arch(release, Arch::Aarch64, machine, &args);
    qemu.save(path);
    qemu.quit();
}

/// The stream at `from` with its machine type `old` renamed `new` (names
/// of one length: the configuration section's bytes are swapped).
fn rename(from: &Path, old: &str, new: &str, to: &Path) {
    let mut bytes = std::fs::read(from).unwrap();
    let at = bytes
        .windows(old.len())
        .position(|w| w == old.as_bytes())
        .expect("the configuration section names the machine type");
    bytes[at..at + new.len()].copy_from_slice(new.as_bytes());
    std::fs::write(to, &bytes).unwrap();
}

/// The stream at `from` with the xHCI controller's Extended Tag bit set
/// or cleared: its configuration space, as `inspect` decodes it, is found
/// in the stream's bytes and the one byte changed.
fn set_ext_tag(from: &Path, on: bool, to: &Path) {
    let json = inspect_json(from);
    let section = json["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["section"] == XHCI)
        .unwrap_or_else(|| panic!("no {XHCI} in {}", from.display()));
    let hex = section["fields"]["parent_obj[0]"]["config[1]"]
        .as_str()
        .expect("the PCI configuration space, as hex");
    let config: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect();
    let mut bytes = std::fs::read(from).unwrap();
    let at = bytes
        .windows(config.len())
        .position(|w| w == config.as_slice())
        .expect("the configuration space is in the stream");
    if on {
        bytes[at + DEVCAP] |= EXT_TAG;
    } else {
        bytes[at + DEVCAP] &= !EXT_TAG;
    }
    std::fs::write(to, &bytes).unwrap();
}

/// QEMU 10.0.2 renamed across machine type 9.2, both ways, and a rename
/// that keeps the bit (9.0 to 9.1): QEMU's verdict on the renamed stream,
/// `check --reference`'s and what `convert --machine` without a reference
/// does (it once wrote the refused renames).
#[test]
fn a_rename_across_the_extended_tag_default_gets_qemus_verdict() {
    let dir = scratch("arm-ext-tag-rename");
    let release = Release::V10_0;
    for (from, to, refused) in [
        ("virt-9.2", "virt-9.1", true),
        ("virt-9.1", "virt-9.2", true),
        ("virt-9.0", "virt-9.1", false),
    ] {
        let what = format!("{from} renamed {to}");
        let stream = dir.join(format!("{from}.mig"));
        make_stream(release, from, &stream);
        let renamed = dir.join(format!("{from}-as-{to}.mig"));
        rename(&stream, from, to, &renamed);
        match (
            Qemu::load_arch(release, Arch::Aarch64, to, DEVICES, &renamed),
            refused,
        ) {
            (Ok(qemu), false) => qemu.quit(),
            (Err(said), true) => {
                assert!(said.contains("Bad config data: i=0xa4"), "{what}: {said}");
            }
            (Ok(qemu), true) => {
                qemu.quit();
                panic!("{what}: QEMU loads it");
            }
            (Err(said), false) => panic!("{what}: QEMU refused: {said}"),
        }
        let reference = dir.join(format!("{to}.ref"));
        let program = release.program_for(Arch::Aarch64).display().to_string();
        let reference_arg = reference.display().to_string();
        let mut args = vec!["reference", "-o", &reference_arg, "--", &program, "-M", to];
        args.extend(Arch::Aarch64.common());
        args.extend_from_slice(DEVICES);
        let (code, _, err) = vmstate(&args);
        assert_eq!(code, 0, "reference {to}: {err}");
        let (code, out, err) = vmstate(&[
            "check",
            &renamed.display().to_string(),
            release.dump_name(),
            "--reference",
            &reference_arg,
        ]);
        assert_eq!(code, i32::from(refused), "{what} --reference: {out}{err}");
        let converted = dir.join(format!("{from}-to-{to}.mig"));
        let (code, _, err) = vmstate(&[
            "convert",
            &stream.display().to_string(),
            "--to",
            release.dump_name(),
            "--machine",
            to,
            "-o",
            &converted.display().to_string(),
        ]);
        assert_eq!(code, i32::from(refused), "{what}: convert --machine: {err}");
        if refused {
            assert!(
                err.contains(XHCI) && err.contains("x-pcie-ext-tag") && err.contains("i=0xa4"),
                "{what}: {err}"
            );
        } else {
            Qemu::load_arch(release, Arch::Aarch64, to, DEVICES, &converted)
                .unwrap_or_else(|e| panic!("{what}: QEMU refused what convert wrote: {e}"))
                .quit();
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// QEMU 7.2 builds no PCI Express function with the bit, on any machine
/// type: a 10.0.2 `virt-9.2` guest renamed `virt-7.2` is not converted for
/// 7.2 (`convert` once wrote it, and `check` called what it wrote
/// loadable). With the bit cleared the same stream converts and 7.2 loads
/// it; with the bit set again in what `convert` wrote, 7.2 refuses it, and
/// `check` says so without a reference.
#[test]
fn a_release_before_9_2_refuses_the_extended_tag_bit() {
    let dir = scratch("arm-ext-tag-7.2");
    let stream = dir.join("virt-9.2.mig");
    make_stream(Release::V10_0, "virt-9.2", &stream);
    let renamed = dir.join("virt-9.2-as-virt-7.2.mig");
    rename(&stream, "virt-9.2", "virt-7.2", &renamed);
    let convert = |input: &Path, output: &Path| {
        vmstate(&[
            "convert",
            &input.display().to_string(),
            "--to",
            "qemu-7.2",
            "-o",
            &output.display().to_string(),
        ])
    };
    let converted = dir.join("converted.mig");
    let (code, _, err) = convert(&renamed, &converted);
    assert_eq!(code, 1, "convert: {err}");
    assert!(
        err.contains("x-pcie-ext-tag") && err.contains("read: 20 device: 0"),
        "{err}"
    );
    let cleared = dir.join("cleared.mig");
    set_ext_tag(&renamed, false, &cleared);
    let (code, _, err) = convert(&cleared, &converted);
    assert_eq!(code, 0, "convert without the bit: {err}");
    Qemu::load_arch(
        Release::V7_2,
        Arch::Aarch64,
        "virt-7.2",
        DEVICES,
        &converted,
    )
    .unwrap_or_else(|e| panic!("QEMU 7.2 refused the stream without the bit: {e}"))
    .quit();
    let with_bit = dir.join("with-bit.mig");
    set_ext_tag(&converted, true, &with_bit);
    let said = match Qemu::load_arch(Release::V7_2, Arch::Aarch64, "virt-7.2", DEVICES, &with_bit) {
        Ok(qemu) => {
            qemu.quit();
            panic!("QEMU 7.2 loads a PCI Express function with the Extended Tag bit");
        }
        Err(said) => said,
    };
    assert!(
        said.contains("Bad config data: i=0xa4 read: 20 device: 0"),
        "{said}"
    );
    let (code, out, err) = vmstate(&["check", &with_bit.display().to_string(), "qemu-7.2"]);
    assert_eq!(code, 1, "check: {out}{err}");
    assert!(
        out.contains(XHCI) && out.contains("Bad config data: i=0xa4 read: 20 device: 0"),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
