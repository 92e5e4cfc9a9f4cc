//! Virtio features a guest's driver negotiated, against real QEMU. A Linux
//! guest negotiates what its device offers, and compat properties turn
//! some features off on older machine types: `VIRTIO_F_RING_RESET` from
//! 7.2 on (`queue_reset`), virtio-balloon's `PAGE_POISON` from 5.1 on. QEMU's
//! `virtio_load` refuses a feature its own device does not offer ("Features
//! 0x... unsupported"), after the guest stopped; `convert --machine` used to
//! write such a rename and `check` to call it loadable.
//!
//! The guests here run no driver, so the test writes the features a Linux
//! driver would have negotiated where `virtio_save` keeps them (the
//! `virtio/64bit_features` subsection, which QEMU reads last and keeps),
//! shows that QEMU loads that on the machine type it was saved on, then
//! renames the machine type by hand (a same-length edit) and has QEMU judge.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use support::qemu::{Arch, Qemu, Release, VIRTIO, machine_versions, scratch};
use support::vmstate;

/// `vmstate_virtio`'s subsection with all 64 negotiated bits: tag, name
/// length, name, version 1, then the be64 features.
const FEATURES_SUBSECTION: &[u8] = b"\x05\x15virtio/64bit_features\x00\x00\x00\x01";

const VERSION_1: u64 = 1 << 32;

/// Writes `features` as the negotiated features of the only virtio device of
/// the stream in `bytes`.
fn negotiate(bytes: &mut [u8], features: u64) {
    let found: Vec<usize> = bytes
        .windows(FEATURES_SUBSECTION.len())
        .enumerate()
        .filter(|(_, w)| *w == FEATURES_SUBSECTION)
        .map(|(at, _)| at + FEATURES_SUBSECTION.len())
        .collect();
    assert_eq!(found.len(), 1, "one virtio device with 64-bit features");
    let at = found[0];
    assert_eq!(&bytes[at..at + 8], &[0; 8], "no driver ran");
    bytes[at..at + 8].copy_from_slice(&features.to_be_bytes());
}

/// A stream `source` wrote for a paused guest with `devices` on `machine`,
/// with `features` written in as its one virtio device's negotiated ones;
/// each of `dests` loads it as it is, as `check` says.
fn negotiated(
    dir: &Path,
    source: Release,
    machine: &str,
    devices: &[&str],
    features: u64,
    dests: &[Release],
) -> Vec<u8> {
    let saved = dir.join("saved.mig");
    let mut qemu = Qemu::start(source, machine, &[&["-S"], devices].concat());
    qemu.save(&saved);
    qemu.quit();
    let mut bytes = std::fs::read(&saved).unwrap();
    negotiate(&mut bytes, features);
    let stream = dir.join("negotiated.mig");
    std::fs::write(&stream, &bytes).unwrap();
    for &release in dests {
        let dest = release.dump_name();
        let (code, out, err) = vmstate(&["check", &path(&stream), dest]);
        assert_eq!(code, 0, "{dest}: {out}{err}");
        Qemu::load(release, machine, devices, &stream)
            .unwrap_or_else(|e| panic!("{dest} refused the features on {machine}: {e}"))
            .quit();
    }
    bytes
}

/// The stream in `bytes` renamed from `from` to `to`: each of `dests`
/// refuses it for `features` (QEMU's "Features 0x... unsupported"), `check`
/// says so naming `named`, and `convert --machine` refuses to write it.
fn refused_renamed(
    dir: &Path,
    bytes: &[u8],
    (from, to): (&str, &str),
    devices: &[&str],
    features: u64,
    named: &str,
    dests: &[Release],
) {
    let stream = dir.join("negotiated.mig");
    let moved = dir.join(format!("renamed-{to}.mig"));
    std::fs::write(&moved, support::renamed_by_hand(bytes, from, to)).unwrap();
    let refusal = format!("Features 0x{features:x} unsupported");
    for &release in dests {
        let dest = release.dump_name();
        let (code, out, err) = vmstate(&["check", &path(&moved), dest]);
        assert_eq!(code, 1, "{dest}: {out}{err}");
        assert!(
            out.contains(named) && out.contains(&refusal),
            "{dest}: {out}"
        );
        match Qemu::load(release, to, devices, &moved) {
            Ok(qemu) => {
                qemu.quit();
                panic!("{dest} loaded {named} on {to}");
            }
            Err(stderr) => assert!(stderr.contains(&refusal), "{dest}: {stderr}"),
        }
        refused_by_convert(&stream, dest, to, named);
    }
}

