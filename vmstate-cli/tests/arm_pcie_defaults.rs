//! Read-only PCI Express registers that QEMU builds from its release and the
//! machine type, on Arm `virt` guests, against real QEMU (both compared on
//! load: "Bad config data"):
//!
//! - the device capabilities' Extended Tag bit: set by QEMU 9.2 and later
//!   on machine types 9.2 and later (`x-pcie-ext-tag`, off in
//!   `hw_compat_9_1`), never by QEMU 7.2;
//! - AER's uncorrectable error mask: writable, 0x02400000 at reset, from
//!   QEMU 8.0 on machine types 8.0 and later (`x-pcie-err-unc-mask`, off in
//!   `hw_compat_7_2`), read-only 0 otherwise and in QEMU 7.2;
//! - ATS's Page Aligned Request bit of a virtio-pci function with
//!   `ats=on` (`x-ats-page-aligned`, off in `hw_compat_5_1`);
//! - igb's Function Level Reset Capability (`x-pcie-flr-init`, off in
//!   `hw_compat_8_1`);
//! - ARI's next function number, 1 on machine types 8.0 and older
//!   (`x-pcie-ari-nextfn-1`, on in `hw_compat_8_0`), 0 from 8.1 on;
//! - a virtio-pci function's Function Level Reset Capability
//!   (`x-pcie-flr-init`, off in `hw_compat_4_1`);
//! - a root port's link speed and width (`x-speed`, `x-width`: 2.5 GT/s x1
//!   in `hw_compat_4_0`, 16 GT/s x32 after).
//!
//! `convert --machine` without a reference once wrote such renames and
//! `check` called what it wrote loadable.

mod support;

use std::path::Path;

use serde_json::Value;
use support::qemu::{Arch, Qemu, Release, scratch};
use support::{convert_renamed, inspect_json, vmstate};

/// One register: the guest's devices, the section of the function, the
/// byte QEMU names and the value that byte has where DEST's device is built
/// the other way, and what names the compat property.
struct Register {
    devices: &'static [&'static str],
    section: &'static str,
    offset: usize,
    /// The bits of the byte the property sets.
    bits: u8,
    /// Every bit the property sets, by byte: cleared, the function is as
    /// DEST builds it.
    all_bits: &'static [(usize, u8)],
    property: &'static str,
}

/// A PCI Express function on the root bus of `virt`'s host bridge; its PCI
/// Express capability is at 0xa0, the device capabilities' low byte at
/// 0xa4.
const EXT_TAG: Register = Register {
    devices: &["-device", "qemu-xhci"],
    section: "0000:00:01.0/xhci",
    offset: 0xa4,
    bits: 0x20,
    all_bits: &[(0xa4, 0x20)],
    property: "x-pcie-ext-tag",
};

/// A root port, whose AER capability is its first extended one: the mask's
/// third byte holds uncorrectable internal errors (bit 22), its fourth TLP
/// prefix blocked (bit 25).
const UNC_MASK: Register = Register {
    devices: &["-device", "pcie-root-port,id=rp0,chassis=1"],
    section: "0000:00:01.0/pcie-root-port",
    offset: 0x10a,
    bits: 0x40,
    all_bits: &[(0x10a, 0x40), (0x10b, 0x02)],
    property: "x-pcie-err-unc-mask",
};

/// A virtio-pci function with ATS behind a root port: its ATS capability,
/// the first extended one, has its capability register at 0x104.
const ATS: Register = Register {
    devices: &[
        "-device",
        "pcie-root-port,id=rp0,chassis=1",
        "-device",
        "virtio-net-pci,bus=rp0,ats=on,netdev=n0",
        "-netdev",
        "user,id=n0",
    ],
    section: "0000:00:01.0:00.0/virtio-net",
    offset: 0x104,
    bits: 0x20,
    all_bits: &[(0x104, 0x20)],
    property: "x-ats-page-aligned",
};

