//! A `set` or `convert` that does not finish (stopped by SIGTERM, SIGINT or
//! SIGKILL part-way, or failing to write) leaves OUT as it was and no file
//! beside it.

mod support;

use std::io::{BufWriter, Write};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use vmstate::stream::{RamRecord, Record, StreamReader};

/// What OUT holds before each run: a run that does not finish keeps it.
const PREVIOUS: &[u8] = b"the previous OUT\n";

/// A directory of its own for each test, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("vmstate-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// The names in the directory, sorted.
    fn names(&self) -> Vec<String> {
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
fn big_stream(path: &Path, pages: u64) {
    let fixture = support::qemu::repository().join("tests/data/qemu-10.0/pc-paused.mig");
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

/// Bytes the process has written so far (`wchar` of /proc/PID/io).
fn written(child: &Child) -> Option<u64> {
    let io = std::fs::read_to_string(format!("/proc/{}/io", child.id())).ok()?;
    io.lines()
        .find_map(|line| line.strip_prefix("wchar: "))
        .and_then(|n| n.trim().parse().ok())
}

/// Starts `vmstate ARGS`, waits until it has written `after` bytes, sends
/// `signal`, and returns the signal that ended it.
fn interrupt(args: &[&str], after: u64, signal: &str) -> Option<i32> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmstate"))
        .args(args)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while written(&child).unwrap_or(0) < after {
        assert!(
            child.try_wait().unwrap().is_none(),
            "vmstate finished before it could be interrupted"
        );
        assert!(Instant::now() < deadline, "vmstate wrote nothing");
        std::thread::sleep(Duration::from_millis(1));
    }
    let sent = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    child.wait().unwrap().signal()
}

#[test]
fn a_killed_run_leaves_out_as_it_was_and_nothing_beside_it() {
    let scratch = Scratch::new("interrupted");
    let input = scratch.0.join("in.mig");
    // 320 MiB: long enough to be caught part-way even in a release build.
    big_stream(&input, 80 << 10);
    let out = scratch.0.join("out.mig");
    let (input, out_arg) = (input.to_str().unwrap(), out.to_str().unwrap());
    let set = [
        "set",
        input,
        "--section",
        "i8259:0",
        "--field",
        "imr=0xfb",
        "-o",
        out_arg,
    ];
    let convert = ["convert", input, "--to", "qemu-10.0", "-o", out_arg];
    for (args, signal, number) in [
        (&set[..], "-TERM", 15),
        (&set[..], "-INT", 2),
        (&set[..], "-KILL", 9),
        (&convert[..], "-TERM", 15),
    ] {
        std::fs::write(&out, PREVIOUS).unwrap();
        let ended_by = interrupt(args, 16 << 20, signal);
        assert_eq!(ended_by, Some(number), "{} {signal}", args[0]);
        assert_eq!(
            std::fs::read(&out).unwrap(),
            PREVIOUS,
            "{} {signal}",
            args[0]
        );
        assert_eq!(
            scratch.names(),
            ["in.mig", "out.mig"],
            "{} {signal}",
            args[0]
        );
    }
    // Left alone, the same run replaces OUT.
    let (code, _, err) = support::vmstate(&set);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        std::fs::metadata(&out).unwrap().len(),
        std::fs::metadata(input).unwrap().len()
    );
    assert_eq!(scratch.names(), ["in.mig", "out.mig"]);
}

#[test]
fn a_failed_write_leaves_out_as_it_was_and_nothing_beside_it() {
    let scratch = Scratch::new("write-fails");
    let input = scratch.0.join("in.mig");
    big_stream(&input, 8 << 10);
    let out = scratch.0.join("out.mig");
    std::fs::write(&out, PREVIOUS).unwrap();
    // Files may grow to 4 MiB, a fraction of the 32 MiB stream: the write
    // fails part-way (EFBIG) as on a full disk.
    let script = format!(
        "ulimit -f 4096 && trap '' XFSZ && exec '{}' set '{}' --section i8259:0 --field imr=0xfb -o '{}'",
        env!("CARGO_BIN_EXE_vmstate"),
        input.display(),
        out.display()
    );
    let output = Command::new("bash").args(["-c", &script]).output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("File too large"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), PREVIOUS);
    assert_eq!(scratch.names(), ["in.mig", "out.mig"]);
}

#[test]
fn a_device_as_out_is_written_in_place() {
    let input = support::qemu::repository().join("tests/data/qemu-10.0/pc-paused.mig");
    let input = input.to_str().unwrap();
    let (code, _, err) = support::vmstate(&[
        "set",
        input,
        "--section",
        "i8259:0",
        "--field",
        "imr=0xfb",
        "-o",
        "/dev/full",
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(
        !Path::new("/dev/full").is_file(),
        "/dev/full is still a device"
    );
    let (code, _, err) = support::vmstate(&[
        "set",
        input,
        "--section",
        "i8259:0",
        "--field",
        "imr=0xfb",
        "-o",
        "/dev/null",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        !Path::new("/dev/null").is_file(),
        "/dev/null is still a device"
    );
}
