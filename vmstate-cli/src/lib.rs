//! The `vmstate` tool as a library: look inside QEMU migration streams and
//! repair them, with QEMU's device models and a monitor's own.
//!
//! Exit status: 0 on success, 1 when the input is bad (the message names the
//! section, field and byte offset), 2 on usage errors. `check` answers as
//! `diff` and `cmp` do: 0 DEST loads it, 1 DEST refuses it, 2 no verdict.
//!
//! A monitor embeds the tool in a small binary of its own, so that it
//! decodes, checks and converts the monitor's devices as it does QEMU's:
//!
//! ```no_run
//! use vmstate::VmState;
//! use vmstate::models::Registry;
//!
//! #[derive(VmState, Debug, Default)]
//! #[vmstate(name = "acme-timer", version = 2, minimum_version = 1)]
//! struct Timer {
//!     count: u32,
//!     #[vmstate(since = 2)]
//!     reload: u32,
//! }
//!
//! fn main() -> std::process::ExitCode {
//!     vmstate_cli::main_with(Registry::new().with::<Timer>())
//! }
//! ```

mod args;
mod atomic_output;
mod check;
mod convert;
mod copy_range;
mod describe;
mod edit;
mod input;
mod input_guard;
mod inspect;
mod libvirt_image;
mod models;
mod output;
mod plain_pages;
mod progress;
mod qemu_args;
mod qmp;
mod reference;
mod releases;
mod rom_blocks;
mod scan;
mod snapshots;
mod target;
mod wording;
mod writeback;

use std::process::ExitCode;

use clap::Parser;

/// Why a command failed, with the exit status it maps to.
#[derive(Debug)]
enum CommandError {
    /// The input is malformed: exit status 1.
    BadInput(String),
    /// A file cannot be created or written (a missing directory, no
    /// permission, a full disk): exit status 1.
    Io(String),
    /// QEMU, run by `reference`, failed: it exited, refused a command or did
    /// not answer (the message carries its own). Exit status 1.
    Qemu(String),
    /// The command line asks for something impossible: exit status 2.
    Usage(String),
    /// `check`'s verdict is a refusal (its reasons already printed): exit status 1.
    Refuses,
    /// `check` cannot give a verdict (an unreadable stream or dump): exit status 2.
    NoVerdict(String),
    /// `convert` refused: this many obstacles, already printed. Exit status 1.
    Refused(usize),
}

impl From<vmstate::Error> for CommandError {
    fn from(error: vmstate::Error) -> Self {
        Self::BadInput(error.to_string())
    }
}

/// Runs the `vmstate` command line (the arguments of the process) with
/// QEMU's device models, and returns the exit status.
#[must_use]
pub fn main() -> ExitCode {
    run(args::Args::parse())
}

/// Runs the `vmstate` command line with `registry`'s models of a monitor's
/// own devices besides QEMU's: `inspect` decodes those sections with them,
/// `check` and `set` delimit them in streams without a description, and
/// `convert` re-encodes them at the version the destination loads. A model
/// in `registry` is found before a QEMU model of the same idstr.
#[must_use]
pub fn main_with(registry: vmstate::models::Registry) -> ExitCode {
    models::install(registry);
    main()
}

fn run(args: args::Args) -> ExitCode {
    let result = match args.command {
        args::Command::Inspect(inspect) => inspect::run(&inspect),
        args::Command::Set(set) => edit::run(&set),
        args::Command::Check(check) => check::run(&check),
        args::Command::Convert(convert) => convert::run(&convert),
        args::Command::Reference(reference) => reference::run(&reference),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(
            CommandError::BadInput(message)
            | CommandError::Io(message)
            | CommandError::Qemu(message),
        ) => {
            eprintln!("vmstate: error: {message}");
            ExitCode::from(1)
        }
        Err(CommandError::Usage(message)) => {
            eprintln!("vmstate: usage error: {message}");
            ExitCode::from(2)
        }
        Err(CommandError::Refuses) => ExitCode::from(1),
        Err(CommandError::NoVerdict(message)) => {
            eprintln!("vmstate: no verdict: {message}");
            ExitCode::from(2)
        }
        Err(CommandError::Refused(count)) => {
            eprintln!(
                "vmstate: nothing written: {count} obstacle{} above",
                if count == 1 { "" } else { "s" }
            );
            ExitCode::from(1)
        }
    }
}
