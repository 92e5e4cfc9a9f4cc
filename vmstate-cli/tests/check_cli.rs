//! `vmstate check OLD NEW` on the real QEMU 7.2 `-dump-vmstate` output and on
//! copies of it edited here: the printed lines, the summary line, and the exit
//! status (as `diff`'s: 0 compatible, 1 problems found, 2 no verdict).

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{Value, json};

fn real() -> Value {
    let text = std::fs::read_to_string(support::fixtures::data_file("qemu-7.2/pc-7.2.dump.json"))
        .expect("the fixture is readable");
    serde_json::from_str(&text).expect("the fixture is JSON")
}

/// Writes `dump` where this test binary's files go, under a name of its own.
fn write(name: &str, dump: &Value) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("check_cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_vec(dump).unwrap()).unwrap();
    path
}

fn vmstate(args: &[&Path]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vmstate"))
        .arg("check")
        .args(args)
        .output()
        .expect("the vmstate binary runs")
}

/// Exit status and standard output lines.
fn run(args: &[&Path]) -> (i32, Vec<String>) {
    let output = vmstate(args);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let status = output.status.code().expect("exited normally");
    (status, stdout.lines().map(str::to_owned).collect())
}

fn rtc_fields(dump: &mut Value) -> &mut Vec<Value> {
    dump["mc146818rtc"]["Description"]["Fields"]
        .as_array_mut()
        .unwrap()
}

#[test]
fn identical_dumps_exit_0() {
    let dump = support::fixtures::data_file("qemu-7.2/pc-7.2.dump.json");
    let (status, lines) = run(&[&dump, &dump]);
    assert_eq!(status, 0);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].starts_with("0 problems, 0 warnings: migration from ")
            && lines[0].ends_with(" is compatible"),
        "{lines:?}"
    );
}

#[test]
fn each_problem_is_a_line_and_the_summary_counts_them() {
    let mut new = real();
    assert!(new.as_object_mut().unwrap().remove("isa-pit").is_some());
    let fields = rtc_fields(&mut new);
    fields[1]["size"] = json!(2);
    fields.push(json!({"field": "alarm_flags", "version_id": 0, "field_exists": false, "size": 4}));
    new["mc146818rtc"]["Description"]
        .as_object_mut()
        .unwrap()
        .remove("Subsections");
    let new = write("four-problems", &new);

    let (status, lines) = run(&[
        &support::fixtures::data_file("qemu-7.2/pc-7.2.dump.json"),
        &new,
    ]);
    assert_eq!(status, 1, "{lines:?}");
    assert!(
        lines.last().unwrap().starts_with("4 problems, "),
        "{lines:?}"
    );
    let rtc = "Section \"mc146818rtc\" Description \"mc146818rtc\"";
    assert_eq!(lines[0], "Section \"isa-pit\": does not exist in dest");
    assert_eq!(
        lines[1],
        format!("{rtc} Field \"cmos_index\": size mismatch: 1 , 2")
    );
    assert!(
        lines[2].starts_with(&format!(
            "{rtc} Field \"alarm_flags\": added without a version bump"
        )),
        "{lines:?}"
    );
    assert_eq!(
        lines[3],
        format!("{rtc}: Subsection \"mc146818rtc/irq_reinject_on_ack_count\" not found")
    );
    assert!(
        lines[4].starts_with("4 problems, 0 warnings: migration from ")
            && lines[4].ends_with(" can fail"),
        "{lines:?}"
    );
    assert_eq!(lines.len(), 5);
}

#[test]
fn unused_bytes_replaced_by_a_field_exit_0() {
    let mut new = real();
    rtc_fields(&mut new)[2] =
        json!({"field": "alarm_state", "version_id": 0, "field_exists": false, "size": 28});
    let new = write("unused-replaced", &new);
    let (status, lines) = run(&[
        &support::fixtures::data_file("qemu-7.2/pc-7.2.dump.json"),
        &new,
    ]);
    assert_eq!(status, 0, "{lines:?}");
}

