//! Streams made by the tests' own hands: RAM parts with the pages a test
//! needs, around a minimal configuration, for what no QEMU fixture shows.

use std::io::{self, Cursor};

use vmstate::stream::{
    Configuration, RamBlock, RamRecord, Record, SectionHeader, SectionInfo, SectionKind,
    StreamWriter,
};

/// The `number`-th 4 KiB page of a block: a ZERO record, or a PAGE record
/// of the page's number (modulo 251) repeated. `block` names the block (no
/// CONTINUE flag) or not.
pub fn page(number: u64, block: Option<String>, zero: bool) -> RamRecord {
    let offset = number * 4096;
    if zero {
        RamRecord::Zero {
            offset,
            block,
            fill: 0,
        }
    } else {
        RamRecord::Page {
            offset,
            block,
            data: vec![u8::try_from(number % 251).unwrap(); 4096],
        }
    }
}

/// A stream whose RAM part holds `pages` pages, three data pages to a zero
/// page, and no vmdesc.
pub fn stream_with_pages(pages: u64) -> Vec<u8> {
    let records = (0..pages).map(|number| {
        page(
            number,
            (number == 0).then(|| "pc.ram".to_owned()),
            number % 4 == 3,
        )
    });
    stream_with_ram(pages, records)
}

/// A stream with a RAM block `pc.ram` of `pages` pages whose second RAM
/// part holds `records`, and no vmdesc.
pub fn stream_with_ram(pages: u64, records: impl IntoIterator<Item = RamRecord>) -> Vec<u8> {
    stream_with_block("pc.ram", pages, records)
}

/// A stream with one RAM block, `block`, of `pages` pages whose second RAM
/// part holds `records`, and no vmdesc.
pub fn stream_with_block(
    block: &str,
    pages: u64,
    records: impl IntoIterator<Item = RamRecord>,
) -> Vec<u8> {
    let mut writer = StreamWriter::new(Vec::new()).unwrap();
    let machine = "pc-i440fx-7.2";
    let mut payload = u32::try_from(machine.len()).unwrap().to_be_bytes().to_vec();
    payload.extend_from_slice(machine.as_bytes());
    let ram = |kind| {
        Record::Section(SectionHeader {
            kind,
            section_id: 2,
            info: (kind == SectionKind::Start).then(|| SectionInfo {
                idstr: "ram".into(),
                instance_id: 0,
                version_id: 4,
            }),
        })
    };
    let total = pages * 4096;
    let mut all = vec![
        Record::Configuration(Configuration {
            machine: machine.into(),
            subsections: Vec::new(),
            capabilities: Vec::new(),
            target_page_bits: None,
            uuid: None,
            payload,
        }),
        ram(SectionKind::Start),
        Record::Ram(RamRecord::MemSize {
            total,
            blocks: vec![RamBlock {
                name: block.into(),
                used_length: total,
            }],
        }),
        Record::Ram(RamRecord::Eos),
        Record::Footer { section_id: 2 },
        ram(SectionKind::End),
    ];
    all.extend(records.into_iter().map(Record::Ram));
    all.extend([
        Record::Ram(RamRecord::Eos),
        Record::Footer { section_id: 2 },
        Record::Eof,
    ]);
    for record in &all {
        writer.write(record).unwrap();
    }
    writer.finish().unwrap()
}

/// [`vmstate::stream::ReadAt`] for a stream held in memory.
///
/// # Errors
/// Never: an offset past the end reads nothing.
#[expect(clippy::unnecessary_wraps, reason = "the signature of `ReadAt`")]
pub fn read_at(input: &Cursor<Vec<u8>>, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    let bytes = input.get_ref();
    let from = usize::try_from(offset).map_or(bytes.len(), |at| at.min(bytes.len()));
    let read = buf.len().min(bytes.len() - from);
    buf[..read].copy_from_slice(&bytes[from..from + read]);
    Ok(read)
}
