//! `vmstate check SRC DEST`: will DEST load what SRC sends? SRC is a
//! `-dump-vmstate` dump (every device type, every subsection) or a migration
//! stream (this guest: only what it carries). One line per reason, then a
//! summary line. The exit status answers as `diff` and `cmp` do: 0 DEST loads
//! it, 1 DEST refuses it, 2 no verdict (an unreadable input, bad arguments).

use std::io::Read;
use std::path::Path;

use vmstate::check::{StreamFacts, check, check_stream};
use vmstate::desc::StateDesc;
use vmstate::stream::{SectionInfo, StreamReader};

use crate::CommandError;
use crate::args::Check;
use crate::output::{print, say};

/// Runs the check: `Ok` when DEST loads SRC, [`CommandError::Refuses`] when it
/// does not, and every failure to read an input is [`CommandError::NoVerdict`].
pub fn run(args: &Check) -> Result<(), CommandError> {
    verdict(args).map_err(|failure| match failure {
        CommandError::BadInput(message) | CommandError::Io(message) => {
            CommandError::NoVerdict(message)
        }
        other => other,
    })
}

fn verdict(args: &Check) -> Result<(), CommandError> {
    if is_stream(&args.old) {
        if args.reverse {
            return Err(CommandError::Usage(
                "--reverse compares two dumps; a stream goes one way only".into(),
            ));
        }
        return run_stream(&args.old, &args.new, args.reference.as_deref());
    }
    if args.reference.is_some() {
        return Err(CommandError::Usage(
            "--reference goes with a stream, not with two dumps".into(),
        ));
    }
    // Two dumps: a shipped release stands for its x86_64 dump.
    let old = crate::releases::load(&args.old, None)?;
    let new = crate::releases::load(&args.new, None)?;
    let ((src, src_path), (dest, dest_path)) = if args.reverse {
        ((&new, &args.new), (&old, &args.old))
    } else {
        ((&old, &args.old), (&new, &args.new))
    };
    let report = check(src, dest);
    print(&report.to_string())?;
    let problems = report.problem_count();
    let warnings = report.warnings().count();
    say!(
        "{problems} problem{}, {warnings} warning{}: migration from {} to {} {}",
        plural(problems),
        plural(warnings),
        src_path.display(),
        dest_path.display(),
        if problems == 0 {
            "is compatible"
        } else {
            "can fail"
        },
    )?;
    if problems == 0 {
        Ok(())
    } else {
        Err(CommandError::Refuses)
    }
}

