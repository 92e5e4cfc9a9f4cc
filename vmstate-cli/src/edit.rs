//! `vmstate set`: change fields of one section and write the stream again,
//! record by record, so RAM is never held in memory: pages pass through in
//! runs of up to a MiB, read once and written once. A mapped-ram file's RAM
//! regions are copied by file offset, with their zero pages left as holes.

use std::fs::File;
use std::io::{BufWriter, Read, Seek};

use vmstate::container::libvirt::SaveImage;
use vmstate::stream::{Leaf, Record, ScalarKind, StreamReader, StreamWriter, decode, scalar_kind};

use crate::CommandError;
use crate::args::Set;
use crate::copy_range::{Copier, RangeSink};
use crate::describe::describe;
use crate::input::Input;
use crate::progress::Progress;
use crate::scan::{matches, parse_selector};
use crate::target::Target;
use crate::wording::counted;
use crate::writeback::Writeback;

/// The output's buffer: small records gather in it, and page runs, which are
/// larger, go past it straight to the file instead of being copied into it.
pub const WRITE_BUFFER: usize = 64 << 10;

pub fn run(args: &Set) -> Result<(), CommandError> {
    let (name, instance) = parse_selector(&args.section);
    let edits: Vec<(&str, &str)> = args
        .fields
        .iter()
        .map(|edit| {
            edit.split_once('=')
                .ok_or_else(|| CommandError::Usage(format!("`{edit}` is not PATH=VALUE")))
        })
        .collect::<Result<_, _>>()?;

    let input = crate::input::open(&args.file)?;
    let stream_offset = input.libvirt.as_ref().map(SaveImage::stream_offset);
    set(args, input, &name, instance, &edits)
        .map_err(|f| crate::libvirt_image::locate(f, stream_offset))
}

/// Applies `edits` to the stream in `input`.
fn set(
    args: &Set,
    mut input: Input,
    name: &str,
    instance: Option<u32>,
    edits: &[(&str, &str)],
) -> Result<(), CommandError> {
    let output = Target::create(&args.output, &input)?;
    // A second descriptor for the kernel's copies, which name their offsets.
    let copy_from = input
        .plain_file()
        .map(File::try_clone)
        .transpose()
        .map_err(|e| CommandError::BadInput(format!("{}: {e}", args.file.display())))?;
    let mut reader = StreamReader::new(&mut input)?
        .with_delimiter(crate::models::delimit)
        .with_page_runs()
        .with_data_extents(crate::input::data_extent);
    let edit = Edit {
        name,
        instance,
        edits,
    };
    // A file output keeps a mapped-ram file's holes; standard output cannot
    // seek, so it gets the zeros written out.
    let edited = if let Some(file) = output.seekable()? {
        let copy_from = copy_from.filter(|input| crate::copy_range::pays(input, &file));
        let writer = StreamWriter::new(BufWriter::with_capacity(
            WRITE_BUFFER,
            Writeback::new(file, output.synced()),
        ))?
        .with_holes();
        rewrite(&mut reader, writer, &edit, copy_from.as_ref(), args)?
    } else {
        let writer = StreamWriter::new(BufWriter::with_capacity(WRITE_BUFFER, output.file()?))?;
        rewrite(&mut reader, writer, &edit, None, args)?
    };
    match edited {
        Some(_) => output.commit(),
        None => Err(CommandError::Usage(match instance {
            Some(instance) => format!("the stream has no section `{name}` instance {instance}"),
            None => format!("the stream has no section `{name}`"),
        })),
    }
}

/// What `set` changes: `edits` in section `name` (instance `instance`).
struct Edit<'a> {
    name: &'a str,
    instance: Option<u32>,
    edits: &'a [(&'a str, &'a str)],
}

/// Copies every record from `reader` to `writer`, applying `edits` to the
/// payload of section `name` instance `instance`. Returns the instance
/// edited, or `None` when the stream has no such section.
///
/// A selector without an instance must name exactly one section: `set`
/// changes one device, and a second instance of the name is refused rather
/// than left unedited or edited too. The output is only named when the
/// command succeeds, so a refusal found late leaves nothing behind.
fn rewrite<R: Read + Seek, W: RangeSink>(
    reader: &mut StreamReader<R>,
    mut writer: StreamWriter<W>,
    &Edit {
        name,
        instance,
        edits,
    }: &Edit,
    copy_from: Option<&File>,
    args: &Set,
) -> Result<Option<u32>, CommandError> {
    let vmdesc = reader.take_vmdesc();
    let progress = Progress::new("set", reader.len(), args.quiet);
    let mut target = None;
    let mut edited = None;
    let mut copier = Copier::new(copy_from);
    while let Some(mut record) = reader.next_record()? {
        match &mut record {
            Record::Section(header) => {
                target = header
                    .info
                    .clone()
                    .filter(|info| matches(info, name, instance));
            }
            Record::State { payload, offset } if target.is_some() => {
                let info = target.take().unwrap_or_else(|| unreachable!());
                let instance = info.instance_id;
                if let Some(first) = edited {
                    return Err(CommandError::Usage(format!(
                        "the stream has more than one section `{name}` (instances {first} and \
                         {instance}): name one, as `{name}:{first}`"
                    )));
                }
                let device = vmdesc.as_ref().and_then(|v| v.device(name, instance));
                let desc = describe(device, &info, payload).ok_or_else(|| {
                    CommandError::Usage(format!(
                        "section `{name}` instance {instance}: neither the stream's description \
                         nor a model names its fields"
                    ))
                })?;
                let decoded = decode(&desc, payload, *offset)
                    .map_err(|e| e.in_section(name, Some(instance)))?;
                let modeled = crate::describe::model_round_trips(&info, payload);
                for (path, value) in edits {
                    let leaf = find_leaf(&decoded.leaves, path)
                        .ok_or_else(|| unknown_field(name, path, &decoded.leaves))?;
                    let bytes = encode(&leaf, value)?;
                    payload[leaf.offset..leaf.offset + leaf.size].copy_from_slice(&bytes);
                }
                if modeled {
                    crate::models::check_edit(&info, payload, edits)?;
                }
                edited = Some(instance);
            }
            _ => {}
        }
        copier.write(&mut writer, &record, reader)?;
        progress.set(reader.offset());
        reader.recycle(record);
    }
    copier.flush(&mut writer)?;
    let mut buffered = writer.finish()?;
    buffered
        .flush()
        .map_err(|e| CommandError::Io(format!("writing {}: {e}", args.output.display())))?;
    Ok(edited)
}

