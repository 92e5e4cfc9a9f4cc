//! vmdesc generation: for every section of every fixture that a QEMU model
//! knows, the description the model gives of the decoded value is the one
//! QEMU wrote into the stream, field for field (names, types, sizes,
//! `array_len` vs `index`, nested structs, subsections).

mod support;

use std::io::Cursor;

use support::fixtures;
use vmstate::desc::VmdescStyle;
use vmstate::stream::{Record, SectionKind, StreamReader};

/// The x86 fixtures with a vmdesc, with the vmdesc form each release writes.
fn fixtures_with_style() -> Vec<(String, std::path::PathBuf, VmdescStyle)> {
    fixtures::x86()
        .into_iter()
        .filter(|f| !f.is_pre_vmdesc() && !f.is_mapped_ram())
        .map(|f| {
            let style = if f.dir() == "qemu-7.2" {
                VmdescStyle::Qemu7_2
            } else {
                VmdescStyle::Qemu10_0
            };
            (f.id.clone(), f.path, style)
        })
        .collect()
}

/// Models whose payloads round-trip byte for byte but whose description is
/// not QEMU's: QEMU lists each element of their arrays of structs as its own
/// entry (`index`), and describes `cpu`'s `env.fpregs` as a `tmp` view, which
/// the derive cannot say yet; `slirp` is an old-style section, which QEMU
/// describes as one buffer; every virtio section (`virtio-*`) is one
/// `virtio` field to QEMU; `uefi-vars-sysbus` has an empty VBUFFER, which
/// QEMU lists as a 0-byte `buffer` and the derive leaves out, and tail
/// queues, which QEMU describes with their first element's fields. Every
/// other model must match exactly.
const DESCRIBED_DIFFERENTLY: [&str; 6] = [
    "cpu",
    "ide",
    "piix4_pm",
    "ich9_ahci",
    "slirp",
    "uefi-vars-sysbus",
];

/// Sections whose fields QEMU 10.0 names otherwise, with the same bytes:
/// `hpet`'s `num_timers` became `num_timers_save`, and `globalstate`'s
/// 100-byte `runstate` became `runstate`, two flags and `unused`. The models
/// describe them with 7.2's names.
const RENAMED_IN_10_0: [&str; 2] = ["hpet", "globalstate"];

/// The model of `idstr` whose description is QEMU's in `style`'s release,
/// if there is one.
fn exact_model(idstr: &str, style: VmdescStyle) -> Option<&'static vmstate::qemu::Model> {
    let renamed = |name: &str| style == VmdescStyle::Qemu10_0 && RENAMED_IN_10_0.contains(&name);
    vmstate::qemu::model(idstr).filter(|model| {
        !DESCRIBED_DIFFERENTLY.contains(&model.idstr)
            && !model.idstr.starts_with("virtio")
            && !renamed(model.idstr)
    })
}

