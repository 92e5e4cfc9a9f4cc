//! `vmstate convert FILE --to DEST [--machine NAME] -o OUT`: rewrite a stream
//! so that DEST loads it, where nothing is lost. What carries no state may
//! change (command packets DEST does not know are dropped, the machine type is
//! renamed on request); anything else DEST would refuse is named and nothing is
//! written. Records stream through one at a time: RAM is never held.

use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use vmstate::check::{Obstacle, check_stream};
use vmstate::stream::{Record, StreamReader, StreamWriter, Vmdesc, command_info};

use crate::Failure;
use crate::args::Convert;
use crate::atomic_output::Output;
use crate::edit::WRITE_BUFFER;
use crate::progress::Progress;

/// What `convert` changes in the stream.
#[derive(Default)]
struct Plan {
    /// The machine type to write instead of the stream's.
    machine: Option<String>,
    /// Command numbers to drop.
    drop_commands: Vec<u16>,
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
    let facts = {
        let reader = StreamReader::new(&mut input)?
            .with_delimiter(vmstate::qemu::delimit)
            .with_page_runs();
        vmstate::check::StreamFacts::read(reader, &crate::check::describe_by_model)?
    };
    let verdict = check_stream(&facts, &dest);
    let mut plan = Plan::default();
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

    input
        .seek(SeekFrom::Start(0))
        .map_err(|e| Failure::BadInput(format!("rereading {}: {e}", args.file.display())))?;
    let mut reader = StreamReader::new(&mut input)?
        .with_delimiter(vmstate::qemu::delimit)
        .with_page_runs();
    let output = Output::create(&args.output)?;
    // A file output keeps a mapped-ram file's holes; standard output cannot
    // seek, so it gets the zeros written out.
    if let Some(file) = output.seekable()? {
        let writer = StreamWriter::new(BufWriter::with_capacity(WRITE_BUFFER, file))?.with_holes();
        rewrite(&mut reader, writer, &plan, args)?;
    } else {
        let writer = StreamWriter::new(BufWriter::with_capacity(WRITE_BUFFER, output.file()?))?;
        rewrite(&mut reader, writer, &plan, args)?;
    }
    output.commit()
}

/// Copies every record from `reader` to `writer` as `plan` says.
fn rewrite<R: Read + Seek, W: Write>(
    reader: &mut StreamReader<R>,
    mut writer: StreamWriter<W>,
    plan: &Plan,
    args: &Convert,
) -> Result<(), Failure> {
    let progress = Progress::new("convert", reader.len(), args.quiet);
    while let Some(record) = reader.next_record()? {
        let record = match record {
            Record::Configuration(configuration) => match &plan.machine {
                Some(machine) => Record::Configuration(configuration.with_machine(machine)?),
                None => Record::Configuration(configuration),
            },
            Record::Command { command, .. } if plan.drop_commands.contains(&command) => continue,
            Record::Vmdesc { json } => match &plan.machine {
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
        .map_err(|e| Failure::BadInput(format!("writing {}: {e}", args.output.display())))
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
