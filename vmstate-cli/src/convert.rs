//! `vmstate convert FILE --to DEST [--machine NAME] -o OUT`: rewrite a stream
//! so that DEST loads it, where nothing is lost. What carries no state may
//! change (command packets DEST does not know are dropped, the machine type is
//! renamed on request), and a section DEST loads only at an older version is
//! re-encoded by its model when the older layout holds all of its state;
//! anything else DEST would refuse is named and nothing is written. Records
//! stream through one at a time: RAM is never held.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom};

use vmstate::check::{
    Dump, FactsCollector, Obstacle, Renumbering, StreamFacts, check_stream, instance_renumbering,
};
use vmstate::container::libvirt::SaveImage;
use vmstate::qemu::{Lower, Lowered};
use vmstate::stream::{Record, SectionInfo, StreamReader, StreamWriter, Vmdesc, command_info};

use crate::CommandError;
use crate::args::Convert;
use crate::copy_range::{Copier, RangeSink};
use crate::edit::WRITE_BUFFER;
use crate::input::Input;
use crate::plain_pages::plain_page;
use crate::progress::Progress;
use crate::rom_blocks::{RomBlocks, is_image};
use crate::target::Target;
use crate::writeback::Writeback;

/// What `convert` changes in the stream.
#[derive(Debug, Default, PartialEq)]
struct Fixed {
    /// The machine type to write instead of the stream's.
    machine: Option<String>,
    /// Command numbers to drop.
    drop_commands: Vec<u16>,
    /// Sections re-encoded at an older version, by idstr and instance.
    lowered: HashMap<(String, u32), (u32, Lowered)>,
    /// Sections given the instance id DEST gives them, by idstr and rank.
    renumbering: Renumbering,
    /// Image blocks (firmware, option ROMs) to take from the reference.
    images_from_reference: Vec<String>,
    /// Image blocks DEST does not have, to leave out.
    images_dropped: Vec<String>,
    /// Arm `cpu` sections rewritten without the coprocessor registers DEST
    /// lacks, by idstr and instance: the new payload and register count.
    cpregs: HashMap<(String, u32), (Vec<u8>, usize)>,
}

impl Fixed {
    /// The image blocks to rewrite, read from the reference, when any.
    fn rom_blocks(&self, args: &Convert) -> Result<Option<RomBlocks>, CommandError> {
        if self.images_from_reference.is_empty() && self.images_dropped.is_empty() {
            return Ok(None);
        }
        let Some(path) = &args.reference else {
            return Ok(None);
        };
        let reader =
            StreamReader::new(crate::input::open(path)?)?.with_delimiter(crate::models::delimit);
        RomBlocks::from_reference(reader, &self.images_from_reference, &self.images_dropped)
            .map(Some)
    }
}

// One plan exists per run: its size does not matter.
#[expect(clippy::large_enum_variant, reason = "one value per run")]
/// How `convert` decides what to change: from the verdict on the whole
/// stream, or record by record by the rules that verdict follows (a machine
/// type DEST does not run is renamed when `--machine` is given; a stateless
/// command DEST does not know is dropped).
enum Plan<'a> {
    Fixed(Fixed),
    Ask(&'a Dump, &'a Convert),
}

