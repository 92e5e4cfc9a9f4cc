//! The `vmstate` binary on the real QEMU 7.2 fixtures: output, exit status and
//! messages.

mod support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn vmstate(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vmstate"))
        .args(args)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn inspect_lists_every_section_and_how_it_was_decoded() {
    let output = vmstate(&[
        "inspect",
        &support::fixtures::arg("qemu-7.2/pc-e1000-serial"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.starts_with("machine: pc-i440fx-7.2\n"), "{text}");
    for line in [
        "i8259",
        "mc146818rtc",
        "serial",
        "0000:00:02.0/e1000",
        "slirp",
    ] {
        assert!(
            text.lines().any(|l| l.contains(line)),
            "no `{line}` in:\n{text}"
        );
    }
    let rtc = text.lines().find(|l| l.contains("mc146818rtc")).unwrap();
    assert!(rtc.ends_with("model"), "{rtc}");
    let ram = text.lines().find(|l| l.contains(" ram ")).unwrap();
    assert!(ram.contains("6 blocks"), "{ram}");
    // Every line but the RAM line says how its section was decoded.
    let undecoded: Vec<_> = text.lines().skip(2).filter(|l| l.ends_with(" -")).collect();
    assert!(undecoded.is_empty(), "undecoded sections: {undecoded:?}");
}

#[test]
fn inspect_json_names_every_field_of_every_section() {
    for name in ["pc-ran", "q35-paused"] {
        let output = vmstate(&[
            "inspect",
            "--json",
            &support::fixtures::arg(&format!("qemu-7.2/{name}")),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let sections = document["sections"].as_array().unwrap();
        assert!(sections.len() > 20);
        for section in sections {
            if section["section"] == "ram" {
                assert!(section["blocks"].as_array().is_some_and(|b| !b.is_empty()));
            } else {
                assert!(section["fields"].is_object(), "{name}: {section}");
            }
        }
    }
}

#[test]
fn inspect_section_narrows_to_one_instance() {
    let output = vmstate(&[
        "inspect",
        "--json",
        "--section",
        "i8259:1",
        &support::fixtures::arg("qemu-7.2/pc-ran"),
    ]);
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let sections = document["sections"].as_array().unwrap();
    assert_eq!(sections.len(), 1);
    assert_eq!(sections[0]["instance"], 1);
    assert_eq!(
        sections[0]["fields"]["irq_base"], 0x70,
        "the slave PIC's vector base"
    );
}

#[test]
fn inspect_reads_standard_input() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmstate"))
        .args(["inspect", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let bytes = std::fs::read(support::fixtures::arg("qemu-7.2/pc-paused")).unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success());
    assert!(stdout(&output).contains("globalstate"));
}

#[test]
fn bad_input_exits_1_naming_section_and_offset() {
    let bytes = std::fs::read(support::fixtures::arg("qemu-7.2/pc-ran")).unwrap();
    let dir = std::env::temp_dir().join(format!("vmstate-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cut = dir.join("cut.mig");
    std::fs::write(&cut, &bytes[..1000]).unwrap();
    let output = vmstate(&["inspect", cut.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output).trim(),
        "vmstate: error: section `ram`, byte offset 216: input ends too early: needed 4096 bytes, 784 left"
    );
    let not_a_stream = dir.join("text.mig");
    std::fs::write(&not_a_stream, b"hello, world").unwrap();
    let output = vmstate(&["inspect", not_a_stream.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("not a QEMU migration stream"),
        "{}",
        stderr(&output)
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn usage_errors_exit_2() {
    let ran = support::fixtures::arg("qemu-7.2/pc-ran");
    let out = std::env::temp_dir().join(format!("vmstate-usage-{}.mig", std::process::id()));
    let out = out.to_str().unwrap();
    for (args, message) in [
        (
            vec!["inspect", "--section", "nosuch", &ran],
            "no section `nosuch`",
        ),
        (
            vec![
                "set",
                &ran,
                "--section",
                "i8259:0",
                "--field",
                "imx=1",
                "-o",
                out,
            ],
            "has no field `imx`",
        ),
        (
            vec![
                "set",
                &ran,
                "--section",
                "i8259:0",
                "--field",
                "imr=256",
                "-o",
                out,
            ],
            "out of range",
        ),
        (
            vec![
                "set",
                &ran,
                "--section",
                "i8259:0",
                "--field",
                "imr",
                "-o",
                out,
            ],
            "is not PATH=VALUE",
        ),
        (vec!["inspect", "/nonexistent.mig"], "cannot open"),
        (vec!["frobnicate"], "unrecognized subcommand"),
    ] {
        let output = vmstate(&args);
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(message),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(
            !std::path::Path::new(out).exists(),
            "{args:?} left an output file"
        );
    }
}

#[test]
fn set_changes_one_field_and_nothing_else() {
    let ran = support::fixtures::arg("qemu-7.2/pc-ran");
    let out = std::env::temp_dir().join(format!("vmstate-set-{}.mig", std::process::id()));
    let output = vmstate(&[
        "set",
        &ran,
        "--section",
        "i8254",
        "--field",
        "channels[2].gate=0",
        "--field",
        "channels[0].count=4660",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = vmstate(&[
        "inspect",
        "--json",
        "--section",
        "i8254",
        out.to_str().unwrap(),
    ]);
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let channels = &document["sections"][0]["fields"]["channels"];
    assert_eq!(channels[0]["count"], 4660);
    assert_eq!(channels[2]["gate"], 0);
    let (a, b) = (std::fs::read(&ran).unwrap(), std::fs::read(&out).unwrap());
    assert_eq!(a.len(), b.len());
    let changed = a.iter().zip(&b).filter(|(x, y)| x != y).count();
    assert!((1..=3).contains(&changed), "{changed} bytes changed");
    std::fs::remove_file(&out).ok();
}

#[test]
fn help_shows_examples() {
    let output = vmstate(&["set", "--help"]);
    assert!(output.status.success());
    assert!(stdout(&output).contains("vmstate set guest.mig --section i8259:0 --field imr=0xfb"));
}

/// `vmstate set FILE --section SECTION --field FIELD -o OUT`.
fn set(file: &str, section: &str, field: &str, out: &str) -> Output {
    vmstate(&[
        "set",
        file,
        "--section",
        section,
        "--field",
        field,
        "-o",
        out,
    ])
}

#[test]
fn set_refuses_a_name_that_means_two_instances() {
    let ran = support::fixtures::arg("qemu-7.2/pc-ran");
    let out = std::env::temp_dir().join(format!("vmstate-two-{}.mig", std::process::id()));
    let output = set(&ran, "i8259", "imr=0xfb", out.to_str().unwrap());
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output)
            .contains("more than one section `i8259` (instances 0 and 1): name one, as `i8259:0`"),
        "{}",
        stderr(&output)
    );
    assert!(!out.exists(), "a refused set left its output");
    // A name with one instance needs none.
    let output = set(&ran, "i8254", "channels[0].count=1", out.to_str().unwrap());
    assert!(output.status.success(), "{}", stderr(&output));
    std::fs::remove_file(&out).ok();
}

#[test]
fn an_output_in_a_missing_directory_is_an_io_error_that_names_it() {
    let missing = std::env::temp_dir().join(format!("vmstate-missing-{}", std::process::id()));
    let out = missing.join("out.mig");
    let output = set(
        &support::fixtures::arg("qemu-7.2/pc-ran"),
        "i8259:0",
        "imr=0xfb",
        out.to_str().unwrap(),
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.starts_with("vmstate: error: cannot create"),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "the directory {} does not exist",
            missing.display()
        )),
        "{message}"
    );
}

#[test]
fn counts_of_one_are_singular() {
    let output = set(
        &support::fixtures::arg("qemu-7.2/pc-ran"),
        "i8259:0",
        "imr=0x100",
        "-",
    );
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("(uint8, 1 byte)"),
        "{}",
        stderr(&output)
    );
}
