//! The `vmstate::qemu::virtio` models against real streams with virtio-pci
//! devices: QEMU 10.0.2 on `pc-q35-10.0` and `pc-q35-7.2`, and QEMU 7.2 on
//! `pc-q35-7.2`, each with virtio-net, virtio-blk, virtio-balloon, virtio-rng
//! and virtio-serial (+ virtconsole) as `make-fixtures.sh`'s `VIRTIO` array
//! lists them; `SeaBIOS` ran for about 3 s before `stop`.
//!
//! Every virtio section decodes with its model (configured from the MSI-X
//! capability in the payload's own PCI configuration space), consumes
//! exactly its payload, re-encodes it byte for byte, and holds the values
//! the guest had. Where an expected value comes from is said next to it.

mod support;

use std::io::Cursor;

use vmstate::Reader;
use vmstate::qemu::ForPayload;
use vmstate::qemu::virtio::balloon::VirtioBalloon;
use vmstate::qemu::virtio::blk::VirtioBlk;
use vmstate::qemu::virtio::device::{Virtio, VirtioDevice};
use vmstate::qemu::virtio::net::VirtioNet;
use vmstate::qemu::virtio::pci::{VIRTIO_NO_VECTOR, VirtioPciConfig};
use vmstate::qemu::virtio::rng::VirtioRng;
use vmstate::qemu::virtio::serial::VirtioSerial;
use vmstate::qemu::virtio::{VirtioPci, msix_vectors};
use vmstate::stream::{Record, SectionKind, StreamReader};

/// (directory, fixture, machine type is 10.0's).
const FIXTURES: [(&str, &str, bool); 3] = [
    ("qemu-10.0", "q35-virtio", true),
    ("qemu-10.0", "q35-72-virtio", false),
    ("qemu-7.2", "q35-virtio", false),
];

/// The virtio sections of each fixture: `-device` order gives slots 1 to 5.
const SECTIONS: [&str; 5] = [
    "0000:00:01.0/virtio-net",
    "0000:00:02.0/virtio-blk",
    "0000:00:03.0/virtio-balloon",
    "0000:00:04.0/virtio-rng",
    "0000:00:05.0/virtio-console",
];

/// `VIRTIO_CONFIG_S_DRIVER_OK`.
const DRIVER_OK: u8 = 4;
/// `PCI_COMMAND_MASTER`.
const BUS_MASTER: u16 = 4;

/// A FULL section's payload and version, as the stream reader delimits it
/// with the stream's own vmdesc.
struct Section {
    version: u32,
    payload: Vec<u8>,
    /// The `virtio` field's size in the stream's vmdesc.
    vmdesc_size: usize,
}

