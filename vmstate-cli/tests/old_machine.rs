//! Streams of old machine types (`pc-i440fx-2.0`, `pc-i440fx-2.2`,
//! `pc-q35-2.4`, `pc-i440fx-2.4`), written by QEMU 7.2 and 10.0: every
//! section is decoded by its model, and `vmstate check` says QEMU 7.2 loads
//! them. The 2.0 and 2.2 streams have no vmdesc, no footers and no
//! configuration section, so every section's end comes from its model.

mod support;

use std::process::{Command, Output};

/// The sections of a bare `pc-i440fx-2.x` machine between `timer` and
/// `piix4_pm`, in stream order.
const PC_CORE: [&str; 25] = [
    "cpu_common",
    "cpu",
    "kvm-tpr-opt",
    "apic",
    "fw_cfg",
    "PCIBUS",
    "0000:00:00.0/I440FX",
    "dma",
    "dma",
    "0000:00:01.0/PIIX3",
    "i8259",
    "i8259",
    "ioapic",
    "hpet",
    "mc146818rtc",
    "i8254",
    "fdc",
    "ps2kbd",
    "ps2mouse",
    "pckbd",
    "vmmouse",
    "port92",
    "0000:00:01.1/ide",
    "i2c_bus",
    "0000:00:01.3/piix4_pm",
];

/// The devices of `OLD_DEVICES` (tests/data/guest-options.sh) in PCI slots
/// `first` and on: e1000, rtl8139, i6300esb, AC97, UHCI and its tablet.
fn devices(first: u8) -> Vec<String> {
    let slot = |n: u8| format!("0000:00:{:02x}.0", first + n);
    vec![
        format!("{}/e1000", slot(0)),
        format!("{}/rtl8139", slot(1)),
        format!("{}/i6300esb_wdt", slot(2)),
        format!("{}/ac97", slot(3)),
        format!("{}/uhci", slot(4)),
        format!("{}/1/usb-ptr", slot(4)),
    ]
}

/// A bare `pc-i440fx-2.x` guest; `globalstate` is sent by these machine
/// types only while the guest never ran (its run state is then `prelaunch`).
fn pc_bare(paused: bool) -> Vec<String> {
    let mut sections = vec!["ram".to_owned(), "timer".to_owned()];
    sections.extend(PC_CORE.map(str::to_owned));
    sections.push("acpi_build".to_owned());
    if paused {
        sections.push("globalstate".to_owned());
    }
    sections
}

/// A `pc-i440fx-2.0`/`2.2` guest of QEMU 7.2 with the `OLD_DEVICES`.
fn pc_devices() -> Vec<String> {
    let mut sections = vec!["ram".to_owned(), "timer".to_owned(), "slirp".to_owned()];
    sections.extend(PC_CORE.map(str::to_owned));
    sections.extend(devices(2));
    sections.push("acpi_build".to_owned());
    sections
}

/// A `pc-q35-2.4` guest with the `OLD_DEVICES`; `mc146818rtc` comes where
/// the release registers it.
fn q35_devices(rtc_early: bool) -> Vec<String> {
    let mut sections: Vec<String> = [
        "ram",
        "timer",
        "slirp",
        "cpu_common",
        "cpu",
        "kvm-tpr-opt",
        "apic",
        "fw_cfg",
        "0000:00:00.0/mch",
        "PCIBUS",
        "dma",
        "dma",
    ]
    .map(str::to_owned)
    .to_vec();
    if rtc_early {
        sections.push("mc146818rtc".to_owned());
    }
    sections
        .extend(["0000:00:1f.0/ICH9LPC", "i8259", "i8259", "ioapic", "hpet"].map(str::to_owned));
    if !rtc_early {
        sections.push("mc146818rtc".to_owned());
    }
    sections.extend(
        [
            "i8254",
            "ps2kbd",
            "ps2mouse",
            "pckbd",
            "vmmouse",
            "port92",
            "0000:00:1f.2/ich9_ahci",
            "i2c_bus",
            "0000:00:1f.3/ich9_smb",
        ]
        .map(str::to_owned),
    );
    sections.extend(devices(1));
    sections.extend(["acpi_build", "globalstate"].map(str::to_owned));
    sections
}

