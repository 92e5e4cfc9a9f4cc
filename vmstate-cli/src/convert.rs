//! `vmstate convert FILE --to DEST [--machine NAME] -o OUT`: rewrite a stream
//! so that DEST loads it, where nothing is lost. What carries no state may
//! change (command packets DEST does not know are dropped, the machine type is
//! renamed on request); anything else DEST would refuse is named and nothing is
//! written. Records stream through one at a time: RAM is never held.

use std::fs::File;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use vmstate::check::{Dump, FactsCollector, Obstacle, StreamFacts, check_stream};
use vmstate::stream::{Record, StreamReader, StreamWriter, Vmdesc, command_info};

use crate::Failure;
use crate::args::Convert;
use crate::atomic_output::Output;
use crate::edit::WRITE_BUFFER;
use crate::progress::Progress;

/// What `convert` changes in the stream.
#[derive(Debug, Default, PartialEq, Eq)]
struct Fixed {
    /// The machine type to write instead of the stream's.
    machine: Option<String>,
    /// Command numbers to drop.
    drop_commands: Vec<u16>,
}

/// How `convert` decides what to change: from the verdict on the whole
/// stream, or record by record by the rules that verdict follows (a machine
/// type DEST does not run is renamed when `--machine` is given; a stateless
/// command DEST does not know is dropped).
enum Plan<'a> {
    Fixed(Fixed),
    Ask(&'a Dump, &'a Convert),
}

