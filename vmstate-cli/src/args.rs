//! The command line.

use std::ffi::OsString;
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
  vmstate inspect disk.qcow2                     # its snapshots with a VM state
  vmstate inspect disk.qcow2@suspended           # one of them (savevm suspended)
  vmstate inspect /var/lib/libvirt/qemu/save/guest.save
  vmstate inspect --json - < guest.mig")]
    Inspect(Inspect),
    /// Change fields of a section and write a new stream.
    #[command(after_help = "Examples:
  vmstate set guest.mig --section i8259:0 --field imr=0xfb -o fixed.mig
  vmstate set guest.mig --section i8254 --field 'channels[0].mode=2' -o fixed.mig

Values are decimal, 0x-hex, negative for signed fields, true/false for bool,
and a hex string of the exact size for buffers. The output is written to a
file that has no name until the whole stream was written, then takes OUT's
name: a failed or interrupted run leaves OUT as it was and nothing beside it.")]
    Set(Set),
    /// Check whether DEST loads a stream, or migrates from one `-dump-vmstate` dump's QEMU.
    #[command(after_help = "Examples:
  qemu-system-x86_64 -M pc-i440fx-7.2 -dump-vmstate old.json    # the old QEMU
  qemu-system-x86_64 -M pc-i440fx-7.2 -dump-vmstate new.json    # the new QEMU
  vmstate check old.json new.json              # forward migration, old -> new
  vmstate check --reverse old.json new.json    # backward migration, new -> old
  vmstate check guest.mig qemu-7.2             # will QEMU 7.2 load this guest's stream?
  vmstate reference -o ref.mig -- qemu-system-x86_64 -M pc-i440fx-7.2 ...   # 7.2's own guest
  vmstate check guest.mig qemu-7.2 --reference ref.mig   # and its devices

For two dumps: one line per problem, in the words of QEMU's
vmstate-static-checker.py, then a summary line. For a stream: one line per
reason DEST would refuse it (only what the stream carries counts), with QEMU's
own error message, then a summary line counting them. Exit status, as diff
and cmp: 0 DEST loads it (or the migration is compatible), 1 DEST refuses it
(problems found), 2 no verdict (bad arguments, an unreadable stream or dump;
no summary line).")]
    Check(Check),
    /// Rewrite a stream so that an older (or newer) QEMU loads it, where nothing is lost.
    #[command(after_help = "Examples:
  vmstate check guest.mig qemu-7.2                 # what stands in the way
  vmstate convert guest.mig --to qemu-7.2 --machine pc-i440fx-7.2 -o for-7.2.mig
  migrate \"exec:vmstate convert - --to qemu-7.2 -o - > /path/guest.mig\"   (in QEMU)

DEST is a -dump-vmstate file or a release shipped with the tool (qemu-7.2,
qemu-10.0). Only what carries no state changes: command packets DEST does not
know are dropped and, with --machine, the machine type is renamed. Anything
else DEST would refuse (a subsection DEST lacks, a section version it does not
load) is named, the exit status is 1, and OUT is not created.")]
    Convert(Convert),
    /// Save the state a destination QEMU builds for a guest's command line, paused: a REF.
    #[command(after_help = "Examples:
  vmstate reference -o ref.mig -- qemu-system-x86_64 -M pc-i440fx-7.2 -m 1G \\
      -drive file=guest.qcow2,if=virtio -nic user,model=virtio-net-pci
  vmstate check guest.mig qemu-7.2 --reference ref.mig

