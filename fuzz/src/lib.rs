//! The fuzz targets, one per kind of input, shared by the AFL++ binaries
//! (`src/bin/*.rs`, feature `afl`) and the mutation runner (`src/bin/mutate.rs`)
//! that CI runs for a short while on stable Rust.

use std::io::Cursor;

use vmstate::stream::{RamRecord, Record, StreamReader, StreamWriter, decode};

/// A fuzz target: any bytes, no panic.
pub type Target = fn(&[u8]);

/// The kinds of input, by the name of their seed directory.
pub const KINDS: &[(&str, Target)] = &[
    ("stream", stream),
    ("mapped-ram", mapped_ram),
    ("dump", dump),
];

/// A migration stream: read record by record (pages one by one and in runs),
/// every FULL section decoded against the stream's own description, and
/// what reads is written back and reads the same; pages counted
/// ([`StreamReader::with_page_counts`]) agree with pages read one by one.
pub fn stream(data: &[u8]) {
    read_and_write_back(data, false);
    read_and_write_back(data, true);
    counts_agree(data);
}

/// Reading with page counts gives what reading page by page gives: the
/// same error, or the same records but pages, and the same number of
/// pages of each kind in as many bytes.
fn counts_agree(data: &[u8]) {
    let summary = |counts: bool| -> Result<(Vec<Record>, [u64; 3]), String> {
        let mut reader = StreamReader::new(Cursor::new(data))
            .map_err(|e| e.to_string())?
            .with_delimiter(vmstate::qemu::delimit);
        if counts {
            reader = reader.with_page_counts(read_at);
        }
        let mut others = Vec::new();
        let mut pages = [0; 3];
        while let Some(record) = reader.next_record().map_err(|e| e.to_string())? {
            match record {
                Record::Ram(RamRecord::Counted {
                    len,
                    zero_pages,
                    data_pages,
                }) => {
                    pages[0] += zero_pages;
                    pages[1] += data_pages;
                    pages[2] += len;
                }
                Record::Ram(page @ (RamRecord::Zero { .. } | RamRecord::Page { .. })) => {
                    let mut wire = Vec::new();
                    page.write_to(&mut wire);
                    pages[usize::from(matches!(page, RamRecord::Page { .. }))] += 1;
                    pages[2] += wire.len() as u64;
                }
                other => others.push(other),
            }
        }
        Ok((others, pages))
    };
    assert!(
        summary(true) == summary(false),
        "counted pages differ from pages read one by one"
    );
}

/// [`vmstate::stream::ReadAt`] for bytes in memory.
#[expect(clippy::unnecessary_wraps, reason = "the signature of `ReadAt`")]
fn read_at(input: &Cursor<&[u8]>, offset: u64, buf: &mut [u8]) -> std::io::Result<usize> {
    let bytes = *input.get_ref();
    let from = usize::try_from(offset).map_or(bytes.len(), |at| at.min(bytes.len()));
    let read = buf.len().min(bytes.len() - from);
    buf[..read].copy_from_slice(&bytes[from..from + read]);
    Ok(read)
}

/// A mapped-ram save file: as a stream, and its regions written back with
/// holes where they are zero, which must give the same bytes as without.
pub fn mapped_ram(data: &[u8]) {
    let Some((records, dense)) = read_and_write_back(data, true) else {
        return;
    };
    let Ok(mut writer) = StreamWriter::new(Cursor::new(Vec::new())) else {
        return;
    };
    writer = writer.with_holes();
    for record in &records {
        if writer.write(record).is_err() {
            return;
        }
    }
    if let Ok(written) = writer.finish() {
        assert!(written.into_inner() == dense, "holes change the bytes");
    }
}

/// A `-dump-vmstate` file: parsed, and checked against itself.
pub fn dump(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(dump) = vmstate::check::Dump::parse(text) {
        let _ = vmstate::check::check(&dump, &dump);
    }
}

/// Reads `data` to the end; when it reads without error, writes the records
/// again, and asserts that what is written reads as the same records (the
/// reader may normalise what QEMU ignores, such as the address bits of an
/// EOS word, so the bytes themselves can differ). Returns the records and
/// the bytes written.
fn read_and_write_back(data: &[u8], runs: bool) -> Option<(Vec<Record>, Vec<u8>)> {
    let records = read(data, runs, true)?;
    let mut writer = StreamWriter::new(Vec::new()).ok()?;
    for record in &records {
        writer.write(record).ok()?;
    }
    let written = writer.finish().ok()?;
    let again = read(&written, runs, false).expect("what was written reads");
    assert!(
        again == records,
        "read, written and read again, the records differ"
    );
    Some((records, written))
}

/// The records of `data`, or `None` at the first error; with `decode`,
/// every FULL section is decoded against the stream's own description.
fn read(data: &[u8], runs: bool, decode_all: bool) -> Option<Vec<Record>> {
    let reader = StreamReader::new(Cursor::new(data)).ok()?;
    let mut reader = reader.with_delimiter(vmstate::qemu::delimit);
    if runs {
        reader = reader.with_page_runs();
    }
    let vmdesc = reader.vmdesc().cloned();
    let mut current = None;
    let mut records = Vec::new();
    while let Some(record) = reader.next_record().ok()? {
        match &record {
            Record::Section(header) => current.clone_from(&header.info),
            Record::State { payload, offset } if decode_all => {
                if let (Some(info), Some(vmdesc)) = (current.take(), &vmdesc)
                    && let Some(device) = vmdesc.device(&info.idstr, info.instance_id)
                {
                    let _ = decode(&device.state, payload, *offset);
                }
            }
            _ => {}
        }
        records.push(record);
    }
    Some(records)
}
