//! `vmstate`: look inside QEMU migration streams and repair them.
//!
//! Exit status: 0 on success, 1 when the input is bad (the message names the
//! section, field and byte offset), 2 on usage errors.

mod args;
mod edit;
mod input;
mod inspect;
mod output;
mod scan;

use std::process::ExitCode;

use clap::Parser;

/// A failure, with the exit status it maps to.
#[derive(Debug)]
enum Failure {
    /// The input is malformed: exit status 1.
    BadInput(String),
    /// The command line asks for something impossible: exit status 2.
    Usage(String),
}

impl From<vmstate::Error> for Failure {
    fn from(error: vmstate::Error) -> Self {
        Self::BadInput(error.to_string())
    }
}

fn main() -> ExitCode {
    let args = args::Args::parse();
    let result = match args.command {
        args::Command::Inspect(inspect) => inspect::run(&inspect),
        args::Command::Set(set) => edit::run(&set),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(message)) => {
            eprintln!("vmstate: error: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Usage(message)) => {
            eprintln!("vmstate: usage error: {message}");
            ExitCode::from(2)
        }
    }
}
