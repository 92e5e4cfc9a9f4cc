//! The `vmstate` binary on the fixtures of both real QEMU releases (7.2 and
//! 10.0.2): every stream inspects, in text and JSON; the names `--json`
//! prints are the names `set` takes; command packets are shown; `check` and
//! `convert` on streams.

mod support;

use std::path::PathBuf;

use serde_json::Value;
use support::vmstate;

/// Every stream fixture of both releases.
/// A file under tests/data, by its path there, as an argument.
fn data_arg(path: &str) -> String {
    support::fixtures::data_file(path).display().to_string()
}

fn fixtures() -> Vec<PathBuf> {
    let out: Vec<PathBuf> = support::fixtures::x86()
        .into_iter()
        .map(|f| f.path)
        .collect();
    assert!(out.len() >= 16, "{out:?}");
    out
}

#[test]
fn every_stream_of_both_releases_inspects() {
    for path in &fixtures() {
        let file = path.display().to_string();
        let (code, text, err) = vmstate(&["inspect", &file]);
        assert_eq!(code, 0, "{file}: {err}");
        let undecoded: Vec<_> = text.lines().skip(2).filter(|l| l.ends_with(" -")).collect();
        assert!(
            undecoded.is_empty(),
            "{file}: undecoded sections {undecoded:?}"
        );
        let (code, json, err) = vmstate(&["inspect", "--json", &file]);
        assert_eq!(code, 0, "{file}: {err}");
        let document: Value = serde_json::from_str(&json).unwrap();
        for section in document["sections"].as_array().unwrap() {
            if section["section"] != "ram" {
                assert!(section["fields"].is_object(), "{file}: {section}");
            }
        }
    }
}

/// QEMU 10.0 leaves `index` off the last element of an array of structs;
/// every element is still there, and `set` takes the names `--json` prints.
#[test]
fn arrays_of_structs_keep_every_element_in_10_0_streams() {
    for release in ["qemu-7.2", "qemu-10.0"] {
        let file = data_arg(&format!("{release}/pc-ran.mig"));
        let (code, json, err) =
            vmstate(&["inspect", "--json", "--section", "0000:00:01.1/ide", &file]);
        assert_eq!(code, 0, "{err}");
        let document: Value = serde_json::from_str(&json).unwrap();
        let fields = &document["sections"][0]["fields"];
        for array in ["bmdma", "bus", "bus[0].ifs", "bus[1].ifs"] {
            assert_eq!(
                fields[array].as_array().map(Vec::len),
                Some(2),
                "{release} {array}"
            );
        }
        let out = std::env::temp_dir().join(format!(
            "vmstate-array-{}-{release}.mig",
            std::process::id()
        ));
        let (code, _, err) = vmstate(&[
            "set",
            &file,
            "--section",
            "0000:00:01.1/ide",
            "--field",
            "bmdma[1].cmd=1",
            "-o",
            &out.display().to_string(),
        ]);
        assert_eq!(code, 0, "{release}: {err}");
        let (_, json, _) = vmstate(&[
            "inspect",
            "--json",
            "--section",
            "0000:00:01.1/ide",
            &out.display().to_string(),
        ]);
        let document: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(
            document["sections"][0]["fields"]["bmdma"][1]["cmd"], 1,
            "{release}"
        );
        assert_eq!(
            document["sections"][0]["fields"]["bmdma"][0]["cmd"], 0,
            "{release}"
        );
        std::fs::remove_file(&out).ok();
    }
}

