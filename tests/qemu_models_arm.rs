//! The Arm `virt` machine's models against real QEMU 7.2 and 10.0.2 aarch64
//! streams (`tests/data/qemu-7.2-aarch64/*.mig`,
//! `tests/data/qemu-10.0-aarch64/*.mig`): every section of every fixture has
//! a model, which decodes it, takes exactly the bytes the section holds,
//! re-encodes them byte for byte, and gives the same values as the stream's
//! own vmdesc does.
//!
//! `VMSTATE_ARM_FIXTURES=DIR` reads the fixtures from `DIR/qemu-7.2-aarch64`
//! and `DIR/qemu-10.0-aarch64` instead (streams made locally with the command
//! lines of the committed fixtures).

mod support;

use std::fmt::Write as _;
use std::fs::File;
use std::path::{Path, PathBuf};

use support::fixtures;
use vmstate::stream::{Record, SectionInfo, SectionKind, StreamReader, decode};

/// The fixture directories, each of which must hold at least this many
/// streams: a test that finds none must not pass.
const MIN_FIXTURES: usize = 4;

fn fixtures() -> Vec<PathBuf> {
    let mut all = Vec::new();
    for dir in ["qemu-7.2-aarch64", "qemu-10.0-aarch64"] {
        let paths = fixtures::in_dir(dir);
        assert!(
            paths.len() >= MIN_FIXTURES,
            "{dir}: {} fixtures, expected at least {MIN_FIXTURES}",
            paths.len()
        );
        all.extend(paths.into_iter().map(|f| f.path));
    }
    all
}

fn name(path: &Path) -> String {
    let dir = path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy();
    format!("{dir}/{}", path.file_stem().unwrap().to_string_lossy())
}

/// QEMU 10.0's names for fields that QEMU 7.2 names otherwise, with the same
/// bytes; the models use 7.2's. `(section, 10.0 name, 7.2 name)`.
const RENAMED_IN_10_0: [(&str, &str, &str); 2] = [
    ("cpu", "gt_timer[GTIMER_PHYS]", "gt_timer[0]"),
    ("cpu", "gt_timer[GTIMER_VIRT]", "gt_timer[1]"),
];

/// What one section gave.
enum Outcome {
    /// A model decoded it as the vmdesc does.
    Modelled,
    /// No model claims it.
    Unmodelled,
    /// A model claims it and fails; the reason.
    Failed(String),
}

fn check_section(
    info: &SectionInfo,
    payload: &[u8],
    offset: u64,
    vmdesc: &vmstate::stream::Vmdesc,
) -> Outcome {
    let Some(model) = vmstate::qemu::model_for(&info.idstr, info.version_id) else {
        return Outcome::Unmodelled;
    };
    let decoded = match (model.decode)(payload, info.version_id) {
        Ok(decoded) => decoded,
        Err(e) => return Outcome::Failed(format!("decode: {e}")),
    };
    if decoded.len != payload.len() {
        return Outcome::Failed(format!(
            "the model takes {} of the section's {} bytes",
            decoded.len,
            payload.len()
        ));
    }
    if decoded.reencoded != payload {
        let first = decoded
            .reencoded
            .iter()
            .zip(payload)
            .position(|(a, b)| a != b)
            .unwrap_or(payload.len().min(decoded.reencoded.len()));
        return Outcome::Failed(format!(
            "re-encoding differs from byte {first} (saved {} bytes)",
            decoded.reencoded.len()
        ));
    }
    // The values: the model's description and the stream's vmdesc must read
    // the same numbers from the payload, field by field. A virtio section is
    // one opaque `virtio` field to QEMU, so only the model names its values.
    let ours = match (model.describe)(payload, info.version_id) {
        Ok(desc) => desc,
        Err(e) => return Outcome::Failed(format!("describe: {e}")),
    };
    let mut ours = match decode(&ours, payload, offset) {
        Ok(decoded) => decoded.value,
        Err(e) => return Outcome::Failed(format!("the model's description does not decode: {e}")),
    };
    let Some(device) = vmdesc.device(&info.idstr, info.instance_id) else {
        return Outcome::Failed("no vmdesc entry".to_owned());
    };
    // A virtio section is one opaque `virtio` field to QEMU and an old-style
    // section (`slirp`) one buffer: only the model names their values.
    // `globalstate` is an x86-era model with QEMU 7.2's layout of the same
    // bytes (tests/vmdesc_models.rs says why).
    let opaque = device.legacy
        || device
            .state
            .fields
            .iter()
            .any(|field| field.type_name == "virtio")
        || info.idstr == "globalstate";
    if opaque {
        return Outcome::Modelled;
    }
    let mut theirs = match decode(&device.state, payload, offset) {
        Ok(decoded) => decoded.value,
        Err(e) => return Outcome::Failed(format!("the vmdesc does not decode: {e}")),
    };
    // QEMU 10.0's renamed fields get 7.2's names, in place: the order of the
    // fields is part of what is compared.
    // QEMU 10.0 writes `pl011`'s `readbuff` as `VMSTATE_UNUSED`, which
    // carries no value in a vmdesc decode.
    if short(&info.idstr) == "pl011"
        && let (Some(ours), Some(theirs)) = (ours.as_object_mut(), theirs.as_object())
        && !theirs.contains_key("readbuff")
    {
        ours.remove("readbuff");
    }
    if let Some(fields) = theirs.as_object_mut() {
        for (section, new, old) in RENAMED_IN_10_0 {
            if short(&info.idstr) == section && fields.contains_key(new) {
                let renamed = fields
                    .iter()
                    .map(|(key, field)| {
                        let key = if key == new {
                            old.to_owned()
                        } else {
                            key.clone()
                        };
                        (key, field.clone())
                    })
                    .collect();
                *fields = renamed;
            }
        }
    }
    if ours != theirs {
        return Outcome::Failed(format!(
            "values differ from the vmdesc's:\n  ours: {ours}\n  qemu: {theirs}"
        ));
    }
    Outcome::Modelled
}

