//! Every command costs in proportion to its input: a stream four times as
//! long (in sections, or a mapped-ram block that claims more) costs at most
//! about four times as much. Work is measured as CPU time (user + system,
//! best of three, so a loaded machine slows a run but does not fail it) or
//! as bytes read; memory as peak RSS.

mod support;

use std::io::Cursor;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use vmstate::stream::{
    Record, SectionHeader, SectionInfo, SectionKind, StreamReader, StreamWriter,
};

/// Sections in the smaller stream; the larger has four times as many.
const SECTIONS: u32 = 5_000;

/// A stream of `count` one-byte `port92` sections, each a new instance, a
/// command packet after every tenth, and a vmdesc that describes them all;
/// returns the vmdesc's length.
fn many_sections(path: &Path, count: u32) -> u64 {
    let fixture =
        std::fs::read(support::qemu::repository().join("tests/data/qemu-10.0/pc-paused.mig"))
            .unwrap();
    let mut reader = StreamReader::new(Cursor::new(&fixture)).unwrap();
    let configuration = reader.next_record().unwrap().unwrap();
    assert!(matches!(configuration, Record::Configuration(_)));
    let file = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut writer = StreamWriter::new(file).unwrap();
    writer.write(&configuration).unwrap();
    let mut devices = Vec::new();
    for n in 0..count {
        writer
            .write(&Record::Section(SectionHeader {
                kind: SectionKind::Full,
                section_id: n + 1,
                info: Some(SectionInfo {
                    idstr: "port92".into(),
                    instance_id: n,
                    version_id: 1,
                }),
            }))
            .unwrap();
        writer
            .write(&Record::State {
                payload: vec![2],
                offset: 0,
            })
            .unwrap();
        writer.write(&Record::Footer { section_id: n + 1 }).unwrap();
        if n % 10 == 9 {
            writer
                .write(&Record::Command {
                    command: 0x0b,
                    data: Vec::new(),
                })
                .unwrap();
        }
        devices.push(format!(
            r#"{{"name": "port92", "instance_id": {n}, "vmsd_name": "port92", "version": 1, "fields": [{{"name": "outport", "type": "uint8", "size": 1}}]}}"#
        ));
    }
    writer.write(&Record::Eof).unwrap();
    let json = format!(
        r#"{{"page_size": 4096, "devices": [{}]}}"#,
        devices.join(", ")
    );
    let len = json.len() as u64;
    writer
        .write(&Record::Vmdesc {
            json: json.into_bytes(),
        })
        .unwrap();
    writer.finish().unwrap();
    len
}

/// What one run cost: CPU seconds and peak RSS in KiB.
#[derive(Debug, Clone, Copy)]
struct Cost {
    cpu: f64,
    rss_kib: u64,
}

/// The cheapest of three runs of `vmstate ARGS` (exit status 0 or 1: a
/// refusal still reads the whole input).
fn cost(args: &[&str]) -> Cost {
    let mut best: Option<Cost> = None;
    for _ in 0..3 {
        let output = Command::new("/usr/bin/time")
            .args(["-f", "cost %U %S %M", env!("CARGO_BIN_EXE_vmstate")])
            .args(args)
            .output()
            .expect("/usr/bin/time runs");
        let err = String::from_utf8_lossy(&output.stderr);
        let line = err
            .lines()
            .rev()
            .find_map(|line| line.strip_prefix("cost "))
            .unwrap_or_else(|| panic!("no cost: {err}"));
        let words: Vec<f64> = line.split(' ').map(|w| w.parse().unwrap()).collect();
        assert!(
            !err.contains("panicked") && !err.contains("usage error"),
            "vmstate {args:?}: {err}"
        );
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let run = Cost {
            cpu: words[0] + words[1],
            rss_kib: words[2] as u64,
        };
        best = Some(match best {
            Some(b) => Cost {
                cpu: b.cpu.min(run.cpu),
                rss_kib: b.rss_kib.min(run.rss_kib),
            },
            None => run,
        });
    }
    best.unwrap()
}

/// Runs `command` on the small and the large stream and checks that the
/// large costs at most `limit` times as much CPU (linear: about 4; quadratic:
/// 16). Times under 0.05 s are rounded up to it, as `time` counts in 10 ms.
fn assert_linear(name: &str, small: &[&str], large: &[&str]) {
    let (a, b) = (cost(small), cost(large));
    let ratio = b.cpu.max(0.05) / a.cpu.max(0.05);
    eprintln!("{name}: {a:?} -> {b:?}, CPU ratio {ratio:.2}");
    assert!(
        ratio < 8.0,
        "{name}: four times the sections cost {ratio:.1} times the CPU ({a:?} -> {b:?})"
    );
    assert!(
        b.rss_kib < 6 * a.rss_kib,
        "{name}: four times the sections took over six times the memory ({a:?} -> {b:?})"
    );
}

