//! Compile-time diagnostics of `#[derive(VmState)]`, pinned as trybuild
//! snapshots (rustc 1.95 is the only toolchain here). Regenerate with
//! `TRYBUILD=overwrite cargo test --test ui`, then read every `.stderr`.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/**/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