impl Plan<'_> {
    /// The machine type to write for a stream of machine type `machine`.
    fn machine(&self, machine: &str) -> Option<String> {
        match self {
            Self::Fixed(fixed) => fixed.machine.clone(),
            Self::Ask(dest, args) => args.machine.clone().filter(|_| !dest.runs_machine(machine)),
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

    /// The changes made to a stream that carries `facts`.
    fn for_stream(&self, facts: &StreamFacts) -> Fixed {
        let mut fixed = Fixed {
            machine: facts.machine.as_deref().and_then(|m| self.machine(m)),
            drop_commands: Vec::new(),
        };
        for &number in &facts.commands {
            if self.drops(number) && !fixed.drop_commands.contains(&number) {
                fixed.drop_commands.push(number);
            }
        }
        fixed
    }
}

pub fn run(args: &Convert) -> Result<(), Failure> {
    let dest = crate::releases::load(&args.dest)?;
    if let Some(machine) = &args.machine
        && !dest.runs_machine(machine)
    {
        return Err(Failure::Usage(format!(
            "{} does not run machine type `{machine}`{}",
            args.dest.display(),
            dest.machine
                .as_deref()
                .map(|m| format!(" (its dump was made with `{m}`)"))
                .unwrap_or_default()
        )));
    }
    let mut input = crate::input::open(&args.file)?;
    let output = Output::create(&args.output)?;
    if let Some(file) = output.seekable()? {
        // A file output is checked and written in one pass: refused, it is
        // dropped unnamed and OUT is not created.
        let facts = {
            let mut reader = open_reader(&mut input)?;
            let writer =
                StreamWriter::new(BufWriter::with_capacity(WRITE_BUFFER, &file))?.with_holes();
            rewrite(&mut reader, writer, &Plan::Ask(&dest, args), args)?
        };
        let plan = decide(&facts, &dest, args)?;
        if plan != Plan::Ask(&dest, args).for_stream(&facts) {
            // What was written followed other rules than the verdict's: write
            // it again as the verdict says.
            rewind(&mut input, args)?;
            file.set_len(0)
                .and_then(|()| (&file).seek(SeekFrom::Start(0)))
                .map_err(|e| Failure::BadInput(format!("{}: {e}", args.output.display())))?;
            let writer =
                StreamWriter::new(BufWriter::with_capacity(WRITE_BUFFER, &file))?.with_holes();
            rewrite(
                &mut open_reader(&mut input)?,
                writer,
                &Plan::Fixed(plan),
                args,
            )?;
        }
        return output.commit();
    }
    // Standard output cannot take back what it was given: check first.
    let facts = StreamFacts::read(open_reader(&mut input)?, &crate::check::describe_by_model)?;
    let plan = decide(&facts, &dest, args)?;
    rewind(&mut input, args)?;
    let writer = StreamWriter::new(BufWriter::with_capacity(WRITE_BUFFER, output.file()?))?;
    rewrite(
        &mut open_reader(&mut input)?,
        writer,
        &Plan::Fixed(plan),
        args,
    )?;
    output.commit()
}

fn open_reader(input: &mut File) -> Result<StreamReader<&mut File>, Failure> {
    Ok(StreamReader::new(input)?
        .with_delimiter(vmstate::qemu::delimit)
        .with_page_runs())
}

fn rewind(input: &mut File, args: &Convert) -> Result<(), Failure> {
    input
        .seek(SeekFrom::Start(0))
        .map(drop)
        .map_err(|e| Failure::BadInput(format!("rereading {}: {e}", args.file.display())))
}

/// What `convert` does with the stream, or the obstacles it cannot remove
/// (printed; [`Failure::Refused`]).
fn decide(facts: &StreamFacts, dest: &Dump, args: &Convert) -> Result<Fixed, Failure> {
    let verdict = check_stream(facts, dest);
    let mut plan = Fixed::default();
    let mut refusals = Vec::new();
    for obstacle in verdict.obstacles {
        match obstacle {
            Obstacle::Machine { .. } if args.machine.is_some() => {
                plan.machine.clone_from(&args.machine);
            }
            Obstacle::Command { number } if command_info(number).is_some_and(|c| c.stateless) => {
                plan.drop_commands.push(number);
            }
            other => refusals.push(other),
        }
    }
    let mut refusals: Vec<String> = refusals.iter().map(ToString::to_string).collect();
    if let (Some(machine), Some(old)) = (&plan.machine, &facts.machine)
        && machine.len() != old.len()
        && facts.capabilities.iter().any(|c| c == "mapped-ram")
    {
        refusals.push(format!(
            "machine type `{old}` -> `{machine}`: in a mapped-ram file the RAM sits at fixed \
             file offsets after the configuration section, and a name of another length \
             would move them"
        ));
    }
    if !refusals.is_empty() {
        for refusal in &refusals {
            eprintln!("vmstate: cannot convert: {refusal}");
        }
        return Err(Failure::Refused(refusals.len()));
    }
    Ok(plan)
}

/// Copies every record from `reader` to `writer` as `plan` says, and returns
/// what the stream carries.
fn rewrite<R: Read + Seek, W: Write>(
    reader: &mut StreamReader<R>,
    mut writer: StreamWriter<W>,
    plan: &Plan,
    args: &Convert,
) -> Result<StreamFacts, Failure> {
    let progress = Progress::new("convert", reader.len(), args.quiet);
    let mut facts = FactsCollector::new(reader.vmdesc().cloned(), &crate::check::describe_by_model);
    let mut machine = None;
    while let Some(record) = reader.next_record()? {
        facts.observe(&record);
        let record = match record {
            Record::Configuration(configuration) => {
                machine = plan.machine(&configuration.machine);
                match &machine {
                    Some(machine) => Record::Configuration(configuration.with_machine(machine)?),
                    None => Record::Configuration(configuration),
                }
            }
            Record::Command { command, .. } if plan.drops(command) => continue,
            Record::Vmdesc { json } => match &machine {
                Some(machine) => Record::Vmdesc {
                    json: renamed_in_vmdesc(&json, machine)?,
                },
                None => Record::Vmdesc { json },
            },
            other => other,
        };
        writer.write(&record)?;
        progress.set(reader.offset());
        reader.recycle(record);
    }
    let mut buffered = writer.finish()?;
    buffered
        .flush()
        .map_err(|e| Failure::BadInput(format!("writing {}: {e}", args.output.display())))?;
    Ok(facts.finish())
}

/// The vmdesc with its description of the configuration section (QEMU 10.0
/// writes one) sized for machine type `machine`: the `name` buffer's size is
/// the name's length.
fn renamed_in_vmdesc(json: &[u8], machine: &str) -> Result<Vec<u8>, Failure> {
    let mut vmdesc = Vmdesc::parse(json)?;
    let Some(configuration) = &mut vmdesc.configuration else {
        return Ok(json.to_vec());
    };
    for field in &mut configuration.fields {
        if field.name == "name" {
            field.size = machine.len();
        }
    }
    Ok(vmdesc.to_json().into_bytes())
}
