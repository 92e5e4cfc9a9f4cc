//! `vmstate convert FILE --to DEST [--machine NAME] -o OUT`: rewrite a stream
//! so that DEST loads it, where nothing is lost. What carries no state may
//! change (command packets DEST does not know are dropped, the machine type is
//! renamed on request), and a section DEST loads only at an older version is
//! re-encoded by its model when the older layout holds all of its state;
//! anything else DEST would refuse is named and nothing is written. Records
//! stream through one at a time: RAM is never held.

use std::collections::HashMap;
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};

use vmstate::check::{Obstacle, check_reference, check_stream};
use vmstate::qemu::{Lower, Lowered};
use vmstate::stream::{Record, StreamReader, StreamWriter, Vmdesc, command_info};

use crate::Failure;
use crate::args::Convert;
use crate::atomic_output::Output;

/// What `convert` changes in the stream.
#[derive(Default)]
struct Plan {
    /// The machine type to write instead of the stream's.
    machine: Option<String>,
    /// Command numbers to drop.
    drop_commands: Vec<u16>,
    /// Sections re-encoded at an older version, by idstr and instance.
    lowered: HashMap<(String, u32), (u32, Lowered)>,
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
        let reader = StreamReader::new(&mut input)?.with_delimiter(vmstate::qemu::delimit);
        vmstate::check::StreamFacts::read(reader, &crate::check::describe_by_model)?
    };
    let mut verdict = check_stream(&facts, &dest);
    if let Some(reference) = &args.reference {
        let reference = crate::check::read_facts(reference)?;
        verdict
            .obstacles
            .extend(check_reference(&facts, &reference));
    } else if args.machine.is_some() {
        eprintln!(
            "vmstate: note: the devices were built for the stream's machine type; without \
             --reference (a stream DEST wrote for this guest configuration) their PCI \
             configuration under `{}` is not checked",
            args.machine.as_deref().unwrap_or_default()
        );
    }
    let mut plan = Plan::default();
    let mut refusals = Vec::new();
    let mut to_lower = Vec::new();
    for obstacle in verdict.obstacles {
        match obstacle {
            Obstacle::Machine { .. } if args.machine.is_some() => {
                plan.machine.clone_from(&args.machine);
            }
            Obstacle::Command { number } if command_info(number).is_some_and(|c| c.stateless) => {
                plan.drop_commands.push(number);
            }
            Obstacle::Version {
                ref idstr,
                instance_id,
                found,
                minimum,
                maximum,
            } if i64::from(found) > maximum && maximum >= minimum => {
                match (
                    u32::try_from(maximum),
                    vmstate::qemu::model(idstr).and_then(|m| m.lower),
                ) {
                    (Ok(target), Some(lower)) => {
                        to_lower.push((idstr.clone(), instance_id, found, target, lower));
                    }
                    _ => refusals.push(format!("{obstacle}; no model re-encodes `{idstr}`")),
                }
            }
            other => refusals.push(other.to_string()),
        }
    }
    if !to_lower.is_empty() {
        input
            .seek(SeekFrom::Start(0))
            .map_err(|e| Failure::BadInput(format!("rereading {}: {e}", args.file.display())))?;
        let reader = StreamReader::new(&mut input)?.with_delimiter(vmstate::qemu::delimit);
        lower_sections(reader, &to_lower, &mut plan, &mut refusals)?;
    }
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
    let mut reader = StreamReader::new(&mut input)?.with_delimiter(vmstate::qemu::delimit);
    let output = Output::create(&args.output)?;
    // A file output keeps a mapped-ram file's holes; standard output cannot
    // seek, so it gets the zeros written out.
    if let Some(file) = output.seekable()? {
        let writer = StreamWriter::new(BufWriter::with_capacity(1 << 20, file))?.with_holes();
        rewrite(&mut reader, writer, &plan, args)?;
    } else {
        let writer = StreamWriter::new(BufWriter::with_capacity(1 << 20, output.file()?))?;
        rewrite(&mut reader, writer, &plan, args)?;
    }
    output.commit()
}

