//! Migration between real QEMU releases, 7.2 and 10.0.2, both ways.
//!
//! - The matrix: for each (stream, destination) pair, `vmstate check` gives a
//!   verdict and the real destination QEMU loads the stream; they must agree,
//!   and a stream QEMU loads must get no reason at all.
//! - `convert`: a 10.0 guest on a 10.0 machine type loads in 7.2 after it,
//!   with the same device state.
//! - Ping-pong: a running guest hops 7.2 -> 10.0 -> 7.2 -> 10.0, and 10.0 ->
//!   7.2 live through `exec:` with `convert` as the filter, then back; at every
//!   hop the device state is compared field by field and the guest runs on.

mod support;

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;
use support::qemu::{E1000_SERIAL, Qemu, Release, USB_HDA, VIRTIO, scratch};
use support::{convert_renamed, inspect_json, vmstate};

/// One (stream, destination) pair of the matrix.
struct Pair {
    /// The stream, under tests/data.
    stream: &'static str,
    /// The QEMU that loads it.
    dest: Release,
    /// The machine type that QEMU runs.
    machine: &'static str,
    /// Its devices beyond the machine's own.
    devices: &'static [&'static str],
    /// The dump `check` gets: a file under tests/data (a QEMU started with
    /// that dump's machine type), or `None` for the release shipped with the
    /// tool (started with the stream's machine type).
    dump: Option<&'static str>,
}

const fn pair(
    stream: &'static str,
    dest: Release,
    machine: &'static str,
    devices: &'static [&'static str],
) -> Pair {
    Pair {
        stream,
        dest,
        machine,
        devices,
        dump: None,
    }
}

const MATRIX: &[Pair] = &[
    // Forward, 7.2 -> 10.0, on machine types both run.
    pair("qemu-7.2/pc-ran.mig", Release::V10_0, "pc-i440fx-7.2", &[]),
    pair("qemu-7.2/q35-paused.mig", Release::V10_0, "pc-q35-7.2", &[]),
    pair(
        "qemu-7.2/pc-e1000-serial.mig",
        Release::V10_0,
        "pc-i440fx-7.2",
        E1000_SERIAL,
    ),
    // Forward onto 10.0's own machine type: QEMU compares the names.
    Pair {
        dump: Some("qemu-10.0/pc-10.0.dump.json"),
        ..pair("qemu-7.2/pc-ran.mig", Release::V10_0, "pc-i440fx-10.0", &[])
    },
    // Backward, 10.0 -> 7.2, on compat machine types.
    pair(
        "qemu-10.0/pc72-ran.mig",
        Release::V7_2,
        "pc-i440fx-7.2",
        &[],
    ),
    pair("qemu-10.0/q35-72-ran.mig", Release::V7_2, "pc-q35-7.2", &[]),
    pair(
        "qemu-10.0/q35-72-virtio.mig",
        Release::V7_2,
        "pc-q35-7.2",
        VIRTIO,
    ),
    pair(
        "qemu-10.0/pc-2.10-ran.mig",
        Release::V7_2,
        "pc-i440fx-2.10",
        &[],
    ),
    // A mapped-ram save file: a capability 7.2 does not know.
    pair(
        "qemu-10.0/pc-mapped-ram.mig",
        Release::V7_2,
        "pc-i440fx-7.2",
        &[],
    ),
    // A needed subsection 7.2 lacks (i8259/ltim), and the same stream on 10.0.
    pair(
        "qemu-10.0/pc72-ltim.mig",
        Release::V7_2,
        "pc-i440fx-7.2",
        &[],
    ),
    pair(
        "qemu-10.0/pc72-ltim.mig",
        Release::V10_0,
        "pc-i440fx-7.2",
        &[],
    ),
    // An old machine type's stream without vmdesc or configuration section:
    // 7.2 loads it on that machine type, 10.0 expects a configuration section.
    pair(
        "qemu-7.2/pc-2.0-ran.mig",
        Release::V7_2,
        "pc-i440fx-2.0",
        &[],
    ),
    Pair {
        dump: Some("qemu-10.0/pc-10.0.dump.json"),
        ..pair(
            "qemu-7.2/pc-2.0-ran.mig",
            Release::V10_0,
            "pc-i440fx-10.0",
            &[],
        )
    },
    // Backward from 10.0's own machine types: refused.
    pair("qemu-10.0/pc-ran.mig", Release::V7_2, "pc-i440fx-7.2", &[]),
    pair(
        "qemu-10.0/q35-virtio.mig",
        Release::V7_2,
        "pc-q35-7.2",
        VIRTIO,
    ),
    pair(
        "qemu-10.0/q35-usb-hda.mig",
        Release::V7_2,
        "pc-q35-7.2",
        USB_HDA,
    ),
    // Same release.
    pair(
        "qemu-10.0/pc-ran.mig",
        Release::V10_0,
        "pc-i440fx-10.0",
        &[],
    ),
    pair(
        "qemu-10.0/q35-virtio.mig",
        Release::V10_0,
        "pc-q35-10.0",
        VIRTIO,
    ),
    pair(
        "qemu-7.2/pc-e1000-serial.mig",
        Release::V7_2,
        "pc-i440fx-7.2",
        E1000_SERIAL,
    ),
];