fn short(idstr: &str) -> &str {
    idstr.rsplit('/').next().unwrap_or(idstr)
}

/// Walks one stream: every section must have a model that round-trips it.
/// Returns the modelled section count and one line per problem.
fn check_stream(path: &Path) -> (usize, Vec<String>) {
    let fixture = name(path);
    let mut reader = StreamReader::new(File::open(path).unwrap())
        .unwrap_or_else(|e| panic!("{fixture}: {e}"))
        .with_delimiter(vmstate::qemu::delimit);
    let vmdesc = reader
        .vmdesc()
        .unwrap_or_else(|| panic!("{fixture}: no vmdesc"))
        .clone();
    let mut current: Option<SectionInfo> = None;
    let mut modelled = 0;
    let mut problems = Vec::new();
    while let Some(record) = reader
        .next_record()
        .unwrap_or_else(|e| panic!("{fixture}: {e}"))
    {
        match record {
            Record::Section(header) if header.kind == SectionKind::Full => current = header.info,
            Record::State { payload, offset } => {
                let Some(info) = current.take() else { continue };
                let at = format!(
                    "{fixture}: `{}` instance {} (v{})",
                    info.idstr, info.instance_id, info.version_id
                );
                match check_section(&info, &payload, offset, &vmdesc) {
                    Outcome::Modelled => modelled += 1,
                    Outcome::Unmodelled => problems.push(format!("{at}: no model")),
                    Outcome::Failed(why) => problems.push(format!("{at}: {why}")),
                }
            }
            _ => {}
        }
    }
    (modelled, problems)
}

