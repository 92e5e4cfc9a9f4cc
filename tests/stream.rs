//! The stream layer on real QEMU 7.2 and 10.0 streams: every record is read,
//! every FULL section is decoded from the stream's own description, and
//! writing the records back gives the identical bytes.

mod support;

use std::io::{Cursor, Read, Seek, SeekFrom};

use support::fixtures;
use support::read;
use support::read::{pages, runs};
use support::synthetic::{self, stream_with_pages, stream_with_ram};
use vmstate::stream::{
    RamRecord, Record, SectionKind, StreamLimits, StreamReader, StreamWriter, decode,
};

/// The streams with a vmdesc, of both releases and architectures (old
/// machine types have none; mapped-ram files keep RAM outside the records).
fn fixtures_with_vmdesc() -> Vec<fixtures::Fixture> {
    let all: Vec<_> = fixtures::all()
        .into_iter()
        .filter(|f| !f.is_pre_vmdesc() && !f.is_mapped_ram())
        .collect();
    assert!(all.len() >= 16, "fixtures missing: {all:?}");
    all
}

fn records(bytes: &[u8]) -> Vec<Record> {
    let mut reader = StreamReader::new(Cursor::new(bytes)).unwrap();
    let mut records = Vec::new();
    while let Some(record) = reader.next_record().unwrap() {
        records.push(record);
    }
    records
}

#[test]
fn unmodified_streams_round_trip_byte_for_byte() {
    for fixture in fixtures_with_vmdesc() {
        let (name, bytes) = (fixture.id.as_str(), fixture.bytes());
        let mut writer = StreamWriter::new(Vec::new()).unwrap();
        for record in records(&bytes) {
            writer.write(&record).unwrap();
        }
        let written = writer.finish().unwrap();
        assert_eq!(written.len(), bytes.len(), "{name}: length");
        assert!(written == bytes, "{name}: bytes differ");
    }
}

#[test]
fn every_full_section_decodes_from_the_vmdesc() {
    for fixture in fixtures_with_vmdesc() {
        let (name, bytes) = (fixture.id.as_str(), fixture.bytes());
        let mut reader = StreamReader::new(Cursor::new(&bytes)).unwrap();
        let vmdesc = reader.vmdesc().expect("QEMU 7.2 writes a vmdesc").clone();
        let mut current = None;
        let mut decoded = 0;
        while let Some(record) = reader.next_record().unwrap() {
            match record {
                Record::Section(header) if header.kind == SectionKind::Full => {
                    current = header.info;
                }
                Record::State { payload, offset } => {
                    let info = current.take().expect("a payload follows a FULL header");
                    let device = vmdesc.device(&info.idstr, info.instance_id).unwrap();
                    let values = decode(&device.state, &payload, offset)
                        .unwrap_or_else(|e| panic!("{name} {}: {e}", info.idstr));
                    assert!(values.value.is_object());
                    decoded += 1;
                }
                _ => {}
            }
        }
        assert_eq!(
            decoded,
            vmdesc.devices.len(),
            "{name}: every described section decoded"
        );
    }
}

#[test]
fn ram_pages_cover_the_announced_blocks() {
    let bytes = fixtures::bytes("qemu-7.2/pc-ran");
    let mut pages = 0u64;
    let mut announced = 0u64;
    let mut eos = 0;
    for record in records(&bytes) {
        match record {
            Record::Ram(RamRecord::MemSize { total, blocks }) => {
                announced = total;
                assert_eq!(blocks.iter().map(|b| b.used_length).sum::<u64>(), total);
                assert_eq!(blocks[0].name, "pc.ram");
                assert_eq!(blocks[0].used_length, 16 << 20, "-m 16");
            }
            Record::Ram(RamRecord::Zero { fill, .. }) => {
                assert_eq!(fill, 0);
                pages += 1;
            }
            Record::Ram(RamRecord::Page { data, .. }) => {
                assert_eq!(data.len(), 4096);
                pages += 1;
            }
            Record::Ram(RamRecord::Eos) => eos += 1,
            _ => {}
        }
    }
    assert_eq!(
        pages * 4096,
        announced,
        "one record per page of every block"
    );
    assert_eq!(eos, 3, "START, PART and END each end with EOS");
}

