//! The `Rtc` of the design contract, written as a user crate writes it, against
//! the real QEMU 7.2 `mc146818rtc` payload: it loads, round-trips byte for
//! byte, and fails with errors that name the field or the subsection.

#![allow(
    missing_docs,
    clippy::struct_field_names,
    reason = "the design contract's text, kept verbatim"
)]

use std::io::Cursor;

use vmstate::stream::{Record, StreamReader};
use vmstate::{ErrorKind, Unused, VmState};

// Kept exactly as the design contract writes it.
#[rustfmt::skip]
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "mc146818rtc", version = 3, minimum_version = 1)]
pub struct Rtc {
    cmos_data: [u8; 128],
    cmos_index: u8,
    _gap1: Unused<28>,                       // QEMU VMSTATE_UNUSED(28)
    periodic_timer: i64,                     // a QEMU timer: be64 expiry, -1 = not armed
    next_periodic_time: i64,
    _gap2: Unused<24>,
    #[vmstate(since = 2)] irq_coalesced: u32,  // QEMU VMSTATE_UINT32_V(.., 2)
    #[vmstate(since = 2)] period: u32,
    #[vmstate(since = 3)] base_rtc: u64,
    #[vmstate(since = 3)] last_update: u64,
    #[vmstate(since = 3)] offset: i64,
    #[vmstate(since = 3)] update_timer: i64,
    #[vmstate(since = 3)] next_alarm_time: u64,
    #[subsection(needed = Rtc::reinject_needed)]
    reinject: RtcReinject,
}

#[rustfmt::skip]
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "mc146818rtc/irq_reinject_on_ack_count", version = 1)]
pub struct RtcReinject { irq_reinject_on_ack_count: u16 }

#[rustfmt::skip]
impl Rtc { fn reinject_needed(&self) -> bool { self.reinject.irq_reinject_on_ack_count != 0 } }

// The one change from the design text: `[u8; 128]` has no `Default` in std.
impl Default for Rtc {
    fn default() -> Self {
        Self {
            cmos_data: [0; 128],
            cmos_index: 0,
            _gap1: Unused,
            periodic_timer: 0,
            next_periodic_time: 0,
            _gap2: Unused,
            irq_coalesced: 0,
            period: 0,
            base_rtc: 0,
            last_update: 0,
            offset: 0,
            update_timer: 0,
            next_alarm_time: 0,
            reinject: RtcReinject::default(),
        }
    }
}

/// The `mc146818rtc` payload of the pc-ran fixture and its section version.
fn qemu_rtc_payload() -> (Vec<u8>, u32) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/qemu-7.2/pc-ran.mig"
    );
    let bytes = std::fs::read(path).unwrap();
    let mut reader = StreamReader::new(Cursor::new(bytes)).unwrap();
    let mut version = None;
    while let Some(record) = reader.next_record().unwrap() {
        match record {
            Record::Section(header) => {
                version = header
                    .info
                    .filter(|info| info.idstr == "mc146818rtc")
                    .map(|info| info.version_id);
            }
            Record::State { payload, .. } if version.is_some() => {
                return (payload, version.unwrap_or_default());
            }
            _ => {}
        }
    }
    panic!("no mc146818rtc section in {path}");
}

#[test]
fn real_qemu_payload_loads_and_round_trips() {
    let (payload, version) = qemu_rtc_payload();
    assert_eq!(version, 3);
    let rtc: Rtc = vmstate::from_slice(&payload, version).unwrap();
    // `-rtc base=2020-01-01T00:00:00,clock=vm`: 2020-01-01 00:00:xx in BCD.
    assert_eq!(rtc.cmos_data[7..10], [0x01, 0x01, 0x20], "day, month, year");
    assert_eq!(rtc.cmos_data[0x32], 0x20, "century");
    assert_eq!(rtc.base_rtc, 1_577_836_800, "2020-01-01T00:00:00Z");
    assert_eq!(vmstate::to_vec(&rtc).unwrap(), payload);
}

#[test]
fn round_trip_with_the_subsection() {
    let mut rtc = Rtc::default();
    rtc.cmos_data[5] = 9;
    rtc.reinject.irq_reinject_on_ack_count = 2;
    let bytes = vmstate::to_vec(&rtc).unwrap();
    assert_eq!(bytes.len(), 245 + 1 + 1 + 37 + 4 + 2);
    assert_eq!(vmstate::from_slice::<Rtc>(&bytes, 3).unwrap(), rtc);
}

#[test]
fn truncated_payload_names_the_field() {
    let (payload, version) = qemu_rtc_payload();
    let err = vmstate::from_slice::<Rtc>(&payload[..200], version).unwrap_err();
    // 128 + 1 + 28 + 8 + 8 + 24 = 197: `irq_coalesced` (4 bytes) starts there.
    assert_eq!(err.path_string(), "irq_coalesced");
    assert_eq!(err.offset(), Some(197));
    assert_eq!(
        err.to_string(),
        "section `mc146818rtc`, field `irq_coalesced`, byte offset 197: input ends too early: needed 4 bytes, 3 left"
    );
}

#[test]
fn unknown_subsection_is_named() {
    let (mut payload, version) = qemu_rtc_payload();
    let name = b"mc146818rtc/lost_tick_policy";
    payload.extend([0x05, u8::try_from(name.len()).unwrap()]);
    payload.extend(name);
    payload.extend(1u32.to_be_bytes());
    payload.push(0);
    let err = vmstate::from_slice::<Rtc>(&payload, version).unwrap_err();
    assert!(
        matches!(err.kind(), Some(ErrorKind::UnknownSubsection { name, parent: "mc146818rtc" })
            if name == "mc146818rtc/lost_tick_policy"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "section `mc146818rtc`, byte offset 245: unknown subsection `mc146818rtc/lost_tick_policy` in `mc146818rtc`"
    );
}
