//! RAM runs give the same bytes whichever way they reach OUT: to a file on
//! the input's file system (copied by the kernel where that file system
//! shares extents, written from memory elsewhere), to one on another file
//! system, and to standard output (always written). `copy_range`'s unit
//! test copies with `copy_file_range` itself, on any file system.

mod support;

use std::path::Path;
use std::process::Command;

fn set(input: &Path, out: &str) -> Vec<u8> {
    let output = Command::new(env!("CARGO_BIN_EXE_vmstate"))
        .args(["set", input.to_str().unwrap()])
        .args([
            "--section",
            "i8259:0",
            "--field",
            "imr=0xfb",
            "--quiet",
            "-o",
            out,
        ])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

#[test]
fn copied_runs_are_the_bytes_written_runs_are() {
    let scratch = support::Scratch::new("kernel-copy");
    let input = scratch.0.join("in.mig");
    // 16 MiB of pages past the fixture's: many runs of the largest size.
    support::big_stream(&input, 4 << 10);
    let expected = set(&input, "-");
    assert!(expected.len() > 16 << 20);

    let same_fs = scratch.0.join("out.mig");
    set(&input, same_fs.to_str().unwrap());
    assert!(
        std::fs::read(&same_fs).unwrap() == expected,
        "same file system"
    );

    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        let other_fs = shm.join(format!("vmstate-kernel-copy-{}.mig", std::process::id()));
        set(&input, other_fs.to_str().unwrap());
        let written = std::fs::read(&other_fs).unwrap();
        let _ = std::fs::remove_file(&other_fs);
        assert!(written == expected, "another file system");
    }
}