/// A section to re-encode: idstr, instance, the stream's version, the version
/// DEST loads, and the model's re-encoder.
type ToLower = (String, u32, u32, u32, Lower);

/// Re-encodes the payloads of `wanted` up front, so that a section whose
/// older layout cannot hold its state is refused before anything is written.
fn lower_sections<R: Read + Seek>(
    mut reader: StreamReader<R>,
    wanted: &[ToLower],
    plan: &mut Plan,
    refusals: &mut Vec<String>,
) -> Result<(), Failure> {
    let mut current = None;
    while let Some(record) = reader.next_record()? {
        match record {
            Record::Section(header) => current = header.info,
            Record::State { payload, .. } => {
                let Some(info) = current.take() else { continue };
                let Some((idstr, instance, from, to, lower)) = wanted
                    .iter()
                    .find(|w| w.0 == info.idstr && w.1 == info.instance_id)
                else {
                    continue;
                };
                match lower(&payload, *from, *to) {
                    Ok(lowered) => {
                        plan.lowered
                            .insert((idstr.clone(), *instance), (*to, lowered));
                    }
                    Err(error) => refusals.push(format!(
                        "section `{idstr}` instance {instance}: version {from} cannot be \
                         re-encoded at version {to}: {error}"
                    )),
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Copies every record from `reader` to `writer` as `plan` says.
fn rewrite<R: Read + Seek, W: Write>(
    reader: &mut StreamReader<R>,
    mut writer: StreamWriter<W>,
    plan: &Plan,
    args: &Convert,
) -> Result<(), Failure> {
    let mut lowering = None;
    while let Some(record) = reader.next_record()? {
        let record = match record {
            Record::Section(mut header) => {
                lowering = header.info.as_mut().and_then(|info| {
                    let (to, lowered) =
                        plan.lowered.get(&(info.idstr.clone(), info.instance_id))?;
                    info.version_id = *to;
                    Some(lowered)
                });
                Record::Section(header)
            }
            Record::State { offset, .. } if lowering.is_some() => Record::State {
                payload: lowering
                    .take()
                    .map(|l| l.payload.clone())
                    .unwrap_or_default(),
                offset,
            },
            Record::Configuration(configuration) => match &plan.machine {
                Some(machine) => Record::Configuration(configuration.with_machine(machine)?),
                None => Record::Configuration(configuration),
            },
            Record::Command { command, .. } if plan.drop_commands.contains(&command) => continue,
            Record::Vmdesc { json } if plan.machine.is_some() || !plan.lowered.is_empty() => {
                Record::Vmdesc {
                    json: updated_vmdesc(&json, plan)?,
                }
            }
            other => other,
        };
        writer.write(&record)?;
    }
    let mut buffered = writer.finish()?;
    buffered
        .flush()
        .map_err(|e| Failure::BadInput(format!("writing {}: {e}", args.output.display())))
}

/// The vmdesc as `plan` leaves the stream: its description of the
/// configuration section (QEMU 10.0 writes one) sized for the new machine
/// type's name, and re-encoded sections described at their new versions.
fn updated_vmdesc(json: &[u8], plan: &Plan) -> Result<Vec<u8>, Failure> {
    let mut vmdesc = Vmdesc::parse(json)?;
    if let (Some(machine), Some(configuration)) = (&plan.machine, &mut vmdesc.configuration) {
        for field in &mut configuration.fields {
            if field.name == "name" {
                field.size = machine.len();
            }
        }
    }
    for device in &mut vmdesc.devices {
        if let Some((_, lowered)) = plan.lowered.get(&(device.name.clone(), device.instance_id)) {
            device.state = lowered.desc.clone();
        }
    }
    Ok(vmdesc.to_json().into_bytes())
}
