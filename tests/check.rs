//! `vmstate::check` on the real QEMU 7.2 `-dump-vmstate` output and on copies of
//! it edited here, one mistake per test: each must give exactly the expected
//! findings, worded as QEMU's `vmstate-static-checker.py` words them.

use std::sync::LazyLock;

use vmstate::check::{Dump, Kind, Report, Severity, Value, check};

/// `qemu-system-x86_64 -M pc-i440fx-7.2 -dump-vmstate` (see tests/data/qemu-7.2/README.md).
const PC_7_2: &str = include_str!("data/qemu-7.2/pc-7.2.dump.json");

const RTC: &str = "Section \"mc146818rtc\" Description \"mc146818rtc\"";
const REINJECT: &str = "mc146818rtc/irq_reinject_on_ack_count";

/// The fixture, parsed once: the tests edit copies of it.
static REAL: LazyLock<Value> = LazyLock::new(|| PC_7_2.parse().expect("the fixture is JSON"));

fn real() -> Value {
    REAL.clone()
}

fn run(src: &Value, dest: &Value) -> Report {
    let src = Dump::from_value(src).expect("src is a dump");
    let dest = Dump::from_value(dest).expect("dest is a dump");
    check(&src, &dest)
}

/// Every finding as printed.
fn lines(report: &Report) -> Vec<String> {
    report.findings.iter().map(ToString::to_string).collect()
}

/// The real dump with `edit` applied.
fn edited(edit: impl FnOnce(&mut Value)) -> Value {
    let mut dump = real();
    edit(&mut dump);
    dump
}

fn rtc_fields(dump: &mut Value) -> &mut Vec<Value> {
    dump["mc146818rtc"]["Description"]["Fields"]
        .as_array_mut()
        .expect("the RTC has fields")
}

fn rtc_field<'a>(dump: &'a mut Value, name: &str) -> &'a mut Value {
    rtc_fields(dump)
        .iter_mut()
        .find(|field| field["field"] == name)
        .unwrap_or_else(|| panic!("the RTC has no field {name}"))
}

fn rtc_subsection(dump: &mut Value) -> &mut Value {
    &mut dump["mc146818rtc"]["Description"]["Subsections"][0]
}

/// Sets the RTC section's version, on the section entry and its description.
fn set_rtc_version(dump: &mut Value, version: i64, minimum: i64) {
    let section = &mut dump["mc146818rtc"];
    section["Description"]["version_id"] = version.into();
    section["Description"]["minimum_version_id"] = minimum.into();
    section["version_id"] = version.into();
    section["minimum_version_id"] = minimum.into();
}

fn field(name: &str, version_id: i64, size: u64) -> Value {
    Value::from_iter([
        ("field", Value::from(name)),
        ("version_id", version_id.into()),
        ("field_exists", false.into()),
        ("size", size.into()),
    ])
}

fn position(dump: &mut Value, name: &str) -> usize {
    rtc_fields(dump)
        .iter()
        .position(|field| field["field"] == name)
        .unwrap()
}

#[test]
fn identical_dumps_are_compatible() {
    let report = run(&real(), &real());
    assert!(report.findings.is_empty(), "{report}");
    assert!(report.is_compatible());
    assert_eq!(report.exit_status(), 0);
}

#[test]
fn other_machine_type_is_only_a_warning() {
    let old = edited(|d| d["vmschkmachine"]["Name"] = "pc-i440fx-7.1".into());
    let report = run(&old, &real());
    assert_eq!(
        lines(&report),
        [
            "Warning: Section \"vmschkmachine\": checking incompatible machine types: \
             \"pc-i440fx-7.1\", \"pc-i440fx-7.2\""
        ]
    );
    assert_eq!(report.exit_status(), 0);
    assert_eq!(report.warnings().count(), 1);
}

#[test]
fn section_removed() {
    let new = edited(|d| {
        d.as_object_mut().unwrap().remove("mc146818rtc");
    });
    let report = run(&real(), &new);
    assert_eq!(
        lines(&report),
        ["Section \"mc146818rtc\": does not exist in dest"]
    );
    assert_eq!(report.findings[0].kind, Kind::SectionMissing);
    // A section only the destination has is fine.
    assert!(run(&new, &real()).findings.is_empty());
}