impl Plan<'_> {
    /// The machine type to write instead of the stream's: `--machine NAME`
    /// is always written, even when DEST also runs the stream's own.
    fn machine(&self) -> Option<String> {
        match self {
            Self::Fixed(fixed) => fixed.machine.clone(),
            Self::Ask(_, args) => args.machine.clone(),
        }
    }

    /// Whether command `number` is left out.
    fn drops(&self, number: u16) -> bool {
        match self {
            Self::Fixed(fixed) => fixed.drop_commands.contains(&number),
            Self::Ask(dest, _) => {
                let known = |release| command_info(number).is_some_and(|c| c.since <= release);
                dest.release_version()
                    .is_some_and(|release| !known(release))
                    && command_info(number).is_some_and(|c| c.stateless)
            }
        }
    }

    /// The new version and payload of a section re-encoded at an older version.
    fn lowered(&self, idstr: &str, instance_id: u32) -> Option<&(u32, Lowered)> {
        match self {
            Self::Fixed(fixed) => fixed.lowered.get(&(idstr.to_owned(), instance_id)),
            // Re-encoding needs the verdict: a first pass never does it.
            Self::Ask(..) => None,
        }
    }

    /// The new payload and register count of an Arm `cpu` section whose
    /// register lists lose the registers DEST lacks.
    fn cpregs(&self, idstr: &str, instance_id: u32) -> Option<&(Vec<u8>, usize)> {
        match self {
            Self::Fixed(fixed) => fixed.cpregs.get(&(idstr.to_owned(), instance_id)),
            Self::Ask(..) => None,
        }
    }

    /// The instance id to write for the `rank`-th section of `idstr`.
    fn renumbered(&self, idstr: &str, rank: usize) -> Option<u32> {
        match self {
            Self::Fixed(fixed) => fixed.renumbering.get(&(idstr.to_owned(), rank)).copied(),
            Self::Ask(..) => None,
        }
    }

    /// Whether any `cpu` section loses registers.
    fn drops_cpregs(&self) -> bool {
        matches!(self, Self::Fixed(fixed) if !fixed.cpregs.is_empty())
    }

    /// Whether any section is renumbered.
    fn renumbers(&self) -> bool {
        matches!(self, Self::Fixed(fixed) if !fixed.renumbering.is_empty())
    }

    /// The changes made to a stream that carries `facts`.
    fn for_stream(&self, facts: &StreamFacts) -> Fixed {
        let mut fixed = Fixed {
            machine: facts.machine.as_ref().and_then(|_| self.machine()),
            ..Fixed::default()
        };
        for &number in &facts.commands {
            if self.drops(number) && !fixed.drop_commands.contains(&number) {
                fixed.drop_commands.push(number);
            }
        }
        fixed
    }
}

pub fn run(args: &Convert) -> Result<(), CommandError> {
    // `-` is spooled to a file, so the configuration section can be read
    // first: a shipped release answers for the stream's architecture.
    let mut input = crate::input::open(&args.file)?;
    let stream_offset = input.libvirt.as_ref().map(SaveImage::stream_offset);
    let renamed = crate::libvirt_image::rename_machine(&mut input.libvirt, args)?;
    convert(args, input).map_err(|f| crate::libvirt_image::locate(f, stream_offset))?;
    if let Some(note) = renamed {
        eprintln!("vmstate: note: {note}");
    }
    Ok(())
}

/// Converts the stream in `input`.
fn convert(args: &Convert, mut input: Input) -> Result<(), CommandError> {
    // A second descriptor for the kernel's copies, which name their offsets.
    let copy_from = input
        .plain_file()
        .map(File::try_clone)
        .transpose()
        .map_err(|e| CommandError::BadInput(format!("{}: {e}", args.file.display())))?;
    let machine = stream_machine(&mut input, args)?;
    let dest = crate::releases::load(&args.dest, machine.as_deref())?;
    if let Some(machine) = &args.machine
        && !dest.runs_machine(machine)
    {
        return Err(CommandError::Usage(format!(
            "{} does not run machine type `{machine}`{}",
            args.dest.display(),
            dest.machine
                .as_deref()
                .map(|m| format!(" (its dump was made with `{m}`)"))
                .unwrap_or_default()
        )));
    }
    let output = Target::create(&args.output, &input)?;
    if let Some(file) = output.seekable()? {
        let copy_from = copy_from.filter(|input| crate::copy_range::pays(input, &file));
        // A file output is checked and written in one pass: refused, it is
        // dropped unnamed and OUT is not created.
        let facts = {
            let mut reader = open_reader(&mut input)?;
            let writer = StreamWriter::new(BufWriter::with_capacity(
                WRITE_BUFFER,
                Writeback::new(&file, output.synced()),
            ))?
            .with_holes();
            rewrite(
                &mut reader,
                writer,
                &Plan::Ask(&dest, args),
                None,
                copy_from.as_ref(),
                args,
            )?
        };
        let plan = decide(&facts, &dest, args, &mut input)?;
        if plan != Plan::Ask(&dest, args).for_stream(&facts) {
            // What was written followed other rules than the verdict's: write
            // it again as the verdict says.
            rewind(&mut input, args)?;
            file.set_len(0)
                .and_then(|()| (&file).seek(SeekFrom::Start(0)))
                .map_err(|e| CommandError::BadInput(format!("{}: {e}", args.output.display())))?;
            let writer = StreamWriter::new(BufWriter::with_capacity(
                WRITE_BUFFER,
                Writeback::new(&file, output.synced()),
            ))?
            .with_holes();
            let mut rom_blocks = plan.rom_blocks(args)?;
            rewrite(
                &mut open_reader_for(&mut input, rom_blocks.as_ref())?,
                writer,
                &Plan::Fixed(plan),
                rom_blocks.as_mut(),
                copy_from.as_ref(),
                args,
            )?;
        }
        return output.commit();
    }
    // Standard output cannot take back what it was given: check first.
    let facts = StreamFacts::read(open_reader(&mut input)?, &crate::check::describe_by_model)?;
    let plan = decide(&facts, &dest, args, &mut input)?;
    rewind(&mut input, args)?;
    let writer = StreamWriter::new(BufWriter::with_capacity(WRITE_BUFFER, output.file()?))?;
    let mut rom_blocks = plan.rom_blocks(args)?;
    rewrite(
        &mut open_reader_for(&mut input, rom_blocks.as_ref())?,
        writer,
        &Plan::Fixed(plan),
        rom_blocks.as_mut(),
        None,
        args,
    )?;
    output.commit()
}

