//! A monitor's own `vmstate` tool: the devices of `examples/vmm_devices.rs`
//! registered with `vmstate_cli::main_with`, run on the streams that the
//! example's releases write. `inspect --json` shows their std types as
//! values, `set` refuses a count that the device derives, and `convert`
//! re-encodes the UART for release 1, which the plain tool cannot.
//!
//! The test binary is also the monitor's tool: run with `OWN_MODELS_AS_CLI`
//! set, it is `main_with` and nothing else, so the tool is tested as a user
//! runs it (arguments, exit status, output), without a binary shipped for it.

#[allow(
    dead_code,
    unreachable_pub,
    reason = "the example's `main` and the parts this test does not use"
)]
#[path = "../../examples/vmm_devices.rs"]
mod vmm;

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use serde_json::Value;

/// Set in the child process that acts as the monitor's tool.
const AS_CLI: &str = "OWN_MODELS_AS_CLI";

/// A test: its name and the function that panics when it fails.
type Test = (&'static str, fn(&Path));

fn main() -> ExitCode {
    if std::env::var_os(AS_CLI).is_some() {
        return vmstate_cli::main_with(vmm::release_2_registry());
    }
    let dir = std::env::temp_dir().join(format!("vmstate-own-models-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    let tests: [Test; 4] = [
        ("inspect shows std types as values", inspect_shows_values),
        ("set refuses a derived count", set_refuses_a_derived_count),
        (
            "convert re-encodes with the registry",
            convert_with_the_registry,
        ),
        (
            "one- and zero-element arrays stay arrays",
            short_arrays_stay_arrays,
        ),
    ];
    let mut failed = 0;
    for (name, test) in tests {
        if std::panic::catch_unwind(|| test(&dir)).is_ok() {
            println!("test {name} ... ok");
        } else {
            println!("test {name} ... FAILED");
            failed += 1;
        }
    }
    if std::env::var_os("OWN_MODELS_KEEP").is_none() {
        std::fs::remove_dir_all(&dir).ok();
    }
    println!("{} passed, {failed} failed", 4 - failed);
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs the monitor's tool (`own`) or the plain `vmstate` binary.
fn run(own: bool, args: &[&str]) -> (i32, String, String) {
    let mut command = if own {
        let mut command = Command::new(std::env::current_exe().expect("the test binary"));
        command.env(AS_CLI, "1");
        command
    } else {
        Command::new(env!("CARGO_BIN_EXE_vmstate"))
    };
    let output = command.args(args).output().expect("the tool runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("a scratch file");
    path
}

fn text(path: &Path) -> String {
    path.display().to_string()
}

/// `inspect --json` of `path` by the tool, parsed.
fn inspect(own: bool, path: &Path) -> Value {
    let (code, out, err) = run(own, &["inspect", "--json", &text(path)]);
    assert_eq!(code, 0, "inspect failed: {err}");
    serde_json::from_str(&out).expect("inspect --json prints JSON")
}

/// The decoded fields of section `idstr`.
fn fields<'a>(document: &'a Value, idstr: &str) -> &'a Value {
    document["sections"]
        .as_array()
        .and_then(|sections| sections.iter().find(|s| s["section"] == idstr))
        .map_or_else(
            || panic!("no section {idstr} in {document:#}"),
            |section| &section["fields"],
        )
}

fn release_2_stream(dir: &Path) -> PathBuf {
    let uart = vmm::release_2_uart().expect("release 2's UART");
    let bytes = vmm::release_2_stream(&uart, 2).expect("release 2 writes its stream");
    write(dir, "release-2.mig", &bytes)
}

fn inspect_shows_values(dir: &Path) {
    let path = release_2_stream(dir);
    let uart = vmm::release_2_uart().expect("release 2's UART");
    // The plain tool reads the stream's own description; the monitor's tool
    // decodes with its models: both show values.
    for own in [false, true] {
        let document = inspect(own, &path);
        let serial = fields(&document, "vmm-uart16550");
        let fifo: Vec<u64> = uart.rx_fifo.iter().map(|&b| u64::from(b)).collect();
        assert_eq!(serial["rx_fifo"], serde_json::json!(fifo), "{serial:#}");
        assert_eq!(serial["tx_fifo"], serde_json::json!([b'o', b'k']));
        assert_eq!(serial["timeout_deadline"], serde_json::json!(4_000_000));
        assert_eq!(serial["rx_len"], serde_json::json!(uart.rx_fifo.len()));
        let map = fields(&document, "vmm-memory-map");
        assert_eq!(map["label"], "acme-board q1", "{map:#}");
        assert_eq!(map["balloon_ratio"], serde_json::json!(0.25));
        assert_eq!(
            map["regions"],
            serde_json::json!([
                {"key": 0, "value": 0x8_0000},
                {"key": 0x1_0000_0000_u64, "value": 0x4_0000},
            ])
        );
        let iommu = fields(&document, "vmm-iommu");
        let domains = iommu["domains"].as_array().expect("the domains as entries");
        assert_eq!(domains.len(), 2, "{iommu:#}");
        assert_eq!(domains[0]["key"], 1);
        assert_eq!(domains[0]["value"]["bypass"], true);
        assert_eq!(iommu["fault_count"], 4000);
    }
}

fn short_arrays_stay_arrays(dir: &Path) {
    let mut uart = vmm::release_2_uart().expect("release 2's UART");
    uart.rx_fifo = VecDeque::from([b'x']);
    uart.tx_fifo.clear();
    uart.timeout_deadline = None;
    let bytes = vmm::release_2_stream(&uart, 2).expect("release 2 writes its stream");
    let path = write(dir, "short.mig", &bytes);
    // The stream's vmdesc is QEMU's form, where a one-element array has no
    // length and an empty one no entry; the monitor's models say which
    // fields are arrays.
    let document = inspect(true, &path);
    let serial = fields(&document, "vmm-uart16550");
    assert_eq!(serial["rx_fifo"], serde_json::json!([b'x']), "{serial:#}");
    assert_eq!(serial["tx_fifo"], serde_json::json!([]));
    assert_eq!(serial["timeout_deadline"], Value::Null);
    let plain = inspect(false, &path);
    assert_eq!(
        fields(&plain, "vmm-uart16550")["rx_fifo"],
        serde_json::json!(b'x')
    );
}

fn set_refuses_a_derived_count(dir: &Path) {
    let path = release_2_stream(dir);
    let out = dir.join("set.mig");
    let (code, _, err) = run(
        true,
        &[
            "set",
            &text(&path),
            "--section",
            "vmm-uart16550",
            "--field",
            "rx_len=11",
            "-o",
            &text(&out),
        ],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("vmm-uart16550") && err.contains("rx_len=11") && err.contains("refuses"),
        "{err}"
    );
    assert!(!out.exists(), "nothing is written");
    // A register the device takes as it is still edits.
    let (code, _, err) = run(
        true,
        &[
            "set",
            &text(&path),
            "--section",
            "vmm-uart16550",
            "--field",
            "divisor=3",
            "-o",
            &text(&out),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(fields(&inspect(true, &out), "vmm-uart16550")["divisor"], 3);
}

fn convert_with_the_registry(dir: &Path) {
    let mut drained = vmm::release_2_uart().expect("release 2's UART");
    drained.tx_fifo.clear();
    let stream_2 = vmm::release_2_stream(&drained, 2).expect("release 2 writes its stream");
    let stream_1 = vmm::release_2_stream(&drained, 1).expect("release 2 writes for release 1");
    let source = write(dir, "drained-2.mig", &stream_2);
    let dump = vmm::release_1_registry().dump("vmm-1");
    let dest = write(
        dir,
        "release-1.json",
        serde_json::to_string(&dump).expect("JSON").as_bytes(),
    );
    let out = dir.join("converted.mig");
    let args = [
        "convert",
        &text(&source),
        "--to",
        &text(&dest),
        "--machine",
        "vmm-1",
        "-o",
        &text(&out),
    ];
    let (code, _, err) = run(false, &args);
    assert_eq!(code, 1, "the plain tool has no model of the UART: {err}");
    assert!(err.contains("vmm-uart16550"), "{err}");
    assert!(!out.exists());
    let (code, _, err) = run(true, &args);
    assert_eq!(code, 0, "{err}");
    let converted = std::fs::read(&out).expect("the converted stream");
    assert_eq!(
        converted, stream_1,
        "convert writes what release 2 writes for release 1"
    );
    let (code, out_text, err) = run(true, &["check", &text(&out), &text(&dest)]);
    assert_eq!(
        code, 0,
        "release 1 loads the converted stream: {out_text}{err}"
    );
}