fn sections(dir: &str, fixture: &str) -> Vec<(String, Section)> {
    let path = format!(
        "{}/tests/data/{dir}/{fixture}.mig",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut reader = StreamReader::new(Cursor::new(bytes)).unwrap();
    let vmdesc = reader.vmdesc().unwrap().clone();
    let mut current = None;
    let mut found = Vec::new();
    while let Some(record) = reader.next_record().unwrap() {
        match record {
            Record::Section(header) if header.kind == SectionKind::Full => current = header.info,
            Record::State { payload, .. } => {
                let info = current.take().unwrap();
                if SECTIONS.contains(&info.idstr.as_str()) {
                    let device = vmdesc.device(&info.idstr, info.instance_id).unwrap();
                    let [field] = device.state.fields.as_slice() else {
                        panic!("{fixture} {}: one vmdesc field expected", info.idstr);
                    };
                    assert_eq!(field.name, "virtio", "{fixture} {}", info.idstr);
                    found.push((
                        info.idstr,
                        Section {
                            version: info.version_id,
                            payload,
                            vmdesc_size: field.wire_len(),
                        },
                    ));
                }
            }
            _ => {}
        }
    }
    assert_eq!(
        found.len(),
        SECTIONS.len(),
        "{dir}/{fixture}: virtio sections"
    );
    found
}

fn section(dir: &str, fixture: &str, idstr: &str) -> Section {
    sections(dir, fixture)
        .into_iter()
        .find_map(|(name, section)| (name == idstr).then_some(section))
        .unwrap()
}

/// Decodes with `T` configured from the payload, requires that it consumes
/// the whole payload (the stream's vmdesc gives its size) and re-encodes it
/// byte for byte, and that the registry's model does the same.
fn round_trip<T: VirtioPci + std::fmt::Debug>(dir: &str, fixture: &str, idstr: &str) -> T {
    let section = section(dir, fixture, idstr);
    let payload = &section.payload;
    assert_eq!(payload.len(), section.vmdesc_size, "{fixture} {idstr}");
    assert_eq!(section.version, T::VERSION, "{fixture} {idstr}: version");
    let mut value = T::for_payload(payload);
    let mut reader = Reader::new(payload);
    value
        .load_state(&mut reader, section.version)
        .unwrap_or_else(|e| panic!("{dir}/{fixture} {idstr}: {e}"));
    assert_eq!(
        reader.remaining(),
        0,
        "{dir}/{fixture} {idstr}: {} of {} bytes decoded",
        payload.len() - reader.remaining(),
        payload.len()
    );
    let saved = vmstate::to_vec(&value).unwrap();
    assert!(
        saved == *payload,
        "{dir}/{fixture} {idstr}: re-encoding differs (payload {}, saved {})",
        payload.len(),
        saved.len()
    );
    let model = vmstate::qemu::model(idstr).unwrap();
    let decoded = (model.decode)(payload, section.version).unwrap();
    assert_eq!(decoded.len, payload.len(), "{fixture} {idstr}: registry");
    assert!(decoded.reencoded == *payload, "{fixture} {idstr}: registry");
    (model.describe)(payload, section.version).unwrap();
    value
}

/// What every virtio-pci device of these fixtures shares: the transport as
/// reset left it (`SeaBIOS` drives virtio-pci without MSI-X, so every entry
/// stays masked and no vector is ever assigned), and the subsections.
fn check_common(
    what: &str,
    transport: &VirtioPciConfig,
    common: &VirtioDevice,
    virtio: &Virtio,
    device_id: u16,
    vectors: u16,
    queue_sizes: &[u32],
) {
    let pci = &transport.pci_dev;
    // PCI_VENDOR_ID_REDHAT_QUMRANET, and the transitional device ids
    // 0x1000 + (net 0, blk 1, balloon 2, console 3, rng 5).
    assert_eq!(pci.vendor_id(), 0x1af4, "{what}");
    assert_eq!(pci.device_id(), device_id, "{what}");
    assert_eq!(transport.msix.entries_nr, u32::from(vectors), "{what}");
    assert_eq!(transport.msix.table.len(), usize::from(vectors), "{what}");
    assert!(
        transport
            .msix
            .table
            .iter()
            .all(|e| e.is_masked() && e.address() == 0)
    );
    assert!(transport.msix.pba.iter().all(|bits| *bits == 0), "{what}");
    if vectors > 0 {
        assert_eq!(transport.config_vector, VIRTIO_NO_VECTOR, "{what}");
        assert!(
            common.vq.iter().all(|vq| vq.vector == VIRTIO_NO_VECTOR),
            "{what}"
        );
    } else {
        assert!(common.vq.is_empty() && !common.msix, "{what}");
    }
    assert_eq!(common.queue_sizes(), queue_sizes, "{what}: queue sizes");
    assert_eq!(common.config.len(), common.config_len as usize, "{what}");
    // Every device offers VIRTIO_F_VERSION_1 (bit 32): the 64-bit features
    // and the ring addresses are always sent; the features agree with the
    // low word, and with what the guest wrote through the modern interface.
    let features = virtio.features_64bit.guest_features;
    assert_eq!(
        features & 0xffff_ffff,
        u64::from(common.guest_features_lo),
        "{what}"
    );
    let modern = &virtio.extra_state.extra_state.modern_state;
    assert_eq!(
        u64::from(modern.guest_features[1]) << 32 | u64::from(modern.guest_features[0]),
        features,
        "{what}"
    );
    // virtio-pci disables the device while bus mastering is off; it is
    // started once the driver set DRIVER_OK.
    let command = u16::from_le_bytes([pci.config[4], pci.config[5]]);
    assert_eq!(
        virtio.disabled.disabled,
        command & BUS_MASTER == 0,
        "{what}"
    );
    assert_eq!(
        virtio.started.started,
        common.status & DRIVER_OK != 0,
        "{what}"
    );
    assert!(!virtio.broken.broken, "{what}");
    assert_eq!(virtio.device_endian.device_endian, 1, "{what}");
    for (i, vq) in virtio.virtqueues.vq.iter().enumerate() {
        let pci_vq = &modern.vqs[i];
        match common.vq.get(i) {
            Some(saved) if saved.desc != 0 => {
                // SeaBIOS's vring_init: the avail ring follows the 16-byte
                // descriptors, the used ring starts on the next 4 KiB page.
                assert_eq!(vq.vring_avail, saved.desc + 16 * u64::from(saved.num));
                let avail_end = vq.vring_avail + 4 + 2 * u64::from(saved.num) + 2;
                assert_eq!(vq.vring_used, avail_end.next_multiple_of(4096), "{what}");
                assert!(pci_vq.enabled, "{what}");
                assert_eq!(pci_vq.desc_addr(), saved.desc, "{what}");
            }
            _ => {
                assert_eq!((vq.vring_avail, vq.vring_used), (0, 0), "{what} queue {i}");
                assert!(!pci_vq.enabled, "{what} queue {i}");
            }
        }
    }
}

fn fixture_name(dir: &str, fixture: &str) -> String {
    format!("{dir}/{fixture}")
}

#[test]
fn virtio_net_round_trips_with_its_mac_and_queues() {
    for (dir, fixture, _) in FIXTURES {
        let what = fixture_name(dir, fixture);
        let net: VirtioNet = round_trip(dir, fixture, SECTIONS[0]);
        let device = &net.device;
        // virtio-net-pci: vectors = 2 * queue pairs + 2 = 4; rx and tx
        // queues of 256 (rx_queue_size, tx_queue_size) and the control queue
        // of 64.
        check_common(
            &what,
            &net.transport,
            &device.parent_obj,
            &net.virtio,
            0x1000,
            4,
            &[256, 256, 64],
        );
        // SeaBIOS has no virtio-net driver (romfile= gives no iPXE): status
        // 0, nothing negotiated, and QEMU never filled its copy of the
        // configuration space (8 bytes: mac and status), which stays zero.
        assert_eq!(device.parent_obj.status, 0, "{what}");
        assert_eq!(device.parent_obj.config, [0; 8], "{what}");
        // The first NIC's default MAC (qemu_macaddr_default_if_unset).
        assert_eq!(device.mac, [0x52, 0x54, 0x00, 0x12, 0x34, 0x56], "{what}");
        // virtio_net_device_realize: link up, promiscuous "for
        // compatibility", and every VLAN let through until the guest
        // negotiates VLAN filtering.
        assert_eq!(device.status, 1, "{what}");
        assert_eq!(device.promisc, 1, "{what}");
        assert!(device.vlans.iter().all(|byte| *byte == 0xff), "{what}");
        // -netdev user has no vnet header and no UFO; one queue pair, so
        // nothing of the multiqueue state is on the wire.
        assert_eq!((device.has_vnet_hdr, device.has_ufo), (0, 0), "{what}");
        assert_eq!(device.queue_pairs.curr_queue_pairs, 1, "{what}");
        assert!(!device.rss.enabled, "{what}");
    }
}

#[test]
fn virtio_blk_round_trips_with_the_queue_seabios_set_up() {
    for (dir, fixture, _) in FIXTURES {
        let what = fixture_name(dir, fixture);
        let blk: VirtioBlk = round_trip(dir, fixture, SECTIONS[1]);
        let common = &blk.device.parent_obj;
        // virtio-blk-pci with one vCPU: one queue of 256 (queue-size), two
        // vectors (num-queues + 1).
        check_common(
            &what,
            &blk.transport,
            common,
            &blk.virtio,
            0x1001,
            2,
            &[256],
        );
        // SeaBIOS's virtio-blk driver: ACKNOWLEDGE | DRIVER | FEATURES_OK |
        // DRIVER_OK, virtio 1.0 negotiated, the queue set up and one request
        // (the boot sector read) taken.
        assert_eq!(common.status, 0x0f, "{what}");
        assert_ne!(blk.virtio.features_64bit.guest_features & (1 << 32), 0);
        assert!(blk.virtio.started.started, "{what}");
        assert_ne!(common.vq[0].desc, 0, "{what}");
        assert!(common.vq[0].last_avail_idx >= 1, "{what}");
        // -blockdev null-co,size=1048576: the capacity in 512-byte sectors.
        let capacity = u64::from_le_bytes(common.config[..8].try_into().unwrap());
        assert_eq!(capacity, 1_048_576 / 512, "{what}");
        assert_eq!(blk.device.rq_end, 0, "{what}");
    }
}

#[test]
fn virtio_balloon_round_trips_with_and_without_msix() {
    for (dir, fixture, machine_10_0) in FIXTURES {
        let what = fixture_name(dir, fixture);
        let balloon: VirtioBalloon = round_trip(dir, fixture, SECTIONS[2]);
        // virtio-balloon-pci has two MSI-X vectors on QEMU 10.0 machine
        // types and none on 7.2's (a compat property): the layout differs.
        let vectors = if machine_10_0 { 2 } else { 0 };
        let payload = section(dir, fixture, SECTIONS[2]).payload;
        assert_eq!(msix_vectors(&payload), Some(vectors), "{what}");
        // Inflate, deflate and stats queues of 128.
        check_common(
            &what,
            &balloon.transport,
            &balloon.device.parent_obj,
            &balloon.virtio,
            0x1002,
            vectors,
            &[128, 128, 128],
        );
        // No balloon driver in SeaBIOS: nothing asked, nothing given.
        assert_eq!((balloon.device.num_pages, balloon.device.actual), (0, 0));
        assert_eq!(balloon.device.parent_obj.config_len, 16, "{what}");
    }
}

#[test]
fn virtio_rng_round_trips_with_its_one_queue() {
    for (dir, fixture, _) in FIXTURES {
        let what = fixture_name(dir, fixture);
        let rng: VirtioRng = round_trip(dir, fixture, SECTIONS[3]);
        // One request queue of 8; no configuration space.
        check_common(
            &what,
            &rng.transport,
            &rng.parent_obj,
            &rng.virtio,
            0x1005,
            2,
            &[8],
        );
        assert_eq!(rng.parent_obj.config_len, 0, "{what}");
    }
}

#[test]
fn virtio_serial_round_trips_with_its_console_port() {
    for (dir, fixture, _) in FIXTURES {
        let what = fixture_name(dir, fixture);
        let serial: VirtioSerial = round_trip(dir, fixture, SECTIONS[4]);
        let device = &serial.device;
        // max_ports 31: port 0's rx/tx (128), the control rx/tx (32), then
        // ports 1 to 30 (128): 64 queues.
        let mut sizes = vec![128, 128, 32, 32];
        sizes.resize(64, 128);
        check_common(
            &what,
            &serial.transport,
            &device.parent_obj,
            &serial.virtio,
            0x1003,
            2,
            &sizes,
        );
        assert_eq!(device.ports_map.max_nr_ports, 31, "{what}");
        // The virtconsole is port 0, its chardev (null) is open, and no
        // guest driver opened it.
        assert_eq!(device.ports_map.ports_map, [1], "{what}");
        assert_eq!(device.nr_active_ports, 1, "{what}");
        let port = &device.ports[0];
        assert_eq!(
            (port.id, port.guest_connected, port.host_connected),
            (0, 0, 1)
        );
        assert_eq!(port.elem_popped, 0, "{what}");
    }
}

/// Offsets in `payload` where a subsection header (`0x05`, length, a name
/// with a `/`) starts: a payload cut there is a whole payload without its
/// remaining subsections, which loads.
fn subsection_starts(payload: &[u8]) -> Vec<usize> {
    (0..payload.len())
        .filter(|&at| {
            let len = payload.get(at + 1).map_or(0, |len| usize::from(*len));
            payload[at] == 0x05
                && len > 0
                && payload.get(at + 2..at + 2 + len).is_some_and(|name| {
                    name.iter().all(u8::is_ascii_graphic) && name.contains(&b'/')
                })
        })
        .collect()
}

/// A virtio payload cut short gives an error, never a panic. The
/// only cuts that load are those at or inside a subsection's header:
/// subsections are optional on the wire, so the model stops before it and
/// reports the shorter length (which a stream's footer check then refuses).
/// The cuts worth trying: every offset up to 64 bytes into the first
/// subsection (transport, common state, queues and device state are all
/// there), every offset from 8 before to 64 after each subsection header,
/// and every 29th offset in between, 29 being prime to every element size
/// of the long arrays (8, 16, 28), so each field of an element is cut
/// somewhere. Every offset of all five payloads is too many for a debug build.
fn cut_points(payload: &[u8], boundaries: &[usize]) -> Vec<usize> {
    let dense_until = boundaries.first().map_or(payload.len(), |b| b + 64);
    (0..payload.len())
        .filter(|&len| {
            len < dense_until
                || len % 29 == 0
                || boundaries.iter().any(|&b| len + 8 >= b && len < b + 64)
        })
        .collect()
}

/// Loads cuts of `payload` with `T` configured from the whole payload;
/// returns how many cuts it tried.
fn check_cuts<T: VirtioPci>(idstr: &str, payload: &[u8], version: u32) -> usize {
    let boundaries = subsection_starts(payload);
    let vectors = msix_vectors(payload).unwrap();
    let cuts = cut_points(payload, &boundaries);
    for &len in &cuts {
        let cut = &payload[..len];
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut value = T::with_vectors(vectors);
            let mut reader = Reader::new(cut);
            value
                .load_state(&mut reader, version)
                .map(|()| len - reader.remaining())
        }));
        let result = result.unwrap_or_else(|_| panic!("{idstr}: panic at a cut of {len}"));
        if let Ok(start) = result {
            let header_len = payload
                .get(start + 1)
                .map_or(0, |n| 2 + usize::from(*n) + 4);
            assert!(
                boundaries.contains(&start) && len - start < header_len.max(1),
                "{idstr}: a cut at {len} loaded {start} bytes",
            );
        }
    }
    cuts.len()
}