/// `vmstate check` and the real QEMU agree on every pair, and a stream QEMU
/// loads gets no reason.
#[test]
fn check_predicts_what_real_qemu_loads() {
    let mut table = String::new();
    let mut disagreements = Vec::new();
    for pair in MATRIX {
        let stream = support::fixtures::data_file(pair.stream);
        let dest = match pair.dump {
            Some(dump) => support::fixtures::data_file(dump).display().to_string(),
            None => pair.dest.dump_name().to_owned(),
        };
        let (code, out, err) = vmstate(&["check", &stream.display().to_string(), &dest]);
        // 0 loads, 1 refuses; 2 (no verdict) fails the pair.
        assert!(
            code == 0 || code == 1,
            "check {} {dest}: {err}",
            pair.stream
        );
        let reasons: Vec<&str> = out.lines().filter(|l| !l.starts_with("note:")).collect();
        let reasons = &reasons[..reasons.len().saturating_sub(1)];
        let predicted = code == 0;
        let outcome = Qemu::load(pair.dest, pair.machine, pair.devices, &stream);
        let loaded = outcome.is_ok();
        let qemu_said = match outcome {
            Ok(qemu) => {
                qemu.quit();
                "loaded".to_owned()
            }
            Err(stderr) => stderr.lines().last().unwrap_or("refused").to_owned(),
        };
        let _ = writeln!(
            table,
            "| {} | QEMU {:?} -M {} | {} | {} ({}) |",
            pair.stream,
            pair.dest,
            pair.machine,
            if predicted {
                "loads".into()
            } else {
                reasons.join("; ")
            },
            if loaded { "loads" } else { "refuses" },
            qemu_said
        );
        if predicted != loaded || (loaded && !reasons.is_empty()) {
            disagreements.push(pair.stream);
        }
    }
    eprintln!("{table}");
    assert!(
        disagreements.is_empty(),
        "check and QEMU disagree on {disagreements:?}:\n{table}"
    );
}

/// Paths whose values move while a guest runs or that a release fills from
/// its own clock: excluded from the comparisons, by name.
const MOVING: &[&str] = &[
    // The migration stream's RAM statistics differ with what the guest touched.
    "zero_pages",
    "data_pages",
    "bytes",
    "id",
];