/// `convert STREAM --to DEST --machine TO` without a reference refuses,
/// naming `named`, and writes nothing.
fn refused_by_convert(stream: &Path, dest: &str, to: &str, named: &str) {
    let converted = stream.with_extension("converted");
    let (code, _, err) = vmstate(&[
        "convert",
        &path(stream),
        "--to",
        dest,
        "--machine",
        to,
        "-o",
        &path(&converted),
    ]);
    assert_eq!(code, 1, "{dest}: {err}");
    assert!(err.contains(named), "{dest}: {err}");
    assert!(
        !converted.exists(),
        "{dest}: convert wrote {}",
        converted.display()
    );
}

/// One guest of QEMU 7.2 whose device negotiated `features` on machine type
/// `from`, which both releases load, renamed `to`, which both refuse.
fn judged(name: &str, devices: &[&str], (from, to): (&str, &str), features: u64, named: &str) {
    let dir = scratch(name);
    let both = [Release::V7_2, Release::V10_0];
    let bytes = negotiated(&dir, Release::V7_2, from, devices, features, &both);
    refused_renamed(&dir, &bytes, (from, to), devices, features, named, &both);
    std::fs::remove_dir_all(&dir).ok();
}

fn path(path: &Path) -> String {
    path.display().to_string()
}

#[test]
fn ring_reset_is_refused_on_machine_types_before_7_2() {
    judged(
        "virtio-ring-reset",
        &[
            "-netdev",
            "user,id=n0",
            "-device",
            "virtio-net-pci,netdev=n0,romfile=",
        ],
        ("pc-q35-7.2", "pc-q35-7.1"),
        VERSION_1 | 1 << 40,
        "VIRTIO_F_RING_RESET",
    );
}

#[test]
fn balloon_page_poison_is_refused_on_machine_types_before_5_1() {
    judged(
        "virtio-page-poison",
        &["-device", "virtio-balloon-pci"],
        ("pc-i440fx-5.1", "pc-i440fx-5.0"),
        VERSION_1 | 1 << 4,
        "VIRTIO_BALLOON_F_PAGE_POISON",
    );
}

