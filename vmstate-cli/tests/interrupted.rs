//! A `set` or `convert` that does not finish (stopped by SIGTERM, SIGINT or
//! SIGKILL part-way, or failing to write) leaves OUT as it was and no file
//! beside it.

mod support;

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What OUT holds before each run: a run that does not finish keeps it.
const PREVIOUS: &[u8] = b"the previous OUT\n";

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
    let scratch = support::Scratch::new("interrupted");
    let input = scratch.0.join("in.mig");
    // 320 MiB: long enough to be caught part-way even in a release build.
    support::big_stream(&input, 80 << 10);
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
    let scratch = support::Scratch::new("write-fails");
    let input = scratch.0.join("in.mig");
    support::big_stream(&input, 8 << 10);
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
