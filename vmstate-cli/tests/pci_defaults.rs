//! What machine types decide in PCI functions' compared configuration, as
//! `check` and `convert` predict it without a reference
//! (`vmstate::check::PCI_DEFAULTS`), against what each machine type really
//! builds: for every two machine types next to each other that a release
//! runs (`pc-q35` and Arm's `virt`, from 2.9; older ones also change
//! virtio's device ids and BAR layout, which no rule predicts), a guest
//! saved paused on the older
//! one, renamed the newer and back, is converted without a reference; the
//! bytes `convert` refuses must be the first byte of each function that
//! `check --reference` (the other machine type's own guest) finds
//! different, and no other. Then a 10.0 `pc-q35-10.0` guest renamed
//! `pc-q35-7.2` is refused by real QEMU 7.2 with the byte `convert` names.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use support::qemu::{Arch, Qemu, Release, machine_versions, scratch};
use support::{convert_renamed, renamed_unchecked, vmstate};

/// PCI Express functions of several kinds: root ports, the virtio-pci
/// devices a guest commonly has behind them, an integrated endpoint with
/// AER (e1000e), and xHCI.
const DEVICES: &[&str] = &[
    "-device",
    "pcie-root-port,id=rp1,chassis=1",
    "-device",
    "virtio-net-pci,bus=rp1,netdev=n0",
    "-netdev",
    "user,id=n0",
    "-device",
    "e1000e,netdev=n1",
    "-netdev",
    "user,id=n1",
    "-device",
    "qemu-xhci",
    "-device",
    "pcie-root-port,id=rp2,chassis=2",
    "-device",
    "virtio-rng-pci,bus=rp2",
    "-device",
    "pcie-root-port,id=rp3,chassis=3",
    "-device",
    "virtio-scsi-pci,bus=rp3",
    "-device",
    "pcie-root-port,id=rp4,chassis=4",
    "-device",
    "virtio-gpu-pci,bus=rp4",
    "-device",
    "pcie-root-port,id=rp5,chassis=5",
    "-device",
    "virtio-balloon-pci,bus=rp5",
    "-device",
    "pcie-root-port,id=rp6,chassis=6",
    "-device",
    "virtio-serial-pci,bus=rp6",
];

/// The machine type families surveyed: x86's PCI Express one, and Arm's.
const FAMILIES: [(Arch, &str); 2] = [(Arch::X86_64, "pc-q35"), (Arch::Aarch64, "virt")];

fn machine(family: &str, version: (u32, u32)) -> String {
    format!("{family}-{}.{}", version.0, version.1)
}

/// `vmstate reference` of the guest on `machine`.
fn reference(release: Release, arch: Arch, machine: &str, path: &Path) {
    let program = release.program_for(arch).display().to_string();
    let path_text = path.display().to_string();
    let mut args = vec!["reference", "-o", &path_text, "--", &program, "-M", machine];
    args.extend(arch.common());
    args.extend(DEVICES);
    let (code, _, stderr) = vmstate(&args);
    assert_eq!(code, 0, "reference on {machine}: {stderr}");
}

/// What a verdict says of PCI configuration, per section: the bytes it
/// names, and whether it names MSI-X vectors (which `MSIX_DEFAULTS`
/// predicts, and which a reference shows as whichever byte of the
/// capability list differs first).
type ConfigSaid = BTreeMap<String, (BTreeSet<usize>, bool)>;

fn config_bytes(text: &str) -> ConfigSaid {
    let mut said = ConfigSaid::new();
    for line in text.lines() {
        let Some(section) = line.split('`').nth(1) else {
            continue;
        };
        let byte = line
            .split("PCI configuration byte 0x")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|hex| usize::from_str_radix(hex, 16).ok());
        let msix = line.contains("MSI-X vectors");
        if byte.is_none() && !msix {
            continue;
        }
        let entry = said.entry(section.to_owned()).or_default();
        entry.0.extend(byte);
        entry.1 |= msix;
    }
    said
}

/// Whether what `convert` predicted without a reference is what the
/// reference shows: the same sections, and for each the first byte QEMU
/// would find (the lowest predicted, or a lower one of a capability list
/// that MSI-X vectors change).
fn agree(predicted: &ConfigSaid, real: &ConfigSaid) -> bool {
    predicted.keys().eq(real.keys())
        && predicted.iter().all(|(section, (bytes, msix))| {
            let first = real[section].0.first().copied();
            match (bytes.first(), first) {
                (Some(lowest), Some(first)) => first == *lowest || (*msix && first < *lowest),
                (None, Some(_)) => *msix,
                (_, None) => false,
            }
        })
}

