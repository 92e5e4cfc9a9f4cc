//! Compile-time diagnostics of `#[derive(VmState)]`, pinned as trybuild
//! snapshots (rustc 1.95 is the only toolchain here). Regenerate with
//! `TRYBUILD=overwrite cargo test --test ui`, then read every `.stderr`.

use std::path::Path;

/// The lock cases name their lock relative to the crate's directory, which
/// for trybuild is its project under the target directory: the fixtures go
/// there.
fn place_lock_fixtures() {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory");
    let project = target.join("tests/trybuild").join(env!("CARGO_PKG_NAME"));
    std::fs::create_dir_all(&project).expect("trybuild's project directory");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    for entry in std::fs::read_dir(&fixtures).expect("tests/ui") {
        let path = entry.expect("a directory entry").path();
        if path.extension().is_some_and(|ext| ext == "lock") {
            let name = path.file_name().expect("a file name");
            std::fs::copy(&path, project.join(name)).expect("a lock fixture copied");
        }
    }
}

#[test]
fn ui() {
    place_lock_fixtures();
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/**/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