/// The machine type the stream's configuration section names, if it has
/// one; the input is left at its start.
fn stream_machine(input: &mut Input, args: &Convert) -> Result<Option<String>, CommandError> {
    let mut machine = None;
    {
        let mut reader = StreamReader::new(&mut *input)?;
        // The configuration section, when there is one, is the first record.
        if let Some(Record::Configuration(configuration)) = reader.next_record()? {
            machine = Some(configuration.machine.clone());
        }
    }
    rewind(input, args)?;
    Ok(machine)
}

fn open_reader(input: &mut Input) -> Result<StreamReader<&mut Input>, CommandError> {
    Ok(StreamReader::new(input)?
        .with_delimiter(crate::models::delimit)
        .with_page_runs()
        .with_data_extents(crate::input::data_extent))
}

/// A reader for the rewrite: pages one by one where image blocks change
/// (their pages are told apart by block), in runs otherwise.
fn open_reader_for<'a>(
    input: &'a mut Input,
    rom_blocks: Option<&RomBlocks>,
) -> Result<StreamReader<&'a mut Input>, CommandError> {
    if rom_blocks.is_some() {
        return Ok(StreamReader::new(input)?
            .with_delimiter(crate::models::delimit)
            .with_data_extents(crate::input::data_extent));
    }
    open_reader(input)
}

fn rewind(input: &mut Input, args: &Convert) -> Result<(), CommandError> {
    input
        .seek(SeekFrom::Start(0))
        .map(drop)
        .map_err(|e| CommandError::BadInput(format!("rereading {}: {e}", args.file.display())))
}