#[test]
fn models_describe_their_sections_as_qemu_does() {
    let mut compared = 0;
    let mut mismatches = Vec::new();
    for (name, path, style) in fixtures_with_style() {
        let bytes = std::fs::read(&path).unwrap();
        let mut reader = StreamReader::new(Cursor::new(bytes)).unwrap();
        let vmdesc = reader.vmdesc().unwrap().clone();
        let mut current = None;
        while let Some(record) = reader.next_record().unwrap() {
            match record {
                Record::Section(header) if header.kind == SectionKind::Full => {
                    current = header.info;
                }
                Record::State { payload, .. } => {
                    let info = current.take().unwrap();
                    let Some(model) = exact_model(&info.idstr, style) else {
                        continue;
                    };
                    let decoded = (model.describe)(&payload, info.version_id)
                        .unwrap()
                        .in_style(style);
                    let expected = &vmdesc.device(&info.idstr, info.instance_id).unwrap().state;
                    compared += 1;
                    if &decoded != expected {
                        mismatches.push(format!(
                            "{name} {}:\n  ours: {}\n  qemu: {}",
                            info.idstr,
                            describe_json(&decoded),
                            describe_json(expected)
                        ));
                    }
                }
                _ => {}
            }
        }
    }
    assert!(compared >= 8 * 16, "compared {compared} sections");
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

fn describe_json(state: &vmstate::desc::StateDesc) -> String {
    let vmdesc = vmstate::stream::Vmdesc {
        configuration: None,
        page_size: 4096,
        devices: vec![vmstate::stream::DeviceDesc {
            name: String::new(),
            instance_id: 0,
            state: state.clone(),
            legacy: false,
        }],
    };
    vmdesc.to_json()
}

/// Rebuilds each fixture with every modelled section's payload and vmdesc
/// entry produced by its model: the stream, vmdesc JSON included, comes out
/// byte for byte as QEMU wrote it.
#[test]
fn streams_rebuilt_from_models_are_identical() {
    use vmstate::stream::{StreamWriter, Vmdesc};

    for (name, path, style) in fixtures_with_style() {
        if fixtures::VMDESC_WITH_DUPLICATE_KEYS.contains(&name.as_str()) {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let mut reader = StreamReader::new(Cursor::new(&bytes)).unwrap();
        let mut vmdesc: Vmdesc = reader.vmdesc().unwrap().clone();
        let mut writer = StreamWriter::new(Vec::new()).unwrap();
        let mut current = None;
        let mut rebuilt = 0;
        while let Some(mut record) = reader.next_record().unwrap() {
            match &mut record {
                Record::Section(header) if header.kind == SectionKind::Full => {
                    current.clone_from(&header.info);
                }
                Record::State { payload, .. } => {
                    let info = current.take().unwrap();
                    if let Some(model) = exact_model(&info.idstr, style) {
                        let decoded = (model.decode)(payload, info.version_id).unwrap();
                        let state = (model.describe)(payload, info.version_id)
                            .unwrap()
                            .in_style(style);
                        let entry = vmdesc
                            .devices
                            .iter_mut()
                            .find(|d| d.name == info.idstr && d.instance_id == info.instance_id)
                            .unwrap();
                        entry.state = state;
                        *payload = decoded.reencoded;
                        rebuilt += 1;
                    }
                }
                Record::Vmdesc { json } => *json = vmdesc.to_json().into_bytes(),
                _ => {}
            }
            writer.write(&record).unwrap();
        }
        assert!(rebuilt >= 16, "{name}: {rebuilt} sections rebuilt");
        assert!(
            writer.finish().unwrap() == bytes,
            "{name}: rebuilt stream differs"
        );
    }
}

/// A section built from a typed value carries the header, payload and vmdesc
/// entry that QEMU wrote for it.
#[test]
fn device_section_from_a_typed_value_matches_qemu() {
    use vmstate::qemu::pit::Pit;
    use vmstate::stream::DeviceSection;

    let path = format!(
        "{}/tests/data/qemu-7.2/pc-ran.mig",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut reader = StreamReader::new(Cursor::new(std::fs::read(path).unwrap())).unwrap();
    let vmdesc = reader.vmdesc().unwrap().clone();
    let mut header = None;
    while let Some(record) = reader.next_record().unwrap() {
        match record {
            Record::Section(h) if h.info.as_ref().is_some_and(|i| i.idstr == "i8254") => {
                header = Some(h);
            }
            Record::State { payload, .. } if header.is_some() => {
                let header = header.take().unwrap();
                let pit: Pit = vmstate::from_slice(&payload, 3).unwrap();
                let section = DeviceSection::new(&pit, header.section_id, 0).unwrap();
                assert_eq!(section.header, header);
                assert_eq!(section.payload, payload);
                assert_eq!(Some(&section.desc), vmdesc.device("i8254", 0));
                return;
            }
            _ => {}
        }
    }
    panic!("no i8254 section");
}