/// A QEMU 10.0 guest on a tap device, whose virtio-net offers UDP
/// segmentation offload (USO) from machine type 8.2 on and which a Linux
/// guest (6.2 and later) negotiates: renamed 8.1, 10.0 refuses it, and
/// renamed 7.2, so does 7.2, which has no USO at all. Needs `/dev/net/tun`
/// (QEMU creates the tap device and removes it on exit): skipped, saying
/// so, where there is none.
#[test]
fn uso_is_refused_on_machine_types_before_8_2_and_by_7_2() {
    if std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")
        .is_err()
    {
        eprintln!("skipped: no usable /dev/net/tun");
        return;
    }
    let dir = scratch("virtio-uso");
    let devices = [
        "-netdev",
        "tap,id=n0,script=no,downscript=no",
        "-device",
        "virtio-net-pci,netdev=n0,romfile=",
    ];
    let uso = VERSION_1 | 1 << 54 | 1 << 55 | 1 << 56;
    let (machine, name) = ("pc-q35-8.2", "VIRTIO_NET_F_HOST_USO");
    let bytes = negotiated(
        &dir,
        Release::V10_0,
        machine,
        &devices,
        uso,
        &[Release::V10_0],
    );
    for (to, dest) in [
        ("pc-q35-8.1", Release::V10_0),
        ("pc-q35-7.2", Release::V7_2),
    ] {
        refused_renamed(&dir, &bytes, (machine, to), &devices, uso, name, &[dest]);
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Devices whose offered features the survey reads, beside the test
/// support's [`VIRTIO`] guest: every virtio device a guest commonly has that
/// needs no host resources.
const SURVEYED: &[&str] = &[
    "-device",
    "virtio-scsi-pci",
    "-device",
    "virtio-gpu-pci",
    "-device",
    "virtio-keyboard-pci",
];

/// The features each virtio device of the guest offers on `machine`, by
/// device (as its section names it), as bits: the names QEMU knows mapped
/// through [`vmstate::check::VIRTIO_FEATURES`] (a name it lacks is kept as
/// a name, to fail the comparison), and the bits it reports unnamed.
fn offered(release: Release, arch: Arch, machine: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut qemu = Qemu::start_arch(
        release,
        arch,
        machine,
        &[&["-S"], VIRTIO, SURVEYED].concat(),
    );
    let devices = qemu.execute(r#"{"execute": "x-query-virtio"}"#);
    let mut offered = BTreeMap::new();
    for device in devices.as_array().unwrap() {
        let status = qemu.execute(
            &serde_json::json!({
                "execute": "x-query-virtio-status",
                "arguments": { "path": device["path"] },
            })
            .to_string(),
        );
        let host = &status["host-features"];
        let mut features: BTreeSet<String> = ["transports", "dev-features"]
            .iter()
            .flat_map(|kind| host[kind].as_array().cloned().unwrap_or_default())
            .filter_map(|f| Some(f.as_str()?.split(':').next()?.to_owned()))
            .collect();
        let unknown = host["unknown-dev-features"].as_u64().unwrap_or(0);
        features.extend((0..64).filter(|b| unknown & 1 << b != 0).map(|b| {
            vmstate::check::VIRTIO_FEATURES
                .iter()
                .find(|f| f.bit == b)
                .map_or_else(|| format!("bit {b}"), |f| f.name.to_owned())
        }));
        // virtio-serial's section is `virtio-console`.
        let name = match device["name"].as_str().unwrap() {
            "virtio-serial" => "virtio-console",
            other => other,
        };
        offered.insert(name.to_owned(), features);
    }
    qemu.quit();
    offered
}

/// Each release offers, on each `pc-i440fx` and Arm `virt` machine type it
/// runs, what [`vmstate::check::VIRTIO_FEATURES`] says: walking the machine
/// types oldest first, every feature a device starts or stops offering is
/// an entry there with that machine type as its `since` or after its
/// `until`, and every entry for these devices is seen to change so.
#[test]
fn the_features_that_machine_types_decide_are_the_ones_listed() {
    let mut problems = Vec::new();
    for release in [Release::V7_2, Release::V10_0] {
        for (arch, family) in [(Arch::X86_64, "pc-i440fx"), (Arch::Aarch64, "virt")] {
            problems.extend(survey(release, arch, family));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// What differs between [`vmstate::check::VIRTIO_FEATURES`] and what
/// `release` offers on the machine types of `family`.
fn survey(release: Release, arch: Arch, family: &str) -> Vec<String> {
    let machines = machine_versions(release, arch, family);
    assert!(machines.len() > 10, "{release:?} {family}: {machines:?}");
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    let mut before: Option<BTreeMap<String, BTreeSet<String>>> = None;
    for (i, &version) in machines.iter().enumerate() {
        let machine = format!("{family}-{}.{}", version.0, version.1);
        let now = offered(release, arch, &machine);
        if let Some(before) = &before {
            for (device, features) in &now {
                let old = &before[device];
                let started = features.difference(old).map(|f| (f, true));
                let stopped = old.difference(features).map(|f| (f, false));
                for (name, offered) in started.chain(stopped) {
                    let listed = vmstate::check::VIRTIO_FEATURES.iter().any(|f| {
                        f.name == name
                            && f.applies_to(device)
                            && f.offered(None, Some(version)) == offered
                            && f.offered(None, Some(machines[i - 1])) != offered
                    });
                    if !listed {
                        problems.push(format!(
                            "{release:?}: {device} {} {name} on {machine}, which the list does \
                             not say",
                            if offered {
                                "starts offering"
                            } else {
                                "stops offering"
                            }
                        ));
                    }
                    seen.insert((name.clone(), device.clone()));
                }
            }
        }
        before = Some(now);
    }
    // Every listed change within these machine types was seen.
    let (oldest, newest) = (machines[0], machines[machines.len() - 1]);
    let devices = before.unwrap_or_default();
    for feature in vmstate::check::VIRTIO_FEATURES {
        // USO needs a backend that has it; a release before the feature
        // offers it nowhere.
        if feature.name.contains("_USO") || feature.release > release.version() {
            continue;
        }
        let changes = feature.offered(None, Some(oldest)) != feature.offered(None, Some(newest));
        for device in devices.keys().filter(|d| feature.applies_to(d)) {
            if changes && !seen.contains(&(feature.name.to_owned(), device.clone())) {
                problems.push(format!(
                    "{release:?}: {device} never changed {} across the {family} machine types",
                    feature.name
                ));
            }
        }
    }
    problems
}

/// The MSI-X table size of each PCI device of a paused guest of `release`
/// on `machine` (0 without MSI-X), by device as its section names it.
fn msix_sizes(release: Release, arch: Arch, machine: &str, dir: &Path) -> BTreeMap<String, usize> {
    let stream = dir.join(format!("{machine}.mig"));
    let mut qemu = Qemu::start_arch(
        release,
        arch,
        machine,
        &[&["-S"], VIRTIO, SURVEYED].concat(),
    );
    qemu.save(&stream);
    qemu.quit();
    let reader = vmstate::stream::StreamReader::new(std::fs::File::open(&stream).unwrap())
        .unwrap()
        .with_page_runs();
    let facts = vmstate::check::StreamFacts::read(reader, &|_, _| None).unwrap();
    std::fs::remove_file(&stream).ok();
    facts
        .sections
        .iter()
        .filter_map(|section| {
            let config = section.pci_config.as_ref()?;
            let device = section.idstr.rsplit('/').next()?;
            Some((device.to_owned(), msix_table_size(config)))
        })
        .collect()
}

/// The MSI-X table size in a PCI configuration space, 0 without MSI-X.
fn msix_table_size(config: &[u8]) -> usize {
    let mut at = usize::from(config[0x34] & !3);
    let mut steps = 0;
    while (0x40..0xff).contains(&at) && steps < 48 {
        if config[at] == 0x11 {
            let control = u16::from_le_bytes([config[at + 2], config[at + 3]]);
            return usize::from(control & 0x7ff) + 1;
        }
        at = usize::from(config[at + 1] & !3);
        steps += 1;
    }
    0
}

/// Each release builds, on each `pc-i440fx` and Arm `virt` machine type it
/// runs (2.4 and later, whose streams describe themselves), every virtio
/// device of the guest with the MSI-X vectors
/// [`vmstate::check::MSIX_DEFAULTS`] says, and the others with the same
/// vectors on all of them.
#[test]
fn the_msix_vectors_that_machine_types_decide_are_the_ones_listed() {
    let dir = scratch("msix-survey");
    let mut problems = Vec::new();
    for release in [Release::V7_2, Release::V10_0] {
        for (arch, family) in [(Arch::X86_64, "pc-i440fx"), (Arch::Aarch64, "virt")] {
            let mut first: Option<BTreeMap<String, usize>> = None;
            for version in machine_versions(release, arch, family) {
                if version < (2, 4) {
                    continue;
                }
                let machine = format!("{family}-{}.{}", version.0, version.1);
                let sizes = msix_sizes(release, arch, &machine, &dir);
                for (device, &vectors) in sizes.iter().filter(|(d, _)| d.starts_with("virtio-")) {
                    let rule = vmstate::check::MSIX_DEFAULTS
                        .iter()
                        .find(|rule| rule.device == device);
                    let expected = match (rule, &first) {
                        (Some(rule), _) => rule.on(version),
                        (None, Some(first)) => first[device],
                        (None, None) => vectors,
                    };
                    if vectors != expected {
                        problems.push(format!(
                            "{release:?} {machine}: {device} has {vectors} MSI-X vectors, the \
                             list says {expected}"
                        ));
                    }
                }
                first.get_or_insert(sizes);
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    std::fs::remove_dir_all(&dir).ok();
}

/// A QEMU 10.0 guest's virtio-balloon, which has MSI-X on `pc-i440fx-10.0`
/// and none on 9.2 and older: renamed 7.2, QEMU 7.2 and 10.0 refuse it, and
/// `convert --machine` refuses to write it without a reference, where it
/// used to. (`check` of a stream renamed by hand cannot tell a rename from
/// a device configured otherwise: the stream keeps no trace of its first
/// machine type.)
#[test]
fn a_balloon_renamed_to_a_machine_type_without_its_msix_is_refused() {
    let dir = scratch("msix-balloon");
    let devices = ["-device", "virtio-balloon-pci"];
    let (from, to) = ("pc-i440fx-10.0", "pc-i440fx-7.2");
    let saved = dir.join("saved.mig");
    let mut qemu = Qemu::start(Release::V10_0, from, &[&["-S"][..], &devices].concat());
    qemu.save(&saved);
    qemu.quit();
    let moved = dir.join("renamed.mig");
    support::renamed_unchecked(&saved, to, &moved);
    for release in [Release::V7_2, Release::V10_0] {
        let dest = release.dump_name();
        match Qemu::load(release, to, &devices, &moved) {
            Ok(qemu) => {
                qemu.quit();
                panic!("{dest} loaded the balloon without MSI-X");
            }
            Err(stderr) => assert!(
                stderr.contains("Bad config data: i=0x34"),
                "{dest}: {stderr}"
            ),
        }
        refused_by_convert(&saved, dest, to, "no MSI-X");
    }
    std::fs::remove_dir_all(&dir).ok();
}
