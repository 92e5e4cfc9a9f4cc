//! RAM is streamed: reading and rewriting a stream with 64 MiB of RAM pages
//! keeps the live heap to a few pages' worth, measured with a counting
//! allocator, so a 4 GiB guest needs no 4 GiB of memory.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{BufWriter, Seek, SeekFrom};
use std::sync::atomic::{AtomicUsize, Ordering};

use support::synthetic;
use vmstate::VmState;
use vmstate::stream::{
    Configuration, DeviceDesc, DeviceSection, RamBlock, RamRecord, Record, SectionHeader,
    SectionInfo, SectionKind, StreamReader, StreamWriter, Vmdesc,
};

/// Counts live heap bytes and remembers the peak.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: the caller's layout contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` above with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "widget", version = 1)]
struct Widget {
    regs: [u32; 4],
}

const PAGE: usize = 4096;
const RAM: u64 = 64 << 20;

/// Writes a stream with `RAM` bytes of guest memory, every other page data.
fn write_stream(file: &mut std::fs::File) {
    let mut writer = StreamWriter::new(BufWriter::new(file)).unwrap();
    let machine = "pc-i440fx-7.2";
    let mut payload = u32::try_from(machine.len()).unwrap().to_be_bytes().to_vec();
    payload.extend_from_slice(machine.as_bytes());
    writer
        .write(&Record::Configuration(Configuration {
            machine: machine.into(),
            subsections: Vec::new(),
            capabilities: Vec::new(),
            target_page_bits: None,
            uuid: None,
            payload,
        }))
        .unwrap();
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
    writer.write(&ram(SectionKind::Start)).unwrap();
    writer
        .write(&Record::Ram(RamRecord::MemSize {
            total: RAM,
            blocks: vec![RamBlock {
                name: "pc.ram".into(),
                used_length: RAM,
            }],
        }))
        .unwrap();
    writer.write(&Record::Ram(RamRecord::Eos)).unwrap();
    writer.write(&Record::Footer { section_id: 2 }).unwrap();
    writer.write(&ram(SectionKind::Part)).unwrap();
    for number in 0..RAM / PAGE as u64 {
        let block = (number == 0).then(|| "pc.ram".to_owned());
        let record = synthetic::page(number, block, number % 2 == 0);
        writer.write(&Record::Ram(record)).unwrap();
    }
    writer.write(&Record::Ram(RamRecord::Eos)).unwrap();
    writer.write(&Record::Footer { section_id: 2 }).unwrap();
    let widget = Widget { regs: [1, 2, 3, 4] };
    let section = DeviceSection::new(&widget, 3, 0).unwrap();
    for record in section.records() {
        writer.write(&record).unwrap();
    }
    writer.write(&Record::Eof).unwrap();
    let vmdesc = Vmdesc {
        configuration: None,
        page_size: 4096,
        devices: vec![section.desc],
    };
    writer
        .write(&Record::Vmdesc {
            json: vmdesc.to_json().into_bytes(),
        })
        .unwrap();
    writer.finish().unwrap();
}

#[test]
fn reading_a_large_stream_holds_a_few_pages_at_most() {
    let dir = std::env::temp_dir().join(format!("vmstate-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("big.mig");
    let mut file = std::fs::File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .unwrap();
    write_stream(&mut file);
    let size = file.seek(SeekFrom::End(0)).unwrap();
    assert!(
        size > RAM / 2,
        "the stream holds the data pages: {size} bytes"
    );
    file.seek(SeekFrom::Start(0)).unwrap();

    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let mut reader = StreamReader::new(&mut file).unwrap();
    let mut pages = 0u64;
    let mut widget = None;
    while let Some(record) = reader.next_record().unwrap() {
        match record {
            Record::Ram(RamRecord::Zero { .. } | RamRecord::Page { .. }) => pages += 1,
            Record::State { payload, .. } => {
                widget = Some(vmstate::from_slice::<Widget>(&payload, 1).unwrap());
            }
            _ => {}
        }
    }
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert_eq!(pages, RAM / PAGE as u64);
    assert_eq!(widget, Some(Widget { regs: [1, 2, 3, 4] }));
    assert!(
        peak < 1 << 20,
        "peak heap while reading {size} bytes: {peak} bytes"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn device_section_describes_itself_for_the_vmdesc() {
    let section = DeviceSection::new(&Widget { regs: [0; 4] }, 7, 1).unwrap();
    assert_eq!(section.desc.name, "widget");
    assert_eq!(section.desc.instance_id, 1);
    let vmdesc = Vmdesc {
        configuration: None,
        page_size: 4096,
        devices: vec![DeviceDesc {
            legacy: false,
            ..section.desc.clone()
        }],
    };
    assert_eq!(
        vmdesc.to_json(),
        r#"{"page_size": 4096, "devices": [{"name": "widget", "instance_id": 1, "vmsd_name": "widget", "version": 1, "fields": [{"name": "regs", "array_len": 4, "type": "uint32", "size": 4}]}]}"#
    );
}