/// What `convert` does with the stream, or the obstacles it cannot remove
/// (printed; [`CommandError::Refused`]). Sections to re-encode are re-encoded
/// here, reading `input` again, so that one whose older layout cannot hold
/// its state is refused before anything is named OUT.
#[expect(
    clippy::too_many_lines,
    reason = "one match over every obstacle kind reads best in one place"
)]
fn decide(
    facts: &StreamFacts,
    dest: &Dump,
    args: &Convert,
    input: &mut Input,
) -> Result<Fixed, CommandError> {
    let mut plan = Fixed::default();
    let reference = match &args.reference {
        Some(path) => Some(crate::check::read_reference_facts(path)?),
        None => None,
    };
    // Sections numbered otherwise than DEST numbers them are renumbered
    // first, and the verdict is on the stream as it will be written.
    if let Some(reference) = &reference {
        plan.renumbering = instance_renumbering(facts, reference);
    }
    let mut facts = facts.renumbered(&plan.renumbering);
    // And under the machine type it will name: what DEST reads can depend on
    // it (a virtio GPU's scanouts, from `virt-9.0` on).
    let original_machine = facts.machine.clone();
    if let (Some(machine), Some(_)) = (&args.machine, &facts.machine) {
        facts.written_on = facts.machine.replace(machine.clone());
    }
    let facts = &facts;
    let mut verdict = check_stream(facts, dest);
    if let Some(reference) = &reference {
        verdict.add_reference(facts, reference);
    } else if let Some(machine) = &args.machine {
        eprintln!(
            "vmstate: note: the devices were built for the stream's machine type; without \
             --reference (a stream DEST wrote for this guest configuration) their PCI \
             configuration under `{machine}` is checked only where machine types' known \
             defaults differ"
        );
    }
    let mut refusals = Vec::new();
    // A mapped-ram file keeps each block at a fixed offset: no block changes.
    let mapped_ram = facts.capabilities.iter().any(|c| c == "mapped-ram");
    let no_configuration = verdict
        .obstacles
        .iter()
        .any(|o| matches!(o, Obstacle::NoConfiguration));
    if facts.machine.is_some() {
        plan.machine.clone_from(&args.machine);
    } else if let Some(machine) = args.machine.as_ref().filter(|_| !no_configuration) {
        refusals.push(format!(
            "machine type `{machine}`: the stream has no configuration section to name it \
             (QEMU leaves it out for machine types 2.3 and older)"
        ));
    }
    let mut to_lower = Vec::new();
    // Registers DEST's CPU lacks, per `cpu` section: with a reference, both
    // the shipped list and the reference's may name them.
    let mut cpreg_drops: HashMap<(String, u32), Vec<u64>> = HashMap::new();
    // And those DEST migrates that the stream lacks, to supply.
    let mut cpreg_supply: HashMap<(String, u32), Vec<u64>> = HashMap::new();
    // The constants among them whose value the reference gives.
    let mut cpreg_constants: HashMap<(String, u32), BTreeMap<u64, u64>> = HashMap::new();
    for obstacle in verdict.obstacles {
        match obstacle {
            Obstacle::CpregCount {
                idstr,
                instance_id,
                unknown,
                missing,
                ..
            }
            | Obstacle::CpregUnknown {
                idstr,
                instance_id,
                unknown,
                missing,
                ..
            } => {
                add_cpregs(&mut cpreg_drops, (idstr.clone(), instance_id), unknown);
                add_cpregs(&mut cpreg_supply, (idstr, instance_id), missing);
            }
            // Constants DEST computes and the stream lacks are supplied when
            // the table knows their value, or, with a reference, when the
            // CPU model computes them (ID and implementation-defined
            // registers): the reference's value is DEST's own constant.
            Obstacle::CpregUnset {
                ref idstr,
                instance_id,
                ref registers,
            } if registers.iter().all(|(index, value)| {
                vmstate::check::supplied_value(*index, &BTreeMap::new()) == Some(*value)
                    || (reference.is_some()
                        && (vmstate::check::is_id_register(*index)
                            || vmstate::check::is_implementation_defined(*index)))
            }) =>
            {
                let key = (idstr.clone(), instance_id);
                for &(index, value) in registers {
                    if vmstate::check::supplied_value(index, &BTreeMap::new()).is_none() {
                        cpreg_constants
                            .entry(key.clone())
                            .or_default()
                            .insert(index, value);
                    }
                }
                let indexes = registers.iter().map(|(index, _)| *index).collect();
                add_cpregs(&mut cpreg_supply, key, indexes);
            }
            // Constants that differ between the releases are given DEST's
            // value when the `cpu` section is rewritten.
            Obstacle::CpregConstant {
                ref idstr,
                instance_id,
                ref registers,
            } if registers.iter().all(|(index, value, theirs)| {
                let stream_value = |other| section_register(facts, idstr, instance_id, other);
                dest.release
                    .as_deref()
                    .and_then(|r| vmstate::check::dest_constant(*index, *value, r, stream_value))
                    == Some(*theirs)
            }) => {}
            Obstacle::Machine { .. } if plan.machine.is_some() => {}
            // Written as plain pages, always (`plain_pages`).
            Obstacle::FilledZeroPages { .. } | Obstacle::CompressedPages { .. } => {}
            Obstacle::Command { number } if command_info(number).is_some_and(|c| c.stateless) => {
                plan.drop_commands.push(number);
            }
            Obstacle::RamBlockSize { ref name, .. }
                if is_image(name) && reference.is_some() && !mapped_ram =>
            {
                plan.images_from_reference.push(name.clone());
            }
            Obstacle::UnknownRamBlock { ref name } if is_image(name) && !mapped_ram => {
                plan.images_dropped.push(name.clone());
            }
            Obstacle::Version {
                ref idstr,
                instance_id,
                found,
                minimum,
                maximum,
            } if i64::from(found) > maximum && maximum >= minimum => {
                let lower = crate::models::model_for(idstr, found).and_then(|m| m.lower);
                match (u32::try_from(maximum), lower) {
                    (Ok(target), Some(lower)) => {
                        to_lower.push((idstr.clone(), instance_id, found, target, lower));
                    }
                    _ => refusals.push(format!("{obstacle}; no model re-encodes `{idstr}`")),
                }
            }
            other => refusals.push(other.to_string()),
        }
    }
    if let (Some(machine), Some(old)) = (&plan.machine, &original_machine)
        && machine.len() != old.len()
        && mapped_ram
    {
        refusals.push(format!(
            "machine type `{old}` -> `{machine}`: in a mapped-ram file the RAM sits at fixed \
             file offsets after the configuration section, and a name of another length \
             would move them"
        ));
    }
    if !dest.cpregs.is_empty() && facts.sections.iter().any(|s| s.cpregs.is_some()) {
        rewind(input, args)?;
        // Without a reference, a renamed machine type's CPU is compared
        // with nothing: the model reads the whole section (and refuses one
        // it cannot read), as for a rewrite.
        let renamed_unchecked = reference.is_none()
            && plan
                .machine
                .as_ref()
                .is_some_and(|machine| original_machine.as_ref() != Some(machine));
        // Some renames change every CPU (`virt-2.6` has no PMU): without a
        // reference nothing shows DEST's registers under the new name.
        if renamed_unchecked
            && let (Some(from), Some(to)) = (&original_machine, &plan.machine)
            && let Some(why) = vmstate::check::virt_rename_changes_cpu(from, to)
        {
            refusals.push(format!(
                "machine type `{from}` -> `{to}` without --reference: {why}; `vmstate \
                 reference` makes DEST's own"
            ));
        }
        // A constant the table knows is supplied with DEST's own value where
        // the reference shows it: QEMU computes RMR as 0 on an AArch32 CPU
        // (measured: 10.0 refused a 7.2 `cortex-a15` guest with EL3 given
        // the table's 1, and `check --reference` called that loadable).
        if let Some(reference) = &reference {
            reference_constants(reference, &cpreg_supply, &mut cpreg_constants);
        }
        // Without a reference, DEST's ID registers are known only for the
        // shipped CPU configurations.
        let known_ids = reference
            .is_none()
            .then_some((dest.cpu_ids.as_slice(), dest.other_cpu_ids.as_slice()));
        drop_cpregs(
            open_reader(input)?,
            facts,
            &cpreg_drops,
            (&cpreg_supply, &cpreg_constants),
            (dest.release.as_deref(), known_ids),
            renamed_unchecked,
            &mut plan,
            &mut refusals,
        )?;
    }
    if refusals.is_empty() && !to_lower.is_empty() {
        rewind(input, args)?;
        lower_sections(open_reader(input)?, &to_lower, &mut plan, &mut refusals)?;
    }
    if !refusals.is_empty() {
        for refusal in &refusals {
            eprintln!("vmstate: cannot convert: {refusal}");
        }
        return Err(CommandError::Refused(refusals.len()));
    }
    Ok(plan)
}

