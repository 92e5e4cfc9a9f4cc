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
    /// Check that QEMU with the devices of one `-dump-vmstate` dump can migrate to another.
    #[command(after_help = "Examples:
  qemu-system-x86_64 -M pc-i440fx-7.2 -dump-vmstate old.json    # the old QEMU
  qemu-system-x86_64 -M pc-i440fx-7.2 -dump-vmstate new.json    # the new QEMU
  vmstate check old.json new.json              # forward migration, old -> new
  vmstate check --reverse old.json new.json    # backward migration, new -> old

Prints one line per problem, in the words of QEMU's vmstate-static-checker.py,
then a summary line. Exit status: the number of problems (at most 255), 0 when
the migration is compatible; 2 also for usage errors and unreadable dumps,
which print no summary line.")]
    Check(Check),
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

#[derive(Debug, ClapArgs)]
pub struct Check {
    /// The `-dump-vmstate` dump of the QEMU migrating from (the source).
    pub old: PathBuf,
    /// The `-dump-vmstate` dump of the QEMU migrating to (the destination).
    pub new: PathBuf,
    /// Check migration from NEW to OLD instead (backward migration).
    #[arg(long)]
    pub reverse: bool,
}
