//! End to end with real QEMU 7.2 (Debian's `qemu-system-x86`, which `.ci/run`
//! installs): a guest runs SeaBIOS, migrates to a file, `vmstate set` changes
//! the first i8259's `imr`, and a new QEMU that loads the edited stream shows
//! the new value in `info pic`. This test fails, rather than skips, when QEMU
//! is missing: it is the proof that our streams are ones QEMU accepts.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

const QEMU: &str = "qemu-system-x86_64";

/// A QEMU process driven through QMP on stdio: one JSON object per line, so
/// each command's answer is unambiguous.
struct Qemu {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
}

impl Qemu {
    fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(QEMU)
            .args([
                "-M",
                "pc-i440fx-7.2",
                "-nodefaults",
                "-m",
                "16",
                "-display",
                "none",
                "-accel",
                "tcg",
                "-rtc",
                "base=2020-01-01T00:00:00,clock=vm",
                "-qmp",
                "stdio",
            ])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {QEMU} ({e}); install Debian's qemu-system-x86 (.ci/run does)")
            });
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let mut qemu = Self {
            child,
            stdin,
            lines,
        };
        qemu.execute(r#"{"execute": "qmp_capabilities"}"#);
        qemu
    }

    /// Sends one QMP command and returns its `return` value.
    fn execute(&mut self, command: &str) -> serde_json::Value {
        writeln!(self.stdin, "{command}").unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let Ok(line) = self.lines.recv_timeout(Duration::from_millis(200)) else {
                continue;
            };
            let message: serde_json::Value = serde_json::from_str(&line).unwrap();
            if let Some(value) = message.get("return") {
                return value.clone();
            }
            assert!(message.get("error").is_none(), "`{command}` failed: {line}");
        }
        panic!("no answer to `{command}` from {QEMU}");
    }

    /// Runs a human-monitor command and returns its text.
    fn human(&mut self, command_line: &str) -> String {
        let command = serde_json::json!({
            "execute": "human-monitor-command",
            "arguments": { "command-line": command_line },
        });
        self.execute(&command.to_string())
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Polls the migration status until it completes.
    fn wait_for_migration(&mut self) {
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            let status = self.execute(r#"{"execute": "query-migrate"}"#);
            match status["status"].as_str() {
                Some("completed") => return,
                Some("failed") => panic!("migration failed: {status}"),
                _ => {}
            }
            assert!(
                Instant::now() < deadline,
                "migration did not complete: {status}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn quit(mut self) {
        writeln!(self.stdin, r#"{{"execute": "quit"}}"#).ok();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn scratch_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vmstate-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Migrates a pc guest that ran SeaBIOS for a while into `path`.
fn migrate_running_guest(path: &Path) {
    let mut qemu = Qemu::start(&[]);
    std::thread::sleep(Duration::from_secs(2));
    qemu.human("stop");
    qemu.human(&format!("migrate \"exec:cat > {}\"", path.display()));
    qemu.wait_for_migration();
    qemu.quit();
}

/// Loads `path` into a fresh QEMU and returns `info pic`.
fn load_and_show_pic(path: &Path) -> String {
    let incoming = format!("exec:cat {}", path.display());
    let mut qemu = Qemu::start(&["-S", "-incoming", &incoming]);
    qemu.wait_for_migration();
    let pic = qemu.human("info pic");
    qemu.quit();
    pic
}

fn imr_of(pic: &str, chip: &str) -> String {
    pic.lines()
        .find(|line| line.starts_with(&format!("{chip}:")))
        .and_then(|line| line.split_whitespace().find_map(|w| w.strip_prefix("imr=")))
        .unwrap_or_else(|| panic!("no {chip} imr in:\n{pic}"))
        .to_owned()
}

#[test]
fn qemu_loads_a_stream_edited_by_vmstate_set() {
    let dir = scratch_dir();
    let original = dir.join("guest.mig");
    let edited = dir.join("edited.mig");
    migrate_running_guest(&original);

    let before = imr_of(&load_and_show_pic(&original), "pic0");
    let new_imr = if before == "a5" { "5a" } else { "a5" };
    let status = Command::new(env!("CARGO_BIN_EXE_vmstate"))
        .arg("set")
        .arg(&original)
        .args([
            "--section",
            "i8259:0",
            "--field",
            &format!("imr=0x{new_imr}"),
            "-o",
        ])
        .arg(&edited)
        .status()
        .unwrap();
    assert!(status.success(), "vmstate set failed: {status}");

    let pic = load_and_show_pic(&edited);
    assert_eq!(imr_of(&pic, "pic0"), new_imr, "QEMU shows the edited imr");
    assert_eq!(
        imr_of(&pic, "pic1"),
        imr_of(&load_and_show_pic(&original), "pic1")
    );

    // Exactly one byte changed: the imr.
    let (a, b) = (
        std::fs::read(&original).unwrap(),
        std::fs::read(&edited).unwrap(),
    );
    assert_eq!(a.len(), b.len());
    assert_eq!(a.iter().zip(&b).filter(|(x, y)| x != y).count(), 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn qemu_loads_a_stream_rewritten_record_by_record() {
    use vmstate::stream::{StreamReader, StreamWriter};

    let dir = scratch_dir().join("rewrite");
    std::fs::create_dir_all(&dir).unwrap();
    let original = dir.join("guest.mig");
    let rewritten = dir.join("rewritten.mig");
    migrate_running_guest(&original);

    let mut reader = StreamReader::new(std::fs::File::open(&original).unwrap()).unwrap();
    let mut writer = StreamWriter::new(std::fs::File::create(&rewritten).unwrap()).unwrap();
    while let Some(record) = reader.next_record().unwrap() {
        writer.write(&record).unwrap();
    }
    writer.finish().unwrap();
    assert!(std::fs::read(&original).unwrap() == std::fs::read(&rewritten).unwrap());

    let pic = load_and_show_pic(&rewritten);
    assert_eq!(
        imr_of(&pic, "pic0"),
        imr_of(&load_and_show_pic(&original), "pic0")
    );
    std::fs::remove_dir_all(&dir).ok();
}
