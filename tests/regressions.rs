//! Every input that made a public load entry point panic, hang or allocate
//! without bound, kept small and hard-coded. `tests/mutation.rs`
//! found some of them; code review of the stream layer found the others. Each
//! test says which, and what the fix was (see also docs/reliability.md).

// A global allocator is `unsafe impl` by definition; it only counts bytes
// and forwards every call unchanged to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Write as _;
use std::io::Cursor;
use std::time::{Duration, Instant};

use vmstate::stream::{
    RamBlock, RamRecord, Record, SectionHeader, SectionInfo, SectionKind, StreamErrorKind,
    StreamReader, StreamWriter, Vmdesc, decode,
};

// ---- Counting allocator ------------------------------------------------------

/// Counts the bytes the current thread allocates, so that a test can show
/// that reading costs memory in proportion to the input.
struct Counting;

thread_local! {
    static ALLOCATED: Cell<u64> = const { Cell::new(0) };
}

fn count(size: usize) {
    // `try_with`: the slot may already be gone while the thread exits.
    let _ = ALLOCATED.try_with(|n| n.set(n.get().saturating_add(size as u64)));
}

// SAFETY: every method forwards to `System` with the caller's own arguments,
// so `System` upholds the `GlobalAlloc` contract; the counter is a
// thread-local `Cell` with a const initializer and no destructor, which never
// allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: as above; `ptr` and `layout` come from this allocator,
        // which is `System`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Runs `f` and returns how many bytes this thread allocated meanwhile.
fn allocated<R>(f: impl FnOnce() -> R) -> (u64, R) {
    let before = ALLOCATED.with(Cell::get);
    let result = f();
    (ALLOCATED.with(Cell::get) - before, result)
}

// ---- Streams built from records ----------------------------------------------

fn write_stream(records: &[Record]) -> Vec<u8> {
    let mut writer = StreamWriter::new(Vec::new()).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    writer.finish().unwrap()
}

/// A FULL section: header, payload, footer.
fn full(
    section_id: u32,
    idstr: &str,
    instance_id: u32,
    version_id: u32,
    payload: &[u8],
) -> [Record; 3] {
    [
        Record::Section(SectionHeader {
            kind: SectionKind::Full,
            section_id,
            info: Some(SectionInfo {
                idstr: idstr.to_owned(),
                instance_id,
                version_id,
            }),
        }),
        Record::State {
            payload: payload.to_vec(),
            offset: 0,
        },
        Record::Footer { section_id },
    ]
}

/// Reads every record; returns how many there were, or the first error.
fn read_all(bytes: &[u8], delimit: bool) -> Result<usize, vmstate::Error> {
    let mut reader = StreamReader::new(Cursor::new(bytes))?;
    if delimit {
        reader = reader.with_delimiter(vmstate::qemu::delimit);
    }
    let mut records = 0;
    while reader.next_record()?.is_some() {
        records += 1;
    }
    Ok(records)
}

/// These inputs load in well under a second; the limit leaves a wide margin
/// for a slow, busy machine and a debug build.
const QUICK: Duration = Duration::from_secs(20);

// ---- decode: arrays of empty elements (found by tests/mutation.rs) ----------

/// `decode` looped for ever, allocating, over a description whose
/// `array_len` is huge and whose elements are empty (size 0 needs no input,
/// so no bounds check stopped it). Fix: a budget on what a decode produces,
/// in proportion to the payload (`stream/decode.rs`).
#[test]
fn decode_of_a_huge_array_of_empty_elements_is_refused() {
    let json = br#"{"devices": [{"name": "d", "fields": [
        {"name": "a", "type": "uint8", "size": 0, "array_len": 1000000000000}]}]}"#;
    let vmdesc = Vmdesc::parse(json).unwrap();
    let started = Instant::now();
    let error = decode(&vmdesc.devices[0].state, &[], 0).unwrap_err();
    assert!(started.elapsed() < QUICK);
    assert!(
        matches!(
            error.kind(),
            Some(StreamErrorKind::LimitExceeded {
                what: "decoded output size",
                ..
            })
        ),
        "{error}"
    );
    assert!(error.to_string().contains("field `a["), "{error}");
}