#[test]
fn every_command_is_linear_in_sections() {
    let scratch = support::Scratch::new("growth");
    let small = scratch.0.join("small.mig");
    let large = scratch.0.join("large.mig");
    many_sections(&small, SECTIONS);
    many_sections(&large, 4 * SECTIONS);
    let out = scratch.0.join("out.mig");
    let (small, large, out) = (
        small.to_str().unwrap(),
        large.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    for ((name, small), (_, large)) in every_command(small, out)
        .into_iter()
        .zip(every_command(large, out))
    {
        assert_linear(name, &small, &large);
    }
}

/// The five commands on `file`, each with its name; `set` and `convert`
/// write to `out`.
fn every_command<'a>(file: &'a str, out: &'a str) -> [(&'static str, Vec<&'a str>); 5] {
    [
        ("inspect", vec!["inspect", file, "--quiet"]),
        ("inspect --json", vec!["inspect", file, "--json", "--quiet"]),
        ("check", vec!["check", file, "qemu-10.0"]),
        (
            "set",
            vec![
                "set",
                file,
                "--section",
                "port92:7",
                "--field",
                "outport=3",
                "--quiet",
                "-o",
                out,
            ],
        ),
        (
            "convert",
            vec!["convert", file, "--to", "qemu-10.0", "--quiet", "-o", out],
        ),
    ]
}

/// `inspect --json` holds what it prints, not a tree of values ten times its
/// size.
#[test]
fn inspect_json_memory_follows_its_output() {
    let scratch = support::Scratch::new("json-memory");
    let stream = scratch.0.join("large.mig");
    many_sections(&stream, 4 * SECTIONS);
    let path = stream.to_str().unwrap();
    let (code, out, err) = support::vmstate(&["inspect", "--json", "--quiet", path]);
    assert_eq!(code, 0, "{err}");
    let printed_kib = out.len() as u64 / 1024;
    let used = cost(&["inspect", "--json", "--quiet", path]);
    let input_kib = std::fs::metadata(&stream).unwrap().len() / 1024;
    // The output twice (built, then written), the sections held, the
    // vmdesc parsed, and the binary itself.
    let budget = 2 * printed_kib + 40 * input_kib + 16 * 1024;
    assert!(
        used.rss_kib < budget,
        "inspect --json of a {input_kib} KiB stream printing {printed_kib} KiB took {} KiB",
        used.rss_kib
    );
}