/// The value of register `index` in the `cpu` section `idstr` instance
/// `instance_id` of the stream, as it came: what tells its CPU model.
fn section_register(facts: &StreamFacts, idstr: &str, instance_id: u32, index: u64) -> Option<u64> {
    let section = facts
        .sections
        .iter()
        .find(|s| s.idstr == idstr && s.instance_id == instance_id)?;
    vmstate::check::register_value(
        section.cpregs.as_deref()?,
        section.cpreg_values.as_deref()?,
        index,
    )
}

/// Rewrites the Arm `cpu` sections without the registers DEST's CPU lacks
/// (`drops`) and with those it lacks that DEST has and computes (`supply`),
/// into `plan`, where the guest cannot tell (the rule and the
/// verdict on each register: [`vmstate::check::DROPPABLE_CPREGS`]), and with
/// the constants DEST's release computes otherwise given DEST's value
/// ([`vmstate::check::RELEASE_CONSTANTS`]); names each register that
/// carries state otherwise.
#[expect(
    clippy::too_many_arguments,
    reason = "the plan's inputs, each read once; a struct for one call adds nothing"
)]
fn drop_cpregs<R: Read + Seek>(
    reader: StreamReader<R>,
    facts: &StreamFacts,
    drops: &HashMap<(String, u32), Vec<u64>>,
    (supply, constants): (&CpregLists, &CpregValues),
    (dest_release, known_ids): (Option<&str>, Option<IdTables<'_>>),
    renamed_unchecked: bool,
    plan: &mut Fixed,
    refusals: &mut Vec<String>,
) -> Result<(), CommandError> {
    for_each_payload(reader, |info, payload| {
        let key = (info.idstr.clone(), info.instance_id);
        // Every Arm `cpu` section: one DEST lists all registers of
        // may still carry a constant DEST computes otherwise.
        let Some(section) = facts
            .sections
            .iter()
            .find(|s| s.idstr == info.idstr && s.instance_id == info.instance_id)
        else {
            return;
        };
        let Some(stream) = section.cpregs.as_deref() else {
            return;
        };
        let unknown = drops.get(&key).map_or(&[][..], Vec::as_slice);
        let to_supply = supply.get(&key).map_or(&[][..], Vec::as_slice);
        let where_ = format!("section `{}` instance {}", info.idstr, info.instance_id);
        let value_for = |index, value| {
            let stream_value =
                |other| section_register(facts, &info.idstr, info.instance_id, other);
            dest_release.and_then(|r| vmstate::check::dest_constant(index, value, r, stream_value))
        };
        // A section whose lists stay as they are is written as it came: the
        // model need not know every subsection (`-cpu max`'s `cpu/sve`) for
        // a stream DEST loads already. Not so for a machine type renamed
        // without a reference: `max`'s ID registers follow the machine type
        // (measured: QEMU 10.0 refuses its own `virt-9.2` guest renamed
        // `virt-10.0`, whose pointer authentication differs in ID_AA64ISAR1).
        let unchanged = !renamed_unchecked
            && unknown.is_empty()
            && to_supply.is_empty()
            && section.cpreg_values.as_deref().is_some_and(|values| {
                stream
                    .iter()
                    .zip(values)
                    .all(|(&index, &value)| value_for(index, value).is_none_or(|new| new == value))
            });
        if unchanged {
            return;
        }
        let values = section.cpreg_values.as_deref().unwrap_or_default();
        if let Some(why) = unknown_cpu(
            payload,
            info.version_id,
            (stream, values),
            renamed_unchecked,
            dest_release,
            known_ids,
        ) {
            refusals.push(format!("{where_}: {why}"));
            return;
        }
        let known = constants.get(&key).cloned().unwrap_or_default();
        // DEST's own value first (the reference's), then the table's.
        let supply_value = move |index, registers: &BTreeMap<u64, u64>| {
            known
                .get(&index)
                .copied()
                .or_else(|| vmstate::check::supplied_value(index, registers))
        };
        match vmstate::qemu::arm::cpu::rewrite_cpregs(
            payload,
            info.version_id,
            unknown,
            &value_for,
            to_supply,
            &supply_value,
        ) {
            Ok(rewrite) => {
                let before = refusals.len();
                for &(index, value) in &rewrite.dropped {
                    if let Some(why) =
                        vmstate::check::why_not_droppable(index, value, stream, unknown)
                    {
                        refusals.push(format!("{where_}: DEST's CPU does not migrate {why}"));
                    }
                }
                let changed = !rewrite.dropped.is_empty()
                    || !rewrite.replaced.is_empty()
                    || !rewrite.supplied.is_empty();
                if refusals.len() == before && changed {
                    plan.cpregs.insert(key, (rewrite.payload, rewrite.count));
                }
            }
            Err(error) => refusals.push(format!(
                "{where_}: the CPU registers DEST lacks cannot be left out: {error}"
            )),
        }
    })
}

/// Why a `cpu` section (`payload` at `version_id`, its register lists
/// `stream` and `values`) cannot be rewritten for DEST without a reference,
/// or `None`.
fn unknown_cpu(
    payload: &[u8],
    version_id: u32,
    (stream, values): (&[u64], &[u64]),
    renamed_unchecked: bool,
    dest_release: Option<&str>,
    known_ids: Option<IdTables<'_>>,
) -> Option<String> {
    // Renamed without a reference, the whole section must be one the
    // model reads: nothing else stands for the CPU under the new name.
    if renamed_unchecked
        && let Err(error) = vmstate::qemu::arm::cpu::read_whole(payload, version_id)
    {
        return Some(format!(
            "the machine type is renamed without --reference, and the Arm CPU model does not \
             read this CPU's whole state ({error}); a CPU model such as `max` computes its ID \
             registers per machine type (QEMU 10.0 refuses its own `virt-9.2` guest renamed \
             `virt-10.0`: pointer authentication in ID_AA64ISAR1), which only DEST's reference \
             shows"
        ));
    }
    // A section rewritten for the other release without a reference:
    // DEST's ID registers are the stream's only for a CPU configuration
    // known to compute them alike in both (`write_list_to_cpustate`
    // refuses a changed constant). Measured: 10.0 refused a 7.2 `-cpu
    // max` guest converted so, whose ID registers are 7.2's `max`.
    let (models, others) = known_ids?;
    if models.is_empty() {
        return None;
    }
    let why =
        vmstate::check::known_id_registers(stream, values, dest_release?, models, others).err()?;
    Some(format!(
        "without --reference, DEST's CPU is not known: {why}; `vmstate reference` makes DEST's \
         own"
    ))
}

/// Adds to `constants` the reference's value of each register of `supply`
/// that the table knows as a constant QEMU computes.
fn reference_constants(reference: &StreamFacts, supply: &CpregLists, constants: &mut CpregValues) {
    for ((idstr, instance_id), indexes) in supply {
        let Some(theirs) = reference
            .sections
            .iter()
            .find(|s| s.idstr == *idstr && s.instance_id == *instance_id)
        else {
            continue;
        };
        let (Some(their_indexes), Some(their_values)) = (&theirs.cpregs, &theirs.cpreg_values)
        else {
            continue;
        };
        for &index in indexes {
            if vmstate::check::is_table_constant(index)
                && let Some(value) =
                    vmstate::check::register_value(their_indexes, their_values, index)
            {
                constants
                    .entry((idstr.clone(), *instance_id))
                    .or_default()
                    .insert(index, value);
            }
        }
    }
}

/// The shipped ID register tables of DEST's release and of the others.
type IdTables<'a> = (
    &'a [(String, vmstate::check::IdValues)],
    &'a [(String, vmstate::check::IdValues)],
);

