//! `T::SCHEMA` and dumps in QEMU's `-dump-vmstate` format: what a schema says,
//! and that the static checker finds our RTC model compatible with QEMU 7.2's
//! own RTC while catching the mistakes it must.

use vmstate::check::dump;
use vmstate::check::{Dump, check};
use vmstate::qemu::rtc::Rtc;
use vmstate::schema::{Count, WireType};
use vmstate::{Unused, VmState};

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "queue", version = 3, minimum_version = 1)]
struct Queue {
    head: u16,
    #[vmstate(since = 2)]
    tail: u16,
    #[vmstate(until = 3)]
    legacy: u8,
    count: u8,
    #[vmstate(len = count)]
    slots: Vec<u32>,
    _pad: Unused<2>,
    #[vmstate(equal)]
    size: u32,
    #[subsection(needed = Queue::irq_needed, since = 3)]
    irq: QueueIrq,
}

impl Queue {
    fn irq_needed(&self) -> bool {
        self.irq.level
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "queue/irq", version = 1)]
struct QueueIrq {
    level: bool,
}

#[test]
fn schema_lists_every_field_of_every_version() {
    let schema = Queue::SCHEMA;
    assert_eq!(
        (schema.name, schema.version, schema.minimum_version),
        ("queue", 3, 1)
    );
    let names: Vec<_> = schema.fields.iter().map(|f| f.name).collect();
    assert_eq!(
        names,
        ["head", "tail", "legacy", "count", "slots", "_pad", "size"]
    );
    let tail = &schema.fields[1];
    assert_eq!((tail.since, tail.until), (2, None));
    assert_eq!(schema.fields[2].until, Some(3));
    assert_eq!(schema.fields[4].count, Count::Field("count"));
    assert_eq!(
        schema.fields[4].wire,
        WireType::Scalar {
            info: "uint32",
            size: 4
        }
    );
    assert_eq!(schema.fields[5].wire, WireType::Unused(2));
    assert!(schema.fields[6].equal);
    assert_eq!(schema.subsections[0].since, 3);
    assert_eq!(schema.subsections[0].schema.name, "queue/irq");
    assert_eq!(schema.fields[4].rust_type, "Vec < u32 >");
    assert_eq!(
        schema.fixed_size(),
        None,
        "a variable array and a subsection"
    );
    assert_eq!(QueueIrq::SCHEMA.fixed_size(), Some(1));
}

fn qemu_dump() -> Dump {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/qemu-7.2/pc-7.2.dump.json"
    );
    Dump::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn our_rtc_model_is_compatible_with_qemu_7_2_both_ways() {
    let ours = dump("pc-i440fx-7.2", &[("mc146818rtc", &Rtc::SCHEMA)], false);
    let ours = Dump::from_value(&ours).unwrap();
    let qemu = qemu_dump();
    let forward = check(&ours, &qemu);
    assert_eq!(forward.problems().count(), 0, "{forward:?}");
    // QEMU's dump has many more devices; only ours must be in it.
    let backward = check(&qemu, &ours);
    let rtc_problems: Vec<_> = backward
        .problems()
        .map(ToString::to_string)
        .filter(|p| p.contains("\"mc146818rtc\"") && !p.contains("does not exist"))
        .collect();
    assert!(rtc_problems.is_empty(), "{rtc_problems:?}");
}

/// The RTC as it would be if someone widened `cmos_index` without a version
/// bump: the checker names the field.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "mc146818rtc", version = 3, minimum_version = 1)]
struct BrokenRtc {
    #[vmstate(info = "buffer")]
    cmos_data: [u8; 128],
    cmos_index: u16,
}

#[test]
fn checker_reports_a_changed_field_in_our_dump() {
    let ours = dump(
        "pc-i440fx-7.2",
        &[("mc146818rtc", &BrokenRtc::SCHEMA)],
        false,
    );
    let report = check(&qemu_dump(), &Dump::from_value(&ours).unwrap());
    let problems: Vec<String> = report
        .problems()
        .map(ToString::to_string)
        .filter(|p| p.contains("\"mc146818rtc\""))
        .collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("cmos_index") && p.contains("size mismatch")),
        "{problems:#?}"
    );
}

#[test]
fn extended_dump_keeps_wire_types() {
    let value = dump("test", &[("queue", &Queue::SCHEMA)], true);
    let fields = value["queue"]["Description"]["Fields"].as_array().unwrap();
    assert_eq!(fields[0]["type"], "uint16");
    assert_eq!(fields[0]["rust_type"], "u16");
    assert_eq!(fields[5]["field"], "unused");
    assert_eq!(
        value["queue"]["Description"]["Subsections"][0]["name"],
        "queue/irq"
    );
}