#[test]
fn configuration_names_the_machine() {
    let bytes = fixtures::bytes("qemu-7.2/q35-paused");
    let machine = records(&bytes).into_iter().find_map(|r| match r {
        Record::Configuration(c) => Some(c.machine),
        _ => None,
    });
    assert_eq!(machine.as_deref(), Some("pc-q35-7.2"));
}

#[test]
fn decoded_pic_values_match_what_the_monitor_showed() {
    // `info pic` from the same run: "pic1: irr=... imr=..." per chip.
    let text = std::fs::read_to_string(format!(
        "{}/tests/data/qemu-7.2/pc-ran.info-pic.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let bytes = fixtures::bytes("qemu-7.2/pc-ran");
    let mut reader = StreamReader::new(Cursor::new(&bytes)).unwrap();
    let vmdesc = reader.vmdesc().unwrap().clone();
    let mut current = None;
    let mut imrs = Vec::new();
    while let Some(record) = reader.next_record().unwrap() {
        match record {
            Record::Section(header) if header.kind == SectionKind::Full => current = header.info,
            Record::State { payload, offset } => {
                let info = current.take().unwrap();
                if info.idstr == "i8259" {
                    let device = vmdesc.device("i8259", info.instance_id).unwrap();
                    let values = decode(&device.state, &payload, offset).unwrap();
                    imrs.push(values.value["imr"].as_u64().unwrap());
                }
            }
            _ => {}
        }
    }
    for (chip, imr) in imrs.iter().enumerate() {
        let expected = format!("imr={imr:02x}");
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("pic{chip}:")))
            .unwrap_or("");
        assert!(
            line.contains(&expected),
            "pic{chip}: `{line}` lacks `{expected}`"
        );
    }
    assert_eq!(imrs.len(), 2);
}

#[test]
fn parsed_vmdesc_writes_back_as_qemu_wrote_it() {
    for fixture in fixtures_with_vmdesc() {
        let name = fixture.id.as_str();
        if fixtures::VMDESC_WITH_DUPLICATE_KEYS.contains(&name) {
            continue;
        }
        let json = records(&fixture.bytes())
            .into_iter()
            .find_map(|r| match r {
                Record::Vmdesc { json } => Some(json),
                _ => None,
            })
            .unwrap();
        let parsed = vmstate::stream::Vmdesc::parse(&json).unwrap();
        let written = parsed.to_json();
        assert!(
            written.as_bytes() == json.as_slice(),
            "{name}: vmdesc differs when written back"
        );
    }
}

