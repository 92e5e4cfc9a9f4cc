//! The stream layer on real QEMU 7.2 and 10.0 streams: every record is read,
//! every FULL section is decoded from the stream's own description, and
//! writing the records back gives the identical bytes.

use std::io::Cursor;

use vmstate::stream::{RamRecord, Record, SectionKind, StreamReader, StreamWriter, decode};

/// The streams with a vmdesc, of both releases (old machine types have none;
/// mapped-ram files keep RAM outside the records).
const FIXTURES: [&str; 16] = [
    "qemu-7.2/pc-paused",
    "qemu-7.2/pc-ran",
    "qemu-7.2/pc-e1000-serial",
    "qemu-7.2/q35-paused",
    "qemu-10.0/pc-paused",
    "qemu-10.0/pc-ran",
    "qemu-10.0/pc-e1000-serial",
    "qemu-10.0/q35-paused",
    "qemu-10.0/q35-ran",
    "qemu-10.0/pc72-ran",
    "qemu-10.0/q35-72-ran",
    "qemu-10.0/q35-virtio",
    "qemu-10.0/q35-72-virtio",
    "qemu-10.0/q35-usb-hda",
    "qemu-10.0/pc-2.10-ran",
    "qemu-10.0/pc72-ltim",
];

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/data/{name}.mig", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn records(bytes: &[u8]) -> Vec<Record> {
    let mut reader = StreamReader::new(Cursor::new(bytes)).unwrap();
    let mut records = Vec::new();
    while let Some(record) = reader.next_record().unwrap() {
        records.push(record);
    }
    records
}

#[test]
fn unmodified_streams_round_trip_byte_for_byte() {
    for name in FIXTURES {
        let bytes = fixture(name);
        let mut writer = StreamWriter::new(Vec::new()).unwrap();
        for record in records(&bytes) {
            writer.write(&record).unwrap();
        }
        let written = writer.finish().unwrap();
        assert_eq!(written.len(), bytes.len(), "{name}: length");
        assert!(written == bytes, "{name}: bytes differ");
    }
}

#[test]
fn every_full_section_decodes_from_the_vmdesc() {
    for name in FIXTURES {
        let bytes = fixture(name);
        let mut reader = StreamReader::new(Cursor::new(&bytes)).unwrap();
        let vmdesc = reader.vmdesc().expect("QEMU 7.2 writes a vmdesc").clone();
        let mut current = None;
        let mut decoded = 0;
        while let Some(record) = reader.next_record().unwrap() {
            match record {
                Record::Section(header) if header.kind == SectionKind::Full => {
                    current = header.info;
                }
                Record::State { payload, offset } => {
                    let info = current.take().expect("a payload follows a FULL header");
                    let device = vmdesc.device(&info.idstr, info.instance_id).unwrap();
                    let values = decode(&device.state, &payload, offset)
                        .unwrap_or_else(|e| panic!("{name} {}: {e}", info.idstr));
                    assert!(values.value.is_object());
                    decoded += 1;
                }
                _ => {}
            }
        }
        assert_eq!(
            decoded,
            vmdesc.devices.len(),
            "{name}: every described section decoded"
        );
    }
}

#[test]
fn ram_pages_cover_the_announced_blocks() {
    let bytes = fixture("qemu-7.2/pc-ran");
    let mut pages = 0u64;
    let mut announced = 0u64;
    let mut eos = 0;
    for record in records(&bytes) {
        match record {
            Record::Ram(RamRecord::MemSize { total, blocks }) => {
                announced = total;
                assert_eq!(blocks.iter().map(|b| b.used_length).sum::<u64>(), total);
                assert_eq!(blocks[0].name, "pc.ram");
                assert_eq!(blocks[0].used_length, 16 << 20, "-m 16");
            }
            Record::Ram(RamRecord::Zero { fill, .. }) => {
                assert_eq!(fill, 0);
                pages += 1;
            }
            Record::Ram(RamRecord::Page { data, .. }) => {
                assert_eq!(data.len(), 4096);
                pages += 1;
            }
            Record::Ram(RamRecord::Eos) => eos += 1,
            _ => {}
        }
    }
    assert_eq!(
        pages * 4096,
        announced,
        "one record per page of every block"
    );
    assert_eq!(eos, 3, "START, PART and END each end with EOS");
}

#[test]
fn configuration_names_the_machine() {
    let bytes = fixture("qemu-7.2/q35-paused");
    let machine = records(&bytes).into_iter().find_map(|r| match r {
        Record::Configuration(c) => Some(c.machine),
        _ => None,
    });
    assert_eq!(machine.as_deref(), Some("pc-q35-7.2"));
}

#[test]
fn decoded_pic_values_match_what_the_monitor_showed() {
    // `info pic` from the same run: "pic1: irr=... imr=..." per chip.
    let text = std::fs::read_to_string(format!(
        "{}/tests/data/qemu-7.2/pc-ran.info-pic.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let bytes = fixture("qemu-7.2/pc-ran");
    let mut reader = StreamReader::new(Cursor::new(&bytes)).unwrap();
    let vmdesc = reader.vmdesc().unwrap().clone();
    let mut current = None;
    let mut imrs = Vec::new();
    while let Some(record) = reader.next_record().unwrap() {
        match record {
            Record::Section(header) if header.kind == SectionKind::Full => current = header.info,
            Record::State { payload, offset } => {
                let info = current.take().unwrap();
                if info.idstr == "i8259" {
                    let device = vmdesc.device("i8259", info.instance_id).unwrap();
                    let values = decode(&device.state, &payload, offset).unwrap();
                    imrs.push(values.value["imr"].as_u64().unwrap());
                }
            }
            _ => {}
        }
    }
    for (chip, imr) in imrs.iter().enumerate() {
        let expected = format!("imr={imr:02x}");
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("pic{chip}:")))
            .unwrap_or("");
        assert!(
            line.contains(&expected),
            "pic{chip}: `{line}` lacks `{expected}`"
        );
    }
    assert_eq!(imrs.len(), 2);
}

#[test]
fn parsed_vmdesc_writes_back_as_qemu_wrote_it() {
    for name in FIXTURES {
        let json = records(&fixture(name))
            .into_iter()
            .find_map(|r| match r {
                Record::Vmdesc { json } => Some(json),
                _ => None,
            })
            .unwrap();
        let parsed = vmstate::stream::Vmdesc::parse(&json).unwrap();
        let written = parsed.to_json();
        assert!(
            written.as_bytes() == json.as_slice(),
            "{name}: vmdesc differs when written back"
        );
    }
}