#[test]
fn truncated_virtio_payloads_fail_cleanly() {
    // The sections of one fixture; the other two share their layouts.
    let mut cuts = 0;
    for (idstr, section) in sections("qemu-10.0", "q35-virtio") {
        let (payload, version) = (&section.payload, section.version);
        cuts += match idstr.rsplit('/').next().unwrap() {
            "virtio-net" => check_cuts::<VirtioNet>(&idstr, payload, version),
            "virtio-blk" => check_cuts::<VirtioBlk>(&idstr, payload, version),
            "virtio-balloon" => check_cuts::<VirtioBalloon>(&idstr, payload, version),
            "virtio-rng" => check_cuts::<VirtioRng>(&idstr, payload, version),
            _ => check_cuts::<VirtioSerial>(&idstr, payload, version),
        };
    }
    assert!(cuts > 10_000, "{cuts} cuts");
}

/// A legacy-only device without the transport's extra state, as machine
/// types before 2.5 configure virtio-pci (`disable-modern=on`,
/// `migrate-extra=off`): its payload carries none of the `virtio` VMSD's
/// subsections. A model configured for today's defaults loads it, learns
/// from what was loaded that the features and the extra state were not
/// there, and so writes the payload back byte for byte and describes no
/// subsection (which a checker would otherwise take as sent).
#[test]
fn a_legacy_payload_without_subsections_round_trips_and_describes_none() {
    // Without MSI-X: the payload's configuration space has no capability
    // list, and `for_payload` reads the vectors from there.
    let mut legacy = VirtioRng::with_vectors(0);
    legacy.virtio.host_features = 0;
    legacy.virtio.has_extra_state = false;
    let payload = vmstate::to_vec(&legacy).unwrap();
    assert!(subsection_starts(&payload).is_empty(), "{payload:02x?}");

    let mut model = VirtioRng::for_payload(&payload);
    assert_eq!(model, VirtioRng::with_vectors(0));
    assert!(model.virtio.has_extra_state, "a 10.0 default to start from");
    let mut reader = Reader::new(&payload);
    vmstate::VmState::load_state(&mut model, &mut reader, 1).unwrap();
    assert_eq!(reader.remaining(), 0);
    assert_eq!(vmstate::to_vec(&model).unwrap(), payload);
    let desc = vmstate::VmState::describe_state_at(&model, 1).unwrap();
    let virtio = desc
        .fields
        .iter()
        .find(|f| f.name == "virtio")
        .and_then(|f| f.nested.as_deref())
        .expect("the `virtio` VMSD");
    assert!(virtio.subsections.is_empty(), "{virtio:#?}");

    // And a modern device's payload keeps its subsections.
    let modern = VirtioRng::with_vectors(0);
    let payload = vmstate::to_vec(&modern).unwrap();
    assert!(!subsection_starts(&payload).is_empty());
    let mut model = VirtioRng::for_payload(&payload);
    vmstate::VmState::load_state(&mut model, &mut Reader::new(&payload), 1).unwrap();
    assert_eq!(vmstate::to_vec(&model).unwrap(), payload);
}