#[test]
fn reverse_checks_the_way_back() {
    let mut new = real();
    new["mc146818rtc"]["version_id"] = json!(4);
    new["mc146818rtc"]["Description"]["version_id"] = json!(4);
    rtc_fields(&mut new)
        .push(json!({"field": "alarm_flags", "version_id": 4, "field_exists": false, "size": 4}));
    let new = write("version-4", &new);

    let (status, lines) = run(&[
        &support::fixtures::data_file("qemu-7.2/pc-7.2.dump.json"),
        &new,
    ]);
    assert_eq!(status, 0, "{lines:?}");

    let output = Command::new(env!("CARGO_BIN_EXE_vmstate"))
        .args(["check", "--reverse"])
        .arg(support::fixtures::data_file("qemu-7.2/pc-7.2.dump.json"))
        .arg(&new)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("\n2 problems, "), "{stdout}");
    // The old QEMU refuses version 4, and lacks the field it added.
    assert!(
        stdout.starts_with("Section \"mc146818rtc\": version error: 4 > 3\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("expected field \"alarm_flags\""),
        "{stdout}"
    );
}

#[test]
fn warnings_do_not_count() {
    let mut old = real();
    old["vmschkmachine"]["Name"] = json!("pc-i440fx-7.1");
    let old = write("machine-7.1", &old);
    let (status, lines) = run(&[
        &old,
        &support::fixtures::data_file("qemu-7.2/pc-7.2.dump.json"),
    ]);
    assert_eq!(status, 0);
    assert_eq!(
        lines[0],
        "Warning: Section \"vmschkmachine\": checking incompatible machine types: \
         \"pc-i440fx-7.1\", \"pc-i440fx-7.2\""
    );
    assert!(lines[1].starts_with("0 problems, 1 warning: "), "{lines:?}");
}

#[test]
fn many_problems_still_exit_with_1() {
    // A count as the status would wrap or be capped: 214 and 314 problems are
    // both a plain refusal, counted in the summary line.
    let (status, lines) = run(&[
        &support::fixtures::data_file("qemu-7.2/pc-7.2.dump.json"),
        &write("empty", &json!({})),
    ]);
    assert_eq!(status, 1, "{:?}", lines.last());
    assert!(lines.last().unwrap().starts_with("214 problems, "));

    let mut old = real();
    let rtc = old["mc146818rtc"].clone();
    for i in 0..100 {
        old[format!("extra-{i}")] = rtc.clone();
    }
    let old = write("314-sections", &old);
    let (status, lines) = run(&[&old, &write("empty", &json!({}))]);
    assert_eq!(status, 1);
    assert!(
        lines.last().unwrap().starts_with("314 problems, "),
        "{:?}",
        lines.last()
    );
}

#[test]
fn unreadable_dumps_are_usage_errors() {
    let missing = Path::new("/nonexistent/old.json");
    let output = vmstate(&[
        missing,
        &support::fixtures::data_file("qemu-7.2/pc-7.2.dump.json"),
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("cannot read /nonexistent/old.json"),
        "{stderr}"
    );

    let mut bad = real();
    rtc_fields(&mut bad)[0]
        .as_object_mut()
        .unwrap()
        .remove("size");
    let bad = write("no-size", &bad);
    let output = vmstate(&[
        &support::fixtures::data_file("qemu-7.2/pc-7.2.dump.json"),
        &bad,
    ]);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.contains("is not a -dump-vmstate dump: $[\"mc146818rtc\"].Description.Fields[0]: \"size\" is missing"),
        "{stderr}"
    );

    let output = vmstate(&[&support::fixtures::data_file("qemu-7.2/pc-7.2.dump.json")]);
    assert_eq!(output.status.code(), Some(2), "NEW is required");
}

/// A reader that goes away before the verdict is printed (`vmstate check
/// ... | head -1`) ends `check` quietly: it printed with `println!`, which
/// panicked on the closed pipe, with a backtrace.
#[test]
fn a_closed_output_ends_check_without_a_panic() {
    let stream = support::fixtures::arg("qemu-7.2/pc-paused");
    for release in ["qemu-7.2", "qemu-10.0"] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vmstate"))
            .args(["check", stream.as_str(), release])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Nothing reads the output: the pipe closes before the first line.
        drop(child.stdout.take());
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!stderr.contains("panicked"), "{release}: {stderr}");
        assert!(output.status.code().is_some(), "{release}: killed");
    }
}
