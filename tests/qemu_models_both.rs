//! Every `vmstate::qemu` model against every real stream of both QEMU releases
//! (`tests/data/qemu-7.2/*.mig`, `tests/data/qemu-10.0/*.mig`): each section
//! that has a model decodes, takes exactly the bytes its section holds, and
//! re-encodes to the same bytes.
//!
//! Streams with a vmdesc are delimited by it, so a model that takes too few or
//! too many bytes is caught; streams without one (old machine types) are
//! delimited by the models themselves, so there the proof is that the whole
//! stream parses to its EOF with every section decoded by a model.

mod support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs::File;
use std::path::PathBuf;

use support::fixtures;
use vmstate::stream::{Record, SectionInfo, StreamReader};

fn fixtures() -> Vec<PathBuf> {
    let paths: Vec<PathBuf> = fixtures::x86().into_iter().map(|f| f.path).collect();
    assert!(paths.len() >= 18, "fixtures missing: {paths:?}");
    paths
}

fn name(path: &std::path::Path) -> String {
    let dir = path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy();
    format!("{dir}/{}", path.file_stem().unwrap().to_string_lossy())
}

/// What one stream gave: the idstrs (PCI address dropped) that a model
/// decoded, and those that have none.
#[derive(Default)]
struct Outcome {
    modelled: BTreeMap<String, usize>,
    unmodelled: BTreeMap<String, usize>,
    /// One line per section a model failed on.
    failures: Vec<String>,
}

/// Walks a stream; every FULL payload that has a model must round-trip.
fn check_stream(path: &std::path::Path) -> Outcome {
    let fixture = name(path);
    let mut reader = StreamReader::new(File::open(path).unwrap())
        .unwrap_or_else(|e| panic!("{fixture}: {e}"))
        .with_delimiter(vmstate::qemu::delimit);
    let mut outcome = Outcome::default();
    let mut current: Option<SectionInfo> = None;
    while let Some(record) = reader
        .next_record()
        .unwrap_or_else(|e| panic!("{fixture}: {e}"))
    {
        match record {
            Record::Section(header) => current = header.info,
            Record::State { payload, offset } => {
                let info = current.take().expect("a payload follows its header");
                let short = info.idstr.rsplit('/').next().unwrap().to_owned();
                let Some(model) = vmstate::qemu::model(&info.idstr) else {
                    *outcome.unmodelled.entry(short).or_default() += 1;
                    continue;
                };
                let at = format!(
                    "{fixture}: `{}` instance {} (v{}) at {offset}",
                    info.idstr, info.instance_id, info.version_id
                );
                match (model.decode)(&payload, info.version_id) {
                    Err(e) => outcome.failures.push(format!("{at}: {e}")),
                    Ok(decoded) if decoded.len != payload.len() => outcome.failures.push(format!(
                        "{at}: the model takes {} of the section's {} bytes",
                        decoded.len,
                        payload.len()
                    )),
                    Ok(decoded) if decoded.reencoded != payload => {
                        let first = decoded
                            .reencoded
                            .iter()
                            .zip(&payload)
                            .position(|(a, b)| a != b)
                            .unwrap_or(payload.len().min(decoded.reencoded.len()));
                        outcome.failures.push(format!(
                            "{at}: re-encoding differs from byte {first} (saved {} bytes)",
                            decoded.reencoded.len()
                        ));
                    }
                    Ok(_) => {}
                }
                *outcome.modelled.entry(short).or_default() += 1;
            }
            _ => {}
        }
    }
    outcome
}

#[test]
fn every_model_round_trips_every_section_of_both_releases() {
    let mut report = String::new();
    let mut failures = Vec::new();
    for path in fixtures() {
        let mut outcome = check_stream(&path);
        failures.append(&mut outcome.failures);
        writeln!(
            report,
            "{}: {} modelled, unmodelled {:?}",
            name(&path),
            outcome.modelled.values().sum::<usize>(),
            outcome.unmodelled
        )
        .unwrap();
    }
    println!("{report}");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The sections every i440fx `pc` machine writes without extra devices,
/// `pc-i440fx-2.0` included.
const PC_SECTIONS: [&str; 25] = [
    "timer",
    "cpu_common",
    "cpu",
    "kvm-tpr-opt",
    "apic",
    "fw_cfg",
    "PCIBUS",
    "I440FX",
    "dma",
    "PIIX3",
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
    "ide",
    "i2c_bus",
    "piix4_pm",
    "acpi_build",
];

/// The sections newer machine types and q35 add to [`PC_SECTIONS`]. With
/// those, all have a model, in every fixture of both releases.
const NEWER_AND_Q35_SECTIONS: [&str; 8] = [
    "PCIHost",
    "globalstate",
    "ICH9LPC",
    "mch",
    "ich9_smb",
    "ich9_ahci",
    "pcspk",
    "serial",
];

#[test]
fn the_machine_sections_all_have_models() {
    for path in fixtures() {
        let outcome = check_stream(&path);
        for idstr in outcome.unmodelled.keys() {
            assert!(
                !PC_SECTIONS.contains(&idstr.as_str())
                    && !NEWER_AND_Q35_SECTIONS.contains(&idstr.as_str()),
                "{}: `{idstr}` has no model",
                name(&path)
            );
        }
    }
}

#[test]
fn the_old_machine_stream_is_delimited_by_the_models_alone() {
    let path = fixtures::path("qemu-7.2/pc-2.0-ran");
    let reader = StreamReader::new(File::open(&path).unwrap()).unwrap();
    assert!(
        reader.vmdesc().is_none(),
        "pc-i440fx-2.0 streams carry no vmdesc"
    );
    let outcome = check_stream(&path);
    assert!(
        outcome.failures.is_empty(),
        "{}",
        outcome.failures.join("\n")
    );
    assert!(outcome.unmodelled.is_empty(), "{:?}", outcome.unmodelled);
    for idstr in PC_SECTIONS {
        assert!(
            outcome.modelled.contains_key(idstr),
            "no `{idstr}` section decoded"
        );
    }
}