/// The I/O BAR sizes `info pci` printed for the guest the fixture holds
/// (`BAR0: I/O at 0xc080 [0xc0bf].` is 64 bytes), by PCI device number.
fn io_bar_sizes(monitor: &str) -> Vec<(u32, u64)> {
    let mut sizes = Vec::new();
    let mut device = None;
    for line in monitor.lines() {
        if let Some(rest) = line.trim().strip_prefix("Bus  0, device") {
            device = rest
                .split(',')
                .next()
                .and_then(|number| number.trim().parse().ok());
        } else if let Some(rest) = line.trim().strip_prefix("BAR0: I/O at 0x")
            && let Some((start, end)) = rest.split_once(" [0x")
            && let (Ok(start), Ok(end)) = (
                u64::from_str_radix(start, 16),
                u64::from_str_radix(end.trim_end_matches("].").trim_end_matches(']'), 16),
            )
            && let Some(device) = device
        {
            sizes.push((device, end - start + 1));
        }
    }
    sizes
}

/// The size of a legacy virtio device's I/O BAR, which `check --reference`
/// compares with the address the guest gave the stream's device, is read
/// from its `virtio` blob as QEMU computes it (header, MSI-X, configuration
/// length): the same as `info pci` printed for every virtio device of the
/// real guests that monitor files record.
#[test]
fn legacy_virtio_bar_sizes_are_the_ones_qemu_built() {
    use vmstate::check::StreamFacts;
    let mut compared = 0;
    for fixture in support::fixtures::all() {
        let monitor = fixture.path.with_extension("monitor.txt");
        let Ok(monitor) = std::fs::read_to_string(&monitor) else {
            continue;
        };
        if fixture.is_pre_vmdesc() {
            continue;
        }
        let expected = io_bar_sizes(&monitor);
        let reader = StreamReader::new(Cursor::new(fixture.bytes())).unwrap();
        let facts = StreamFacts::read(reader, &|_, _| None).unwrap();
        for section in facts
            .sections
            .iter()
            .filter(|s| s.idstr.contains("/virtio-"))
        {
            let device = u32::from_str_radix(&section.idstr[8..10], 16).unwrap();
            let qemu = expected.iter().find(|(d, _)| *d == device).map(|(_, s)| *s);
            assert_eq!(
                section.device().legacy_virtio_bar,
                qemu,
                "{}: {}",
                fixture.id,
                section.idstr
            );
            compared += 1;
        }
    }
    assert!(compared >= 5, "{compared} virtio devices compared");
}