#[test]
fn every_section_of_the_arm_fixtures_has_a_model_that_round_trips_it() {
    let mut problems = Vec::new();
    let mut report = String::new();
    for path in fixtures() {
        let (modelled, mut found) = check_stream(&path);
        writeln!(report, "{}: {modelled} sections modelled", name(&path)).unwrap();
        assert!(modelled >= 12, "{}: only {modelled} sections", name(&path));
        problems.append(&mut found);
    }
    println!("{report}");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The Arm `cpu` section is told apart from x86's by its version, and its
/// coprocessor register lists have the lengths each release sends for a
/// `cortex-a57`: 258 on 7.2, 274 on 10.0.2.
#[test]
fn the_arm_cpu_register_lists_have_each_releases_length() {
    use vmstate::VmState;
    use vmstate::qemu::arm::cpu::ArmCpu;
    let mut seen = 0;
    for path in fixtures() {
        let fixture = name(&path);
        let expected = if fixture.starts_with("qemu-7.2") {
            258
        } else {
            274
        };
        let mut reader = StreamReader::new(File::open(&path).unwrap()).unwrap();
        let mut current = None;
        while let Some(record) = reader.next_record().unwrap() {
            match record {
                Record::Section(header) if header.kind == SectionKind::Full => {
                    current = header.info;
                }
                Record::State { payload, .. } => {
                    let Some(info) = current.take() else { continue };
                    if info.idstr != "cpu" {
                        continue;
                    }
                    let model = vmstate::qemu::model_for("cpu", info.version_id).unwrap();
                    assert_eq!(model.versions, 22..=22, "{fixture}");
                    let cpu: ArmCpu = vmstate::from_slice(&payload, info.version_id).unwrap();
                    assert_eq!(cpu.cpreg_vmstate_array_len, expected, "{fixture}");
                    assert_eq!(
                        cpu.cpreg_vmstate_indexes.len(),
                        usize::try_from(expected).unwrap(),
                        "{fixture}"
                    );
                    assert!(
                        vmstate::Loaded::was_loaded(&cpu.vfp)
                            && vmstate::Loaded::was_loaded(&cpu.irq_line_state),
                        "{fixture}"
                    );
                    assert_eq!(ArmCpu::VERSION, info.version_id);
                    seen += 1;
                }
                _ => {}
            }
        }
    }
    assert!(seen >= 2 * MIN_FIXTURES, "{seen} cpu sections");
}

/// A list whose count is negative, or larger than the input holds, is an
/// error, never an allocation or a panic.
#[test]
fn a_hostile_cpu_register_count_is_refused() {
    use vmstate::qemu::arm::cpu::ArmCpu;
    let cpu = ArmCpu {
        cpreg_vmstate_indexes: vec![1, 2],
        cpreg_vmstate_values: vec![3, 4],
        ..ArmCpu::default()
    };
    let bytes = vmstate::to_vec(&cpu).unwrap();
    let back: ArmCpu = vmstate::from_slice(&bytes, 22).unwrap();
    assert_eq!(back.cpreg_vmstate_array_len, 2);
    assert_eq!(back.cpreg_vmstate_values, vec![3, 4]);
    // The count sits after 16*4 + 32*8 + 8 + 4 + 4 + 8*8 + 8*4 * 2 + 5*4 * 2
    // + 4*8 * 2 bytes.
    let at = 16 * 4 + 32 * 8 + 8 + 4 + 4 + 8 * 8 + 8 * 4 * 2 + 5 * 4 * 2 + 4 * 8 * 2;
    assert_eq!(bytes[at..at + 4], 2i32.to_be_bytes());
    for count in [-1i32, i32::MAX] {
        let mut hostile = bytes.clone();
        hostile[at..at + 4].copy_from_slice(&count.to_be_bytes());
        assert!(
            vmstate::from_slice::<ArmCpu>(&hostile, 22).is_err(),
            "{count}"
        );
    }
    // Lists of unequal lengths cannot be saved: one count says both.
    let unequal = ArmCpu {
        cpreg_vmstate_indexes: vec![1, 2],
        cpreg_vmstate_values: vec![3],
        ..ArmCpu::default()
    };
    assert!(vmstate::to_vec(&unequal).is_err());
}

/// The register lists are rewritten in place whatever follows them: a
/// `cortex-a15` sends `cpu/thumb2ee`, which the model does not describe, and
/// `convert` once refused every such guest ("unknown subsection
/// `cpu/thumb2ee` in `cpu`"); the bytes after the lists are kept as they came.
/// A count the input cannot hold is an error, never an allocation.
#[test]
fn cpu_register_lists_are_rewritten_past_subsections_the_model_lacks() {
    use vmstate::qemu::arm::cpu::{ArmCpu, read_whole, rewrite_cpregs};
    let cpu = ArmCpu {
        cpreg_vmstate_indexes: vec![1, 2, 5],
        cpreg_vmstate_values: vec![10, 20, 50],
        ..ArmCpu::default()
    };
    let mut payload = vmstate::to_vec(&cpu).unwrap();
    // `cpu/thumb2ee` (version 1): teecr and teehbr, be32 each.
    let tail = b"\x05\x0ccpu/thumb2ee\x00\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00\x02";
    payload.extend_from_slice(tail);
    assert!(read_whole(&payload, 22).is_err());
    let rewrite = rewrite_cpregs(
        &payload,
        22,
        &[2],
        &|index, _| (index == 5).then_some(55),
        &[3],
        &|_, _| Some(30),
    )
    .unwrap();
    assert_eq!(rewrite.count, 3);
    assert_eq!(rewrite.dropped, [(2, 20)]);
    assert_eq!(rewrite.replaced, [(5, 50, 55)]);
    assert_eq!(rewrite.supplied, [(3, 30)]);
    assert!(rewrite.payload.ends_with(tail));
    let body = &rewrite.payload[..rewrite.payload.len() - tail.len()];
    let back: ArmCpu = vmstate::from_slice(body, 22).unwrap();
    assert_eq!(back.cpreg_vmstate_indexes, [1, 3, 5]);
    assert_eq!(back.cpreg_vmstate_values, [10, 30, 55]);
    let mut hostile = payload.clone();
    hostile[568..572].copy_from_slice(&i32::MAX.to_be_bytes());
    assert!(rewrite_cpregs(&hostile, 22, &[], &|_, _| None, &[], &|_, _| None).is_err());
    hostile[568..572].copy_from_slice(&(-1i32).to_be_bytes());
    assert!(rewrite_cpregs(&hostile, 22, &[], &|_, _| None, &[], &|_, _| None).is_err());
    assert!(rewrite_cpregs(&payload[..100], 22, &[], &|_, _| None, &[], &|_, _| None).is_err());
}
