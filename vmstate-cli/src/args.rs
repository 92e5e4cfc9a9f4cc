//! The command line.

use std::path::PathBuf;

use clap::{Args as ClapArgs, Parser, Subcommand};

/// Look inside QEMU migration streams, and repair them.
#[derive(Debug, Parser)]
#[command(name = "vmstate", version, about, long_about = None)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List a stream's sections, or print their decoded values.
    #[command(after_help = "Examples:
  vmstate inspect guest.mig
  vmstate inspect guest.mig --section i8259:1
  vmstate inspect --json - < guest.mig")]
    Inspect(Inspect),
    /// Change fields of a section and write a new stream.
    #[command(after_help = "Examples:
  vmstate set guest.mig --section i8259 --field imr=0xfb -o fixed.mig
  vmstate set guest.mig --section i8254 --field 'channels[0].mode=2' -o fixed.mig

Values are decimal, 0x-hex, negative for signed fields, true/false for bool,
and a hex string of the exact size for buffers. The output is written to a
temporary file and renamed over OUT only when the whole stream was written.")]
    Set(Set),
}

#[derive(Debug, ClapArgs)]
pub struct Inspect {
    /// The stream file, or `-` for standard input.
    pub file: PathBuf,
    /// Print every section's decoded values as JSON.
    #[arg(long)]
    pub json: bool,
    /// Only this section: `NAME` or `NAME:INSTANCE`.
    #[arg(long, value_name = "NAME[:INSTANCE]")]
    pub section: Option<String>,
}

#[derive(Debug, ClapArgs)]
pub struct Set {
    /// The stream file, or `-` for standard input.
    pub file: PathBuf,
    /// The section to change: `NAME` (instance 0) or `NAME:INSTANCE`.
    #[arg(long, value_name = "NAME[:INSTANCE]")]
    pub section: String,
    /// A change: the field's path, as `inspect --json` names it, and its new value.
    #[arg(long = "field", value_name = "PATH=VALUE", required = true)]
    pub fields: Vec<String>,
    /// Where to write the new stream (`-` for standard output).
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
}