/// The leaf at `path`, or one byte of a buffer leaf: `cmos_data[80]` is byte
/// 80 of the 128-byte `cmos_data`.
fn find_leaf(leaves: &[Leaf], path: &str) -> Option<Leaf> {
    if let Some(leaf) = leaves.iter().find(|leaf| leaf.path == path) {
        return Some(leaf.clone());
    }
    let (base, index) = path.strip_suffix(']')?.rsplit_once('[')?;
    let index: usize = index.parse().ok()?;
    let buffer = leaves.iter().find(|leaf| {
        leaf.path == base && scalar_kind(&leaf.type_name, leaf.size) == ScalarKind::Bytes
    })?;
    (index < buffer.size).then(|| Leaf {
        path: path.to_owned(),
        offset: buffer.offset + index,
        size: 1,
        type_name: "uint8".to_owned(),
    })
}

fn unknown_field(section: &str, path: &str, leaves: &[Leaf]) -> CommandError {
    let known: Vec<&str> = leaves
        .iter()
        .map(|leaf| leaf.path.as_str())
        .take(12)
        .collect();
    CommandError::Usage(format!(
        "section `{section}` has no field `{path}`; its fields include: {}",
        known.join(", ")
    ))
}

/// The bytes of `value` for `leaf`, refusing values that do not fit.
fn encode(leaf: &Leaf, value: &str) -> Result<Vec<u8>, CommandError> {
    let bad = |why: &str| {
        CommandError::Usage(format!(
            "`{value}` is not a valid value for `{}` ({}, {}): {why}",
            leaf.path,
            leaf.type_name,
            counted(leaf.size, "byte")
        ))
    };
    let bits = u32::try_from(leaf.size * 8).unwrap_or(64);
    let word: u64 = match scalar_kind(&leaf.type_name, leaf.size) {
        ScalarKind::Bool => match value {
            "true" | "1" => 1,
            "false" | "0" => 0,
            _ => return Err(bad("expected true or false")),
        },
        ScalarKind::Unsigned => {
            let n = parse_unsigned(value).ok_or_else(|| bad("expected an unsigned integer"))?;
            if bits < 64 && n >> bits != 0 {
                return Err(bad("out of range"));
            }
            n
        }
        ScalarKind::Signed => {
            let n = parse_signed(value).ok_or_else(|| bad("expected an integer"))?;
            let (min, max) = (-(1i128 << (bits - 1)), (1i128 << (bits - 1)) - 1);
            if !(min..=max).contains(&i128::from(n)) {
                return Err(bad("out of range"));
            }
            // Two's complement in the field's width.
            #[allow(clippy::cast_sign_loss, reason = "the bits are what is written")]
            let raw = n as u64;
            raw
        }
        // An `f32` is described as a 4-byte `float32`.
        ScalarKind::Float if leaf.size == 4 => u64::from(
            value
                .parse::<f32>()
                .map_err(|_| bad("expected a number"))?
                .to_bits(),
        ),
        ScalarKind::Float => value
            .parse::<f64>()
            .map_err(|_| bad("expected a number"))?
            .to_bits(),
        ScalarKind::Bytes => {
            let bytes = parse_hex(value).ok_or_else(|| bad("expected hex digits"))?;
            if bytes.len() != leaf.size {
                return Err(bad("a buffer keeps its size"));
            }
            return Ok(bytes);
        }
    };
    Ok(word.to_be_bytes()[8 - leaf.size..].to_vec())
}

fn parse_unsigned(text: &str) -> Option<u64> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

fn parse_signed(text: &str) -> Option<i64> {
    match text.strip_prefix('-') {
        Some(rest) => parse_unsigned(rest)
            .and_then(|n| i64::try_from(n).ok().or((n == 1 << 63).then_some(i64::MIN)))
            .map(i64::wrapping_neg),
        None => parse_unsigned(text).and_then(|n| i64::try_from(n).ok()),
    }
}

fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}
