//! `vmstate inspect`: a table of sections, or their values as JSON.

use serde_json::{Map, Value, json};
use vmstate::stream::{command_info, decode};

use crate::Failure;
use crate::args::Inspect;
use crate::describe::{describe, model_round_trips};
use crate::scan::{CommandSeen, Scan, Section, matches, parse_selector, scan};
use crate::wording::counted;

pub fn run(args: &Inspect) -> Result<(), Failure> {
    if let crate::input::Location::Qcow2 {
        image,
        snapshot: None,
    } = crate::input::Location::of(&args.file)?
    {
        return crate::snapshots::list(&image, args.json);
    }
    let input = crate::input::open(&args.file)?;
    let image = input.libvirt.clone();
    let stream_offset = image
        .as_ref()
        .map(vmstate::container::libvirt::SaveImage::stream_offset);
    let scan =
        scan(input, args.quiet).map_err(|f| crate::libvirt_image::locate(f, stream_offset))?;
    let selector = args.section.as_deref().map(parse_selector);
    let selected: Vec<&Section> = scan
        .sections
        .iter()
        .filter(|s| {
            selector
                .as_ref()
                .is_none_or(|(name, instance)| matches(&s.info, name, *instance))
        })
        .collect();
    if let (Some(wanted), true) = (&args.section, selected.is_empty()) {
        return Err(Failure::Usage(format!(
            "no section `{wanted}` in this stream"
        )));
    }
    let text = if args.json {
        let mut document = json_document(&scan, &selected)?;
        if let Some(image) = &image {
            document["libvirt"] = crate::libvirt_image::json(image, &scan);
        }
        let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
        text.push('\n');
        text
    } else {
        let table = table_text(&scan, &selected);
        match &image {
            Some(image) => crate::libvirt_image::table(image, &scan) + &table,
            None => table,
        }
    };
    crate::output::print(&text)
}

/// How a section was understood: `model` when a model reads its payload and
/// writes it back byte for byte, else `vmdesc` when the stream describes it.
fn decoded_by(scan: &Scan, section: &Section) -> &'static str {
    if section.ram.is_some() {
        return "ram";
    }
    let Some((payload, _)) = &section.payload else {
        return "-";
    };
    if model_round_trips(&section.info, payload) {
        "model"
    } else if scan
        .vmdesc
        .as_ref()
        .and_then(|v| v.device(&section.info.idstr, section.info.instance_id))
        .is_some()
    {
        "vmdesc"
    } else {
        "-"
    }
}

fn table_text(scan: &Scan, sections: &[&Section]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if let Some(machine) = &scan.machine {
        let _ = writeln!(out, "machine: {machine}");
    }
    let _ = writeln!(
        out,
        "{:>4}  {:<28} {:>4} {:>4} {:>9}  decoded by",
        "id", "section", "inst", "ver", "bytes"
    );
    for (index, section) in sections.iter().enumerate() {
        for command in commands_before(scan, sections, index) {
            let _ = writeln!(
                out,
                "{:>4}  {:<28} {:>4} {:>4} {:>9}  command packet",
                "-",
                command_name(command.number),
                "-",
                "-",
                command.data_len
            );
        }
        let how = decoded_by(scan, section);
        let detail = match &section.ram {
            Some(ram) if !ram.mapped.is_empty() => format!(
                "ram: {}, mapped-ram: {} of {} in the file",
                counted(ram.blocks.len(), "block"),
                ram.mapped.iter().map(|b| b.pages_present).sum::<u64>(),
                counted(
                    ram.mapped
                        .iter()
                        .map(|b| b.used_length.checked_div(b.header.page_size).unwrap_or(0))
                        .sum::<u64>(),
                    "page"
                ),
            ),
            Some(ram) => format!(
                "ram: {}, {}, {}",
                counted(ram.blocks.len(), "block"),
                counted(ram.zero_pages, "zero page"),
                counted(ram.data_pages, "data page")
            ),
            None => how.to_owned(),
        };
        let _ = writeln!(
            out,
            "{:>4}  {:<28} {:>4} {:>4} {:>9}  {detail}",
            section.id,
            section.info.idstr,
            section.info.instance_id,
            section.info.version_id,
            section.bytes
        );
    }
    out
}

/// The command packets that came right before `sections[index]` in the
/// stream (after the section listed before it).
fn commands_before<'a>(
    scan: &'a Scan,
    sections: &[&Section],
    index: usize,
) -> impl Iterator<Item = &'a CommandSeen> {
    let position = |section: &Section| {
        scan.sections
            .iter()
            .position(|s| std::ptr::eq(s, section))
            .unwrap_or_default()
    };
    let end = position(sections[index]);
    let start = if index == 0 {
        0
    } else {
        position(sections[index - 1]) + 1
    };
    scan.commands
        .iter()
        .filter(move |c| (start..=end).contains(&c.after_sections))
}

/// QEMU's name for a command number, e.g. `SWITCHOVER_START`.
fn command_name(number: u16) -> String {
    command_info(number).map_or_else(|| format!("command 0x{number:x}"), |c| c.name.to_owned())
}

fn json_document(scan: &Scan, sections: &[&Section]) -> Result<Value, Failure> {
    let mut list = Vec::new();
    for section in sections {
        let mut entry = Map::new();
        entry.insert("id".into(), json!(section.id));
        entry.insert("section".into(), json!(section.info.idstr));
        entry.insert("instance".into(), json!(section.info.instance_id));
        entry.insert("version".into(), json!(section.info.version_id));
        entry.insert("bytes".into(), json!(section.bytes));
        entry.insert("decoded_by".into(), json!(decoded_by(scan, section)));
        if let Some(ram) = &section.ram {
            let blocks: Vec<Value> = ram
                .blocks
                .iter()
                .enumerate()
                .map(|(index, (name, len))| {
                    let mut block = json!({ "name": name, "used_length": len });
                    if let Some(mapped) = ram.mapped.get(index) {
                        block["mapped_ram"] = json!({
                            "page_size": mapped.header.page_size,
                            "bitmap_offset": mapped.header.bitmap_offset,
                            "pages_offset": mapped.header.pages_offset,
                            "pages_present": mapped.pages_present,
                        });
                    }
                    block
                })
                .collect();
            entry.insert("blocks".into(), Value::Array(blocks));
            entry.insert("zero_pages".into(), json!(ram.zero_pages));
            entry.insert("data_pages".into(), json!(ram.data_pages));
        }
        if let Some((payload, offset)) = &section.payload
            && let Some(desc) = describe(scan.vmdesc.as_ref(), &section.info, payload)
        {
            let decoded = decode(&desc, payload, *offset)
                .map_err(|e| e.in_section(&section.info.idstr, Some(section.info.instance_id)))?;
            entry.insert("fields".into(), decoded.value);
        }
        list.push(Value::Object(entry));
    }
    let commands: Vec<Value> = scan
        .commands
        .iter()
        .map(|c| {
            json!({
                "number": c.number,
                "name": command_name(c.number),
                "bytes": c.data_len,
                "after_section": c
                    .after_sections
                    .checked_sub(1)
                    .and_then(|i| scan.sections.get(i))
                    .map(|s| s.id),
            })
        })
        .collect();
    Ok(json!({ "machine": scan.machine, "commands": commands, "sections": list }))
}
