//! A description at every version a type saves agrees with the payload
//! saved at that version: same length, same fields, each decoded from its
//! own bytes; and a stream written for an older release carries both.

use std::collections::VecDeque;

use vmstate::stream::{DeviceStream, Record, StreamReader, decode};
use vmstate::{ErrorKind, VmState};

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "acme-port", version = 4, minimum_version = 1)]
struct Port {
    base: u16,
    #[vmstate(until = 3)]
    legacy_mode: u8,
    #[vmstate(since = 2)]
    irq: u32,
    #[vmstate(since = 3, count_of = queue)]
    queue_len: u8,
    #[vmstate(since = 3, len = queue_len)]
    queue: VecDeque<u16>,
    #[vmstate(exists = Port::has_dma)]
    dma_base: u64,
    #[vmstate(since = 4, with = vmstate::with::option)]
    deadline: Option<u64>,
    #[subsection(needed = Port::stats_needed, since = 4)]
    stats: PortStats,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "acme-port/stats", version = 1)]
struct PortStats {
    bytes: u64,
}

impl Port {
    fn has_dma(&self, version_id: u32) -> bool {
        version_id >= 2 && self.base >= 0x100
    }

    fn stats_needed(&self) -> bool {
        self.stats.bytes != 0
    }
}

fn port() -> Port {
    Port {
        base: 0x3f8,
        legacy_mode: 1,
        irq: 4,
        queue_len: 0,
        queue: VecDeque::from([7, 8, 9]),
        dma_base: 0xfee0_0000,
        deadline: Some(1_000),
        stats: PortStats::default(),
    }
}

/// The field names a description lists, in order.
fn names(desc: &vmstate::desc::StateDesc) -> Vec<&str> {
    desc.fields
        .iter()
        .map(|field| field.name.as_str())
        .collect()
}

#[test]
fn each_version_is_described_as_it_is_saved() {
    let port = port();
    let expected: [&[&str]; 4] = [
        &["base", "legacy_mode"],
        &["base", "legacy_mode", "irq", "dma_base"],
        &["base", "irq", "queue_len", "queue", "dma_base"],
        &["base", "irq", "queue_len", "queue", "dma_base", "deadline"],
    ];
    for version in Port::MINIMUM_VERSION..=Port::VERSION {
        let payload = vmstate::to_vec_at(&port, version).unwrap();
        let desc = port.describe_state_at(version).unwrap();
        assert_eq!(desc.version, version);
        assert_eq!(desc.vmsd_name, "acme-port");
        assert_eq!(
            names(&desc),
            expected[version as usize - 1],
            "version {version}"
        );
        assert_eq!(desc.wire_len(), payload.len(), "version {version}");
        let decoded = decode(&desc, &payload, 0).unwrap();
        assert_eq!(decoded.value["base"], 0x3f8, "version {version}");
        if version >= 3 {
            let queue = decoded.value["queue"].as_array().unwrap();
            assert_eq!(
                queue
                    .iter()
                    .filter_map(vmstate::check::Value::as_u64)
                    .collect::<Vec<_>>(),
                [7, 8, 9]
            );
            assert_eq!(decoded.value["queue_len"], 3);
        }
    }
    assert_eq!(
        port.describe_state_at(Port::VERSION).unwrap(),
        port.describe_state()
    );
}

#[test]
fn a_needed_subsection_is_described_where_it_is_sent_and_refused_before() {
    let mut port = port();
    port.stats.bytes = 77;
    let desc = port.describe_state_at(4).unwrap();
    assert_eq!(desc.subsections.len(), 1);
    assert_eq!(desc.subsections[0].vmsd_name, "acme-port/stats");
    let payload = vmstate::to_vec_at(&port, 4).unwrap();
    assert_eq!(desc.wire_len(), payload.len());
    assert_eq!(
        decode(&desc, &payload, 0).unwrap().value["acme-port/stats"]["bytes"],
        77
    );
    for version in 1..=3 {
        let error = port.describe_state_at(version).unwrap_err();
        assert!(
            matches!(error.kind(), Some(ErrorKind::SubsectionNotAllowed { .. })),
            "version {version}: {error}"
        );
    }
}

#[test]
fn versions_the_type_does_not_save_are_refused() {
    let port = port();
    assert!(matches!(
        port.describe_state_at(5).unwrap_err().kind(),
        Some(ErrorKind::VersionTooNew { .. })
    ));
    assert!(matches!(
        port.describe_state_at(0).unwrap_err().kind(),
        Some(ErrorKind::VersionTooOld { .. })
    ));
}

#[test]
fn a_stream_for_an_older_release_carries_payload_and_description_at_that_version() {
    let port = port();
    for version in 1..=4 {
        let mut stream = DeviceStream::new("acme-1").unwrap();
        stream.add_at(&port, version).unwrap().add(&port).unwrap();
        let bytes = stream.to_vec().unwrap();
        let mut reader = StreamReader::new(std::io::Cursor::new(&bytes)).unwrap();
        let mut found = Vec::new();
        let mut info = None;
        while let Some(record) = reader.next_record().unwrap() {
            match record {
                Record::Configuration(configuration) => assert_eq!(configuration.machine, "acme-1"),
                Record::Section(header) => info = header.info,
                Record::State { payload, .. } => {
                    let info = info.take().unwrap();
                    let desc = reader
                        .vmdesc()
                        .unwrap()
                        .device(&info.idstr, info.instance_id)
                        .unwrap();
                    assert_eq!(desc.state.version, info.version_id);
                    decode(&desc.state, &payload, 0).unwrap();
                    let back: Port = vmstate::from_slice(&payload, info.version_id).unwrap();
                    found.push((info.instance_id, info.version_id, back.base));
                }
                _ => {}
            }
        }
        assert_eq!(found, [(0, version, 0x3f8), (1, 4, 0x3f8)]);
    }
}