#[test]
fn renamed_section_is_found_under_its_other_name() {
    let old = edited(|d| {
        let lpc = d.as_object_mut().unwrap().remove("ICH9-LPC").unwrap();
        d["ICH9 LPC"] = lpc;
    });
    assert!(run(&old, &real()).findings.is_empty());
}

#[test]
fn source_version_beyond_dest() {
    let old = edited(|d| set_rtc_version(d, 4, 1));
    let report = run(&old, &real());
    assert_eq!(
        lines(&report),
        ["Section \"mc146818rtc\": version error: 4 > 3"]
    );
    assert_eq!(report.exit_status(), 1);
}

#[test]
fn minimum_version_raised() {
    let new = edited(|d| set_rtc_version(d, 4, 4));
    let report = run(&real(), &new);
    assert_eq!(
        lines(&report),
        ["Section \"mc146818rtc\": minimum version error: 3 < 4"]
    );
}

#[test]
fn field_renamed() {
    let new = edited(|d| rtc_field(d, "cmos_index")["field"] = "cmos_idx".into());
    let report = run(&real(), &new);
    assert_eq!(
        lines(&report),
        [format!(
            "{RTC}: expected field \"cmos_index\", got \"cmos_idx\"; skipping rest"
        )]
    );
}

#[test]
fn field_size_changed() {
    let new = edited(|d| rtc_field(d, "period")["size"] = 8.into());
    let report = run(&real(), &new);
    assert_eq!(
        lines(&report),
        [format!("{RTC} Field \"period\": size mismatch: 4 , 8")]
    );
    assert_eq!(
        report.findings[0].kind,
        Kind::SizeMismatch { src: 4, dest: 8 }
    );
}

#[test]
fn field_removed() {
    let new = edited(|d| {
        let at = position(d, "period");
        rtc_fields(d).remove(at);
    });
    assert_eq!(
        lines(&run(&real(), &new)),
        [format!(
            "{RTC}: expected field \"period\", got \"base_rtc\"; skipping rest"
        )]
    );
}

#[test]
fn last_field_removed() {
    let new = edited(|d| {
        rtc_fields(d).pop();
    });
    assert_eq!(
        lines(&run(&real(), &new)),
        [format!(
            "{RTC}: expected field \"next_alarm_time\", while dest has no further fields"
        )]
    );
}

#[test]
fn unused_bytes_replaced_by_a_field_of_equal_size() {
    // VMSTATE_UNUSED(28) becomes a real 28-byte field: same bytes on the wire.
    let new = edited(|d| *rtc_fields(d).get_mut(2).unwrap() = field("alarm_state", 0, 28));
    assert!(run(&real(), &new).findings.is_empty());
    // And back: the field became padding again.
    assert!(run(&new, &real()).findings.is_empty());
}

#[test]
fn unused_bytes_replaced_by_several_fields() {
    // The second VMSTATE_UNUSED(24) becomes 16 + 8 bytes of fields.
    let new = edited(|d| {
        let at = position(d, "next_periodic_time") + 1;
        let fields = rtc_fields(d);
        assert_eq!(fields[at]["field"], "unused");
        fields.splice(at..=at, [field("alarm", 0, 16), field("flags", 0, 8)]);
    });
    assert!(run(&real(), &new).findings.is_empty());
    assert!(run(&new, &real()).findings.is_empty());
}

#[test]
fn unused_bytes_replaced_by_a_bigger_field() {
    let new = edited(|d| *rtc_fields(d).get_mut(2).unwrap() = field("alarm_state", 0, 30));
    assert_eq!(
        lines(&run(&real(), &new)),
        [format!(
            "{RTC}: unused size mismatch near \"periodic_timer\""
        )]
    );
}

#[test]
fn subsection_removed() {
    let new = edited(|d| {
        d["mc146818rtc"]["Description"]
            .as_object_mut()
            .unwrap()
            .remove("Subsections");
    });
    let report = run(&real(), &new);
    assert_eq!(
        lines(&report),
        [format!("{RTC}: Subsection \"{REINJECT}\" not found")]
    );
    // A subsection only the destination knows is fine.
    assert!(run(&new, &real()).findings.is_empty());
}