/// The same through nesting, as the mutation test found it: arrays of empty
/// structs of arrays multiply (65536^3 elements from 300 bytes of JSON).
#[test]
fn decode_of_nested_arrays_of_empty_structs_is_refused() {
    let json = br#"{"devices": [{"name": "d", "fields": [
        {"name": "n", "type": "struct", "size": 0, "array_len": 65536, "struct": {"fields": [
        {"name": "n", "type": "struct", "size": 0, "array_len": 65536, "struct": {"fields": [
        {"name": "n", "type": "struct", "size": 0, "array_len": 65536, "struct": {"fields": [
        {"name": "x", "type": "uint8", "size": 0}]}}]}}]}}]}]}"#;
    let vmdesc = Vmdesc::parse(json).unwrap();
    let started = Instant::now();
    let error = decode(&vmdesc.devices[0].state, &[1, 2, 3], 100).unwrap_err();
    assert!(started.elapsed() < QUICK);
    assert!(
        matches!(error.kind(), Some(StreamErrorKind::LimitExceeded { .. })),
        "{error}"
    );
}

/// Empty arrays of nested descriptions cost too: without that, an array of
/// empty structs that each hold many empty arrays ran unbudgeted.
#[test]
fn decode_charges_empty_arrays() {
    let inner: Vec<String> = (0..2000)
        .map(|i| format!(r#"{{"name": "e{i}", "type": "uint8", "size": 1, "array_len": 0}}"#))
        .collect();
    let json = format!(
        r#"{{"devices": [{{"name": "d", "fields": [{{"name": "n", "type": "struct", "size": 0,
        "array_len": 100000, "struct": {{"fields": [{}]}}}}]}}]}}"#,
        inner.join(", ")
    );
    let vmdesc = Vmdesc::parse(json.as_bytes()).unwrap();
    let started = Instant::now();
    let error = decode(&vmdesc.devices[0].state, &[], 0).unwrap_err();
    assert!(started.elapsed() < QUICK);
    assert!(
        matches!(error.kind(), Some(StreamErrorKind::LimitExceeded { .. })),
        "{error}"
    );
}

/// Real descriptions stay within the budget: a 64 KiB array of bytes, and an
/// array of one-byte structs, decode.
#[test]
fn decode_budget_leaves_real_descriptions_alone() {
    let json = br#"{"devices": [{"name": "d", "fields": [
        {"name": "bytes", "type": "uint8", "size": 1, "array_len": 65536},
        {"name": "s", "type": "struct", "size": 1, "array_len": 4096, "struct": {"fields": [
            {"name": "b", "type": "uint8", "size": 1}]}}]}]}"#;
    let vmdesc = Vmdesc::parse(json).unwrap();
    let payload = vec![7u8; 65536 + 4096];
    let decoded = decode(&vmdesc.devices[0].state, &payload, 0).unwrap();
    assert_eq!(decoded.leaves.len(), 65536 + 4096);
}

// ---- vmdesc: wire length overflow (found by tests/mutation.rs) --------------

/// `StateDesc::wire_len` summed field sizes with `sum()`, which overflowed
/// (a panic in debug builds, a wrong, small length in release). Fix:
/// saturating sums (`stream/vmdesc.rs`); the reader then refuses the length.
#[test]
fn wire_len_of_huge_sizes_saturates() {
    let json = br#"{"devices": [{"name": "d", "fields": [
        {"name": "a", "type": "buffer", "size": 18446744073709551615},
        {"name": "b", "type": "buffer", "size": 2}],
        "subsections": [{"vmsd_name": "d/s", "fields": [
        {"name": "c", "type": "buffer", "size": 18446744073709551615}]}]}]}"#;
    let vmdesc = Vmdesc::parse(json).unwrap();
    assert_eq!(vmdesc.devices[0].state.wire_len(), usize::MAX);

    let mut records = vec![];
    records.extend(full(0, "d", 0, 1, &[]));
    records.push(Record::Eof);
    records.push(Record::Vmdesc {
        json: json.to_vec(),
    });
    let error = read_all(&write_stream(&records), false).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Some(StreamErrorKind::LimitExceeded {
                what: "section payload size",
                ..
            })
        ),
        "{error}"
    );
    assert!(
        error.to_string().starts_with("section `d` instance 0"),
        "{error}"
    );
}

// ---- Stream reader: work in proportion to the input (review findings) -------

