//! `vmstate`: look inside QEMU migration streams and repair them. The
//! commands are in the library (`src/lib.rs`), which a monitor can embed
//! with its own device models.

fn main() -> std::process::ExitCode {
    vmstate_cli::main()
}