/// An igb behind a root port: the device capabilities' top byte, 0xa7,
/// holds Function Level Reset Capability (bit 28).
const IGB_FLR: Register = Register {
    devices: &[
        "-device",
        "pcie-root-port,id=rp0,chassis=1",
        "-device",
        "igb,bus=rp0,netdev=n0",
        "-netdev",
        "user,id=n0",
    ],
    section: "0000:00:01.0:00.0/igb",
    offset: 0xa7,
    bits: 0x10,
    all_bits: &[(0xa7, 0x10)],
    property: "x-pcie-flr-init",
};

/// The same igb: its ARI capability, at 0x150, has the next function
/// number at 0x155.
const IGB_ARI: Register = Register {
    section: "0000:00:01.0:00.0/igb",
    offset: 0x155,
    bits: 0x01,
    all_bits: &[(0x155, 0x01)],
    property: "x-pcie-ari-nextfn-1",
    ..IGB_FLR
};

/// A virtio-pci function behind a root port: its PCI Express capability at
/// 0x40, the device capabilities' top byte at 0x47.
const VIRTIO_FLR: Register = Register {
    devices: &[
        "-device",
        "pcie-root-port,id=rp0,chassis=1",
        "-device",
        "virtio-net-pci,bus=rp0,netdev=n0",
        "-netdev",
        "user,id=n0",
    ],
    section: "0000:00:01.0:00.0/virtio-net",
    offset: 0x47,
    bits: 0x10,
    all_bits: &[(0x47, 0x10)],
    property: "x-pcie-flr-init",
};

/// The root port: its link capabilities at 0x60 (the PCI Express
/// capability at 0x54), speed in bits 3:0.
const ROOT_PORT_LINK: Register = Register {
    section: "0000:00:01.0/pcie-root-port",
    offset: 0x60,
    bits: 0x04,
    all_bits: &[(0x60, 0x04)],
    property: "x-speed",
    ..VIRTIO_FLR
};

/// A paused guest's stream, written by `release` on `machine`.
fn make_stream(release: Release, machine: &str, devices: &[&str], path: &Path) {
    let mut args = devices.to_vec();
    args.push("-S");
    let mut qemu = Qemu::start_arch(release, Arch::Aarch64, machine, &args);
    qemu.save(path);
    qemu.quit();
}

/// The stream at `from` with its machine type `old` renamed `new` (names
/// of one length: the configuration section's bytes are swapped).
fn rename(from: &Path, old: &str, new: &str, to: &Path) {
    let bytes = std::fs::read(from).unwrap();
    std::fs::write(to, support::renamed_by_hand(&bytes, old, new)).unwrap();
}