#[test]
fn subsection_version_changed() {
    // Raised, still loading version 1: forward works, the way back does not.
    let new = edited(|d| rtc_subsection(d)["version_id"] = 2.into());
    let report = run(&real(), &new);
    assert_eq!(
        lines(&report),
        [format!(
            "Warning: Section \"mc146818rtc\" Description \"{REINJECT}\": subsection \
             version changed: 1 -> 2; dest loads version 1, but migrating back fails \
             whenever dest sends this subsection"
        )]
    );
    assert_eq!(report.exit_status(), 0);
    assert_eq!(report.findings[0].severity, Severity::Warning);
    // The way back is a problem.
    assert_eq!(
        lines(&run(&new, &real())),
        [format!(
            "Section \"mc146818rtc\" Description \"{REINJECT}\": version error: 2 > 1"
        )]
    );
}

#[test]
fn subsection_minimum_version_raised() {
    let new = edited(|d| {
        rtc_subsection(d)["version_id"] = 2.into();
        rtc_subsection(d)["minimum_version_id"] = 2.into();
    });
    assert_eq!(
        lines(&run(&real(), &new)),
        [format!(
            "Section \"mc146818rtc\" Description \"{REINJECT}\": minimum version error: 1 < 2"
        )]
    );
}

#[test]
fn subsection_field_added_without_version_bump() {
    let new = edited(|d| {
        rtc_subsection(d)["Fields"]
            .as_array_mut()
            .unwrap()
            .push(field("irq_reinject_pending", 0, 2));
    });
    let report = run(&real(), &new);
    assert_eq!(report.exit_status(), 1, "{report}");
    assert!(
        lines(&report)[0].starts_with(&format!(
            "Section \"mc146818rtc\" Description \"{REINJECT}\" Field \
             \"irq_reinject_pending\": added without a version bump"
        )),
        "{report}"
    );
}

#[test]
fn field_added_at_end_without_version_bump() {
    let new = edited(|d| rtc_fields(d).push(field("alarm_flags", 0, 4)));
    let report = run(&real(), &new);
    assert_eq!(
        lines(&report),
        [format!(
            "{RTC} Field \"alarm_flags\": added without a version bump: dest reads it at \
             version 3 (version_id 0), src never writes it; raise the version and add the \
             field at the new one, or send it in a subsection"
        )]
    );
    assert_eq!(
        report.findings[0].kind,
        Kind::FieldAdded {
            version_id: 0,
            load_version: 3,
            in_struct: false
        }
    );
}

#[test]
fn field_added_at_end_with_version_bump_is_compatible() {
    let new = edited(|d| {
        set_rtc_version(d, 4, 1);
        rtc_fields(d).push(field("alarm_flags", 4, 4));
    });
    assert!(run(&real(), &new).findings.is_empty());
    // Backward, the new source writes version 4, which the old one cannot
    // load, with a field the old one does not have.
    assert_eq!(
        lines(&run(&new, &real())),
        [
            "Section \"mc146818rtc\": version error: 4 > 3".to_owned(),
            format!("{RTC}: expected field \"alarm_flags\", while dest has no further fields"),
        ]
    );
}

#[test]
fn field_added_behind_a_test_is_a_warning() {
    let new = edited(|d| {
        let mut added = field("alarm_flags", 0, 4);
        added["field_exists"] = true.into();
        rtc_fields(d).push(added);
    });
    let report = run(&real(), &new);
    assert_eq!(report.exit_status(), 0);
    assert_eq!(report.findings[0].kind, Kind::FieldAddedWithTest);
}

#[test]
fn field_version_raised_in_dest() {
    // `period` (since 2) moved to version 4 in dest: a version-3 stream carries
    // it, but dest no longer reads it at version 3.
    let new = edited(|d| {
        set_rtc_version(d, 4, 1);
        rtc_field(d, "period")["version_id"] = 4.into();
    });
    assert_eq!(
        lines(&run(&real(), &new)),
        [format!(
            "{RTC} Field \"period\": src writes it at version 3 (version_id 2), dest does \
             not read it at version 3 (version_id 4)"
        )]
    );
}

#[test]
fn equal_size_type_change_when_types_are_known() {
    let typed = |kind: &str| edited(|d| rtc_field(d, "irq_coalesced")["type"] = kind.into());
    let report = run(&typed("uint32"), &typed("int32"));
    assert_eq!(
        lines(&report),
        [format!(
            "{RTC} Field \"irq_coalesced\": type mismatch: uint32 , int32 (same size, \
             different meaning)"
        )]
    );
    assert!(run(&typed("uint32"), &typed("uint32")).findings.is_empty());
    // Only one side knows types: nothing to compare.
    assert!(run(&typed("uint32"), &real()).findings.is_empty());
}