/// With a delimiter, the reader copied the whole rest of the stream (up to
/// `max_state_len`) for every FULL section, so N small sections cost
/// O(N × stream length) in time and allocation: 20,000 one-byte sections took
/// 5 GB of copying. Fix: the delimiter is offered a prefix that doubles until
/// it holds the payload (`stream/reader.rs`).
#[test]
fn delimiting_many_small_sections_is_linear() {
    const SECTIONS: u32 = 20_000;
    let mut records = Vec::new();
    for id in 0..SECTIONS {
        records.extend(full(id, "port92", 0, 1, &[0x02]));
    }
    records.push(Record::Eof);
    let bytes = write_stream(&records);
    let started = Instant::now();
    let (bytes_allocated, read) = allocated(|| read_all(&bytes, true));
    assert_eq!(read.unwrap(), records.len());
    assert!(started.elapsed() < QUICK);
    let per_input_byte = bytes_allocated / bytes.len() as u64;
    assert!(
        per_input_byte < 512,
        "{bytes_allocated} bytes allocated to read {} bytes",
        bytes.len()
    );
}

/// Delimiting in prefixes still gives whole payloads: the modelled sections
/// of a fixture (e1000's 194 KiB among them), read without their vmdesc.
#[test]
fn delimiting_in_prefixes_gives_the_lengths_of_whole_payloads() {
    let path = format!(
        "{}/tests/data/qemu-7.2/pc-e1000-serial.mig",
        env!("CARGO_MANIFEST_DIR")
    );
    let fixture = std::fs::read(path).unwrap();
    let mut reader = StreamReader::new(Cursor::new(&fixture)).unwrap();
    let mut kept = Vec::new();
    let mut keep = false;
    while let Some(record) = reader.next_record().unwrap() {
        match &record {
            Record::Section(header) => {
                keep = header
                    .info
                    .as_ref()
                    .is_some_and(|info| vmstate::qemu::model(&info.idstr).is_some());
            }
            Record::Eof => keep = true,
            Record::Vmdesc { .. } => keep = false,
            _ => {}
        }
        if keep {
            kept.push(record);
        }
    }
    let expected: Vec<usize> = kept
        .iter()
        .filter_map(|r| match r {
            Record::State { payload, .. } => Some(payload.len()),
            _ => None,
        })
        .collect();
    // e1000 (194 KiB) needs many doublings; the small ones none.
    assert!(expected.iter().any(|len| *len > 100_000));
    let bytes = write_stream(&kept);
    let mut reader = StreamReader::new(Cursor::new(&bytes))
        .unwrap()
        .with_delimiter(vmstate::qemu::delimit);
    assert!(reader.vmdesc().is_none());
    let mut lengths = Vec::new();
    while let Some(record) = reader.next_record().unwrap() {
        if let Record::State { payload, .. } = record {
            lengths.push(payload.len());
        }
    }
    assert_eq!(lengths, expected);
}

/// A payload whose fields end just before a prefix's end, with a subsection
/// after them: the loader peeks for the subsection header, cannot see it
/// whole, and reports a payload without it. The reader must offer more before
/// it believes such an answer.
#[test]
fn delimiting_sees_a_subsection_beyond_a_prefix() {
    for power in [1024usize, 2048, 4096, 8192, 16384] {
        for fields_len in (power - 300..power + 8).step_by(7) {
            let mut probe = Probe {
                n: u16::try_from(fields_len - 2).unwrap(),
                ..Probe::default()
            };
            probe.data = vec![0xaa; usize::from(probe.n)];
            probe.sub.x = 7;
            let payload = vmstate::to_vec(&probe).unwrap();
            let mut records = Vec::new();
            records.extend(full(1, "probe", 0, 1, &payload));
            records.extend(full(2, "probe", 0, 1, &payload));
            records.push(Record::Eof);
            let bytes = write_stream(&records);
            let mut reader = StreamReader::new(Cursor::new(&bytes))
                .unwrap()
                .with_delimiter(delimit_probe);
            while let Some(record) = reader
                .next_record()
                .unwrap_or_else(|e| panic!("fields of {fields_len} bytes: {e}"))
            {
                if let Record::State { payload: read, .. } = record {
                    assert_eq!(read, payload, "fields of {fields_len} bytes");
                }
            }
        }
    }
}