/// Every difference in device state between two streams, as
/// `section:instance path: a != b`, from `inspect --json`, except the `MOVING`
/// keys and sections only one side has (a release may send sections the
/// other lacks). Where the two releases describe a section with different
/// fields (QEMU 10.0 split `globalstate`'s 100-byte `runstate` into four
/// fields), the payload bytes are compared instead.
fn differences(a: &Path, b: &Path) -> Vec<String> {
    let (json_a, json_b) = (inspect_json(a), inspect_json(b));
    let (bytes_a, bytes_b) = (payloads(a), payloads(b));
    let mut out = Vec::new();
    let key = |s: &Value| format!("{}:{}", s["section"].as_str().unwrap_or(""), s["instance"]);
    let empty = Vec::new();
    let sections_b = json_b["sections"].as_array().unwrap_or(&empty);
    for section in json_a["sections"].as_array().unwrap_or(&empty) {
        let name = key(section);
        let Some(other) = sections_b.iter().find(|s| key(s) == name) else {
            continue;
        };
        let names = |v: &Value| {
            v.as_object()
                .map(|m| m.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        let same_layout = names(&section["fields"])
            .iter()
            .filter(|n| !n.contains('/'))
            .eq(names(&other["fields"]).iter().filter(|n| !n.contains('/')));
        if same_layout {
            diff_values(&section["fields"], &other["fields"], &name, &mut out);
        } else if masked(&name, bytes_a.get(&name)) != masked(&name, bytes_b.get(&name)) {
            out.push(format!("{name}: the payload bytes differ"));
        }
    }
    out
}

/// Payload bytes a release fills by itself, by section and offset: QEMU 10.0
/// sets `globalstate`'s `has_vm_was_suspended` (the byte after the 4-byte
/// size and the 32-byte `runstate`) on every save, where 7.2 has zeros.
const RELEASE_FILLED: &[(&str, usize)] = &[("globalstate:0", 36)];

/// A payload with the `RELEASE_FILLED` bytes of its section zeroed.
fn masked(section: &str, payload: Option<&Vec<u8>>) -> Option<Vec<u8>> {
    let mut payload = payload?.clone();
    for (name, offset) in RELEASE_FILLED {
        if *name == section
            && let Some(byte) = payload.get_mut(*offset)
        {
            *byte = 0;
        }
    }
    Some(payload)
}

/// Each FULL section's payload, by `idstr:instance`.
fn payloads(path: &Path) -> std::collections::HashMap<String, Vec<u8>> {
    use vmstate::stream::{Record, StreamReader};
    let file = std::fs::File::open(path).unwrap();
    let mut reader = StreamReader::new(file)
        .unwrap()
        .with_delimiter(vmstate::qemu::delimit);
    let mut out = std::collections::HashMap::new();
    let mut current = String::new();
    while let Some(record) = reader.next_record().unwrap() {
        match record {
            Record::Section(header) => {
                if let Some(info) = header.info {
                    current = format!("{}:{}", info.idstr, info.instance_id);
                }
            }
            Record::State { payload, .. } => {
                out.insert(current.clone(), payload);
            }
            _ => {}
        }
    }
    out
}

fn diff_values(left: &Value, right: &Value, path: &str, out: &mut Vec<String>) {
    match (left, right) {
        (Value::Object(fields), Value::Object(others)) => {
            for (name, value) in fields {
                if MOVING.contains(&name.as_str()) {
                    continue;
                }
                // A subsection one release sends and the other does not.
                let Some(other) = others.get(name) else {
                    continue;
                };
                diff_values(value, other, &format!("{path}.{name}"), out);
            }
        }
        (Value::Array(items), Value::Array(others)) if items.len() == others.len() => {
            for (i, (item, other)) in items.iter().zip(others).enumerate() {
                diff_values(item, other, &format!("{path}[{i}]"), out);
            }
        }
        _ if left != right => out.push(format!("{path}: {left} != {right}")),
        _ => {}
    }
}

/// Loads `stream` into `release`, saves it again at once (the guest does not
/// run in between), and requires the same device state; then lets the guest
/// run and stops it again. Returns the running QEMU.
fn hop(release: Release, machine: &str, stream: &Path, dir: &Path, name: &str) -> Qemu {
    let mut qemu = Qemu::load(release, machine, &[], stream)
        .unwrap_or_else(|e| panic!("QEMU {release:?} refused {}: {e}", stream.display()));
    let again = dir.join(format!("{name}-reloaded.mig"));
    qemu.save(&again);
    let diff = differences(stream, &again);
    assert!(
        diff.is_empty(),
        "QEMU {release:?} did not keep the device state of {}:\n{}",
        stream.display(),
        diff.join("\n")
    );
    qemu.human("cont");
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(qemu.running(), "the guest runs on QEMU {release:?}");
    qemu.human("stop");
    qemu
}

/// A guest that ran SeaBIOS hops 7.2 -> 10.0 -> 7.2 -> 10.0 on a machine type
/// both releases run.
#[test]
fn ping_pong_between_releases() {
    let dir = scratch("ping-pong");
    let machine = "pc-i440fx-7.2";
    let mut qemu = Qemu::start(Release::V7_2, machine, &[]);
    std::thread::sleep(std::time::Duration::from_secs(2));
    qemu.human("stop");
    let mut stream = dir.join("hop0.mig");
    qemu.save(&stream);
    qemu.quit();
    for (i, release) in [Release::V10_0, Release::V7_2, Release::V10_0]
        .into_iter()
        .enumerate()
    {
        let mut qemu = hop(release, machine, &stream, &dir, &format!("hop{}", i + 1));
        stream = dir.join(format!("hop{}.mig", i + 1));
        qemu.save(&stream);
        qemu.quit();
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A 10.0 guest on 10.0's own machine type goes to 7.2 live, through `exec:`
/// with `vmstate convert` as the filter, with the same device state, and back.
#[test]
fn convert_takes_a_10_0_guest_to_7_2_live_and_back() {
    let dir = scratch("convert-live");
    let mut source = Qemu::start(Release::V10_0, "pc-i440fx-10.0", &[]);
    std::thread::sleep(std::time::Duration::from_secs(2));
    source.human("stop");
    let original = dir.join("original.mig");

    // The hop: the destination reads a FIFO that the filter writes.
    let fifo = dir.join("hop.fifo");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let converted = dir.join("converted.mig");
    let dest = std::thread::scope(|scope| {
        let dest = scope.spawn(|| {
            // What the filter wrote, kept for the comparison: tee's copy.
            let incoming = format!("exec:tee {} < {}", converted.display(), fifo.display());
            let mut qemu = Qemu::start(
                Release::V7_2,
                "pc-i440fx-7.2",
                &["-S", "-incoming", &incoming],
            );
            wait_for_incoming(&mut qemu);
            qemu
        });
        // The source's own stream is kept too (tee), for the comparison.
        source.migrate(&format!(
            "exec:tee {} | {} convert - --to qemu-7.2 --machine pc-i440fx-7.2 -o - > {}",
            original.display(),
            env!("CARGO_BIN_EXE_vmstate"),
            fifo.display()
        ));
        dest.join().unwrap()
    });
    source.quit();
    let (code, out, _) = vmstate(&["check", &original.display().to_string(), "qemu-7.2"]);
    assert_ne!(
        code, 0,
        "7.2 cannot load a pc-i440fx-10.0 stream as it is: {out}"
    );
    assert!(out.contains("machine type `pc-i440fx-10.0`"), "{out}");
    assert!(out.contains("SWITCHOVER_START"), "{out}");
    let diff = differences(&original, &converted);
    assert!(
        diff.is_empty(),
        "convert changed device state:\n{}",
        diff.join("\n")
    );
    let mut dest = dest;
    let reloaded = dir.join("on-7.2.mig");
    dest.save(&reloaded);
    let diff = differences(&original, &reloaded);
    assert!(
        diff.is_empty(),
        "7.2 did not keep the 10.0 guest's state:\n{}",
        diff.join("\n")
    );
    dest.human("cont");
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(dest.running(), "the guest runs on 7.2");
    dest.human("stop");
    let back = dir.join("back.mig");
    dest.save(&back);
    dest.quit();
    // And back to 10.0, on the machine type the stream now names.
    let qemu = hop(Release::V10_0, "pc-i440fx-7.2", &back, &dir, "back");
    qemu.quit();
    std::fs::remove_dir_all(&dir).ok();
}

fn wait_for_incoming(qemu: &mut Qemu) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    loop {
        let status = qemu.execute(r#"{"execute": "query-migrate"}"#);
        match status["status"].as_str() {
            Some("completed") => return,
            Some("failed") => panic!("the live hop failed: {status}"),
            _ => {}
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the live hop did not end"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// A machine-type rename keeps the devices as the source built them. With a
/// reference stream that the destination wrote for the same guest
/// configuration (a paused guest saved at once), `check` predicts what the
/// destination refuses for that, and names the PCI register; without a
/// difference, it predicts the load.
#[test]
fn a_reference_stream_predicts_what_a_rename_does_not_fix() {
    let dir = scratch("reference");
    let cases: [(&str, &str, &[&str], bool); 3] = [
        ("qemu-10.0/q35-virtio.mig", "pc-q35-7.2", VIRTIO, false),
        ("qemu-10.0/q35-usb-hda.mig", "pc-q35-7.2", USB_HDA, false),
        (
            "qemu-10.0/pc-e1000-serial.mig",
            "pc-i440fx-7.2",
            E1000_SERIAL,
            true,
        ),
    ];
    for (i, (stream, machine, devices, loads)) in cases.into_iter().enumerate() {
        // What `convert` predicted QEMU says, where it refused without a
        // reference for a byte of PCI configuration.
        let mut predicted = None;
        let converted = dir.join(format!("converted-{i}.mig"));
        let (code, _, err) = convert_renamed(
            &support::fixtures::data_file(stream).display().to_string(),
            "qemu-7.2",
            machine,
            &converted,
        );
        if code == 0 {
            assert!(
                err.contains("--reference"),
                "{stream}: the rename is flagged: {err}"
            );
        } else {
            // Refused without a reference where the machine types' defaults
            // show the difference (the balloon's MSI-X, from 10.0 on; PCI
            // Express functions' Extended Tag, from 9.2 on): the rename is
            // made without the checks, to show what QEMU does.
            assert_eq!(code, 1, "{stream}: {err}");
            assert!(
                !loads
                    && (err.contains("MSI-X")
                        || err.contains("which its release and machine type decide")),
                "{stream}: {err}"
            );
            predicted = err
                .split("(QEMU: \"")
                .nth(1)
                .and_then(|quoted| quoted.split("\")").next())
                .filter(|quoted| quoted.starts_with("Bad config data"))
                .map(str::to_owned);
            support::renamed_unchecked(&support::fixtures::data_file(stream), machine, &converted);
        }

        // The reference: QEMU 7.2 with the same machine type and devices,
        // paused at once and saved.
        let reference = dir.join(format!("reference-{i}.mig"));
        let mut args = vec!["-S"];
        args.extend_from_slice(devices);
        let mut qemu = Qemu::start(Release::V7_2, machine, &args);
        qemu.save(&reference);
        qemu.quit();

        let (code, out, _) = vmstate(&[
            "check",
            &converted.display().to_string(),
            "qemu-7.2",
            "--reference",
            &reference.display().to_string(),
        ]);
        let outcome = Qemu::load(Release::V7_2, machine, devices, &converted);
        let loaded = outcome.is_ok();
        let said = match outcome {
            Ok(qemu) => {
                qemu.quit();
                String::new()
            }
            Err(stderr) => stderr,
        };
        assert_eq!(code == 0, loads, "{stream}: check says\n{out}");
        assert_eq!(loaded, loads, "{stream}: QEMU 7.2 said\n{said}");
        if let Some(quoted) = &predicted {
            assert!(
                said.contains(quoted.as_str()),
                "{stream}: `{quoted}` not in\n{said}"
            );
        }
        if !loads {
            // The register check names is the one QEMU reports.
            let reason = out
                .lines()
                .find(|l| l.contains("PCI configuration byte"))
                .unwrap();
            let quoted = reason
                .split("(QEMU: \"")
                .nth(1)
                .unwrap()
                .trim_end_matches("\")");
            assert!(said.contains(quoted), "{stream}: `{quoted}` not in\n{said}");
        }
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// A destination that loads a device only at an older version: `convert`
/// re-encodes the section through its model when the older layout holds the
/// state (i8254 version 3 -> 2: the field version 3 added is at its default),
/// and real QEMU 7.2 loads the result, which it accepts at version 2 too; it
/// refuses when state would be lost (mc146818rtc 3 -> 2 drops `base_rtc` and
/// the other version-3 fields, which a guest that ran has set).
#[test]
fn convert_re_encodes_a_section_at_an_older_version_or_refuses() {
    let dir = scratch("lower");
    let dump_text =
        std::fs::read_to_string(support::fixtures::data_file("qemu-7.2/pc-7.2.dump.json")).unwrap();
    let older = |vmsd: &str, version: i64| {
        let mut dump: Value = serde_json::from_str(&dump_text).unwrap();
        for (_, section) in dump.as_object_mut().unwrap() {
            if section["Description"]["name"] == vmsd {
                section["version_id"] = version.into();
                section["Description"]["version_id"] = version.into();
            }
        }
        let path = dir.join(format!("{vmsd}-v{version}.json"));
        std::fs::write(&path, dump.to_string()).unwrap();
        path.display().to_string()
    };
    let stream = support::fixtures::data_file("qemu-7.2/pc-ran.mig")
        .display()
        .to_string();
    let out = dir.join("lowered.mig");
    let out_arg = out.display().to_string();

    let pit_v2 = older("i8254", 2);
    let (code, report, _) = vmstate(&["check", &stream, &pit_v2]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("section `i8254` instance 0: version 3, DEST loads 2..=2"),
        "{report}"
    );
    let (code, _, err) = vmstate(&["convert", &stream, "--to", &pit_v2, "-o", &out_arg]);
    assert_eq!(code, 0, "{err}");
    let (code, report, _) = vmstate(&["check", &out_arg, &pit_v2]);
    assert_eq!(code, 0, "{report}");
    let document = inspect_json(&out);
    let pit = document["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["section"] == "i8254")
        .unwrap();
    assert_eq!(pit["version"], 2);
    let before = inspect_json(&support::fixtures::data_file("qemu-7.2/pc-ran.mig"));
    let pit_before = before["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["section"] == "i8254")
        .unwrap();
    assert_eq!(
        pit["bytes"].as_u64().unwrap() + 4,
        pit_before["bytes"].as_u64().unwrap()
    );
    let qemu = Qemu::load(Release::V7_2, "pc-i440fx-7.2", &[], &out)
        .unwrap_or_else(|e| panic!("QEMU 7.2 refused the re-encoded stream: {e}"));
    qemu.quit();

    let rtc_v2 = older("mc146818rtc", 2);
    std::fs::remove_file(&out).ok();
    let (code, _, err) = vmstate(&["convert", &stream, "--to", &rtc_v2, "-o", &out_arg]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("version 3 cannot be re-encoded at version 2"),
        "{err}"
    );
    assert!(err.contains("base_rtc"), "{err}");
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).ok();
}

/// A CPU's sections are numbered by its APIC ID, which the topology decides
/// and the guest reads: a 7.2 guest with two sockets of three cores (APIC
/// IDs 0-2 and 4-6) is refused by a 10.0 started with `-smp 6` ("Unknown
/// savevm section or instance 'apic' 4", or another of 4-6), and `check
/// --reference` and `convert --reference` refuse it too. `convert` once
/// renumbered the sections by their rank, and 10.0 loaded the states of
/// CPUs 4-6 into CPUs 3-5, whose CPUID gives them other IDs.
#[test]
fn a_guest_of_another_topology_is_not_renumbered_into_dests() {
    let dir = scratch("topology");
    let (stream, reference, converted) = (
        dir.join("stream.mig"),
        dir.join("reference.mig"),
        dir.join("converted.mig"),
    );
    let mut source = Qemu::start(
        Release::V7_2,
        "pc-q35-7.2",
        &["-S", "-smp", "6,sockets=2,cores=3"],
    );
    source.save(&stream);
    source.quit();
    let mut dest = Qemu::start(Release::V10_0, "pc-q35-7.2", &["-S", "-smp", "6"]);
    dest.save(&reference);
    dest.quit();
    let text = |path: &Path| path.display().to_string();
    let (code, out, _) = vmstate(&[
        "check",
        &text(&stream),
        "qemu-10.0",
        "--reference",
        &text(&reference),
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("`apic`"), "{out}");
    let (code, _, err) = vmstate(&[
        "convert",
        &text(&stream),
        "--to",
        "qemu-10.0",
        "--reference",
        &text(&reference),
        "-o",
        &text(&converted),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("`apic`"), "{err}");
    assert!(!converted.exists());
    let Err(said) = Qemu::load(Release::V10_0, "pc-q35-7.2", &["-smp", "6"], &stream) else {
        panic!("QEMU 10.0 loaded a guest of another topology");
    };
    assert!(
        said.contains("Unknown savevm section or instance 'apic'"),
        "{said}"
    );
    std::fs::remove_dir_all(&dir).ok();
}