/// Peak RSS in KiB of one run of `vmstate ARGS`: the resident set of a run
/// is nearly the same each time, unlike its CPU time.
fn peak_rss_kib(args: &[&str]) -> u64 {
    let output = Command::new("/usr/bin/time")
        .args(["-f", "rss %M", env!("CARGO_BIN_EXE_vmstate")])
        .args(args)
        .output()
        .expect("/usr/bin/time runs");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(
        !err.contains("panicked") && !err.contains("usage error"),
        "vmstate {args:?}: {err}"
    );
    err.lines()
        .rev()
        .find_map(|line| line.strip_prefix("rss "))
        .and_then(|kib| kib.parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS: {err}"))
}

/// What a command may hold per byte of vmdesc beyond a stream with a
/// quarter as many sections: the parsed description (about 2.5 bytes per
/// byte of JSON for one-field devices), the reader's table of wire lengths,
/// the JSON itself when it is copied to the output, and per section what
/// the command keeps (its payload, a checker's facts with the section's
/// description). A tree of JSON values took about 19.
const VMDESC_MEMORY_PER_BYTE: f64 = 12.0;

/// Memory follows the vmdesc's size with a bounded factor: between a stream
/// and one with four times the sections (and so about four times the
/// vmdesc), peak RSS grows by at most [`VMDESC_MEMORY_PER_BYTE`] times the
/// vmdesc's growth; the binary's own baseline cancels out.
#[test]
fn memory_follows_the_vmdesc_size() {
    let scratch = support::Scratch::new("vmdesc-memory");
    let small = scratch.0.join("small.mig");
    let large = scratch.0.join("large.mig");
    let small_json = many_sections(&small, 2 * SECTIONS);
    let large_json = many_sections(&large, 8 * SECTIONS);
    let out = scratch.0.join("out.mig");
    let (small, large, out) = (
        small.to_str().unwrap(),
        large.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    #[allow(clippy::cast_precision_loss, reason = "sizes of a few MiB")]
    let grown_kib = (large_json - small_json) as f64 / 1024.0;
    let mut over = Vec::new();
    for ((name, small), (_, large)) in every_command(small, out)
        .into_iter()
        .zip(every_command(large, out))
    {
        let (a, b) = (peak_rss_kib(&small), peak_rss_kib(&large));
        #[allow(clippy::cast_precision_loss, reason = "sizes of a few hundred MiB")]
        let per_byte = b.saturating_sub(a) as f64 / grown_kib;
        eprintln!(
            "{name}: {a} KiB -> {b} KiB for {grown_kib:.0} KiB more vmdesc: {per_byte:.1} per byte"
        );
        if per_byte > VMDESC_MEMORY_PER_BYTE {
            over.push(format!("{name}: {per_byte:.1}"));
        }
    }
    assert!(
        over.is_empty(),
        "peak RSS grew by more than {VMDESC_MEMORY_PER_BYTE} times the vmdesc's growth: {over:?}"
    );
}

/// A `-dump-vmstate` file of `count` device types shaped as QEMU's are (a
/// description with an array, a later field, an inlined struct and a
/// subsection), laid out as QEMU lays it out; returns its length.
fn many_device_types(path: &Path, count: u32) -> u64 {
    let mut text = String::from("{\n  \"vmschkmachine\": {\n    \"Name\": \"pc-i440fx-7.2\"\n  }");
    for n in 0..count {
        use std::fmt::Write;
        let _ = write!(
            text,
            r#",
  "dev{n}": {{
    "Name": "dev{n}",
    "version_id": 3,
    "minimum_version_id": 1,
    "Description": {{
      "name": "dev{n}",
      "version_id": 3,
      "minimum_version_id": 1,
      "Fields": [
        {{
          "field": "regs",
          "version_id": 0,
          "field_exists": false,
          "num": 8,
          "size": 4
        }},
        {{
          "field": "ctrl",
          "version_id": 2,
          "field_exists": false,
          "size": 1
        }},
        {{
          "field": "timer",
          "version_id": 0,
          "field_exists": false,
          "size": 48,
          "Description": {{
            "name": "timer",
            "version_id": 1,
            "minimum_version_id": 1,
            "Fields": [
              {{
                "field": "expire_time",
                "version_id": 0,
                "field_exists": false,
                "size": 8
              }}
            ]
          }}
        }}
      ],
      "Subsections": [
        {{
          "name": "dev{n}/extra",
          "version_id": 1,
          "minimum_version_id": 1,
          "Fields": [
            {{
              "field": "extra",
              "version_id": 0,
              "field_exists": false,
              "size": 4
            }}
          ]
        }}
      ]
    }}
  }}"#
        );
    }
    text.push_str("\n}\n");
    std::fs::write(path, &text).unwrap();
    text.len() as u64
}

/// What `check` may hold per byte of `-dump-vmstate` file beyond a dump a
/// quarter the size: the text (one byte per byte) and the parsed dump
/// (about 1.3 for QEMU's layout). A tree of JSON values took about 11.
const DUMP_MEMORY_PER_BYTE: f64 = 4.0;

/// Memory follows the dump's size with a bounded factor: between a dump and
/// one with four times the device types, `check STREAM DUMP`'s peak RSS
/// grows by at most [`DUMP_MEMORY_PER_BYTE`] times the file's growth.
#[test]
fn memory_follows_the_dump_size() {
    let scratch = support::Scratch::new("dump-memory");
    let small = scratch.0.join("small.json");
    let large = scratch.0.join("large.json");
    let small_len = many_device_types(&small, SECTIONS / 2);
    let large_len = many_device_types(&large, 2 * SECTIONS);
    let stream = support::qemu::repository().join("tests/data/qemu-7.2/pc-ran.mig");
    let stream = stream.to_str().unwrap();
    let (code, out, err) = support::vmstate(&["check", stream, large.to_str().unwrap()]);
    // No entry of the dump is a device of the stream: nothing to refuse,
    // but the dump was read and parsed whole.
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("described neither by DEST's dump"), "{out}");
    let a = peak_rss_kib(&["check", stream, small.to_str().unwrap()]);
    let b = peak_rss_kib(&["check", stream, large.to_str().unwrap()]);
    #[allow(clippy::cast_precision_loss, reason = "sizes of a few MiB")]
    let per_byte = b.saturating_sub(a) as f64 * 1024.0 / (large_len - small_len) as f64;
    eprintln!(
        "check: {a} KiB -> {b} KiB for {} KiB more dump: {per_byte:.1} per byte",
        (large_len - small_len) / 1024
    );
    assert!(
        per_byte <= DUMP_MEMORY_PER_BYTE,
        "peak RSS grew by {per_byte:.1} times the dump's growth (at most {DUMP_MEMORY_PER_BYTE})"
    );
}

/// QEMU 10.0's mapped-ram save file with its last block (`/rom@etc/acpi/rsdp`,
/// 4 KiB) claiming `claim` bytes: the region past its one page is a hole,
/// and the rest of the file moves to the region's new end.
fn mapped_ram_claiming(path: &Path, claim: u64) {
    use std::io::{Seek, SeekFrom, Write};
    let fixture =
        std::fs::read(support::qemu::repository().join("tests/data/qemu-10.0/pc-mapped-ram.mig"))
            .unwrap();
    // The last block's length, header (pages at 23,068,672) and region end,
    // as the reader finds them (tests/stream.rs lists the headers).
    let (length_at, header_at, region_end) = (22_024_211, 22_024_219, 23_072_768);
    assert_eq!(fixture[length_at..header_at], 4096u64.to_be_bytes());
    let pages_offset = 23_068_672u64;
    let mut file = std::fs::File::create(path).unwrap();
    file.write_all(&fixture[..length_at]).unwrap();
    file.write_all(&claim.to_be_bytes()).unwrap();
    file.write_all(&fixture[header_at..region_end]).unwrap();
    file.seek(SeekFrom::Start(pages_offset + claim)).unwrap();
    file.write_all(&fixture[region_end..]).unwrap();
}

/// A mapped-ram block costs the pages the file holds, not what it claims:
/// four times the claim, the same holes-only difference, costs about the
/// same, and `set` writes the holes back as holes.
#[test]
fn a_mapped_ram_file_costs_what_it_holds() {
    let scratch = support::Scratch::new("mapped-claim");
    let small = scratch.0.join("small.mig");
    let large = scratch.0.join("large.mig");
    mapped_ram_claiming(&small, 1 << 30);
    mapped_ram_claiming(&large, 4 << 30);
    let out = scratch.0.join("out.mig");
    let (small, large, out_path) = (
        small.to_str().unwrap(),
        large.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    for (name, args) in [
        ("inspect", &["inspect", "--quiet"][..]),
        (
            "set",
            &[
                "set",
                "--section",
                "i8259:0",
                "--field",
                "imr=0xfb",
                "--quiet",
                "-o",
                out_path,
            ],
        ),
    ] {
        let with = |file| {
            let mut all = vec![args[0], file];
            all.extend_from_slice(&args[1..]);
            all
        };
        let (a, b) = (cost(&with(small)), cost(&with(large)));
        let ratio = b.cpu.max(0.05) / a.cpu.max(0.05);
        eprintln!("{name}: {a:?} -> {b:?}, CPU ratio {ratio:.2}");
        assert!(
            ratio < 2.0,
            "{name}: a block claiming four times as much cost {ratio:.1} times the CPU"
        );
    }
    let written = std::fs::metadata(&out).unwrap();
    assert_eq!(written.len(), std::fs::metadata(large).unwrap().len());
    assert!(
        written.blocks() * 512 < 64 << 20,
        "the holes were written out: {} bytes allocated",
        written.blocks() * 512
    );
    // Byte for byte the input, with the one edit.
    let (code, _, err) = support::vmstate(&[
        "set",
        out_path,
        "--section",
        "i8259:0",
        "--field",
        "imr=0xb8",
        "--quiet",
        "-o",
        out_path,
    ]);
    assert_eq!(code, 0, "{err}");
    let same = Command::new("cmp")
        .args([large, out_path])
        .status()
        .unwrap()
        .success();
    assert!(same, "a set and its undo differ from the input");
}

/// Past the documented caps (64 MiB of vmdesc, 64 MiB of dump) the input is
/// refused with a message that says so, before it is parsed.
#[test]
fn a_vmdesc_or_dump_past_its_cap_is_refused() {
    use std::io::Write;
    let scratch = support::Scratch::new("caps");
    let fixture =
        std::fs::read(support::qemu::repository().join("tests/data/qemu-10.0/pc-paused.mig"))
            .unwrap();
    // The fixture up to its EOF, then a vmdesc of 65 MiB: JSON padded with
    // spaces, which QEMU could have written.
    let eof = fixture.windows(2).rposition(|w| w == [0x00, 0x06]).unwrap();
    let stream = scratch.0.join("big-vmdesc.mig");
    let json_len = 65u32 << 20;
    let mut file = std::io::BufWriter::new(std::fs::File::create(&stream).unwrap());
    file.write_all(&fixture[..=eof]).unwrap();
    file.write_all(&[0x06]).unwrap();
    file.write_all(&json_len.to_be_bytes()).unwrap();
    file.write_all(b"{}").unwrap();
    file.write_all(&vec![b' '; json_len as usize - 2]).unwrap();
    file.flush().unwrap();
    drop(file);
    let (code, _, err) = support::vmstate(&["inspect", "--quiet", stream.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("vmdesc size") && err.contains("67108864"),
        "{err}"
    );

    let dump = scratch.0.join("big.json");
    std::fs::write(&dump, vec![b' '; 65 << 20]).unwrap();
    let fixture = support::qemu::repository().join("tests/data/qemu-10.0/pc-paused.mig");
    let (code, _, err) =
        support::vmstate(&["check", fixture.to_str().unwrap(), dump.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("larger than 64 MiB"), "{err}");
}