/// The verdict for one stream.
fn run_stream(
    stream: &Path,
    dest_path: &Path,
    reference: Option<&Path>,
) -> Result<(), CommandError> {
    let facts = read_facts(stream)?;
    // A shipped release answers for the stream's architecture.
    let dest = crate::releases::load(dest_path, facts.machine.as_deref())?;
    let mut verdict = check_stream(&facts, &dest);
    if let Some(reference) = reference {
        let reference = read_reference_facts(reference)?;
        verdict.add_reference(&facts, &reference);
    }
    for obstacle in &verdict.obstacles {
        say!("{obstacle}")?;
    }
    let count = verdict.obstacles.len();
    if !verdict.unchecked.is_empty() {
        let mut names = verdict.unchecked.clone();
        names.dedup();
        say!(
            "note: {} section{} described neither by DEST's dump nor by a reference (layout \
             not checked): {}",
            names.len(),
            plural(names.len()),
            names.join(", ")
        )?;
    }
    if !verdict.cpregs_unchecked.is_empty() {
        say!(
            "note: no shipped register list is the CPU's of {} (a CPU model or EL2/EL3 \
             configuration the lists were not made for): only the registers QEMU 7.2 and 10.0 \
             are known to migrate differently were compared; `--reference` compares the whole \
             list",
            verdict.cpregs_unchecked.join(", ")
        )?;
    }
    if !verdict.arrays_unchecked.is_empty() {
        // The reference guest did not send this state: QEMU reads as many
        // elements as its own configuration says (`-smp ...,maxcpus=`).
        say!(
            "note: the reference does not show how many elements DEST reads of {} (its guest \
             had not sent that state; DEST reads as many as its own configuration has, such \
             as `maxcpus`): not compared; a reference saved from DEST's guest after it booted \
             would show it",
            verdict.arrays_unchecked.join(", ")
        )?;
    }
    if !verdict.tsc_unchecked.is_empty() {
        // Under KVM a CPU without `tsc-frequency` takes the host's, which
        // QEMU does not compare: only the user's setting refuses.
        say!(
            "note: DEST's reference (KVM) runs another TSC frequency than the stream's CPU {}: \
             DEST refuses it if its `-cpu` sets `tsc-frequency` (QEMU: \"Mismatch between \
             user-specified TSC frequency and migrated TSC frequency\"), and loads it if the \
             frequency is its host's",
            verdict.tsc_unchecked.join(", ")
        )?;
    }
    if let (None, Some(uuid)) = (reference, facts.uuid) {
        say!(
            "note: the stream carries its source's UUID, {uuid} (saved with `validate-uuid`): \
             DEST refuses it if started with another `-uuid`; `--reference` compares DEST's"
        )?;
    }
    if reference.is_none() {
        // A dump describes device types only: what QEMU checks against its
        // own guest needs a stream that guest wrote.
        say!(
            "note: without --reference, what DEST checks against its own guest is not \
             checked: RAM blocks and their sizes, section instances, PCI read-only registers, \
             values that must equal DEST's (`vmstate reference -o REF -- QEMU ARGS...` makes \
             one)"
        )?;
    }
    say!(
        "{count} reason{}: {} {} {}",
        plural(count),
        dest_path.display(),
        if count == 0 { "loads" } else { "refuses" },
        stream.display(),
    )?;
    if count == 0 {
        Ok(())
    } else {
        Err(CommandError::Refuses)
    }
}

/// What a stream carries, its sections described by the stream's vmdesc or
/// else by a model.
pub fn read_facts(path: &Path) -> Result<StreamFacts, CommandError> {
    let input = crate::input::open(path)?;
    // The facts need no page: pages are counted, not kept (one page per
    // record allocated a page each, 2.6 times `inspect`'s time on an 8 GiB
    // stream), and a mapped-ram file's holes are not read.
    let reader = StreamReader::new(input)?
        .with_delimiter(crate::models::delimit)
        .with_page_counts(crate::input::Input::read_at)
        .with_data_extents(crate::input::data_extent);
    Ok(StreamFacts::read(reader, &describe_by_model)?)
}

/// The facts of a reference stream: as [`read_facts`], but its pages are
/// read, so that the facts hold what its ACPI tables say (the guest's
/// possible CPUs, [`StreamFacts::possible_cpus`]). A reference is a paused
/// guest's: its data pages are the firmware, option ROMs and ACPI tables,
/// the rest zero pages, which are records without data.
pub fn read_reference_facts(path: &Path) -> Result<StreamFacts, CommandError> {
    let input = crate::input::open(path)?;
    let reader = StreamReader::new(input)?
        .with_delimiter(crate::models::delimit)
        .with_data_extents(crate::input::data_extent);
    Ok(StreamFacts::read(reader, &describe_by_model)?)
}

/// A model's description of a section, when a model reads the payload.
pub fn describe_by_model(info: &SectionInfo, payload: &[u8]) -> Option<StateDesc> {
    let model = crate::models::model_for(&info.idstr, info.version_id)?;
    (model.describe)(payload, info.version_id).ok()
}

/// Whether `path` holds a migration stream (`QEVM`, or a libvirt save image
/// around one) rather than a dump.
fn is_stream(path: &Path) -> bool {
    if path == Path::new("-")
        || matches!(
            crate::input::Location::of(path),
            Ok(crate::input::Location::Qcow2 { .. })
        )
    {
        return true;
    }
    // A shipped release name or an unreadable file: `releases::load` says which.
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let mut magic = Vec::with_capacity(16);
    file.take(16).read_to_end(&mut magic).is_ok()
        && (magic.starts_with(b"QEVM") || vmstate::container::libvirt::Header::has_magic(&magic))
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
