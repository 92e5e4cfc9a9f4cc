//! Section priority against real QEMU streams of both releases: the device
//! sections that `StreamWriter::write_devices` writes, given in registration
//! order with the priority QEMU gives each VMSD, come out in the order and
//! with the bytes QEMU wrote them.
//!
//! QEMU numbers sections as it registers them (`global_section_id++`), so a
//! stream's section ids give the registration order; the `q35-vocab` streams
//! hold devices created last on the command line (a PCI Express root port, a
//! virtio-iommu, virtio-mem) that QEMU saves first because of their priority.

mod support;

use std::fs::File;
use std::path::Path;

use support::fixtures;
use vmstate::desc::StateDesc;
use vmstate::qemu::virtio::iommu::VirtioIommu;
use vmstate::stream::{DeviceDesc, DeviceSection, Record, SectionKind, StreamReader, StreamWriter};
use vmstate::{Priority, VmState};

/// The priority QEMU 7.2 and 10.0 give a section's VMSD (`.priority`), by
/// the VMSD name at the end of the idstr (from the model where there is
/// one); `MIG_PRI_DEFAULT` for the rest.
fn qemu_priority(idstr: &str) -> Priority {
    match idstr.rsplit('/').next().unwrap_or(idstr) {
        "pcie-root-port" => Priority::PciBus,
        "virtio-iommu" => VirtioIommu::PRIORITY,
        "virtio-mem-device-early" => Priority::VirtioMem,
        _ => Priority::Default,
    }
}

/// The FULL sections of a stream, in stream order.
fn device_sections(path: &Path) -> Vec<DeviceSection> {
    let mut reader = StreamReader::new(File::open(path).unwrap())
        .unwrap()
        .with_delimiter(vmstate::qemu::delimit);
    let mut sections = Vec::new();
    let mut header = None;
    while let Some(record) = reader
        .next_record()
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    {
        match record {
            Record::Section(h) if h.kind == SectionKind::Full => header = Some(h),
            Record::State { payload, .. } => {
                let header = header.take().expect("a payload follows its header");
                let info = header.info.clone().expect("a FULL header has an idstr");
                sections.push(DeviceSection {
                    header,
                    payload,
                    desc: DeviceDesc {
                        name: info.idstr,
                        instance_id: info.instance_id,
                        state: StateDesc::default(),
                        legacy: false,
                    },
                });
            }
            _ => {}
        }
    }
    sections
}

fn idstrs(sections: &[DeviceSection]) -> Vec<String> {
    sections.iter().map(|s| s.desc.name.clone()).collect()
}

/// QEMU's sections written one after the other, as they are in its stream.
fn written_as_is(sections: &[DeviceSection]) -> Vec<u8> {
    let mut writer = StreamWriter::new(Vec::new()).unwrap();
    for section in sections {
        for record in section.records() {
            writer.write(&record).unwrap();
        }
    }
    writer.finish().unwrap()
}

/// The same sections given to `write_devices` in registration order.
fn written_by_priority(sections: &[DeviceSection]) -> Vec<u8> {
    let mut registered: Vec<(Priority, DeviceSection)> = sections
        .iter()
        .map(|s| (qemu_priority(&s.desc.name), s.clone()))
        .collect();
    registered.sort_by_key(|(_, s)| s.header.section_id);
    let mut writer = StreamWriter::new(Vec::new()).unwrap();
    writer.write_devices(&registered).unwrap();
    writer.finish().unwrap()
}

#[test]
fn prioritised_sections_come_first_in_qemus_order_and_bytes() {
    for (release, name, first) in [
        (
            "qemu-7.2",
            "q35-vocab",
            &["0000:00:02.0/pcie-root-port", "0000:00:01.0/virtio-iommu"][..],
        ),
        (
            "qemu-10.0",
            "q35-vocab",
            &[
                "0000:00:03.0/virtio-mem-device-early",
                "0000:00:02.0/pcie-root-port",
                "0000:00:01.0/virtio-iommu",
            ][..],
        ),
        (
            "qemu-10.0",
            "q35-72-vocab",
            &["0000:00:02.0/pcie-root-port", "0000:00:01.0/virtio-iommu"][..],
        ),
    ] {
        let at = format!("{release}/{name}");
        let sections = device_sections(&fixtures::path(&format!("{release}/{name}")));
        // The stream starts with the prioritised sections, highest first...
        assert_eq!(idstrs(&sections)[..first.len()], *first, "{at}");
        // ...although QEMU registered them after the machine's own devices,
        // so writing in registration order alone would differ.
        let mut registered = sections.clone();
        registered.sort_by_key(|s| s.header.section_id);
        assert_ne!(idstrs(&registered), idstrs(&sections), "{at}");
        let expected = written_as_is(&sections);
        assert_eq!(written_by_priority(&sections), expected, "{at}");
    }
}

#[test]
fn every_stream_is_its_registration_order_sorted_by_priority() {
    let mut checked = 0;
    for fixture in fixtures::x86() {
        // Streams of old machine types carry no footers; mapped-ram is
        // large and has the same devices as `pc-ran`.
        if fixture.name().starts_with("pc-2.") || fixture.is_mapped_ram() {
            continue;
        }
        let sections = device_sections(&fixture.path);
        assert!(sections.len() > 20, "{}", fixture.id);
        assert_eq!(
            written_by_priority(&sections),
            written_as_is(&sections),
            "{}: QEMU's order is not the priority order of its registration order",
            fixture.id
        );
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} streams checked");
}