/// The PCI configuration space of `section` in the stream at `path`, as
/// `inspect` decodes it (the hex string of its `config` field, at whatever
/// depth the device nests it).
fn config_space(path: &Path, section: &str) -> Vec<u8> {
    fn find(value: &Value) -> Option<&str> {
        match value {
            Value::Object(map) => map.iter().find_map(|(name, inner)| match inner {
                Value::String(hex) if name.starts_with("config[") => Some(hex.as_str()),
                _ => find(inner),
            }),
            _ => None,
        }
    }
    let json = inspect_json(path);
    let found = json["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["section"] == section)
        .unwrap_or_else(|| panic!("no {section} in {}", path.display()));
    let hex = find(&found["fields"]).expect("the PCI configuration space, as hex");
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

/// The stream at `from` with the register's bit set in the byte QEMU names,
/// or all its bits cleared: the function's configuration space is found in
/// the stream's bytes and those bytes changed.
fn set_bits(from: &Path, register: &Register, on: bool, to: &Path) {
    let config = config_space(from, register.section);
    let mut bytes = std::fs::read(from).unwrap();
    let at = bytes
        .windows(config.len())
        .position(|w| w == config.as_slice())
        .expect("the configuration space is in the stream");
    if on {
        bytes[at + register.offset] |= register.bits;
    } else {
        for (offset, bits) in register.all_bits {
            bytes[at + offset] &= !bits;
        }
    }
    std::fs::write(to, &bytes).unwrap();
}

/// QEMU 10.0.2's verdict on its own guests renamed `(from, to, refused)`,
/// `check --reference`'s, and what `convert --machine` without a reference
/// does (it once wrote the refused renames).
fn renames_get_qemus_verdict(register: &Register, pairs: &[(&str, &str, bool)], name: &str) {
    let dir = scratch(name);
    let release = Release::V10_0;
    let devices = register.devices;
    let named = format!("Bad config data: i=0x{:x}", register.offset);
    for &(from, to, refused) in pairs {
        let what = format!("{} {from} renamed {to}", register.section);
        let stream = dir.join(format!("{from}.mig"));
        make_stream(release, from, devices, &stream);
        let renamed = dir.join(format!("{from}-as-{to}.mig"));
        rename(&stream, from, to, &renamed);
        match (
            Qemu::load_arch(release, Arch::Aarch64, to, devices, &renamed),
            refused,
        ) {
            (Ok(qemu), false) => qemu.quit(),
            (Err(said), true) => assert!(said.contains(&named), "{what}: {said}"),
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
        args.extend_from_slice(devices);
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
        let (code, _, err) = convert_renamed(
            &stream.display().to_string(),
            release.dump_name(),
            to,
            &converted,
        );
        assert_eq!(code, i32::from(refused), "{what}: convert --machine: {err}");
        if refused {
            assert!(
                err.contains(register.section)
                    && err.contains(register.property)
                    && err.contains(&named),
                "{what}: {err}"
            );
        } else {
            Qemu::load_arch(release, Arch::Aarch64, to, devices, &converted)
                .unwrap_or_else(|e| panic!("{what}: QEMU refused what convert wrote: {e}"))
                .quit();
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// QEMU 7.2 builds no function with the register as a 10.0.2 guest on
/// machine type `from` has it: that guest renamed `virt-7.2` is not
/// converted for 7.2 (`convert` once wrote it, and `check` called what it
/// wrote loadable). With the bits cleared the same stream converts and 7.2
/// loads it; with the bits set again in what `convert` wrote, 7.2 refuses
/// it, and `check` says so without a reference.
fn release_7_2_refuses(register: &Register, from: &str, name: &str) {
    let dir = scratch(name);
    let devices = register.devices;
    let stream = dir.join(format!("{from}.mig"));
    make_stream(Release::V10_0, from, devices, &stream);
    let renamed = dir.join("renamed.mig");
    rename(&stream, from, "virt-7.2", &renamed);
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
    let message = format!(
        "Bad config data: i=0x{:x} read: {:x} device: 0",
        register.offset, register.bits
    );
    let converted = dir.join("converted.mig");
    let (code, _, err) = convert(&renamed, &converted);
    assert_eq!(code, 1, "convert: {err}");
    assert!(
        err.contains(register.property) && err.contains(&message),
        "{err}"
    );
    let cleared = dir.join("cleared.mig");
    set_bits(&renamed, register, false, &cleared);
    let (code, _, err) = convert(&cleared, &converted);
    assert_eq!(code, 0, "convert without the bits: {err}");
    Qemu::load_arch(
        Release::V7_2,
        Arch::Aarch64,
        "virt-7.2",
        devices,
        &converted,
    )
    .unwrap_or_else(|e| panic!("QEMU 7.2 refused the stream without the bits: {e}"))
    .quit();
    let with_bits = dir.join("with-bits.mig");
    set_bits(&converted, register, true, &with_bits);
    let loaded = Qemu::load_arch(
        Release::V7_2,
        Arch::Aarch64,
        "virt-7.2",
        devices,
        &with_bits,
    );
    let said = match loaded {
        Ok(qemu) => {
            qemu.quit();
            panic!("QEMU 7.2 loads {} with the bits", register.section);
        }
        Err(said) => said,
    };
    assert!(said.contains(&message), "{said}");
    let (code, out, err) = vmstate(&["check", &with_bits.display().to_string(), "qemu-7.2"]);
    assert_eq!(code, 1, "check: {out}{err}");
    assert!(
        out.contains(register.section) && out.contains(&message),
        "{out}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Renames across machine type 9.2 both ways are refused; one that keeps
/// the bit (9.0 to 9.1) loads.
#[test]
fn a_rename_across_the_extended_tag_default_gets_qemus_verdict() {
    renames_get_qemus_verdict(
        &EXT_TAG,
        &[
            ("virt-9.2", "virt-9.1", true),
            ("virt-9.1", "virt-9.2", true),
            ("virt-9.0", "virt-9.1", false),
        ],
        "arm-ext-tag-rename",
    );
}

#[test]
fn a_release_before_9_2_refuses_the_extended_tag_bit() {
    release_7_2_refuses(&EXT_TAG, "virt-9.2", "arm-ext-tag-7.2");
}

/// A rename to machine type 7.2 is refused (DEST's mask is read-only 0);
/// the other way DEST's mask is writable, which QEMU does not compare.
#[test]
fn a_rename_to_a_read_only_uncorrectable_error_mask_gets_qemus_verdict() {
    renames_get_qemus_verdict(
        &UNC_MASK,
        &[
            ("virt-8.0", "virt-7.2", true),
            ("virt-7.2", "virt-8.0", false),
        ],
        "arm-unc-mask-rename",
    );
}

#[test]
fn a_release_before_8_0_refuses_a_set_uncorrectable_error_mask() {
    release_7_2_refuses(&UNC_MASK, "virt-8.0", "arm-unc-mask-7.2");
}

/// Renames across machine type 5.2 are refused both ways.
#[test]
fn a_rename_across_the_ats_page_aligned_default_gets_qemus_verdict() {
    renames_get_qemus_verdict(
        &ATS,
        &[
            ("virt-5.2", "virt-5.1", true),
            ("virt-5.1", "virt-5.2", true),
        ],
        "arm-ats-rename",
    );
}

/// Renames across machine type 8.2 are refused both ways; one that keeps
/// every default (9.0 to 9.1) loads.
#[test]
fn a_rename_across_igbs_flr_default_gets_qemus_verdict() {
    renames_get_qemus_verdict(
        &IGB_FLR,
        &[
            ("virt-8.2", "virt-8.1", true),
            ("virt-8.1", "virt-8.2", true),
            ("virt-9.0", "virt-9.1", false),
        ],
        "arm-igb-flr-rename",
    );
}

/// Renames across machine type 8.1 are refused both ways.
#[test]
fn a_rename_across_the_ari_next_function_default_gets_qemus_verdict() {
    renames_get_qemus_verdict(
        &IGB_ARI,
        &[
            ("virt-8.1", "virt-8.0", true),
            ("virt-8.0", "virt-8.1", true),
        ],
        "arm-igb-ari-rename",
    );
}

/// virtio-pci's FLR renamed across machine type 4.2 both ways, and the
/// root port's link across 4.0 both ways, are refused; a rename that keeps
/// both (4.0 to 4.1) loads.
#[test]
fn a_rename_across_virtio_flr_or_root_port_link_defaults_gets_qemus_verdict() {
    renames_get_qemus_verdict(
        &VIRTIO_FLR,
        &[
            ("virt-4.2", "virt-4.1", true),
            ("virt-4.1", "virt-4.2", true),
            ("virt-4.0", "virt-4.1", false),
        ],
        "arm-virtio-flr-rename",
    );
    renames_get_qemus_verdict(
        &ROOT_PORT_LINK,
        &[
            ("virt-4.0", "virt-3.1", true),
            ("virt-3.1", "virt-4.0", true),
        ],
        "arm-root-port-link-rename",
    );
}
