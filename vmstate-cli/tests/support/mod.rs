//! What the CLI's integration tests share: real QEMU processes, and the tool
//! itself run as a user runs it.
#![allow(dead_code, reason = "each test file uses its own part")]

// One fixture finder for the whole repository: the facade's.
#[path = "../../../tests/support/fixtures.rs"]
pub mod fixtures;
pub mod qemu;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use vmstate::stream::{RamRecord, Record, StreamReader};

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

/// `vmstate convert INPUT --to RELEASE -o OUTPUT`: a conversion with no
/// other option.
pub fn convert_to(input: &str, release: &str, output: &std::path::Path) -> (i32, String, String) {
    vmstate(&[
        "convert",
        input,
        "--to",
        release,
        "-o",
        &output.display().to_string(),
    ])
}

/// `vmstate convert INPUT --to RELEASE --machine MACHINE -o OUTPUT`: a
/// conversion renamed to another machine type, without a reference.
pub fn convert_renamed(
    input: &str,
    release: &str,
    machine: &str,
    output: &std::path::Path,
) -> (i32, String, String) {
    vmstate(&[
        "convert",
        input,
        "--to",
        release,
        "--machine",
        machine,
        "-o",
        &output.display().to_string(),
    ])
}

/// `vmstate set INPUT --section SECTION --field FIELD -o OUTPUT --quiet`:
/// one change, as the tests make it.
pub fn set_field(input: &str, section: &str, field: &str, output: &str) -> (i32, String, String) {
    vmstate(&[
        "set",
        input,
        "--section",
        section,
        "--field",
        field,
        "-o",
        output,
        "--quiet",
    ])
}

/// The stream in `bytes` with its machine type `from` renamed `to`, of the
/// same length: a same-length edit of the configuration section, so that a
/// test can show what QEMU does with a rename that `convert` refuses.
pub fn renamed_by_hand(bytes: &[u8], from: &str, to: &str) -> Vec<u8> {
    assert_eq!(from.len(), to.len(), "{from} and {to} differ in length");
    let mut bytes = bytes.to_vec();
    let at = bytes
        .windows(from.len())
        .position(|w| w == from.as_bytes())
        .expect("the configuration names the machine type");
    bytes[at..at + to.len()].copy_from_slice(to.as_bytes());
    bytes
}

/// Writes the stream at `input` to `output` with its configuration section
/// naming machine type `to`, whatever the lengths, and without the command
/// packets that carry no state (10.0's `SWITCHOVER_START`, which 7.2 does not
/// know): the rename `convert --machine` makes, without its checks, so that
/// a test can show what QEMU does with a rename `convert` refuses.
pub fn renamed_unchecked(input: &Path, to: &str, output: &Path) {
    let file = std::fs::File::open(input).unwrap();
    let mut reader = StreamReader::new(std::io::BufReader::new(file))
        .unwrap()
        .with_page_runs();
    let out = BufWriter::new(std::fs::File::create(output).unwrap());
    let mut writer = vmstate::stream::StreamWriter::new(out).unwrap();
    while let Some(record) = reader.next_record().unwrap() {
        let record = match record {
            Record::Configuration(configuration) => {
                Record::Configuration(configuration.with_machine(to).unwrap())
            }
            Record::Command { command, .. }
                if vmstate::stream::command_info(command).is_some_and(|c| c.stateless) =>
            {
                continue;
            }
            other => other,
        };
        writer.write(&record).unwrap();
    }
    writer.finish().unwrap().flush().unwrap();
}

/// `vmstate inspect --json FILE`, parsed.
pub fn inspect_json(file: &Path) -> serde_json::Value {
    let (code, out, err) = vmstate(&["inspect", "--json", &file.display().to_string()]);
    assert_eq!(code, 0, "inspect {} failed: {err}", file.display());
    serde_json::from_str(&out).unwrap()
}

/// A directory of its own for each test, removed at the end.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("vmstate-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// The names in the directory, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&self.0)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A real stream (QEMU 10.0, a paused 16 MiB pc guest) with `pages` more
/// data pages of `pc.ram` at the end of RAM's first part, as a live
/// migration resends pages: a stream of any size that loads, written fast.
pub fn big_stream(path: &Path, pages: u64) {
    let fixture = qemu::repository().join("tests/data/qemu-10.0/pc-paused.mig");
    let bytes = std::fs::read(&fixture).unwrap();
    let mut reader = StreamReader::new(std::io::Cursor::new(&bytes)).unwrap();
    let mut block_len = 0;
    let eos_at = loop {
        let at = reader.offset();
        match reader.next_record().unwrap().expect("a RAM section") {
            Record::Ram(RamRecord::MemSize { blocks, .. }) => {
                block_len = blocks
                    .iter()
                    .find(|b| b.name == "pc.ram")
                    .unwrap()
                    .used_length;
            }
            Record::Ram(RamRecord::Eos) => break usize::try_from(at).unwrap(),
            _ => {}
        }
    };
    let mut out = BufWriter::new(std::fs::File::create(path).unwrap());
    out.write_all(&bytes[..eos_at]).unwrap();
    let mut page = [0u8; 4096];
    for (i, byte) in page.iter_mut().enumerate() {
        *byte = u8::try_from(i % 251).unwrap() + 1;
    }
    for n in 0..pages {
        let offset = (n * 4096) % block_len;
        if n == 0 {
            out.write_all(&(offset | 0x08).to_be_bytes()).unwrap();
            out.write_all(&[6]).unwrap();
            out.write_all(b"pc.ram").unwrap();
        } else {
            out.write_all(&(offset | 0x08 | 0x20).to_be_bytes())
                .unwrap();
        }
        out.write_all(&page).unwrap();
    }
    out.write_all(&bytes[eos_at..]).unwrap();
    out.flush().unwrap();
}
