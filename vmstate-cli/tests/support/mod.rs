//! What the CLI's integration tests share: real QEMU processes, and the tool
//! itself run as a user runs it.
#![allow(dead_code, reason = "each test file uses its own part")]

// One fixture finder for the whole repository: the facade's.
#[path = "../../../tests/support/fixtures.rs"]
pub mod fixtures;
pub mod qemu;

use std::path::Path;
use std::process::Command;

/// Runs `vmstate ARGS`; returns its exit code, standard output and error.
pub fn vmstate(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_vmstate"))
        .args(args)
        .output()
        .expect("the vmstate binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `vmstate inspect --json FILE`, parsed.
pub fn inspect_json(file: &Path) -> serde_json::Value {
    let (code, out, err) = vmstate(&["inspect", "--json", &file.display().to_string()]);
    assert_eq!(code, 0, "inspect {} failed: {err}", file.display());
    serde_json::from_str(&out).unwrap()
}