/// A QEMU 10.0 mapped-ram save file: the block list's headers and file
/// regions come through as records, and writing them back gives the same
/// file, through a plain writer and through one that leaves holes.
#[test]
fn mapped_ram_file_round_trips_byte_for_byte() {
    let path = format!(
        "{}/tests/data/qemu-10.0/pc-mapped-ram.mig",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap();
    let records = records(&bytes);
    let blocks: Vec<_> = records
        .iter()
        .filter_map(|r| match r {
            Record::Ram(RamRecord::MappedBlock { block, header }) => {
                Some((block.name.as_str(), block.used_length, header.pages_offset))
            }
            _ => None,
        })
        .collect();
    assert_eq!(blocks.len(), 6, "{blocks:?}");
    assert_eq!(blocks[0], ("pc.ram", 16 << 20, 0x10_0000));
    let largest = records
        .iter()
        .filter_map(|r| match r {
            Record::Ram(RamRecord::Region { data, .. }) => Some(data.len()),
            _ => None,
        })
        .max();
    assert_eq!(largest, Some(1 << 20), "regions come in bounded chunks");

    let mut writer = StreamWriter::new(Vec::new()).unwrap();
    for record in &records {
        writer.write(record).unwrap();
    }
    let written = writer.finish().unwrap();
    assert_eq!(written.len(), bytes.len());
    assert!(written == bytes, "dense: bytes differ");

    let mut writer = StreamWriter::new(Cursor::new(Vec::new()))
        .unwrap()
        .with_holes();
    for record in &records {
        writer.write(record).unwrap();
    }
    let written = writer.finish().unwrap().into_inner();
    assert_eq!(written.len(), bytes.len());
    assert!(written == bytes, "with holes: bytes differ");
}

/// A mapped-ram header that points outside the file, or that QEMU would not
/// write, is an error naming the section, the block and the header's offset,
/// read without allocating the region.
#[test]
fn hostile_mapped_ram_headers_are_errors() {
    let path = format!(
        "{}/tests/data/qemu-10.0/pc-mapped-ram.mig",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap();
    // pc.ram's header: version at 114, page size at 118, bitmap offset at
    // 126, pages offset at 134.
    assert_eq!(&bytes[114..118], &[0, 0, 0, 1]);
    let cases: [(usize, &[u8], &str); 4] = [
        (114, &[0, 0, 0, 2], "version 2"),
        (118, &[0, 0, 0, 0, 0, 0, 0, 3], "page size 3"),
        (126, &[0, 0, 0, 0, 0, 0, 0, 1], "before the header's end"),
        (
            134,
            &[0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0],
            "past the end of the file",
        ),
    ];
    for (at, patch, why) in cases {
        let mut hostile = bytes.clone();
        hostile[at..at + patch.len()].copy_from_slice(patch);
        let mut reader = StreamReader::new(Cursor::new(&hostile)).unwrap();
        let error = loop {
            match reader.next_record() {
                Ok(Some(_)) => {}
                Ok(None) => panic!("{why}: read to the end"),
                Err(error) => break error.to_string(),
            }
        };
        for needle in ["ram", "pc.ram", "114", why] {
            assert!(error.contains(needle), "{why}: `{error}` lacks `{needle}`");
        }
    }
}

/// The headers of a mapped-ram file point at fixed offsets: a record before
/// the RAM regions that changes length (a renamed machine type) makes the
/// writer refuse, rather than write a file whose pages QEMU would misread.
#[test]
fn mapped_ram_regions_cannot_move() {
    let path = format!(
        "{}/tests/data/qemu-10.0/pc-mapped-ram.mig",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap();
    let mut writer = StreamWriter::new(Vec::new()).unwrap();
    let mut error = None;
    for record in records(&bytes) {
        let record = match record {
            Record::Configuration(c) => {
                Record::Configuration(c.with_machine("pc-i440fx-7.2").unwrap())
            }
            other => other,
        };
        if let Err(e) = writer.write(&record) {
            error = Some(e.to_string());
            break;
        }
    }
    let error = error.expect("the writer refuses");
    assert!(error.contains("ram") && error.contains("142"), "{error}");
}

/// A region that ends in zeros, with nothing after it, still gives the file
/// its full length when holes are left.
#[test]
fn a_trailing_hole_keeps_the_length() {
    let mut writer = StreamWriter::new(Cursor::new(Vec::new()))
        .unwrap()
        .with_holes();
    writer
        .write(&Record::Ram(RamRecord::Region {
            offset: 8,
            data: vec![0; 3 << 12],
        }))
        .unwrap();
    let written = writer.finish().unwrap().into_inner();
    assert_eq!(written.len(), 8 + (3 << 12));
    assert!(written[8..].iter().all(|&b| b == 0));
}

/// Every byte from the capabilities to the end of pc.ram's header, and the
/// next block's length and header, set to values that break them: the reader
/// gives records or an error, never a panic, and never a region chunk past
/// the file's end or larger than 1 MiB.
#[test]
fn mutated_mapped_ram_block_lists_read_or_fail_cleanly() {
    let path = format!(
        "{}/tests/data/qemu-10.0/pc-mapped-ram.mig",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut bytes = std::fs::read(&path).unwrap();
    // The headers of the blocks after pc.ram (found with python3).
    let later_headers = [
        17_825_821usize,
        19_005_456,
        20_185_103,
        21_102_622,
        22_024_219,
    ];
    let positions = (60..142).chain(later_headers.iter().flat_map(|&at| at - 8..at + 28));
    for at in positions {
        let original = bytes[at];
        for value in [0xff, original ^ 1] {
            // Mutated in place and restored: a copy of 23 MB per case made
            // this test take a minute.
            bytes[at] = value;
            // No vmdesc: parsing its 116 KB for every case cost 20 s, and
            // the block list does not need it.
            let limits = StreamLimits {
                max_vmdesc_len: 0,
                ..StreamLimits::default()
            };
            let Ok(mut reader) = StreamReader::with_limits(Cursor::new(&bytes), limits) else {
                continue;
            };
            // What the mutation changes is read by 2 MiB past it; the block
            // list ends with the START part's footer.
            while reader.offset() < at as u64 + (2 << 20)
                && let Ok(Some(record)) = reader.next_record()
            {
                match record {
                    Record::Ram(RamRecord::Region { offset, data }) => {
                        assert!(
                            data.len() <= 1 << 20,
                            "@{at}={value:#x}: chunk {}",
                            data.len()
                        );
                        assert!(offset + data.len() as u64 <= bytes.len() as u64);
                    }
                    Record::Footer { .. } => break,
                    _ => {}
                }
            }
        }
        bytes[at] = original;
    }
}

/// Reads `bytes` with page counts, read at offsets in memory.
fn counts(bytes: &[u8]) -> Result<Vec<Record>, String> {
    read::counts(bytes, synthetic::read_at)
}

/// The zero and data pages among `records`, whichever way they came.
fn page_counts(records: &[Record]) -> (u64, u64) {
    records
        .iter()
        .fold((0, 0), |(zero, data), record| match record {
            Record::Ram(RamRecord::Zero { .. }) => (zero + 1, data),
            Record::Ram(RamRecord::Page { .. }) => (zero, data + 1),
            Record::Ram(
                RamRecord::Pages {
                    zero_pages,
                    data_pages,
                    ..
                }
                | RamRecord::Counted {
                    zero_pages,
                    data_pages,
                    ..
                },
            ) => (zero + zero_pages, data + data_pages),
            _ => (zero, data),
        })
}

#[test]
fn page_runs_and_counts_see_the_same_pages_and_runs_write_back_the_same_bytes() {
    for fixture in fixtures_with_vmdesc() {
        let (name, bytes) = (fixture.id.as_str(), fixture.bytes());
        let by_run = runs(&bytes).unwrap();
        assert!(
            by_run
                .iter()
                .any(|r| matches!(r, Record::Ram(RamRecord::Pages { .. }))),
            "{name}: no page run"
        );
        let mut writer = StreamWriter::new(Vec::new()).unwrap();
        for record in &by_run {
            writer.write(record).unwrap();
        }
        assert!(writer.finish().unwrap() == bytes, "{name}: bytes differ");
        let by_page = pages(&bytes).unwrap();
        assert_eq!(page_counts(&by_run), page_counts(&by_page), "{name}");
        let by_count = counts(&bytes).unwrap();
        assert_eq!(page_counts(&by_count), page_counts(&by_page), "{name}");
        // A counted run is as long as the runs of the same pages.
        let length = |records: &[Record]| -> u64 {
            records
                .iter()
                .map(|record| match record {
                    Record::Ram(RamRecord::Pages { data, .. }) => data.len() as u64,
                    Record::Ram(RamRecord::Counted { len, .. }) => *len,
                    _ => 0,
                })
                .sum()
        };
        assert_eq!(length(&by_count), length(&by_run), "{name}");
        // Everything else comes as the same records, in the same order.
        let others = |records: Vec<Record>| -> Vec<Record> {
            records
                .into_iter()
                .filter(|r| {
                    !matches!(
                        r,
                        Record::Ram(
                            RamRecord::Zero { .. }
                                | RamRecord::Page { .. }
                                | RamRecord::Pages { .. }
                                | RamRecord::Counted { .. }
                        )
                    )
                })
                .collect()
        };
        assert_eq!(others(by_count), others(by_page.clone()), "{name}");
        assert_eq!(others(by_run), others(by_page), "{name}");
    }
}

#[test]
fn page_runs_and_counts_fail_where_single_pages_fail() {
    let bytes = fixtures::bytes("qemu-10.0/pc-ran");
    // Cut anywhere in RAM, or with a page's flags or block name spoiled: the
    // same error at the same offset either way.
    // Cuts every 4,099 bytes fall at every distance from the ends of runs
    // (whose tails are carried to the next run), within a record's header
    // and within its page.
    let mut cases: Vec<Vec<u8>> = [300, 5_000, 100_000, 300_001]
        .into_iter()
        .chain((20_000..bytes.len()).step_by(4_099))
        .map(|cut| bytes[..cut].to_vec())
        .collect();
    for at in [4_300, 70_000, 200_000] {
        for spoil in [0x40u8, 0x10, 0x04] {
            let mut spoiled = bytes.clone();
            // The low byte of a be64 word holds the flags: find the next
            // page word at or after `at` and spoil it.
            let word = (at..spoiled.len() - 8)
                .find(|&p| {
                    let w = u64::from_be_bytes(spoiled[p..p + 8].try_into().unwrap());
                    w & 0xfff == 0x28 && w >> 12 < 0x10_0000
                })
                .unwrap();
            spoiled[word + 7] |= spoil;
            cases.push(spoiled);
        }
    }
    for (index, case) in cases.iter().enumerate() {
        let by_page = pages(case).map(|r| r.len());
        let by_run = runs(case).map(|_| ());
        let by_count = counts(case).map(|_| ());
        match by_page {
            Ok(_) => {
                assert!(by_run.is_ok(), "case {index}: {by_run:?}");
                assert!(by_count.is_ok(), "case {index}: {by_count:?}");
            }
            Err(error) => {
                assert_eq!(by_run, Err(error.clone()), "case {index}");
                assert_eq!(by_count, Err(error), "case {index}");
            }
        }
    }
}

/// `next_record_before_vmdesc` gives every record `next_record` gives but
/// the vmdesc the reader parsed at open, whose JSON it does not read again;
/// the parsed form stays available.
#[test]
fn records_before_the_vmdesc_end_at_eof() {
    for fixture in fixtures_with_vmdesc() {
        let bytes = fixture.bytes();
        let all = records(&bytes);
        assert!(matches!(all.last(), Some(Record::Vmdesc { .. })));
        let mut reader = StreamReader::new(Cursor::new(&bytes)).unwrap();
        let mut before = Vec::new();
        while let Some(record) = reader.next_record_before_vmdesc().unwrap() {
            before.push(record);
        }
        assert_eq!(before[..], all[..all.len() - 1], "{}", fixture.id);
        assert!(reader.offset() < bytes.len() as u64);
        assert!(reader.take_vmdesc().is_some());
    }
}

/// What was asked of a [`Counted`] input.
#[derive(Debug, Default, Clone, Copy)]
struct Counts {
    bytes_read: u64,
    seeks: usize,
}

/// An input that counts what is asked of it, into counts the test keeps.
struct Counted {
    inner: Cursor<Vec<u8>>,
    counts: std::rc::Rc<std::cell::Cell<Counts>>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut counts = self.counts.get();
        counts.bytes_read += n as u64;
        self.counts.set(counts);
        Ok(n)
    }
}

impl Seek for Counted {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        let mut counts = self.counts.get();
        counts.seeks += 1;
        self.counts.set(counts);
        self.inner.seek(to)
    }
}

/// A RAM word whose flags (CONTINUE aside) name two kinds of record is
/// refused, as QEMU refuses it ("Unknown combination of migration flags"),
/// alone and in page runs: read as one of its kinds, it was written back as
/// that kind, which a page run then took in (the mutation run found it).
#[test]
fn a_ram_word_of_two_kinds_is_refused() {
    for flags in [0x42u64, 0x0a, 0x140, 0x12, 0x06] {
        let mut bytes = stream_with_pages(2);
        // The second page's word: after the first (8 + 1 + 6 + 4096 bytes)
        // in the last RAM part, which starts after its section header.
        let first = bytes
            .windows(7)
            .rposition(|w| w == b"\x06pc.ram")
            .expect("the first page names its block");
        let word = first + 7 + 4096;
        let old = u64::from_be_bytes(bytes[word..word + 8].try_into().unwrap());
        let new = (old & !0xfff) | flags | 0x20;
        bytes[word..word + 8].copy_from_slice(&new.to_be_bytes());
        for (how, read) in [("alone", pages(&bytes)), ("in runs", runs(&bytes))] {
            let error = read.expect_err(&format!("{flags:#x} {how}"));
            assert!(
                error.contains(&format!("unsupported RAM page flags {:#x}", flags | 0x20)),
                "{flags:#x} {how}: {error}"
            );
        }
    }
}

/// Compressed and XBZRLE pages (the `compress` and `xbzrle` capabilities)
/// are read as they were sent, between whole pages, alone or in page runs,
/// and written back byte for byte.
#[test]
fn compressed_and_xbzrle_pages_round_trip() {
    let page = |offset: u64, block: Option<&str>| RamRecord::Page {
        offset,
        block: block.map(str::to_owned),
        data: vec![7; 4096],
    };
    let ram = vec![
        page(0, Some("pc.ram")),
        RamRecord::Compressed {
            offset: 4096,
            block: None,
            data: vec![0x78, 0x9c, 1, 2, 3],
        },
        page(8192, None),
        RamRecord::Xbzrle {
            offset: 0,
            block: Some("pc.ram".into()),
            data: vec![1, 0, 0xff],
        },
        RamRecord::Compressed {
            offset: 12288,
            block: Some("pc.ram".into()),
            data: Vec::new(),
        },
    ];
    let bytes = stream_with_ram(4, ram.clone());
    let read = records(&bytes);
    let pages: Vec<&RamRecord> = read
        .iter()
        .filter_map(|record| match record {
            Record::Ram(
                ram @ (RamRecord::Page { .. }
                | RamRecord::Compressed { .. }
                | RamRecord::Xbzrle { .. }),
            ) => Some(ram),
            _ => None,
        })
        .collect();
    assert_eq!(pages, ram.iter().collect::<Vec<_>>());
    let again = {
        let mut writer = StreamWriter::new(Vec::new()).unwrap();
        for record in &read {
            writer.write(record).unwrap();
        }
        writer.finish().unwrap()
    };
    assert_eq!(again, bytes);
    // In page runs: the same bytes back, the encoded pages alone.
    let runs = runs(&bytes).unwrap();
    assert_eq!(
        runs.iter()
            .filter(|r| matches!(r, Record::Ram(RamRecord::Compressed { .. })))
            .count(),
        2
    );
    let mut writer = StreamWriter::new(Vec::new()).unwrap();
    for record in &runs {
        writer.write(record).unwrap();
    }
    assert_eq!(writer.finish().unwrap(), bytes);
}

/// Page runs read each byte of RAM once and seek only where RAM ends: the
/// partial record after a run's last whole one is carried to the next run.
/// Reading it again after a seek back cost one `lseek` and one record's
/// bytes per MiB, which put `inspect` of an 8 GiB stream above `cat`.
#[test]
fn page_runs_read_each_byte_once_without_seeking() {
    let bytes = stream_with_pages(16 << 8);
    let len = bytes.len() as u64;
    let counts = std::rc::Rc::default();
    let input = Counted {
        inner: Cursor::new(bytes.clone()),
        counts: std::rc::Rc::clone(&counts),
    };
    let mut reader = StreamReader::new(input).unwrap().with_page_runs();
    // What opening cost (the search for a vmdesc at the end) is left out.
    let opened: Counts = counts.get();
    let mut records = Vec::new();
    let mut runs = 0;
    while let Some(record) = reader.next_record().unwrap() {
        runs += usize::from(matches!(record, Record::Ram(RamRecord::Pages { .. })));
        records.push(record);
    }
    let seeks = counts.get().seeks - opened.seeks;
    let read = counts.get().bytes_read - opened.bytes_read;
    assert!(runs >= 12, "{runs} runs");
    assert!(seeks <= 4, "{seeks} seeks for {runs} runs");
    // The 64 KiB buffer may read past the EOF record it stops at.
    assert!(read <= len + (64 << 10), "{read} bytes read of {len}");
    assert_eq!(page_counts(&records), (1 << 10, 3 << 10));
    let mut writer = StreamWriter::new(Vec::new()).unwrap();
    for record in &records {
        writer.write(record).unwrap();
    }
    assert!(writer.finish().unwrap() == bytes, "bytes differ");
}
