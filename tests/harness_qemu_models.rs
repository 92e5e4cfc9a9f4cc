//! The cross-version harness (`vmstate::testing`) over the QEMU device models,
//! with the values QEMU 7.2 had in real streams, and over the example devices,
//! against the golden files committed under `tests/golden/`.
//!
//! A model that gains a version needs its new golden file: run
//! `VMSTATE_BLESS=1 cargo test --test harness_qemu_models` once and commit
//! what it writes. Existing files are never rewritten.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io::Cursor;
use std::path::PathBuf;

use vmstate::qemu::configuration::Configuration;
use vmstate::qemu::dma::Dma;
use vmstate::qemu::e1000::E1000;
use vmstate::qemu::fw_cfg::FwCfg;
use vmstate::qemu::globalstate::GlobalState;
use vmstate::qemu::hpet::Hpet;
use vmstate::qemu::ioapic::IoApic;
use vmstate::qemu::pckbd::Pckbd;
use vmstate::qemu::pcspk::PcSpk;
use vmstate::qemu::pic::Pic;
use vmstate::qemu::pit::Pit;
use vmstate::qemu::port92::Port92;
use vmstate::qemu::ps2::{Ps2Kbd, Ps2Mouse};
use vmstate::qemu::rtc::Rtc;
use vmstate::qemu::serial::IsaSerial;
use vmstate::qemu::timer::Timers;
use vmstate::stream::{Record, StreamReader};
use vmstate::testing::{
    Bless, verify_device, verify_golden_files, verify_ping_pong, verify_round_trips,
};
use vmstate::{VmState, from_slice};

/// The example `examples/evolve.rs`, whose device types this test checks;
/// its `main` is not called here.
#[path = "../examples/evolve.rs"]
#[allow(
    dead_code,
    reason = "the example's `main` and helpers run as the example"
)]
mod evolve;

fn golden(kind: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(kind)
}