/// Register indexes per `cpu` section (idstr, instance).
type CpregLists = HashMap<(String, u32), Vec<u64>>;
/// Register values by index per `cpu` section (idstr, instance).
type CpregValues = HashMap<(String, u32), BTreeMap<u64, u64>>;

/// Adds `indexes` to the sorted register list of section `key`.
fn add_cpregs(lists: &mut HashMap<(String, u32), Vec<u64>>, key: (String, u32), indexes: Vec<u64>) {
    let list = lists.entry(key).or_default();
    list.extend(indexes);
    list.sort_unstable();
    list.dedup();
}

/// A section to re-encode: idstr, instance, the stream's version, the version
/// DEST loads, and the model's re-encoder.
type ToLower = (String, u32, u32, u32, Lower);

/// Re-encodes the payloads of `wanted` into `plan`, or says why it cannot.
fn lower_sections<R: Read + Seek>(
    reader: StreamReader<R>,
    wanted: &[ToLower],
    plan: &mut Fixed,
    refusals: &mut Vec<String>,
) -> Result<(), CommandError> {
    for_each_payload(reader, |info, payload| {
        let Some((idstr, instance, from, to, lower)) = wanted
            .iter()
            .find(|w| w.0 == info.idstr && w.1 == info.instance_id)
        else {
            return;
        };
        match lower(payload, *from, *to) {
            Ok(lowered) => {
                plan.lowered
                    .insert((idstr.clone(), *instance), (*to, lowered));
            }
            Err(error) => refusals.push(format!(
                "section `{idstr}` instance {instance}: version {from} cannot be \
                         re-encoded at version {to}: {error}"
            )),
        }
    })
}