/// One byte of a buffer is set alone: `cmos_data[80]`.
#[test]
fn one_byte_of_a_buffer_is_set_alone() {
    let file = data_arg("qemu-10.0/pc-ran.mig");
    let out = std::env::temp_dir().join(format!("vmstate-byte-{}.mig", std::process::id()));
    let (code, _, err) = vmstate(&[
        "set",
        &file,
        "--section",
        "mc146818rtc",
        "--field",
        "cmos_data[80]=0x5a",
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (a, b) = (std::fs::read(&file).unwrap(), std::fs::read(&out).unwrap());
    let changed: Vec<usize> = (0..a.len()).filter(|&i| a[i] != b[i]).collect();
    assert_eq!(changed.len(), 1, "{changed:?}");
    assert_eq!(b[changed[0]], 0x5a);
    let (_, json, _) = vmstate(&[
        "inspect",
        "--json",
        "--section",
        "mc146818rtc",
        &out.display().to_string(),
    ]);
    let document: Value = serde_json::from_str(&json).unwrap();
    let cmos = document["sections"][0]["fields"]["cmos_data"]
        .as_str()
        .unwrap();
    assert_eq!(&cmos[160..162], "5a");
    // Past the end of the buffer: refused, naming the field.
    let (code, _, err) = vmstate(&[
        "set",
        &file,
        "--section",
        "mc146818rtc",
        "--field",
        "cmos_data[128]=1",
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no field `cmos_data[128]`"), "{err}");
    std::fs::remove_file(&out).ok();
}

/// QEMU 10.0's switchover-start command, in text and JSON; 7.2 streams and
/// 10.0 streams of older machine types have none.
#[test]
fn command_packets_are_listed_by_name() {
    let (_, text, _) = vmstate(&["inspect", &data_arg("qemu-10.0/pc-ran.mig")]);
    let line = text
        .lines()
        .find(|l| l.contains("SWITCHOVER_START"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.ends_with("command packet"), "{line}");
    let (_, json, _) = vmstate(&["inspect", "--json", &data_arg("qemu-10.0/pc-ran.mig")]);
    let document: Value = serde_json::from_str(&json).unwrap();
    assert_eq!(document["commands"][0]["number"], 11);
    assert_eq!(document["commands"][0]["name"], "SWITCHOVER_START");
    for older in ["qemu-7.2/pc-ran.mig", "qemu-10.0/pc72-ran.mig"] {
        let (_, json, _) = vmstate(&["inspect", "--json", &data_arg(older)]);
        let document: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(document["commands"], serde_json::json!([]), "{older}");
    }
}

/// `check STREAM DEST`: one line per reason, their number in the last line,
/// and the status as `diff`'s (0 loads, 1 refuses, 2 no verdict).
#[test]
fn check_on_a_stream_names_each_reason() {
    let (code, out, _) = vmstate(&["check", &data_arg("qemu-10.0/pc-ran.mig"), "qemu-7.2"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("machine type `pc-i440fx-10.0`"), "{out}");
    assert!(out.contains("command 0xb (SWITCHOVER_START)"), "{out}");
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("2 reasons: qemu-7.2 refuses"),
        "{out}"
    );
    let (code, out, _) = vmstate(&["check", &data_arg("qemu-10.0/pc72-ran.mig"), "qemu-7.2"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("0 reasons: qemu-7.2 loads"),
        "{out}"
    );
    // A dump file as DEST: QEMU started with its machine type.
    let dump = data_arg("qemu-7.2/pc-7.2.dump.json");
    let (code, out, _) = vmstate(&["check", &data_arg("qemu-10.0/pc72-ran.mig"), &dump]);
    assert_eq!(code, 0, "{out}");
    let (code, out, _) = vmstate(&["check", &data_arg("qemu-10.0/q35-72-ran.mig"), &dump]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("DEST runs `pc-i440fx-7.2`"), "{out}");
    // A stream that cannot be read gives no verdict: 2, not a refusal.
    let dir = support::qemu::scratch("check-no-verdict");
    let cut = dir.join("cut.mig");
    let bytes = std::fs::read(data_arg("qemu-10.0/pc72-ran.mig")).unwrap();
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let (code, out, err) = vmstate(&["check", &cut.display().to_string(), "qemu-7.2"]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.starts_with("vmstate: no verdict: "), "{err}");
    assert!(out.is_empty(), "{out}");
}

/// `convert` changes only the machine type and the command packet, and
/// refuses without writing when it cannot do more.
#[test]
fn convert_rewrites_only_what_carries_no_state() {
    let dir = support::qemu::scratch("convert-cli");
    let out = dir.join("out.mig");
    let out_arg = out.display().to_string();
    let file = data_arg("qemu-10.0/pc-ran.mig");
    // Without --machine the machine type stays in the way: nothing is written.
    let (code, _, err) = vmstate(&["convert", &file, "--to", "qemu-7.2", "-o", &out_arg]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("cannot convert: machine type `pc-i440fx-10.0`"),
        "{err}"
    );
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        0,
        "no temporary file is left"
    );
    // A machine type DEST does not run is a usage error.
    let (code, _, err) = vmstate(&[
        "convert",
        &file,
        "--to",
        "qemu-7.2",
        "--machine",
        "pc-i440fx-10.0",
        "-o",
        &out_arg,
    ]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = vmstate(&[
        "convert",
        &file,
        "--to",
        "qemu-7.2",
        "--machine",
        "pc-i440fx-7.2",
        "-o",
        &out_arg,
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, report, _) = vmstate(&["check", &out_arg, "qemu-7.2"]);
    assert_eq!(code, 0, "{report}");
    // 9 bytes of command packet gone, and the name 1 byte shorter.
    let (a, b) = (std::fs::read(&file).unwrap(), std::fs::read(&out).unwrap());
    assert_eq!(a.len() - b.len(), 5 + 1);
    let (_, before, _) = vmstate(&["inspect", "--json", &file]);
    let (_, after, _) = vmstate(&["inspect", "--json", &out_arg]);
    let (before, after): (Value, Value) = (
        serde_json::from_str(&before).unwrap(),
        serde_json::from_str(&after).unwrap(),
    );
    assert_eq!(after["machine"], "pc-i440fx-7.2");
    assert_eq!(after["commands"], serde_json::json!([]));
    // The vmdesc's description of the configuration section fits the new name.
    let tail = String::from_utf8_lossy(&b[b.len() - 2000.min(b.len())..]).into_owned();
    assert!(
        String::from_utf8_lossy(&b).contains(
            r#""configuration": {"vmsd_name": "configuration", "version": 1, "fields": [{"name": "len", "type": "uint32", "size": 4}, {"name": "name", "type": "buffer", "size": 13}]}"#
        ),
        "{tail}"
    );
    let fields = |d: &Value| {
        d["sections"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["fields"].clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        fields(&before),
        fields(&after),
        "the device state is the same"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `--machine NAME` always writes NAME, also when DEST already runs the
/// stream's own machine type; a stream without a configuration section has
/// nowhere to write it, which is a refusal.
#[test]
fn convert_machine_always_writes_the_name() {
    let dir = support::qemu::scratch("convert-machine-always");
    let out = dir.join("out.mig");
    let out_arg = out.display().to_string();
    let file = data_arg("qemu-10.0/pc72-ran.mig");
    let (code, _, err) = vmstate(&[
        "convert",
        &file,
        "--to",
        "qemu-7.2",
        "--machine",
        "pc-i440fx-7.1",
        "-o",
        &out_arg,
    ]);
    assert_eq!(code, 0, "{err}");
    let (_, after, _) = vmstate(&["inspect", "--json", &out_arg]);
    let after: Value = serde_json::from_str(&after).unwrap();
    assert_eq!(after["machine"], "pc-i440fx-7.1");

    let old = data_arg("qemu-7.2/pc-2.0-ran.mig");
    let (code, _, err) = vmstate(&[
        "convert",
        &old,
        "--to",
        "qemu-7.2",
        "--machine",
        "pc-i440fx-2.0",
        "-o",
        &out_arg,
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("no configuration section"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}
