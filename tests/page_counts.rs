//! Page counts on long runs (`StreamReader::with_page_counts`): read in
//! chunks by two threads, with record headers and pages cut by the chunks'
//! edges at every distance, they find what reading page by page finds, and
//! fail where it fails, with the same error.

mod support;

use std::collections::HashSet;
use std::io::{self, Cursor};
use std::sync::Mutex;
use std::thread::ThreadId;

use support::read::{counts, pages};
use support::synthetic::{self, page, stream_with_block, stream_with_pages};
use vmstate::stream::{RamRecord, Record, StreamWriter};

type Input = Cursor<Vec<u8>>;

/// Zero pages, data pages, and the bytes of their records, whichever way
/// they came; and the other records.
fn split(records: Vec<Record>) -> ((u64, u64, u64), Vec<Record>) {
    let mut totals = (0, 0, 0);
    let mut others = Vec::new();
    for record in records {
        match record {
            Record::Ram(RamRecord::Counted {
                len,
                zero_pages,
                data_pages,
            }) => {
                totals.0 += zero_pages;
                totals.1 += data_pages;
                totals.2 += len;
            }
            Record::Ram(page @ (RamRecord::Zero { .. } | RamRecord::Page { .. })) => {
                let mut wire = Vec::new();
                page.write_to(&mut wire);
                let zero = matches!(page, RamRecord::Zero { .. });
                totals.0 += u64::from(zero);
                totals.1 += u64::from(!zero);
                totals.2 += wire.len() as u64;
            }
            other => others.push(other),
        }
    }
    (totals, others)
}

/// A block name of the longest length the format allows.
fn long_name() -> String {
    "b".repeat(255)
}

/// `pages` pages (2,400 make about 6 MB) that each name their 255-byte block, zero and data
/// pages in an irregular order: record headers (264 bytes) and pages fall
/// across chunk edges at every distance.
fn named_pages(pages: u64) -> Vec<u8> {
    let name = long_name();
    // A pattern of period 7 and 3: runs of zero and data pages of several
    // lengths.
    let records = (0..pages).map(|number| {
        page(
            number,
            Some(name.clone()),
            number % 7 == 2 || number % 3 == 0,
        )
    });
    stream_with_block(&name, pages, records)
}

/// The threads that called [`read_at_noting_threads`].
static READERS: Mutex<Option<HashSet<ThreadId>>> = Mutex::new(None);

fn read_at_noting_threads(input: &Input, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    READERS
        .lock()
        .unwrap()
        .get_or_insert_default()
        .insert(std::thread::current().id());
    synthetic::read_at(input, offset, buf)
}

/// Reads at most 7 bytes a call, as `read_at` may.
fn read_at_in_crumbs(input: &Input, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
    let len = buf.len().min(7);
    synthetic::read_at(input, offset, &mut buf[..len])
}

#[test]
fn a_long_run_is_counted_by_two_threads_as_page_by_page() {
    for (what, bytes) in [
        ("named pages", named_pages(2_400)),
        ("pages going on", stream_with_pages(16 << 8)),
    ] {
        let (by_page, others) = split(pages(&bytes).unwrap());
        // Past the 4 MiB after which a second thread joins.
        assert!(by_page.2 > 5 << 20, "{what}: {by_page:?}");
        let counted = counts(&bytes, read_at_noting_threads).unwrap();
        // One count for the whole part: a count that lost its place would
        // stop, and the pages after would come one by one.
        let ram: Vec<_> = counted
            .iter()
            .filter(|r| {
                matches!(
                    r,
                    Record::Ram(
                        RamRecord::Counted { .. } | RamRecord::Zero { .. } | RamRecord::Page { .. }
                    )
                )
            })
            .collect();
        assert!(
            matches!(ram[..], [Record::Ram(RamRecord::Counted { .. })]),
            "{what}: {} records of pages",
            ram.len()
        );
        let (by_count, counted_others) = split(counted);
        assert_eq!(by_count, by_page, "{what}");
        assert_eq!(counted_others, others, "{what}");
    }
    let readers = READERS.lock().unwrap().take().unwrap_or_default();
    assert!(readers.len() >= 2, "read by {} thread(s)", readers.len());
}

#[test]
fn short_reads_count_the_same() {
    // A short stream keeps this test short: it reads 7 bytes a call.
    let bytes = named_pages(240);
    let counted = counts(&bytes, read_at_in_crumbs).unwrap();
    assert!(!counted.iter().any(|r| matches!(
        r,
        Record::Ram(RamRecord::Zero { .. } | RamRecord::Page { .. })
    )));
    assert_eq!(split(counted), split(pages(&bytes).unwrap()));
}

/// The first `len` bytes of `bytes`.
fn cut_stream(bytes: &[u8], len: usize) -> Vec<u8> {
    bytes[..len].to_vec()
}

