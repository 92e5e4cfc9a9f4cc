//! `vmstate inspect`: a table of sections, or their values as JSON.

use serde_json::{Map, Value, json};
use vmstate::stream::{command_info, decode};

use crate::CommandError;
use crate::args::Inspect;
use crate::describe::{describe, model_round_trips};
use crate::scan::{Scan, Section, matches, parse_selector, scan};
use crate::wording::counted;

pub fn run(args: &Inspect) -> Result<(), CommandError> {
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
    // Each with its position in the stream, which places the commands.
    let selected: Vec<(usize, &Section)> = scan
        .sections
        .iter()
        .enumerate()
        .filter(|(_, s)| {
            selector
                .as_ref()
                .is_none_or(|(name, instance)| matches(&s.info, name, *instance))
        })
        .collect();
    if let (Some(wanted), true) = (&args.section, selected.is_empty()) {
        return Err(CommandError::Usage(format!(
            "no section `{wanted}` in this stream"
        )));
    }
    let text = if args.json {
        let libvirt = image
            .as_ref()
            .map(|image| crate::libvirt_image::json(image, &scan));
        json_text(&scan, &selected, libvirt)?
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
    } else if scan.device(section).is_some() {
        "vmdesc"
    } else {
        "-"
    }
}

fn table_text(scan: &Scan, sections: &[(usize, &Section)]) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if let Some(machine) = &scan.machine {
        let _ = writeln!(out, "machine: {machine}");
    }
    if let Some(uuid) = &scan.uuid {
        // Every QEMU that loads the stream compares it with its own.
        let _ = writeln!(
            out,
            "uuid: {uuid} (a QEMU given another -uuid refuses the stream)"
        );
    }
    let _ = writeln!(
        out,
        "{:>4}  {:<28} {:>4} {:>4} {:>9}  decoded by",
        "id", "section", "inst", "ver", "bytes"
    );
    // The commands are in stream order, as the sections are: one cursor
    // walks them all once.
    let mut commands = scan.commands.iter().peekable();
    let mut listed_up_to = 0;
    for &(position, section) in sections {
        // The commands after the section listed before this one.
        while commands
            .next_if(|c| c.after_sections < listed_up_to)
            .is_some()
        {}
        listed_up_to = position + 1;
        while let Some(command) = commands.next_if(|c| c.after_sections <= position) {
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
            Some(ram) => {
                let mut text = format!(
                    "ram: {}, {}, {}",
                    counted(ram.blocks.len(), "block"),
                    counted(ram.zero_pages, "zero page"),
                    counted(ram.data_pages, "data page")
                );
                // Only where there are any: most streams have neither.
                for (n, what) in [
                    (ram.compressed_pages, "compressed page"),
                    (ram.xbzrle_pages, "XBZRLE page"),
                ] {
                    if n > 0 {
                        let _ = write!(text, ", {}", counted(n, what));
                    }
                }
                text
            }
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

/// QEMU's name for a command number, e.g. `SWITCHOVER_START`.
fn command_name(number: u16) -> String {
    command_info(number).map_or_else(|| format!("command 0x{number:x}"), |c| c.name.to_owned())
}

/// The `inspect --json` document; `libvirt` describes the save image the
/// stream came out of, when it did.
fn json_text(
    scan: &Scan,
    sections: &[(usize, &Section)],
    libvirt: Option<Value>,
) -> Result<String, CommandError> {
    // The document is written entry by entry: a tree of values for every
    // section at once took a hundred times the input's size.
    let mut out = String::from("{\n");
    out.push_str("  \"machine\": ");
    out.push_str(&json!(scan.machine).to_string());
    out.push_str(",\n  \"uuid\": ");
    out.push_str(&json!(scan.uuid.map(|uuid| uuid.to_string())).to_string());
    out.push_str(",\n  \"commands\": ");
    let commands = scan.commands.iter().map(|c| {
        Ok(json!({
            "number": c.number,
            "name": command_name(c.number),
            "bytes": c.data_len,
            "after_section": c
                .after_sections
                .checked_sub(1)
                .and_then(|i| scan.sections.get(i))
                .map(|s| s.id),
        }))
    });
    push_array(&mut out, commands)?;
    out.push_str(",\n  \"sections\": ");
    push_array(
        &mut out,
        sections
            .iter()
            .map(|(_, section)| section_json(scan, section)),
    )?;
    if let Some(libvirt) = libvirt {
        out.push_str(",\n  \"libvirt\": ");
        let text = serde_json::to_string_pretty(&libvirt).unwrap_or_default();
        push_indented(&mut out, &text, "  ");
    }
    out.push_str("\n}\n");
    Ok(out)
}

/// Appends `items` as a JSON array at the second level of a pretty-printed
/// document, as `serde_json::to_string_pretty` lays it out.
fn push_array(
    out: &mut String,
    items: impl Iterator<Item = Result<Value, CommandError>>,
) -> Result<(), CommandError> {
    let mut empty = true;
    for item in items {
        out.push_str(if empty { "[\n" } else { ",\n" });
        empty = false;
        out.push_str("    ");
        let text = serde_json::to_string_pretty(&item?).unwrap_or_default();
        push_indented(out, &text, "    ");
    }
    out.push_str(if empty { "[]" } else { "\n  ]" });
    Ok(())
}

/// Appends pretty-printed `text` whose first line is already placed, its
/// other lines indented by `indent`.
fn push_indented(out: &mut String, text: &str, indent: &str) {
    for (i, line) in text.lines().enumerate() {
        if i > 0 {
            out.push('\n');
            out.push_str(indent);
        }
        out.push_str(line);
    }
}

/// One section's entry in `inspect --json`.
fn section_json(scan: &Scan, section: &Section) -> Result<Value, CommandError> {
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
        entry.insert("compressed_pages".into(), json!(ram.compressed_pages));
        entry.insert("xbzrle_pages".into(), json!(ram.xbzrle_pages));
    }
    if let Some((payload, offset)) = &section.payload
        && let Some(desc) = describe(scan.device(section), &section.info, payload)
    {
        let decoded = decode(&desc, payload, *offset)
            .map_err(|e| e.in_section(&section.info.idstr, Some(section.info.instance_id)))?;
        entry.insert("fields".into(), decoded.value);
    }
    Ok(Value::Object(entry))
}
