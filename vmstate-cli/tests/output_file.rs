//! What `set` and `convert` leave at OUT: the replaced file's owner, group
//! and mode (or the input's, for a new file); no leftover beside it; and no
//! edit of another writer lost.

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An owner and group that are not the test's (it runs as root, which may
/// give files away).
const OTHER: (u32, u32) = (4321, 8765);

fn fixture() -> std::path::PathBuf {
    support::qemu::repository().join("tests/data/qemu-10.0/pc-paused.mig")
}

fn set_imr(input: &Path, out: &Path) -> (i32, String, String) {
    support::set_field(
        input.to_str().unwrap(),
        "i8259:0",
        "imr=0xfb",
        out.to_str().unwrap(),
    )
}

fn mode_and_owner(path: &Path) -> (u32, u32, u32) {
    let meta = std::fs::metadata(path).unwrap();
    (meta.mode() & 0o7777, meta.uid(), meta.gid())
}

fn give(path: &Path, mode: u32, (uid, gid): (u32, u32)) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[test]
fn an_edited_file_keeps_its_mode_owner_and_group() {
    if !running_as_root() {
        eprintln!("skipped: giving a file to another user needs root");
        return;
    }
    let scratch = support::Scratch::new("keeps-owner");
    let guest = scratch.0.join("guest.mig");
    std::fs::copy(fixture(), &guest).unwrap();
    give(&guest, 0o600, OTHER);
    let (code, _, err) = set_imr(&guest, &guest);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode_and_owner(&guest), (0o600, OTHER.0, OTHER.1));
    // Unusual bits too: group-readable, and setgid is not dropped by chown.
    give(&guest, 0o2640, OTHER);
    let (code, _, err) = set_imr(&guest, &guest);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode_and_owner(&guest), (0o2640, OTHER.0, OTHER.1));
    assert_eq!(scratch.names(), ["guest.mig"]);
}

#[test]
fn a_replaced_out_keeps_its_own_mode_and_a_new_out_takes_the_inputs() {
    if !running_as_root() {
        eprintln!("skipped: giving a file to another user needs root");
        return;
    }
    let scratch = support::Scratch::new("new-out");
    let input = scratch.0.join("in.mig");
    std::fs::copy(fixture(), &input).unwrap();
    give(&input, 0o640, OTHER);
    let out = scratch.0.join("out.mig");
    let (code, _, err) = set_imr(&input, &out);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode_and_owner(&out), (0o640, OTHER.0, OTHER.1));
    // An existing OUT keeps what it had, not what the input has.
    give(&out, 0o604, (0, 0));
    let (code, _, err) = support::vmstate(&[
        "convert",
        input.to_str().unwrap(),
        "--to",
        "qemu-10.0",
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(mode_and_owner(&out), (0o604, 0, 0));
    assert_eq!(scratch.names(), ["in.mig", "out.mig"]);
}

#[test]
fn a_new_out_from_standard_input_follows_the_umask() {
    let scratch = support::Scratch::new("stdin-out");
    let out = scratch.0.join("out.mig");
    let script = format!(
        "umask 027 && exec '{}' set - --section i8259:0 --field imr=0xfb -o '{}' --quiet < '{}'",
        env!("CARGO_BIN_EXE_vmstate"),
        out.display(),
        fixture().display()
    );
    let output = Command::new("bash").args(["-c", &script]).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(mode_and_owner(&out).0, 0o640);
}

/// A run that died between linking its output under a hidden name and
/// renaming it over OUT left a complete copy; the next run removes it, but
/// never the hidden file of a run that is still going (it holds a lock).
#[test]
fn a_leftover_beside_out_is_removed_and_a_live_one_is_kept() {
    let scratch = support::Scratch::new("leftover");
    let input = scratch.0.join("in.mig");
    std::fs::copy(fixture(), &input).unwrap();
    let dead = scratch.0.join(".out.mig.vmstate-00c0ffee00c0ffee.tmp");
    std::fs::copy(&input, &dead).unwrap();
    let live = scratch.0.join(".out.mig.vmstate-1234.tmp");
    std::fs::copy(&input, &live).unwrap();
    // Someone else's file with a similar name is not ours to remove.
    let other = scratch.0.join(".other.mig.vmstate-00c0ffee00c0ffee.tmp");
    std::fs::write(&other, b"not ours").unwrap();
    let mut holder = Command::new("flock")
        .arg(&live)
        .args(["sleep", "30"])
        .spawn()
        .unwrap();
    wait_until_locked(&live, &mut holder);
    let out = scratch.0.join("out.mig");
    let (code, _, err) = set_imr(&input, &out);
    holder.kill().unwrap();
    holder.wait().unwrap();
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        scratch.names(),
        [
            ".other.mig.vmstate-00c0ffee00c0ffee.tmp",
            ".out.mig.vmstate-1234.tmp",
            "in.mig",
            "out.mig"
        ]
    );
}