/// The FULL sections of a QEMU 7.2 fixture by (idstr, instance): version and
/// payload; the configuration record's payload under (`configuration`, 0).
fn sections(fixture: &str) -> BTreeMap<(String, u32), (u32, Vec<u8>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/qemu-7.2")
        .join(format!("{fixture}.mig"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut reader = StreamReader::new(Cursor::new(bytes)).unwrap();
    let mut found = BTreeMap::new();
    let mut current = None;
    while let Some(record) = reader.next_record().unwrap() {
        match record {
            Record::Configuration(configuration) => {
                found.insert(
                    ("configuration".to_owned(), 0),
                    (Configuration::VERSION, configuration.payload),
                );
            }
            Record::Section(header) => current = header.info,
            Record::State { payload, .. } => {
                let info = current.take().expect("a payload follows a FULL header");
                found.insert((info.idstr, info.instance_id), (info.version_id, payload));
            }
            _ => {}
        }
    }
    found
}

/// `T`'s value from section `idstr`/`instance` of `fixture`, as QEMU saved it.
fn qemu_value<T: VmState + Default>(fixture: &str, idstr: &str, instance: u32) -> T {
    let sections = sections(fixture);
    let (version, payload) = sections
        .iter()
        .find(|((name, inst), _)| {
            *inst == instance && (name == idstr || name.ends_with(&format!("/{idstr}")))
        })
        .map_or_else(
            || panic!("{fixture}: no section `{idstr}` instance {instance}"),
            |(_, section)| section,
        );
    assert_eq!(
        *version,
        T::VERSION,
        "{fixture}: `{idstr}` is saved at the model's version"
    );
    from_slice(payload, *version).unwrap_or_else(|e| panic!("{fixture}: {e}"))
}

/// Round trips at every version, and the golden files under
/// `tests/golden/qemu/`, for the model's value in `fixture`.
fn check_model<T>(fixture: &str, idstr: &str)
where
    T: VmState + Default + Clone + PartialEq + Debug,
{
    let value: T = qemu_value(fixture, idstr, 0);
    let report = verify_device(&value, golden("qemu"));
    assert!(report.passed().len() >= 2, "{report:#}");
}

#[test]
fn the_pc_ran_models_pass_the_harness() {
    check_model::<Configuration>("pc-ran", "configuration");
    check_model::<Timers>("pc-ran", "timer");
    check_model::<GlobalState>("pc-ran", "globalstate");
    check_model::<Rtc>("pc-ran", "mc146818rtc");
    check_model::<Pit>("pc-ran", "i8254");
    check_model::<Pic>("pc-ran", "i8259");
    check_model::<FwCfg>("pc-ran", "fw_cfg");
    check_model::<Ps2Kbd>("pc-ran", "ps2kbd");
    check_model::<Ps2Mouse>("pc-ran", "ps2mouse");
    check_model::<Pckbd>("pc-ran", "pckbd");
    check_model::<Port92>("pc-ran", "port92");
    check_model::<PcSpk>("pc-ran", "pcspk");
    check_model::<Dma>("pc-ran", "dma");
    check_model::<IoApic>("pc-ran", "ioapic");
    check_model::<Hpet>("pc-ran", "hpet");

    // Another machine, other values, the same files: golden files must load
    // whatever the value; only a note says that the value saves other bytes.
    let rtc: Rtc = qemu_value("pc-paused", "mc146818rtc", 0);
    let report = verify_golden_files(&rtc, golden("qemu"), Bless::Never).unwrap();
    assert_eq!(report.passed().len(), 3, "{report:#}");
    verify_round_trips(&rtc).unwrap();
}

#[test]
fn the_e1000_and_serial_models_pass_the_harness() {
    check_model::<E1000>("pc-e1000-serial", "e1000");
    check_model::<IsaSerial>("pc-e1000-serial", "serial");
}

#[test]
fn second_instances_round_trip_at_every_version() {
    let pic: Pic = qemu_value("pc-ran", "i8259", 1);
    verify_round_trips(&pic).unwrap();
    let dma: Dma = qemu_value("pc-ran", "dma", 1);
    verify_round_trips(&dma).unwrap();
}

#[test]
fn the_evolve_example_devices_pass_the_harness() {
    use evolve::{mistake, release_1, release_2, release_3};

    // In release order, as the files were blessed: each release loads the
    // files of the ones before it.
    let v1 = evolve::release_1_state();
    verify_device(&v1, golden("examples"));
    let v2: release_2::Wdt = from_slice(&vmstate::to_vec(&v1).unwrap(), 1).unwrap();
    verify_device(&v2, golden("examples"));
    let v3 = evolve::release_3_state();
    verify_device(&v3, golden("examples"));
    let mut armed = v3.clone();
    armed.pretimeout.ticks = 50;
    let report = verify_round_trips(&armed).unwrap();
    assert_eq!(
        report.skipped().len(),
        2,
        "versions 1 and 2 cannot take it: {report:#}"
    );
    verify_device(&release_3::WdtPretimeout { ticks: 50 }, golden("examples"));

    verify_ping_pong::<release_1::Wdt, release_2::Wdt>(&v1).unwrap();
    verify_ping_pong::<release_1::Wdt, release_3::Wdt>(&v1).unwrap();
    let v2: release_2::Wdt = from_slice(&vmstate::to_vec_at(&v3, 2).unwrap(), 2).unwrap();
    verify_ping_pong::<release_2::Wdt, release_3::Wdt>(&v2).unwrap();
    assert!(verify_ping_pong::<release_1::Wdt, mistake::Wdt>(&v1).is_err());
}

/// The example `examples/quickstart.rs`, whose two releases of a device this
/// test checks; its `main` is not called here.
#[path = "../examples/quickstart.rs"]
#[allow(
    dead_code,
    reason = "the example's `main` and helpers run as the example"
)]
mod quickstart;

#[test]
fn the_quickstart_devices_pass_the_harness() {
    let old = quickstart::release_1_0::Uart {
        divisor: 12,
        rbr: 0x41,
        ier: 0x05,
        lcr: 0x03,
        fifo: *b"hi!\n",
    };
    // Release 1.0 blesses versions 1 and 2; release 2.0 must load them.
    verify_device(&old, golden("examples"));
    let new = quickstart::release_2_0::Uart {
        divisor: 12,
        rbr: 0x41,
        ier: 0x05,
        lcr: 0x03,
        fifo: *b"hi!\n",
        scratch: 0x5a,
        timeout: quickstart::release_2_0::UartTimeout {
            expiry_ns: 1_000_000,
        },
    };
    verify_device(&new, golden("examples"));
    verify_ping_pong::<quickstart::release_1_0::Uart, quickstart::release_2_0::Uart>(&old).unwrap();
}