/// Calls `visit` with each FULL section's header and payload, in stream order.
fn for_each_payload<R: Read + Seek>(
    mut reader: StreamReader<R>,
    mut visit: impl FnMut(&SectionInfo, &[u8]),
) -> Result<(), CommandError> {
    let mut current = None;
    while let Some(record) = reader.next_record()? {
        match &record {
            Record::Section(header) => current.clone_from(&header.info),
            Record::State { payload, .. } => {
                if let Some(info) = current.take() {
                    visit(&info, payload);
                }
            }
            _ => {}
        }
        reader.recycle(record);
    }
    Ok(())
}

/// Copies every record from `reader` to `writer` as `plan` says, and returns
/// what the stream carries.
fn rewrite<R: Read + Seek, W: RangeSink>(
    reader: &mut StreamReader<R>,
    mut writer: StreamWriter<W>,
    plan: &Plan,
    mut rom_blocks: Option<&mut RomBlocks>,
    copy_from: Option<&File>,
    args: &Convert,
) -> Result<StreamFacts, CommandError> {
    let progress = Progress::new("convert", reader.len(), args.quiet);
    let mut facts = FactsCollector::new(reader.take_vmdesc(), &crate::check::describe_by_model);
    let mut machine = None;
    let mut lowering = None;
    let mut lowered_any = false;
    // The Arm `cpu` section being written without registers DEST lacks.
    let mut cpregs = None;
    let mut ranks: HashMap<String, usize> = HashMap::new();
    let mut copier = Copier::new(copy_from);
    let page_size = reader.page_size();
    loop {
        let at = reader.offset();
        let Some(record) = reader.next_record()? else {
            break;
        };
        let record = plain_page(record, page_size, at)?;
        facts.observe(&record);
        let record = match record {
            Record::Section(mut header) => {
                if let Some(info) = &mut header.info {
                    let rank = ranks.entry(info.idstr.clone()).or_default();
                    if let Some(instance) = plan.renumbered(&info.idstr, *rank) {
                        info.instance_id = instance;
                    }
                    *rank += 1;
                }
                lowering = header.info.as_mut().and_then(|info| {
                    let (to, lowered) = plan.lowered(&info.idstr, info.instance_id)?;
                    info.version_id = *to;
                    Some(lowered)
                });
                lowered_any |= lowering.is_some();
                cpregs = header
                    .info
                    .as_ref()
                    .and_then(|info| plan.cpregs(&info.idstr, info.instance_id));
                Record::Section(header)
            }
            Record::State { offset, .. } if cpregs.is_some() => Record::State {
                payload: cpregs.take().map(|c| c.0.clone()).unwrap_or_default(),
                offset,
            },
            Record::State { offset, .. } if lowering.is_some() => Record::State {
                payload: lowering
                    .take()
                    .map(|l| l.payload.clone())
                    .unwrap_or_default(),
                offset,
            },
            Record::Configuration(configuration) => {
                machine = plan.machine();
                match &machine {
                    Some(machine) => Record::Configuration(configuration.with_machine(machine)?),
                    None => Record::Configuration(configuration),
                }
            }
            Record::Command { command, .. } if plan.drops(command) => continue,
            Record::Ram(ram) if rom_blocks.is_some() => {
                let blocks = rom_blocks.as_deref_mut().unwrap_or_else(|| unreachable!());
                copier.flush(&mut writer)?;
                for ram in blocks.rewrite(ram) {
                    writer.write(&Record::Ram(ram))?;
                }
                progress.set(reader.offset());
                continue;
            }
            Record::Vmdesc { json }
                if machine.is_some() || lowered_any || plan.renumbers() || plan.drops_cpregs() =>
            {
                Record::Vmdesc {
                    json: updated_vmdesc(facts.take_vmdesc(), &json, machine.as_deref(), plan)?,
                }
            }
            other => other,
        };
        copier.write(&mut writer, &record, reader)?;
        progress.set(reader.offset());
        reader.recycle(record);
    }
    copier.flush(&mut writer)?;
    let mut buffered = writer.finish()?;
    buffered
        .flush()
        .map_err(|e| CommandError::Io(format!("writing {}: {e}", args.output.display())))?;
    Ok(facts.finish())
}