/// Waits until `flock` holds its lock on `path`.
fn wait_until_locked(path: &Path, holder: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let free = Command::new("flock")
            .args(["-n", "-s"])
            .arg(path)
            .arg("true")
            .status()
            .unwrap()
            .success();
        if !free {
            return;
        }
        assert!(holder.try_wait().unwrap().is_none(), "flock ended");
        assert!(Instant::now() < deadline, "flock took no lock");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Eight `set f -o f` at once, each changing a byte of its own: each run
/// that says it succeeded has its edit in the final file, and each other run
/// says the file changed under it.
#[test]
fn concurrent_edits_of_one_file_are_kept_or_refused() {
    let scratch = support::Scratch::new("concurrent");
    let guest = scratch.0.join("guest.mig");
    // 64 MiB: each run takes long enough to overlap the others.
    support::big_stream(&guest, 16 << 10);
    let path = guest.to_str().unwrap().to_owned();
    let runs: Vec<(usize, Child)> = (0..8)
        .map(|i| {
            let field = format!("cmos_data[{}]=0x{:x}", 100 + i, 0xa0 + i);
            let child = Command::new(env!("CARGO_BIN_EXE_vmstate"))
                .args(["set", &path, "--section", "mc146818rtc:0", "--field"])
                .arg(&field)
                .args(["-o", &path, "--quiet"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (i, child)
        })
        .collect();
    let mut succeeded = Vec::new();
    for (i, child) in runs {
        let output = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&output.stderr);
        match output.status.code() {
            Some(0) => succeeded.push(i),
            Some(1) => assert!(
                err.contains("while vmstate read it") && err.contains("nothing written"),
                "run {i}: {err}"
            ),
            other => panic!("run {i} ended with {other:?}: {err}"),
        }
    }
    assert!(!succeeded.is_empty(), "no run committed");
    let json = support::inspect_json(&guest);
    let cmos = json["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["section"] == "mc146818rtc")
        .unwrap()["fields"]["cmos_data"]
        .as_str()
        .unwrap()
        .to_owned();
    for i in 0..8 {
        let byte = &cmos[2 * (100 + i)..2 * (100 + i) + 2];
        let expected = format!("{:02x}", 0xa0 + i);
        if succeeded.contains(&i) {
            assert_eq!(
                byte, expected,
                "run {i} said it succeeded; its edit is lost"
            );
        }
    }
    assert_eq!(scratch.names(), ["guest.mig"]);
}

/// A file written to while `set` reads it is not replaced by a mix of its
/// old and new bytes.
#[test]
fn an_input_written_to_during_the_edit_is_refused() {
    let scratch = support::Scratch::new("written-under");
    let guest = scratch.0.join("guest.mig");
    support::big_stream(&guest, 32 << 10);
    let before = std::fs::metadata(&guest).unwrap().len();
    let path = guest.to_str().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vmstate"))
        .args([
            "set",
            path,
            "--section",
            "i8259:0",
            "--field",
            "imr=0xfb",
            "-o",
            path,
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Another program appends once vmstate is reading.
    let deadline = Instant::now() + Duration::from_secs(20);
    while read_so_far(&child) < 4 << 20 {
        assert!(child.try_wait().unwrap().is_none(), "vmstate ended early");
        assert!(Instant::now() < deadline, "vmstate read nothing");
        std::thread::sleep(Duration::from_millis(1));
    }
    {
        use std::io::Write;
        let mut other = std::fs::OpenOptions::new()
            .append(true)
            .open(&guest)
            .unwrap();
        other.write_all(b"another writer").unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("was written to while vmstate read it"),
        "{err}"
    );
    assert_eq!(std::fs::metadata(&guest).unwrap().len(), before + 14);
}

/// Bytes the process has read so far (`rchar` of /proc/PID/io).
fn read_so_far(child: &Child) -> u64 {
    std::fs::read_to_string(format!("/proc/{}/io", child.id()))
        .ok()
        .and_then(|io| {
            io.lines()
                .find_map(|line| line.strip_prefix("rchar: "))
                .and_then(|n| n.trim().parse().ok())
        })
        .unwrap_or(0)
}