/// QEMU 10.0's `pc-i440fx-2.4` with the `OLD_DEVICES`: 10.0 registers the
/// PCI host, RTC, IDE and ACPI functions before the PIIX3 bridge.
fn pc24_devices_10() -> Vec<String> {
    let mut sections: Vec<String> = [
        "ram",
        "timer",
        "slirp",
        "cpu_common",
        "cpu",
        "kvm-tpr-opt",
        "apic",
        "0000:00:00.0/I440FX",
        "PCIBUS",
        "fw_cfg",
        "dma",
        "dma",
        "mc146818rtc",
        "0000:00:01.1/ide",
        "i2c_bus",
        "0000:00:01.3/piix4_pm",
        "0000:00:01.0/PIIX3",
        "i8259",
        "i8259",
        "ioapic",
        "hpet",
        "i8254",
        "fdc",
        "ps2kbd",
        "ps2mouse",
        "pckbd",
        "vmmouse",
        "port92",
    ]
    .map(str::to_owned)
    .to_vec();
    sections.extend(devices(2));
    sections.extend(["acpi_build", "globalstate"].map(str::to_owned));
    sections
}

fn vmstate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vmstate"))
        .args(args)
        .output()
        .expect("runs vmstate")
}

/// `vmstate inspect` lists exactly `expected`, every section but RAM decoded
/// by its model, and `vmstate check` says QEMU 7.2 loads the stream.
fn assert_decoded_and_loads(name: &str, expected: &[String]) {
    let path = support::fixtures::arg(name);
    let output = vmstate(&["inspect", &path]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{name}: exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    // Rows: id, section, instance, version, bytes, decoded by; the machine
    // line (streams with a configuration section) and commands are skipped.
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .filter(|line| !line.starts_with("machine:"))
        .skip(1)
        .map(|line| line.split_whitespace().collect())
        .filter(|row: &Vec<&str>| row.first() != Some(&"-"))
        .collect();
    let names: Vec<&str> = rows.iter().map(|row| row[1]).collect();
    assert_eq!(names, expected, "{name}:\n{stdout}");
    for row in &rows[1..] {
        assert_eq!(row.last(), Some(&"model"), "{name}, {}:\n{stdout}", row[1]);
    }
    let output = vmstate(&["check", &path, "qemu-7.2"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{name}: check says QEMU 7.2 does not load it\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn pc_2_0_ran() {
    assert_decoded_and_loads("qemu-7.2/pc-2.0-ran", &pc_bare(false));
}

#[test]
fn pc_2_0_paused() {
    assert_decoded_and_loads("qemu-7.2/pc-2.0-paused", &pc_bare(true));
}

#[test]
fn pc_2_0_devices() {
    assert_decoded_and_loads("qemu-7.2/pc-2.0-devices", &pc_devices());
}

#[test]
fn pc_2_2_paused() {
    assert_decoded_and_loads("qemu-7.2/pc-2.2-paused", &pc_bare(true));
}

#[test]
fn pc_2_2_ran() {
    assert_decoded_and_loads("qemu-7.2/pc-2.2-ran", &pc_bare(false));
}

#[test]
fn pc_2_2_devices() {
    assert_decoded_and_loads("qemu-7.2/pc-2.2-devices", &pc_devices());
}

#[test]
fn q35_2_4_devices_of_7_2() {
    assert_decoded_and_loads("qemu-7.2/q35-2.4-devices", &q35_devices(false));
}

#[test]
fn q35_2_4_devices_of_10_0() {
    assert_decoded_and_loads("qemu-10.0/q35-2.4-devices", &q35_devices(true));
}

#[test]
fn pc_2_4_devices_of_10_0() {
    assert_decoded_and_loads("qemu-10.0/pc-2.4-devices", &pc24_devices_10());
}

/// A section no model knows, in a stream without a vmdesc: the error names
/// it (idstr, instance, version, offset) and says why the stream cannot be
/// cut without it. `port92` renamed to `port93` (same length, so the rest of
/// the stream is unchanged).
#[test]
fn a_section_no_model_knows_is_named() {
    let mut bytes =
        std::fs::read(support::fixtures::arg("qemu-7.2/pc-2.0-paused")).expect("fixture");
    let at = bytes
        .windows(7)
        .position(|w| w == b"\x06port92")
        .expect("a port92 section header");
    bytes[at + 6] = b'3';
    // The header: 0x04, be32 section id, the idstr, be32 instance, be32
    // version; the payload follows.
    let payload_at = at + 7 + 8;
    let path = std::env::temp_dir().join(format!("vmstate-renamed-{}.mig", std::process::id()));
    std::fs::write(&path, &bytes).expect("writes the stream");
    let output = vmstate(&["inspect", path.to_str().expect("utf-8 path")]);
    let _ = std::fs::remove_file(&path);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    for says in [
        "section `port93` (instance 0, version 1)".to_owned(),
        format!("byte offset {payload_at}"),
        "no vmdesc".to_owned(),
        "only a model knows where a section ends".to_owned(),
    ] {
        assert!(stderr.contains(&says), "missing {says:?} in: {stderr}");
    }
}

/// Virtio devices on `pc-i440fx-2.0`, written by real QEMU 7.2: legacy-only
/// (`disable-modern=on` before 2.7) and without the transport's extra state
/// (`migrate-extra=off` before 2.5), so no `virtio/virtqueues`,
/// `virtio/64bit_features`, `virtio/extra_state` or
/// `virtio_pci/modern_state`; and no vmdesc, so the models delimit and
/// describe every section. QEMU 7.2 loads the stream back, and `check` must
/// say so, with and without a reference: it once read the subsections the
/// models' defaults (a 10.0 machine type's devices) would send as sent, and
/// compared the models' field names with the dump's one `virtio` field, and
/// refused the stream 25 times over.
#[test]
fn legacy_virtio_devices_of_pc_2_0_are_decoded_and_load() {
    use std::time::Duration;
    use support::qemu::{COMMON, Qemu, Release, VIRTIO, scratch};

    const MACHINE: &str = "pc-i440fx-2.0";
    let dir = scratch("old-virtio");
    let reference = dir.join("ref.mig");
    let reference_arg = reference.display().to_string();
    let program = Release::V7_2.program().display().to_string();
    let mut args = vec![
        "reference",
        "-o",
        reference_arg.as_str(),
        "--",
        program.as_str(),
        "-M",
        MACHINE,
    ];
    args.extend(COMMON);
    args.extend_from_slice(VIRTIO);
    let output = vmstate(&args);
    assert!(
        output.status.success(),
        "reference: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    for ran in [false, true] {
        let stream = dir.join(format!("virtio-{ran}.mig"));
        let stream_arg = stream.display().to_string();
        let mut extra = VIRTIO.to_vec();
        if !ran {
            extra.push("-S");
        }
        let mut qemu = Qemu::start(Release::V7_2, MACHINE, &extra);
        if ran {
            // SeaBIOS finds the disk and the NIC and leaves their devices
            // configured.
            std::thread::sleep(Duration::from_secs(2));
            qemu.execute(r#"{"execute": "stop"}"#);
        }
        qemu.save(&stream);
        qemu.quit();

        let output = vmstate(&["inspect", &stream_arg]);
        let table = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "ran {ran}: {table}");
        let virtio: Vec<&str> = table.lines().filter(|l| l.contains("/virtio-")).collect();
        assert_eq!(virtio.len(), 5, "ran {ran}:\n{table}");
        for line in virtio {
            assert!(line.ends_with("model"), "ran {ran}: {line}");
        }

        for with_reference in [false, true] {
            let mut args = vec!["check", stream_arg.as_str(), "qemu-7.2"];
            if with_reference {
                args.extend(["--reference", reference_arg.as_str()]);
            }
            let output = vmstate(&args);
            assert_eq!(
                output.status.code(),
                Some(0),
                "ran {ran}, reference {with_reference}: check refuses:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let loaded = Qemu::load(Release::V7_2, MACHINE, VIRTIO, &stream)
            .unwrap_or_else(|e| panic!("ran {ran}: QEMU 7.2 refused its own stream: {e}"));
        loaded.quit();
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A rename: from, to, and the field and section QEMU refuses at (`None`:
/// it loads).
type Rename = (
    &'static str,
    &'static str,
    Option<(&'static str, &'static str)>,
);

/// The renames of [`renames_across_compat_properties_get_qemus_verdict`].
const RENAMES: [Rename; 8] = [
    (
        "pc-i440fx-7.2",
        "pc-i440fx-6.2",
        Some(("acpi_pci_hotplug.acpi_index", "0000:00:01.3/piix4_pm")),
    ),
    (
        "pc-i440fx-6.2",
        "pc-i440fx-7.0",
        Some(("acpi_pci_hotplug.acpi_index", "0000:00:01.3/piix4_pm")),
    ),
    (
        "pc-i440fx-3.1",
        "pc-i440fx-4.0",
        Some(("smb", "0000:00:01.3/piix4_pm")),
    ),
    (
        "pc-q35-4.0",
        "pc-q35-3.1",
        Some(("smb", "0000:00:1f.3/ich9_smb")),
    ),
    ("pc-i440fx-6.0", "pc-i440fx-6.1", None),
    ("pc-i440fx-2.8", "pc-i440fx-2.7", None),
    ("pc-i440fx-5.1", "pc-i440fx-5.0", None),
    ("pc-q35-3.0", "pc-q35-3.1", None),
];

/// Machine types renamed across compat properties, in real QEMU 7.2. Some
/// decide which fields a device sends behind a `field_exists` test that a
/// dump marks but cannot evaluate: `piix4_pm`'s `acpi_pci_hotplug.acpi_index`
/// (sent from `pc-i440fx-7.0` on), `piix4_pm`'s and `ich9_smb`'s `smb` (from
/// 4.0 on); QEMU then reads the section with its own guest's layout and fails
/// ("Missing section footer for ..."), both ways, and `check --reference`
/// once said such a renamed stream loads; `check` without a reference now
/// says it from DEST's machine type, and `convert --machine` without one
/// refuses, where it used to write the stream. Others decide whether a section is
/// sent at all (`pcspk` from 2.8 on, `PCIHost` from 5.1 on): QEMU loads it
/// whatever its own guest would send, and `check --reference` once refused
/// it ("DEST's guest has no such device"). A rename that changes neither (6.0
/// to 6.1) loads.
#[test]
fn renames_across_compat_properties_get_qemus_verdict() {
    use support::qemu::{COMMON, Qemu, Release, scratch};

    let dir = scratch("old-renames");
    let program = Release::V7_2.program().display().to_string();
    for (from, to, refused_at) in RENAMES {
        let what = format!("{from} renamed {to}");
        let stream = dir.join(format!("{from}.mig"));
        let mut qemu = Qemu::start(Release::V7_2, from, &["-S"]);
        qemu.save(&stream);
        qemu.quit();
        let reference = dir.join(format!("{to}.ref")).display().to_string();
        let mut args = vec!["reference", "-o", &reference, "--", &program, "-M", to];
        args.extend(COMMON);
        let output = vmstate(&args);
        assert!(output.status.success(), "{what}: reference");
        // Renamed by hand (a same-length edit of the configuration section),
        // so that QEMU shows what it does with the renamed stream.
        let only_renamed = dir.join(format!("{from}-as-{to}.mig"));
        let bytes = std::fs::read(&stream).unwrap();
        std::fs::write(&only_renamed, support::renamed_by_hand(&bytes, from, to)).unwrap();
        let stream_arg = stream.display().to_string();
        let only_renamed_arg = only_renamed.display().to_string();
        // Without a reference, the machine types' defaults decide.
        let alone = vmstate(&["check", &only_renamed_arg, "qemu-7.2"]);
        let alone_said = String::from_utf8_lossy(&alone.stdout);
        let unchecked = dir.join(format!("{from}-unchecked-{to}.mig"));
        let convert_alone = vmstate(&[
            "convert",
            &stream_arg,
            "--to",
            "qemu-7.2",
            "--machine",
            to,
            "-o",
            &unchecked.display().to_string(),
        ]);

        let output = vmstate(&[
            "check",
            &only_renamed_arg,
            "qemu-7.2",
            "--reference",
            &reference,
        ]);
        let said = String::from_utf8_lossy(&output.stdout);
        let converted = dir.join(format!("{from}-to-{to}.mig"));
        let converted_arg = converted.display().to_string();
        let convert = vmstate(&[
            "convert",
            &stream_arg,
            "--to",
            "qemu-7.2",
            "--machine",
            to,
            "--reference",
            &reference,
            "-o",
            &converted_arg,
        ]);
        let qemu = Qemu::load(Release::V7_2, to, &[], &only_renamed);
        match (qemu, refused_at) {
            (Ok(qemu), None) => {
                qemu.quit();
                assert_eq!(output.status.code(), Some(0), "{what}: {said}");
                assert_eq!(alone.status.code(), Some(0), "{what}: {alone_said}");
                assert!(convert_alone.status.success(), "{what}: convert --machine");
                assert!(convert.status.success(), "{what}: convert --reference");
                let loaded = Qemu::load(Release::V7_2, to, &[], &converted)
                    .unwrap_or_else(|e| panic!("{what}: QEMU refused the converted: {e}"));
                loaded.quit();
            }
            (Err(refused), Some((field, section))) => {
                let footer = format!("Missing section footer for {section}");
                assert!(refused.contains(&footer), "{what}: {refused}");
                assert_eq!(output.status.code(), Some(1), "{what}: {said}");
                assert!(
                    said.contains(&format!("field `{field}`")) && said.contains(&footer),
                    "{what}: {said}"
                );
                assert_eq!(
                    convert.status.code(),
                    Some(1),
                    "{what}: convert --reference"
                );
                assert!(!converted.exists(), "{what}: convert wrote a stream");
                // And without the reference, from DEST's machine type.
                assert_eq!(alone.status.code(), Some(1), "{what}: {alone_said}");
                assert!(
                    alone_said.contains(&format!("field `{field}`"))
                        && alone_said.contains(&format!("on machine type `{to}`")),
                    "{what}: {alone_said}"
                );
                assert_eq!(convert_alone.status.code(), Some(1), "{what}: convert");
                assert!(!unchecked.exists(), "{what}: convert wrote a stream");
            }
            (Ok(qemu), Some(_)) => {
                qemu.quit();
                panic!("{what}: QEMU loads it");
            }
            (Err(refused), None) => panic!("{what}: QEMU refused: {refused}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