/// The vmdesc as the rewrite leaves the stream: its description of the
/// configuration section (QEMU 10.0 writes one) sized for the new machine
/// type's name, renumbered sections under their new instance ids, and
/// re-encoded sections described at their new versions. `parsed` is `json`
/// already parsed, when the caller holds it.
fn updated_vmdesc(
    parsed: Option<Vmdesc>,
    json: &[u8],
    machine: Option<&str>,
    plan: &Plan,
) -> Result<Vec<u8>, CommandError> {
    let mut vmdesc = match parsed {
        Some(vmdesc) => vmdesc,
        None => Vmdesc::parse(json)?,
    };
    if let (Some(machine), Some(configuration)) = (machine, &mut vmdesc.configuration) {
        for field in &mut configuration.fields {
            if field.name == "name" {
                field.size = machine.len();
            }
        }
    }
    let mut ranks: HashMap<String, usize> = HashMap::new();
    for device in &mut vmdesc.devices {
        let rank = ranks.entry(device.name.clone()).or_default();
        if let Some(instance) = plan.renumbered(&device.name, *rank) {
            device.instance_id = instance;
        }
        *rank += 1;
        if let Some((_, lowered)) = plan.lowered(&device.name, device.instance_id) {
            device.state = lowered.desc.clone();
        }
        if let Some((_, count)) = plan.cpregs(&device.name, device.instance_id) {
            // The lists are two varrays of `count` elements now.
            for field in &mut device.state.fields {
                if field.name == "cpreg_vmstate_indexes" || field.name == "cpreg_vmstate_values" {
                    field.array_len = Some(*count);
                }
            }
        }
    }
    Ok(vmdesc.to_json().into_bytes())
}