QEMU starts with the guest's options and -S (no guest code runs), -snapshot
(disks given with -drive are only read: writes go to temporary overlays),
-qmp stdio and, unless the options choose a display, -display none; vmstate
then migrates it into REF over QMP, with validate-uuid on (so that REF
carries a -uuid the options give, which check compares with a stream's),
and quits it. -snapshot does not cover
-blockdev nodes: QEMU opens them as given (a paused guest writes nothing to
them; read-only=on makes sure where the device allows it). Options on the
standard streams move off them (-nographic, -serial stdio, -monitor stdio,
-chardev stdio); -incoming, -loadvm, -daemonize, -preconfig and -drive
snapshot=off are refused (exit status 2). REF takes its name only once QEMU
wrote a whole stream: a failed run (exit status 1, with QEMU's messages)
leaves REF as it was and nothing beside it.")]
    Reference(Reference),
}

#[derive(Debug, ClapArgs)]
pub struct Inspect {
    /// The stream: a file (a migration stream, a mapped-ram save file or a
    /// libvirt save image), `IMAGE@NAME` for snapshot NAME of a qcow2 image,
    /// or `-` for standard input.
    pub file: PathBuf,
    /// Print every section's decoded values as JSON.
    #[arg(long)]
    pub json: bool,
    /// Only this section: `NAME` or `NAME:INSTANCE`.
    #[arg(long, value_name = "NAME[:INSTANCE]")]
    pub section: Option<String>,
    /// No progress line. It is drawn on standard error when that is a
    /// terminal and the stream is over 256 MiB.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, ClapArgs)]
pub struct Set {
    /// The stream: a file (a migration stream, a mapped-ram save file or a
    /// libvirt save image), `IMAGE@NAME` for snapshot NAME of a qcow2 image,
    /// or `-` for standard input.
    pub file: PathBuf,
    /// The section to change: `NAME:INSTANCE`, or `NAME` when the stream has
    /// one section of that name (as in `inspect`, `NAME` alone means every
    /// instance, and `set` changes exactly one).
    #[arg(long, value_name = "NAME[:INSTANCE]")]
    pub section: String,
    /// A change: the field's path, as `inspect --json` names it, and its new value.
    #[arg(long = "field", value_name = "PATH=VALUE", required = true)]
    pub fields: Vec<String>,
    /// Where to write the new stream (`-` for standard output);
    /// `IMAGE@NAME` writes it into snapshot NAME of a qcow2 image (in place
    /// when it is the input's, or a copy of the input's image when IMAGE does
    /// not exist). A libvirt save image is written back as one.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// No progress line. It is drawn on standard error when that is a
    /// terminal and the stream is over 256 MiB.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, ClapArgs)]
pub struct Convert {
    /// The stream: a file (a migration stream, a mapped-ram save file or a
    /// libvirt save image), `IMAGE@NAME` for snapshot NAME of a qcow2 image,
    /// or `-` for standard input.
    pub file: PathBuf,
    /// The destination: a `-dump-vmstate` file, or `qemu-7.2` / `qemu-10.0`.
    #[arg(long = "to", value_name = "DEST")]
    pub dest: PathBuf,
    /// Rename the machine type to NAME, which DEST must run (in a libvirt
    /// save image's domain XML too, since libvirt starts QEMU with that).
    #[arg(long, value_name = "NAME")]
    pub machine: Option<String>,
    /// A stream DEST wrote for the same guest configuration (machine type and
    /// devices), e.g. by `vmstate reference`: refuse when DEST's guest lacks a
    /// section or a PCI device was built differently there.
    #[arg(long, value_name = "REF")]
    pub reference: Option<PathBuf>,
    /// Where to write the new stream (`-` for standard output);
    /// `IMAGE@NAME` writes it into snapshot NAME of a qcow2 image (in place
    /// when it is the input's, or a copy of the input's image when IMAGE does
    /// not exist). A libvirt save image is written back as one.
    #[arg(short, long, value_name = "OUT")]
    pub output: PathBuf,
    /// No progress line. It is drawn on standard error when that is a
    /// terminal and the stream is over 256 MiB.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, ClapArgs)]
pub struct Check {
    /// A migration stream (this guest), or the `-dump-vmstate` dump of the QEMU
    /// migrating from (every device type).
    pub old: PathBuf,
    /// The `-dump-vmstate` dump of the QEMU migrating to, or `qemu-7.2` / `qemu-10.0`.
    pub new: PathBuf,
    /// Check migration from NEW to OLD instead (backward migration).
    #[arg(long)]
    pub reverse: bool,
    /// With a stream: a stream DEST wrote for the same guest configuration
    /// (machine type and devices), e.g. by `vmstate reference`; it shows the
    /// sections DEST's guest has and how DEST built its PCI devices.
    #[arg(long, value_name = "REF")]
    pub reference: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct Reference {
    /// Where to write the stream (`-` for standard output).
    #[arg(short, long, value_name = "REF")]
    pub output: PathBuf,
    /// The destination QEMU and the guest's options, after `--`.
    #[arg(
        last = true,
        required = true,
        num_args = 1..,
        value_name = "QEMU_BINARY ARGS"
    )]
    pub qemu: Vec<OsString>,
}