#[derive(vmstate::VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "probe", version = 1)]
struct Probe {
    n: u16,
    #[vmstate(len = n)]
    data: Vec<u8>,
    #[subsection(needed = Probe::sub_needed)]
    sub: ProbeSub,
}

impl Probe {
    fn sub_needed(&self) -> bool {
        self.sub.x != 0
    }
}

#[derive(vmstate::VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "probe/sub", version = 1)]
struct ProbeSub {
    x: u32,
}

/// A delimiter for `probe` sections, as `vmstate::qemu::delimit` is for the
/// QEMU models.
fn delimit_probe(info: &SectionInfo, bytes: &[u8]) -> Option<Result<usize, vmstate::Error>> {
    use vmstate::VmState;
    (info.idstr == "probe").then(|| {
        let mut probe = Probe::default();
        let mut reader = vmstate::Reader::new(bytes);
        probe
            .load_state(&mut reader, info.version_id)
            .map(|()| bytes.len() - reader.remaining())
    })
}

/// Every page named its block, and the reader looked the name up in a list:
/// with many blocks announced (several block lists, each within
/// `max_ram_blocks`) and many pages, O(pages × blocks). Fix: a hash set
/// (`stream/reader.rs`).
#[test]
fn many_ram_blocks_and_pages_read_in_linear_time() {
    const LISTS: usize = 16;
    const PER_LIST: usize = 4096;
    let mut records = vec![Record::Section(SectionHeader {
        kind: SectionKind::Start,
        section_id: 0,
        info: Some(SectionInfo {
            idstr: "ram".into(),
            instance_id: 0,
            version_id: 4,
        }),
    })];
    for list in 0..LISTS {
        let blocks: Vec<RamBlock> = (0..PER_LIST)
            .map(|i| RamBlock {
                name: format!("b{:06}", list * PER_LIST + i),
                used_length: 4096,
            })
            .collect();
        records.push(Record::Ram(RamRecord::MemSize {
            total: 4096 * PER_LIST as u64,
            blocks,
        }));
    }
    let last = format!("b{:06}", LISTS * PER_LIST - 1);
    for _ in 0..LISTS * PER_LIST {
        records.push(Record::Ram(RamRecord::Zero {
            offset: 0,
            block: Some(last.clone()),
            fill: 0,
        }));
    }
    records.push(Record::Ram(RamRecord::Eos));
    records.push(Record::Footer { section_id: 0 });
    records.push(Record::Eof);
    let bytes = write_stream(&records);
    let started = Instant::now();
    assert_eq!(read_all(&bytes, false).unwrap(), records.len());
    let took = started.elapsed();
    assert!(took < QUICK, "{took:?}");
}

/// For every FULL section the reader searched the vmdesc's device list and
/// walked the device's description to get its length: O(sections × devices)
/// and O(sections × description size) for a stream that repeats a section
/// described last, or described by many fields. Fix: an index of the wire
/// lengths, built once when the stream is opened (`stream/reader.rs`).
#[test]
fn many_sections_against_a_large_vmdesc_read_in_linear_time() {
    const DEVICES: usize = 30_000;
    const FIELDS: usize = 30_000;
    const SECTIONS: u32 = 30_000;
    let mut json = String::from(r#"{"page_size": 4096, "devices": ["#);
    for i in 0..DEVICES {
        write!(
            json,
            r#"{{"name": "d{i}", "instance_id": 0, "fields": []}}, "#
        )
        .unwrap();
    }
    json.push_str(r#"{"name": "last", "instance_id": 0, "fields": ["#);
    let fields: Vec<&str> = (0..FIELDS)
        .map(|_| r#"{"name": "f", "type": "unused_buffer", "size": 0}"#)
        .collect();
    json.push_str(&fields.join(", "));
    json.push_str("]}]}");
    let mut records = Vec::new();
    for id in 0..SECTIONS {
        records.extend(full(id, "last", 0, 1, &[]));
    }
    records.push(Record::Eof);
    records.push(Record::Vmdesc {
        json: json.into_bytes(),
    });
    let bytes = write_stream(&records);
    let started = Instant::now();
    assert_eq!(read_all(&bytes, false).unwrap(), records.len());
    let took = started.elapsed();
    assert!(took < QUICK, "{took:?}");
}