/// The guest of `release` on `from`, as `convert --machine to` without a
/// reference sees it, and as `check --reference` of `to`'s guest does.
fn predicted_and_real(
    release: Release,
    dir: &Path,
    from: &str,
    to: &str,
) -> (ConfigSaid, ConfigSaid) {
    let stream = |name: &str| dir.join(format!("{name}.mig"));
    let (source, dest) = (stream(from), stream(to));
    let renamed = dir.join("renamed.mig");
    renamed_unchecked(&source, to, &renamed);
    let text = |path: &PathBuf| path.display().to_string();
    let converted = dir.join("converted.mig");
    let (_, _, refused) = vmstate(&[
        "convert",
        &text(&source),
        "--to",
        release.dump_name(),
        "--machine",
        to,
        "-o",
        &text(&converted),
    ]);
    let (_, real, _) = vmstate(&[
        "check",
        &text(&renamed),
        release.dump_name(),
        "--reference",
        &text(&dest),
    ]);
    (config_bytes(&refused), config_bytes(&real))
}

#[test]
fn predicted_pci_defaults_match_each_machine_types_own_functions() {
    let dir = scratch("pci_defaults");
    for (release, (arch, family)) in [Release::V7_2, Release::V10_0]
        .into_iter()
        .flat_map(|release| FAMILIES.map(|family| (release, family)))
    {
        let versions: Vec<(u32, u32)> = machine_versions(release, arch, family)
            .into_iter()
            .filter(|version| *version >= (2, 9))
            .collect();
        let machine = |version| machine(family, version);
        for version in &versions {
            let name = machine(*version);
            reference(release, arch, &name, &dir.join(format!("{name}.mig")));
        }
        let newest = *versions.last().unwrap();
        let mut pairs: Vec<((u32, u32), (u32, u32))> =
            versions.windows(2).map(|pair| (pair[0], pair[1])).collect();
        // Jumps over several rules at once, as downgrades make them.
        pairs.extend([((2, 9), newest), ((7, 2), newest)]);
        let mut refused = 0;
        for (older, newer) in pairs {
            for (from, to) in [(older, newer), (newer, older)] {
                let (from, to) = (machine(from), machine(to));
                let (predicted, real) = predicted_and_real(release, &dir, &from, &to);
                assert!(
                    agree(&predicted, &real),
                    "{release:?} {arch:?}: {from} renamed {to}: convert refused {predicted:?}, the \
                     reference shows {real:?}"
                );
                refused += usize::from(!real.is_empty());
            }
        }
        // The rules were exercised: every release changes some function
        // between 2.9 and its newest machine type.
        assert!(
            refused >= 8,
            "{release:?} {family}: {refused} renames refused"
        );
    }
}

/// A 10.0 `pc-q35-10.0` guest renamed `pc-q35-7.2` (a downgrade to 7.2):
/// real QEMU 7.2 refuses it with the byte `convert` names without a
/// reference; before, `convert` wrote it.
#[test]
fn qemu_7_2_refuses_a_10_0_guest_renamed_where_convert_says() {
    let dir = scratch("pci_defaults_real");
    let source = dir.join("source.mig");
    let mut qemu = Qemu::start(Release::V10_0, "pc-q35-10.0", &[&["-S"], DEVICES].concat());
    qemu.save(&source);
    qemu.quit();
    let converted = dir.join("converted.mig");
    let (code, _, refused) = convert_renamed(
        &source.display().to_string(),
        "qemu-7.2",
        "pc-q35-7.2",
        &converted,
    );
    assert_eq!(code, 1, "{refused}");
    assert!(!converted.exists());
    let renamed = dir.join("renamed.mig");
    renamed_unchecked(&source, "pc-q35-7.2", &renamed);
    let Err(qemu_error) = Qemu::load(Release::V7_2, "pc-q35-7.2", DEVICES, &renamed) else {
        panic!("QEMU 7.2 loaded the renamed stream");
    };
    let said = qemu_error
        .lines()
        .find_map(|line| line.split("Bad config data: ").nth(1))
        .unwrap_or_else(|| panic!("QEMU's message: {qemu_error}"));
    let byte = said.split_whitespace().next().unwrap();
    assert!(
        refused.contains(&format!("Bad config data: {byte} ")),
        "QEMU: {said}\nconvert: {refused}"
    );
}
