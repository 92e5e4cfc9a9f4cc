//! `vmstate inspect`: a table of sections, or their values as JSON.

use serde_json::{Map, Value, json};
use vmstate::stream::{StateDesc, decode};

use crate::Failure;
use crate::args::Inspect;
use crate::scan::{Scan, Section, matches, parse_selector, scan};

pub fn run(args: &Inspect) -> Result<(), Failure> {
    let input = crate::input::open(&args.file)?;
    let scan = scan(input)?;
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
        json_text(&scan, &selected)?
    } else {
        table_text(&scan, &selected)?
    };
    crate::output::print(&text)
}

/// How a section was understood.
fn decoded_by(scan: &Scan, section: &Section) -> Result<&'static str, Failure> {
    if section.ram.is_some() {
        return Ok("ram");
    }
    let Some((payload, _)) = &section.payload else {
        return Ok("-");
    };
    if let Some(model) = vmstate::qemu::model(&section.info.idstr) {
        let decoded = (model.decode)(payload, section.info.version_id)
            .map_err(|e| e.in_section(&section.info.idstr, Some(section.info.instance_id)))?;
        if decoded.len == payload.len() && decoded.reencoded == *payload {
            return Ok("model");
        }
    }
    Ok(if description(scan, section).is_some() {
        "vmdesc"
    } else {
        "-"
    })
}

fn description<'a>(scan: &'a Scan, section: &Section) -> Option<&'a StateDesc> {
    scan.vmdesc
        .as_ref()?
        .device(&section.info.idstr, section.info.instance_id)
        .map(|device| &device.state)
}

fn table_text(scan: &Scan, sections: &[&Section]) -> Result<String, Failure> {
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
    for section in sections {
        let how = decoded_by(scan, section)?;
        let detail = match &section.ram {
            Some(ram) => format!(
                "ram: {} blocks, {} zero pages, {} data pages",
                ram.blocks.len(),
                ram.zero_pages,
                ram.data_pages
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
    Ok(out)
}

fn json_text(scan: &Scan, sections: &[&Section]) -> Result<String, Failure> {
    let mut list = Vec::new();
    for section in sections {
        let mut entry = Map::new();
        entry.insert("id".into(), json!(section.id));
        entry.insert("section".into(), json!(section.info.idstr));
        entry.insert("instance".into(), json!(section.info.instance_id));
        entry.insert("version".into(), json!(section.info.version_id));
        entry.insert("bytes".into(), json!(section.bytes));
        entry.insert("decoded_by".into(), json!(decoded_by(scan, section)?));
        if let Some(ram) = &section.ram {
            let blocks: Vec<Value> = ram
                .blocks
                .iter()
                .map(|(name, len)| json!({ "name": name, "used_length": len }))
                .collect();
            entry.insert("blocks".into(), Value::Array(blocks));
            entry.insert("zero_pages".into(), json!(ram.zero_pages));
            entry.insert("data_pages".into(), json!(ram.data_pages));
        }
        if let (Some((payload, offset)), Some(desc)) =
            (&section.payload, description(scan, section))
        {
            let decoded = decode(desc, payload, *offset)
                .map_err(|e| e.in_section(&section.info.idstr, Some(section.info.instance_id)))?;
            entry.insert("fields".into(), decoded.value);
        }
        list.push(Value::Object(entry));
    }
    let document = json!({ "machine": scan.machine, "sections": list });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    Ok(text)
}