/// Cut inside a header, inside a page, on a record's edge, or with a page's
/// flags or block name spoiled, before the second thread starts and after:
/// the same error at the same offset as page by page.
#[test]
fn counts_fail_where_single_pages_fail() {
    let bytes = named_pages(2_400);
    let name_at: Vec<usize> = bytes
        .windows(256)
        .enumerate()
        .filter(|(_, w)| w[0] == 255 && w[1..].iter().all(|&b| b == b'b'))
        .map(|(at, _)| at)
        .collect();
    // Each page record's word comes right before its name.
    let words: Vec<usize> = name_at.iter().skip(1).map(|&at| at - 8).collect();
    // Every record of the first 40 (short streams: while the chunks grow),
    // and some past the 4 MiB after which the second thread reads.
    let second_thread = words.iter().position(|&at| at > 5 << 20).unwrap();
    let cut_at = words[..40]
        .iter()
        .chain(words[second_thread..].iter().step_by(151));
    let mut cases = Vec::new();
    for &word in cut_at {
        for delta in [0, 3, 8, 9, 100, 264, 265, 2_000] {
            cases.push(cut_stream(&bytes, word + delta));
        }
    }
    for &word in words.iter().step_by(401) {
        // An unknown flag, a first letter of the name changed, a length
        // byte that no longer matches: each stops the count there.
        for (at, value) in [(word + 7, 0x28u8 | 0x40), (word + 9, b'c'), (word + 8, 254)] {
            let mut spoiled = bytes.clone();
            spoiled[at] = value;
            cases.push(spoiled);
        }
    }
    assert!(cases.len() > 200, "{} cases", cases.len());
    for (index, case) in cases.iter().enumerate() {
        let by_page = pages(case).map(split);
        let by_count = counts(case, synthetic::read_at).map(split);
        assert_eq!(by_count, by_page, "case {index}");
    }
}

/// An input that ends before the length it had when opened (another
/// program truncated it) is an error that says so, not fewer pages.
#[test]
fn an_input_that_shrinks_while_counted_is_an_error() {
    let bytes = stream_with_pages(16 << 8);
    let error = counts(&bytes, |input, offset, buf| {
        let end = input.get_ref().len() as u64 - 3_000_000;
        let len = usize::try_from(end.saturating_sub(offset))
            .unwrap_or(usize::MAX)
            .min(buf.len());
        synthetic::read_at(input, offset, &mut buf[..len])
    })
    .unwrap_err();
    assert!(error.contains("changed while it was read"), "{error}");
}

/// An input that cannot be read at an offset gets page runs, with the same
/// pages.
#[test]
fn an_input_read_only_in_order_gets_runs() {
    let bytes = stream_with_pages(1 << 8);
    let records = counts(&bytes, |_, _, _| Err(io::ErrorKind::Unsupported.into())).unwrap();
    assert!(
        records
            .iter()
            .any(|r| matches!(r, Record::Ram(RamRecord::Pages { .. })))
    );
    assert!(
        !records
            .iter()
            .any(|r| matches!(r, Record::Ram(RamRecord::Counted { .. })))
    );
    let (runs, _) = split(
        records
            .into_iter()
            .map(|record| match record {
                Record::Ram(RamRecord::Pages {
                    data,
                    zero_pages,
                    data_pages,
                }) => Record::Ram(RamRecord::Counted {
                    len: data.len() as u64,
                    zero_pages,
                    data_pages,
                }),
                other => other,
            })
            .collect(),
    );
    assert_eq!(runs, split(pages(&bytes).unwrap()).0);
}

/// A counted run kept no bytes: writing it would leave a hole in the
/// stream, so the writer refuses it.
#[test]
fn the_writer_refuses_a_counted_run() {
    let mut writer = StreamWriter::new(Vec::new()).unwrap();
    let error = writer
        .write(&Record::Ram(RamRecord::Counted {
            len: 4104,
            zero_pages: 0,
            data_pages: 1,
        }))
        .unwrap_err();
    assert!(error.to_string().contains("no bytes to write"), "{error}");
}

/// A ZERO record whose fill byte is not 0 (which QEMU from 8.2 refuses)
/// is not counted in a run: it comes alone, with its fill byte, for a
/// check to see, and the count goes on after it.
#[test]
fn a_zero_page_with_a_fill_byte_comes_alone() {
    let mut bytes = named_pages(2_400);
    let name = long_name();
    // The fill byte of a ZERO record past the 4 MiB where the second thread
    // reads: its word, with ZERO (0x02) and no CONTINUE, then the name.
    let zero = (5 << 20..bytes.len())
        .find(|&at| {
            bytes[at] == 0x02 && bytes[at + 1] == 255 && bytes[at + 2..at + 257] == *name.as_bytes()
        })
        .expect("a ZERO record")
        - 7;
    let fill = zero + 8 + 1 + 255;
    assert_eq!(bytes[fill], 0);
    bytes[fill] = 7;
    let counted = counts(&bytes, synthetic::read_at).unwrap();
    let alone: Vec<_> = counted
        .iter()
        .filter(|r| matches!(r, Record::Ram(RamRecord::Zero { fill: 7, .. })))
        .collect();
    assert_eq!(alone.len(), 1);
    assert_eq!(split(counted), split(pages(&bytes).unwrap()));
}