#[test]
fn array_length_change_when_lengths_are_known() {
    let sized = |num: u64| edited(|d| rtc_field(d, "cmos_data")["num"] = num.into());
    assert_eq!(
        lines(&run(&sized(128), &sized(64))),
        [format!(
            "{RTC} Field \"cmos_data\": array length mismatch: 128 , 64"
        )]
    );
}

fn serial_fields(dump: &mut Value) -> &mut Vec<Value> {
    dump["pci-serial-2x"]["Description"]["Fields"][1]["Description"]["Fields"]
        .as_array_mut()
        .expect("pci-serial-2x inlines a serial")
}

#[test]
fn inlined_struct_field_size_changed() {
    let new = edited(|d| serial_fields(d)[1]["size"] = 2.into());
    assert_eq!(
        lines(&run(&real(), &new)),
        ["Section \"pci-serial-2x\" Description \"serial\" Field \"rbr\": size mismatch: 1 , 2"]
    );
}

#[test]
fn inlined_struct_field_added_even_with_a_version_bump() {
    // An inlined struct is read at the destination's own version, so raising
    // the struct's version does not keep old streams loading.
    let new = edited(|d| {
        let serial = &mut d["pci-serial-2x"]["Description"]["Fields"][1]["Description"];
        serial["version_id"] = 4.into();
        serial["Fields"]
            .as_array_mut()
            .unwrap()
            .push(field("thr", 4, 1));
    });
    let report = run(&real(), &new);
    assert_eq!(report.exit_status(), 1, "{report}");
    assert_eq!(
        report.findings[0].kind,
        Kind::FieldAdded {
            version_id: 4,
            load_version: 4,
            in_struct: true
        }
    );
    assert!(lines(&report)[0].starts_with(
        "Section \"pci-serial-2x\" Description \"serial\" Field \"thr\": added to an inlined struct"
    ));
}

#[test]
fn fields_moved_into_a_struct_keep_the_wire() {
    let new = edited(|d| {
        let fields = rtc_fields(d);
        let moved: Vec<Value> = fields.drain(0..2).collect();
        let mut regs = field("regs", 0, 129);
        regs["Description"] = Value::from_iter([
            ("name", Value::from("mc146818rtc/regs")),
            ("version_id", 1.into()),
            ("minimum_version_id", 1.into()),
            ("Fields", Value::Array(moved)),
        ]);
        fields.insert(0, regs);
    });
    assert!(run(&real(), &new).findings.is_empty());
    assert!(run(&new, &real()).findings.is_empty());
}

#[test]
fn inlined_struct_lost_its_description() {
    let new = edited(|d| {
        d["pci-serial-2x"]["Description"]["Fields"][1]
            .as_object_mut()
            .unwrap()
            .remove("Description");
    });
    assert_eq!(
        lines(&run(&real(), &new)),
        [
            "Section \"pci-serial-2x\" Description \"pci-serial-multi\" Field \"state\": missing description"
        ]
    );
}

#[test]
fn description_missing() {
    let new = edited(|d| {
        d["mc146818rtc"]
            .as_object_mut()
            .unwrap()
            .remove("Description");
    });
    assert_eq!(
        lines(&run(&real(), &new)),
        ["Section \"mc146818rtc\": Entry \"Description\" missing"]
    );
}

#[test]
fn exit_status_is_capped_at_255() {
    let old = edited(|d| {
        let rtc = d["mc146818rtc"].clone();
        for i in 0..300 {
            d[format!("extra-{i}")] = rtc.clone();
        }
    });
    let report = run(&old, &real());
    assert_eq!(report.problem_count(), 300);
    assert_eq!(report.exit_status(), 255);
}

#[test]
fn malformed_dump_names_the_path() {
    let bad = edited(|d| {
        rtc_field(d, "cmos_index")
            .as_object_mut()
            .unwrap()
            .remove("size");
    });
    let error = Dump::from_value(&bad).unwrap_err();
    assert_eq!(
        error.to_string(),
        "$[\"mc146818rtc\"].Description.Fields[1]: \"size\" is missing"
    );
    let error = Dump::parse("{\"a\": [").unwrap_err();
    assert!(error.to_string().starts_with("$: not JSON: "), "{error}");
}
