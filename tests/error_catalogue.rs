//! The error catalogue (errors say where): every variant of every layer's
//! error kind (the codec core's `vmstate::ErrorKind`, the stream's
//! `StreamErrorKind`, the release's `ReleaseErrorKind`, the device models'
//! `ModelErrorKind`), produced through a public entry point, with a message
//! that names the section, the field path and the byte offset where they
//! apply. `every_variant_is_catalogued` fails when a variant is added without
//! an entry here.

#![allow(
    clippy::unnecessary_wraps,
    reason = "hooks have the signatures that the derive calls, whether or not they fail"
)]

use std::io::{Cursor, Read, Seek, SeekFrom};

use vmstate::desc::StateDesc;
use vmstate::models::ModelErrorKind;
use vmstate::qemu::acpi_piix4::Piix4Pm;
use vmstate::qemu::configuration::{Capability, ConfigurationCapabilities};
use vmstate::qemu::rtc::Rtc;
use vmstate::qemu::virtio::blk::VirtioBlkDevice;
use vmstate::qemu::virtio::serial::{VirtioSerialDevice, VirtioSerialPort};
use vmstate::release::{Release, ReleaseError, ReleaseErrorKind, to_vec_for};
use vmstate::schema::{Schema, WireType};
use vmstate::stream::{
    RamBlock, RamRecord, Record, SectionHeader, SectionInfo, SectionKind, StreamErrorKind,
    StreamLimits, StreamReader, StreamWriter, Vmdesc, decode,
};
use vmstate::{
    Error, ErrorKind, Reader, VmState, VmStateField, from_slice, load_into, to_vec, to_vec_at,
};

// ---- Where an error says it happened ----------------------------------------------

/// What a message must name.
struct Expected<'a> {
    /// The section (a payload's type name, or a stream section's idstr).
    section: Option<&'a str>,
    /// The section's instance, for stream sections.
    instance: Option<u32>,
    /// The field path, when the error is inside a payload.
    path: Option<&'a str>,
    /// The byte offset, for load errors.
    offset: Option<u64>,
    /// Words of the kind's own sentence.
    says: &'a [&'a str],
}

const NOWHERE: Expected<'static> = Expected {
    section: None,
    instance: None,
    path: None,
    offset: None,
    says: &[],
};

/// Checks the accessors and the `Display` text of `error` against `expected`,
/// and that nothing is named that should not be.
#[track_caller]
fn assert_names(error: &Error, expected: &Expected<'_>) {
    let text = error.to_string();
    match expected.section {
        Some(section) => {
            let named = error.section().map(|s| s.name.as_str());
            assert_eq!(named, Some(section), "{text}");
            let prefix = match expected.instance {
                Some(instance) => format!("section `{section}` instance {instance}"),
                None => format!("section `{section}`"),
            };
            assert!(
                text.starts_with(&prefix),
                "`{text}` does not start with `{prefix}`"
            );
        }
        None => assert!(error.section().is_none(), "{text}"),
    }
    assert_eq!(
        error.section().and_then(|s| s.instance),
        expected.instance,
        "{text}"
    );
    if let Some(path) = expected.path {
        assert_eq!(error.path_string(), path, "{text}");
        assert!(
            text.contains(&format!("field `{path}`")),
            "`{text}` lacks field `{path}`"
        );
    } else {
        assert_eq!(error.path_string(), "", "{text}");
        assert!(!text.contains("field `"), "{text}");
    }
    if let Some(offset) = expected.offset {
        assert_eq!(error.offset(), Some(offset), "{text}");
        assert!(
            text.contains(&format!("byte offset {offset}: ")),
            "`{text}` lacks byte offset {offset}"
        );
    } else {
        assert_eq!(error.offset(), None, "{text}");
        assert!(!text.contains("byte offset"), "{text}");
    }
    for word in expected.says {
        assert!(text.contains(word), "`{text}` does not say `{word}`");
    }
}

// ---- Types to load -------------------------------------------------------------------

#[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
#[repr(u8)]
enum Mode {
    #[default]
    Off = 0,
    On = 1,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "cat-entry", version = 1)]
struct Entry {
    addr: u32,
    len: u16,
}

/// A device with one of everything that can fail on load.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(
    name = "cat-dev",
    version = 3,
    minimum_version = 2,
    pre_save = Dev::pre_save,
    post_load = Dev::post_load
)]
struct Dev {
    id: u16,
    #[vmstate(equal)]
    nr_irqs: u8,
    mode: Mode,
    count: u8,
    #[vmstate(len = count)]
    entries: Vec<Entry>,
    #[vmstate(with = even)]
    even: u8,
    regs: [u16; 2],
    #[vmstate(since = 3)]
    index: u8,
    #[subsection(needed = Dev::irq_needed)]
    irq: DevIrq,
    #[subsection(needed = Dev::late_needed, since = 3)]
    late: DevLate,
}

impl Default for Dev {
    fn default() -> Self {
        Self {
            id: 0,
            nr_irqs: 24,
            mode: Mode::Off,
            count: 0,
            entries: Vec::new(),
            even: 0,
            regs: [0; 2],
            index: 0,
            irq: DevIrq::default(),
            late: DevLate::default(),
        }
    }
}

impl Dev {
    fn irq_needed(&self) -> bool {
        self.irq.level != 0
    }
    fn late_needed(&self) -> bool {
        self.late.value != 0
    }
    fn pre_save(&self) -> Result<(), String> {
        if self.id == 0xdead {
            Err("id 0xdead is reserved".into())
        } else {
            Ok(())
        }
    }
    /// A loaded index is checked before the device uses it.
    fn post_load(&mut self, _version_id: u32) -> Result<(), String> {
        if self.index < 16 {
            Ok(())
        } else {
            Err(format!("index {} is out of range 0..16", self.index))
        }
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "cat-dev/irq", version = 1)]
struct DevIrq {
    level: u8,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "cat-dev/late", version = 1)]
struct DevLate {
    value: u32,
}

/// A custom wire view that only takes even bytes.
mod even {
    use vmstate::{Error, Reader, VmStateField};

    #[expect(
        clippy::trivially_copy_pass_by_ref,
        reason = "the signature the derive calls"
    )]
    pub fn save(value: &u8, out: &mut Vec<u8>) -> Result<(), Error> {
        value.save_field(out)
    }

    pub fn load(value: &mut u8, reader: &mut Reader<'_>) -> Result<(), Error> {
        let offset = reader.offset();
        let byte = reader.read_u8()?;
        if byte % 2 == 1 {
            return Err(Error::custom(format!("{byte} is odd")).at_offset(offset));
        }
        *value = byte;
        Ok(())
    }
}

/// A valid version-3 payload: id 0x0102, `nr_irqs` 24, mode On, two entries,
/// even 4, regs 1 and 2, index 5; then the `irq` subsection when `irq` is
/// set.
fn payload(irq: bool) -> Vec<u8> {
    let mut bytes = vec![0x01, 0x02, 24, 1, 2];
    bytes.extend_from_slice(&[0, 0, 0, 1, 0, 2]);
    bytes.extend_from_slice(&[0, 0, 0, 3, 0, 4]);
    bytes.extend_from_slice(&[4, 0, 1, 0, 2, 5]);
    if irq {
        bytes.extend(subsection("cat-dev/irq", 1, &[9]));
    }
    bytes
}

/// Offsets in `payload`.
const MODE_AT: u64 = 3;
const COUNT_AT: usize = 4;
const ENTRIES_AT: u64 = 5;
const EVEN_AT: u64 = 17;
const REGS_AT: u64 = 18;
const INDEX_AT: usize = 22;
const FIELDS_END: u64 = 23;

fn subsection(name: &str, version: u32, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x05, u8::try_from(name.len()).unwrap()];
    bytes.extend_from_slice(name.as_bytes());
    bytes.extend_from_slice(&version.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

#[test]
fn the_payload_used_below_loads() {
    let dev: Dev = from_slice(&payload(true), 3).unwrap();
    assert_eq!(
        (dev.entries.len(), dev.even, dev.index, dev.irq.level),
        (2, 4, 5, 9)
    );
}

/// Loads `bytes` with `from_slice`, and checks that `load_into` fails the
/// same way and leaves the device as it was.
fn load_error(bytes: &[u8], version: u32) -> Error {
    let error = from_slice::<Dev>(bytes, version).expect_err("the load must fail");
    let mut device = Dev {
        id: 77,
        ..Dev::default()
    };
    let before = device.clone();
    let again = load_into(&mut device, bytes, version).expect_err("load_into must fail too");
    assert_eq!(device, before, "load_into changed the device");
    assert_eq!(again.to_string(), error.to_string());
    error
}

// ---- Payload errors --------------------------------------------------------------------

#[test]
fn unexpected_eof() {
    // Cut inside the second register.
    let bytes = &payload(false)[..21];
    assert_names(
        &load_error(bytes, 3),
        &Expected {
            section: Some("cat-dev"),
            path: Some("regs[1]"),
            offset: Some(REGS_AT + 2),
            says: &["input ends too early", "needed 2 bytes, 1 left"],
            ..NOWHERE
        },
    );
}

#[test]
fn version_too_new() {
    assert_names(
        &load_error(&payload(false), 4),
        &Expected {
            section: Some("cat-dev"),
            offset: Some(0),
            says: &["`cat-dev` version 4 is newer", "highest is 3"],
            ..NOWHERE
        },
    );
    // In a subsection, the path names it.
    let mut bytes = payload(false);
    bytes.extend(subsection("cat-dev/irq", 2, &[9]));
    assert_names(
        &load_error(&bytes, 3),
        &Expected {
            section: Some("cat-dev"),
            path: Some("irq"),
            offset: Some(FIELDS_END + 17),
            says: &[
                "(subsection `cat-dev/irq`)",
                "`cat-dev/irq` version 2 is newer",
            ],
            ..NOWHERE
        },
    );
}

#[test]
fn version_too_old() {
    assert_names(
        &load_error(&payload(false), 1),
        &Expected {
            section: Some("cat-dev"),
            offset: Some(0),
            says: &["`cat-dev` version 1 is older", "lowest is 2"],
            ..NOWHERE
        },
    );
}

#[test]
fn unknown_subsection() {
    let mut bytes = payload(false);
    bytes.extend(subsection("cat-dev/msi", 1, &[1]));
    assert_names(
        &load_error(&bytes, 3),
        &Expected {
            section: Some("cat-dev"),
            offset: Some(FIELDS_END),
            says: &["unknown subsection `cat-dev/msi` in `cat-dev`"],
            ..NOWHERE
        },
    );
}

#[test]
fn duplicate_subsection() {
    let mut bytes = payload(true);
    let second_at = bytes.len() as u64;
    bytes.extend(subsection("cat-dev/irq", 1, &[3]));
    assert_names(
        &load_error(&bytes, 3),
        &Expected {
            section: Some("cat-dev"),
            path: Some("irq"),
            offset: Some(second_at),
            says: &["subsection `cat-dev/irq` appears twice"],
            ..NOWHERE
        },
    );
}

#[test]
fn subsection_not_allowed() {
    let dev = Dev {
        late: DevLate { value: 1 },
        ..Dev::default()
    };
    // Known at version 3: saved.
    assert!(to_vec_at(&dev, 3).is_ok());
    let error = to_vec_at(&dev, 2).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::SubsectionNotAllowed { version: 2, .. })
    ));
    assert_names(
        &error,
        &Expected {
            section: Some("cat-dev"),
            path: Some("late"),
            says: &[
                "subsection `cat-dev/late` is needed",
                "version 2 do not know it",
            ],
            ..NOWHERE
        },
    );
}

#[test]
fn not_equal() {
    let mut bytes = payload(false);
    bytes[2] = 16;
    assert_names(
        &load_error(&bytes, 3),
        &Expected {
            section: Some("cat-dev"),
            path: Some("nr_irqs"),
            offset: Some(2),
            says: &["incoming value 16 differs from the local value 24"],
            ..NOWHERE
        },
    );
}

#[test]
fn invalid_enum_value() {
    let mut bytes = payload(false);
    bytes[usize::try_from(MODE_AT).unwrap()] = 7;
    assert_names(
        &load_error(&bytes, 3),
        &Expected {
            section: Some("cat-dev"),
            path: Some("mode"),
            offset: Some(MODE_AT),
            says: &["7 is not a valid `Mode`"],
            ..NOWHERE
        },
    );
}

#[test]
fn invalid_length() {
    // 200 entries of 6 bytes cannot fit in the 18 bytes that are left.
    let mut bytes = payload(false);
    bytes[COUNT_AT] = 200;
    assert_names(
        &load_error(&bytes, 3),
        &Expected {
            section: Some("cat-dev"),
            path: Some("entries"),
            offset: Some(ENTRIES_AT),
            says: &["variable-array count 200 is invalid", "at most 3 elements"],
            ..NOWHERE
        },
    );
}

#[test]
fn length_mismatch() {
    let dev = Dev {
        count: 3,
        entries: vec![Entry::default()],
        ..Dev::default()
    };
    assert_names(
        &to_vec(&dev).unwrap_err(),
        &Expected {
            section: Some("cat-dev"),
            path: Some("entries"),
            says: &["variable array has 1 element, but its count `count` says 3"],
            ..NOWHERE
        },
    );
}

#[test]
fn count_overflow() {
    #[derive(VmState, Debug, Default)]
    #[vmstate(name = "cat-fifo", version = 1)]
    struct Fifo {
        #[vmstate(count_of = buf)]
        n: u8,
        #[vmstate(len = n)]
        buf: Vec<u8>,
    }
    let fifo = Fifo {
        n: 0,
        buf: vec![0; 300],
    };
    assert_names(
        &to_vec(&fifo).unwrap_err(),
        &Expected {
            section: Some("cat-fifo"),
            path: Some("n"),
            says: &["variable array `buf` has 300 elements", "(255 at most)"],
            ..NOWHERE
        },
    );
}

#[test]
fn trailing_bytes() {
    let mut bytes = payload(true);
    let end = bytes.len() as u64;
    bytes.extend_from_slice(&[0xaa, 0xbb]);
    assert_names(
        &load_error(&bytes, 3),
        &Expected {
            section: Some("cat-dev"),
            offset: Some(end),
            says: &["2 bytes left over after the end of the payload"],
            ..NOWHERE
        },
    );
}

#[test]
fn hook() {
    // post_load: an out-of-range index loaded from the input.
    let mut bytes = payload(false);
    bytes[INDEX_AT] = 99;
    assert_names(
        &load_error(&bytes, 3),
        &Expected {
            section: Some("cat-dev"),
            offset: Some(FIELDS_END),
            says: &["post_load hook failed: index 99 is out of range 0..16"],
            ..NOWHERE
        },
    );
    // pre_save.
    let dev = Dev {
        id: 0xdead,
        ..Dev::default()
    };
    assert_names(
        &to_vec(&dev).unwrap_err(),
        &Expected {
            section: Some("cat-dev"),
            says: &["pre_save hook failed: id 0xdead is reserved"],
            ..NOWHERE
        },
    );
}

#[test]
fn custom() {
    let mut bytes = payload(false);
    bytes[usize::try_from(EVEN_AT).unwrap()] = 3;
    assert_names(
        &load_error(&bytes, 3),
        &Expected {
            section: Some("cat-dev"),
            path: Some("even"),
            offset: Some(EVEN_AT),
            says: &["3 is odd"],
            ..NOWHERE
        },
    );
}

/// A payload inside a larger input reports offsets in that input.
#[test]
fn offsets_are_absolute_with_a_base() {
    let bytes = &payload(false)[..21];
    let mut dev = Dev::default();
    let error = dev
        .load_state(&mut Reader::with_base_offset(bytes, 1000), 3)
        .unwrap_err();
    assert_names(
        &error,
        &Expected {
            path: Some("regs[1]"),
            offset: Some(1000 + REGS_AT + 2),
            says: &["input ends too early"],
            ..NOWHERE
        },
    );
}

// ---- Stream errors ---------------------------------------------------------------------

fn write_stream(records: &[Record]) -> Vec<u8> {
    let mut writer = StreamWriter::new(Vec::new()).unwrap();
    for record in records {
        writer.write(record).unwrap();
    }
    writer.finish().unwrap()
}

fn section(kind: SectionKind, section_id: u32, idstr: &str, instance_id: u32) -> Record {
    Record::Section(SectionHeader {
        kind,
        section_id,
        info: Some(SectionInfo {
            idstr: idstr.to_owned(),
            instance_id,
            version_id: if idstr == "ram" { 4 } else { 1 },
        }),
    })
}

/// A stream with one `port92` FULL section (id 3, instance 1) and a vmdesc
/// that describes it: header (8), section header (1 + 4 + 1 + 6 + 4 + 4 =
/// 20), payload (1 byte at offset 28), footer (5 bytes at 29), EOF (34),
/// vmdesc (35).
const VMDESC: &[u8] = br#"{"page_size": 4096, "devices": [{"name": "port92", "instance_id": 1, "vmsd_name": "port92", "version": 1, "fields": [{"name": "outport", "type": "uint8", "size": 1}]}]}"#;
const PAYLOAD_AT: u64 = 28;
const FOOTER_AT: u64 = 29;
const EOF_AT: u64 = 34;

fn port92_stream(footer_id: u32, vmdesc: &[u8]) -> Vec<u8> {
    write_stream(&[
        section(SectionKind::Full, 3, "port92", 1),
        Record::State {
            payload: vec![0x02],
            offset: 0,
        },
        Record::Footer {
            section_id: footer_id,
        },
        Record::Eof,
        Record::Vmdesc {
            json: vmdesc.to_vec(),
        },
    ])
}

/// Reads every record of `bytes` and returns the first error.
fn stream_error(bytes: &[u8]) -> Error {
    stream_error_with(bytes, StreamLimits::default(), false)
}

fn stream_error_with(bytes: &[u8], limits: StreamLimits, delimit: bool) -> Error {
    let mut reader = match StreamReader::with_limits(Cursor::new(bytes), limits) {
        Ok(reader) => reader,
        Err(error) => return error,
    };
    if delimit {
        reader = reader.with_delimiter(vmstate::qemu::delimit);
    }
    loop {
        match reader.next_record() {
            Ok(Some(_)) => {}
            Ok(None) => panic!("the stream read without an error"),
            Err(error) => return error,
        }
    }
}

#[test]
fn the_stream_used_below_reads() {
    let bytes = port92_stream(3, VMDESC);
    let mut reader = StreamReader::new(Cursor::new(&bytes)).unwrap();
    let mut payload_at = None;
    while let Some(record) = reader.next_record().unwrap() {
        if let Record::State { offset, .. } = record {
            payload_at = Some(offset);
        }
        if record == Record::Eof {
            assert_eq!(reader.offset(), EOF_AT + 1);
        }
    }
    assert_eq!(payload_at, Some(PAYLOAD_AT));
}

#[test]
fn bad_magic() {
    assert_names(
        &stream_error(b"QEMU\0\0\0\x03\0"),
        &Expected {
            offset: Some(0),
            says: &["not a QEMU migration stream: starts with 0x51454d55"],
            ..NOWHERE
        },
    );
}

#[test]
fn unsupported_stream_version() {
    assert_names(
        &stream_error(b"QEVM\0\0\0\x02\0"),
        &Expected {
            offset: Some(4),
            says: &["format version 2 is not supported"],
            ..NOWHERE
        },
    );
}

#[test]
fn unknown_record() {
    assert_names(
        &stream_error(b"QEVM\0\0\0\x03\x09"),
        &Expected {
            offset: Some(8),
            says: &["unknown record type 0x09"],
            ..NOWHERE
        },
    );
}

#[test]
fn bad_footer() {
    assert_names(
        &stream_error(&port92_stream(4, VMDESC)),
        &Expected {
            section: Some("port92"),
            instance: Some(1),
            offset: Some(FOOTER_AT),
            says: &["section footer for section id 3 expected, found a footer for section id 4"],
            ..NOWHERE
        },
    );
}

#[test]
fn misdelimited_section() {
    // No vmdesc and no footer: the `port92` model reads one byte of a
    // two-byte payload, and the reader finds 0x09 where a record should start.
    let bytes = write_stream(&[
        section(SectionKind::Full, 3, "port92", 1),
        Record::State {
            payload: vec![0x02, 0x09],
            offset: 0,
        },
        Record::Eof,
    ]);
    let error = stream_error_with(&bytes, StreamLimits::default(), true);
    assert!(
        matches!(
            error.kind(),
            Some(StreamErrorKind::MisdelimitedSection {
                byte: 0x09,
                instance_id: 1,
                version_id: 1,
                payload_offset: PAYLOAD_AT,
                len: 1,
                ..
            })
        ),
        "{error:?}"
    );
    assert_names(
        &error,
        &Expected {
            section: Some("port92"),
            instance: Some(1),
            offset: Some(PAYLOAD_AT + 1),
            says: &[
                "unknown record type 0x09 right after the payload of section `port92`",
                "no vmdesc",
                "the model's layout is not the one that wrote it",
            ],
            ..NOWHERE
        },
    );
}

#[test]
fn iterative_section() {
    // A START section other than RAM: its parts have no framing this reader knows.
    let bytes = write_stream(&[
        section(SectionKind::Start, 3, "dirty-bitmap", 0),
        Record::Eof,
    ]);
    assert_names(
        &stream_error(&bytes),
        &Expected {
            offset: Some(8),
            says: &["section `dirty-bitmap` is sent in parts"],
            ..NOWHERE
        },
    );
}

#[test]
fn undelimited_section() {
    // No vmdesc and no delimiter: nothing says where the payload ends.
    let bytes = write_stream(&[
        section(SectionKind::Full, 3, "port92", 1),
        Record::State {
            payload: vec![0x02],
            offset: 0,
        },
        Record::Footer { section_id: 3 },
        Record::Eof,
    ]);
    assert_names(
        &stream_error(&bytes),
        &Expected {
            section: Some("port92"),
            instance: Some(1),
            offset: Some(PAYLOAD_AT),
            says: &[
                "cannot tell where section `port92` (instance 1, version 1) ends",
                "no vmdesc",
                "only a model knows where a section ends",
            ],
            ..NOWHERE
        },
    );
}

/// A `ram` section: START header (1 + 4 + 1 + 3 + 4 + 4 = 17 bytes after the
/// 8 of the stream header), the block list (a word, then `pc.ram`: 8 + 1 + 6
/// + 8 bytes), then `word` (at 48).
fn ram_stream(word: &[u8]) -> Vec<u8> {
    let mut bytes = write_stream(&[
        section(SectionKind::Start, 0, "ram", 0),
        Record::Ram(RamRecord::MemSize {
            total: 4096,
            blocks: vec![RamBlock {
                name: "pc.ram".into(),
                used_length: 4096,
            }],
        }),
    ]);
    bytes.extend_from_slice(word);
    bytes
}
const RAM_WORD_AT: u64 = 48;

#[test]
fn unsupported_ram_flags() {
    assert_names(
        // 0x80: QEMU's RDMA hook, which a stream in a file never carries.
        &stream_error(&ram_stream(&0x80u64.to_be_bytes())),
        &Expected {
            section: Some("ram"),
            offset: Some(RAM_WORD_AT),
            says: &["unsupported RAM page flags 0x80"],
            ..NOWHERE
        },
    );
}

#[test]
fn invalid_encoded_page() {
    // A compressed page of `pc.ram` longer than zlib makes any page.
    let mut word = 0x100u64.to_be_bytes().to_vec();
    word.push(6);
    word.extend_from_slice(b"pc.ram");
    word.extend_from_slice(&5000u32.to_be_bytes());
    assert_names(
        &stream_error(&ram_stream(&word)),
        &Expected {
            section: Some("ram"),
            offset: Some(RAM_WORD_AT),
            says: &[
                "RAM page with flags 0x100",
                "compressed length 5000, over the 4110 bytes",
            ],
            ..NOWHERE
        },
    );
    // An XBZRLE page in an encoding QEMU does not know.
    let mut word = 0x40u64.to_be_bytes().to_vec();
    word.push(6);
    word.extend_from_slice(b"pc.ram");
    word.push(2);
    word.extend_from_slice(&1u16.to_be_bytes());
    word.push(0);
    assert_names(
        &stream_error(&ram_stream(&word)),
        &Expected {
            section: Some("ram"),
            offset: Some(RAM_WORD_AT),
            says: &["RAM page with flags 0x40", "encoding 0x2"],
            ..NOWHERE
        },
    );
}

/// A name that is not UTF-8 is refused where it stands, not replaced: a
/// replaced name is written back at another length (the mutation run found
/// a round trip that moved every later payload).
#[test]
fn names_that_are_not_utf8() {
    // The START header's idstr `ram` (at 14, after the stream header and
    // the tag, id and length bytes) with a byte that is no UTF-8.
    let mut bytes = ram_stream(&0x10u64.to_be_bytes());
    assert_eq!(&bytes[14..17], b"ram");
    bytes[15] = 0xff;
    let error = stream_error(&bytes);
    assert!(
        matches!(
            error.kind(),
            Some(ErrorKind::InvalidUtf8 {
                what: "section idstr",
                ..
            })
        ),
        "{error}"
    );
    assert_names(
        &error,
        &Expected {
            offset: Some(8),
            says: &["section idstr is not UTF-8"],
            ..NOWHERE
        },
    );
    // A page naming its block with such bytes.
    let mut word = 0x02u64.to_be_bytes().to_vec();
    word.extend_from_slice(&[6, b'p', b'c', 0xc3, b'r', b'a', b'm', 0]);
    let error = stream_error(&ram_stream(&word));
    assert!(
        matches!(
            error.kind(),
            Some(ErrorKind::InvalidUtf8 {
                what: "RAM block name",
                ..
            })
        ),
        "{error}"
    );
}

#[test]
fn unknown_ram_block() {
    // A ZERO page for block `vga.ram`, which the block list did not announce.
    let mut word = 0x02u64.to_be_bytes().to_vec();
    word.push(7);
    word.extend_from_slice(b"vga.ram");
    word.push(0);
    assert_names(
        &stream_error(&ram_stream(&word)),
        &Expected {
            section: Some("ram"),
            offset: Some(RAM_WORD_AT),
            says: &["RAM page for unknown block `vga.ram`"],
            ..NOWHERE
        },
    );
    // A page that continues a block when none came before.
    let word = (0x02u64 | 0x20).to_be_bytes();
    assert_names(
        &stream_error(&ram_stream(&word)),
        &Expected {
            section: Some("ram"),
            offset: Some(RAM_WORD_AT),
            says: &["RAM page continues a block, but no block came before"],
            ..NOWHERE
        },
    );
}

#[test]
fn invalid_vmdesc() {
    let json = br#"{"devices": [{"name": "port92", "fields": [{"name": "outport", "type": "uint8", "size": -1}]}]}"#;
    let error = Vmdesc::parse(json).unwrap_err();
    assert_names(
        &error,
        &Expected {
            says: &[
                "invalid stream description (vmdesc): $.devices[0].fields[0].size is not a non-negative integer",
            ],
            ..NOWHERE
        },
    );
    // In a stream: where the JSON starts (after EOF, the 0x06 tag and the
    // length).
    assert_names(
        &stream_error(&port92_stream(3, json)),
        &Expected {
            offset: Some(EOF_AT + 1 + 1 + 4),
            says: &["$.devices[0].fields[0].size"],
            ..NOWHERE
        },
    );
}

#[test]
fn limit_exceeded() {
    // A payload larger than the reader allows.
    let limits = StreamLimits {
        max_state_len: 0,
        ..StreamLimits::default()
    };
    assert_names(
        &stream_error_with(&port92_stream(3, VMDESC), limits, false),
        &Expected {
            section: Some("port92"),
            instance: Some(1),
            offset: Some(PAYLOAD_AT),
            says: &["section payload size of 1 exceeds the limit of 0"],
            ..NOWHERE
        },
    );
    // A description that makes decoding produce far more than the payload
    // holds names the described field.
    let json = br#"{"devices": [{"name": "d", "fields": [
        {"name": "a", "type": "uint8", "size": 0, "array_len": 1000000000}]}]}"#;
    let vmdesc = Vmdesc::parse(json).unwrap();
    let error = decode(&vmdesc.devices[0].state, &[], 500).unwrap_err();
    let text = error.to_string();
    assert!(text.starts_with("field `a["), "{text}");
    assert!(
        text.contains("byte offset 500: decoded output size of"),
        "{text}"
    );
}

/// A stream that fails to read after its first `fail_after` bytes.
struct Failing {
    inner: Cursor<Vec<u8>>,
    fail_after: u64,
}

impl Read for Failing {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.inner.position() >= self.fail_after {
            return Err(std::io::Error::other("the disk went away"));
        }
        let room = usize::try_from(self.fail_after - self.inner.position()).unwrap_or(usize::MAX);
        let len = buf.len().min(room);
        self.inner.read(&mut buf[..len])
    }
}

impl Seek for Failing {
    fn seek(&mut self, pos: SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(pos)
    }
}

#[test]
fn io() {
    let input = Failing {
        inner: Cursor::new(port92_stream(3, VMDESC)),
        fail_after: 0,
    };
    let error = StreamReader::new(input).err().expect("reading fails");
    assert!(
        matches!(error.kind(), Some(StreamErrorKind::Io { .. })),
        "{error}"
    );
    assert_names(
        &error,
        &Expected {
            says: &["I/O error: the disk went away"],
            ..NOWHERE
        },
    );
    assert!(std::error::Error::source(&error).is_some());
}

// ---- The codec's and the tooling's own failures -----------------------------------------

/// Declares 4 bytes on the wire but saves 2: a broken hand-written impl.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Understated(u16);

impl VmStateField for Understated {
    const MIN_WIRE_SIZE: usize = 2;
    const WIRE: WireType = WireType::Scalar {
        info: "uint16",
        size: 4,
    };

    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(&self.0.to_be_bytes());
        Ok(())
    }

    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        self.0 = u16::from_be_bytes(reader.read_array()?);
        Ok(())
    }
}

#[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
#[vmstate(name = "cat-understated", version = 1)]
struct UnderstatedDev {
    value: Understated,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "cat-understated-list", version = 1)]
struct UnderstatedList {
    items: [UnderstatedDev; 2],
}

#[test]
fn wire_size_mismatch() {
    let error = to_vec(&UnderstatedList::default()).unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::WireSizeMismatch)),
        "{error}"
    );
    assert_names(
        &error,
        &Expected {
            section: Some("cat-understated-list"),
            path: Some("items[0]"),
            says: &["saved a different number of bytes than its type's `WIRE` declares"],
            ..NOWHERE
        },
    );
}

#[test]
fn unknown_section_id() {
    // A PART record (0x02) for section id 9, which no START opened.
    let error = stream_error(b"QEVM\0\0\0\x03\x02\0\0\0\x09");
    assert!(
        matches!(
            error.kind(),
            Some(StreamErrorKind::UnknownSectionId { section_id: 9 })
        ),
        "{error}"
    );
    assert_names(
        &error,
        &Expected {
            offset: Some(8),
            says: &["section id 9 continues a section that never started"],
            ..NOWHERE
        },
    );
}

#[test]
fn invalid_mapped_ram() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/qemu-10.0/pc-mapped-ram.mig"
    );
    let mut bytes = std::fs::read(path).unwrap();
    // pc.ram's mapped-ram header starts at 114 with its version, 1.
    assert_eq!(&bytes[114..118], &[0, 0, 0, 1]);
    bytes[117] = 2;
    let error = stream_error(&bytes);
    match error.kind() {
        Some(StreamErrorKind::InvalidMappedRam { block, reason }) => {
            assert_eq!(block, "pc.ram");
            assert!(reason.starts_with("version 2"), "{reason}");
        }
        _ => panic!("not InvalidMappedRam: {error}"),
    }
    assert_names(
        &error,
        &Expected {
            section: Some("ram"),
            offset: Some(114),
            says: &["mapped-ram header of RAM block `pc.ram`: version 2"],
            ..NOWHERE
        },
    );
}

#[test]
fn subsection_mismatch() {
    let json = br#"{"devices": [{"name": "port92", "instance_id": 0, "vmsd_name": "port92", "version": 1, "fields": [{"name": "outport", "type": "uint8", "size": 1}], "subsections": [{"vmsd_name": "port92/a", "version": 1, "fields": []}]}]}"#;
    let desc = Vmdesc::parse(json).unwrap();
    // The payload's subsection is `port92/b`, not the described `port92/a`.
    let payload = [&[0x02, 0x05, 8][..], b"port92/b", &[0, 0, 0, 1]].concat();
    let error = decode(&desc.devices[0].state, &payload, 100).unwrap_err();
    assert!(
        matches!(error.kind(), Some(StreamErrorKind::SubsectionMismatch { expected }) if expected == "port92/a"),
        "{error}"
    );
    assert_names(
        &error,
        &Expected {
            offset: Some(101),
            says: &["expected subsection `port92/a` as the description says"],
            ..NOWHERE
        },
    );
}

#[test]
fn region_moved() {
    let mut writer = StreamWriter::new(Cursor::new(Vec::new()))
        .unwrap()
        .with_holes();
    // The stream header is 8 bytes, so a region read at 4096 would move.
    let region = Record::Ram(RamRecord::Region {
        offset: 4096,
        data: vec![0; 16],
    });
    let error = writer.write(&region).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Some(StreamErrorKind::RegionMoved {
                read_at: 4096,
                write_at: 8
            })
        ),
        "{error}"
    );
    assert_names(
        &error,
        &Expected {
            section: Some("ram"),
            offset: Some(4096),
            says: &["read at file offset 4096 would be written at 8"],
            ..NOWHERE
        },
    );
}

const RELEASE_LOCK: &str = "\
[crate::CatNic v1]
vmsd cat-nic
field ctrl uint32 4

[release 1.0]
crate::CatNic v1

end
";

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "cat-nic", version = 1)]
struct CatNic {
    ctrl: u32,
    #[subsection(needed = CatNic::offload_needed)]
    offload: CatNicOffload,
}

impl CatNic {
    fn offload_needed(&self) -> bool {
        self.offload.tso
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "cat-nic/offload", version = 1)]
struct CatNicOffload {
    tso: bool,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "cat-other", version = 1)]
struct CatOther {
    value: u8,
}

/// A lock or a release that cannot be read is the release layer's own
/// error, not a load error: no payload load can hit it.
#[test]
fn invalid_lock_and_unknown_release() {
    let error = Release::from_lock("[release x]\nnot a version\nend\n", "x").unwrap_err();
    assert!(matches!(error, ReleaseError::Lock(_)), "{error}");
    assert!(std::error::Error::source(&error).is_some());
    assert!(error.to_string().starts_with("the lock, line 2"), "{error}");
    let error = Release::from_lock(RELEASE_LOCK, "3.0").unwrap_err();
    assert!(
        matches!(&error, ReleaseError::UnknownRelease { release } if release == "3.0"),
        "{error}"
    );
    assert_eq!(error.to_string(), "the lock has no `[release 3.0]` block");
}

#[test]
fn not_in_release() {
    let release = Release::from_lock(RELEASE_LOCK, "1.0").unwrap();
    let error = to_vec_for(&CatOther::default(), &release).unwrap_err();
    assert!(
        matches!(error.kind(), Some(ReleaseErrorKind::NotInRelease { release, name: "cat-other" }) if release == "1.0"),
        "{error}"
    );
    assert_names(
        &error,
        &Expected {
            section: Some("cat-other"),
            says: &["release `1.0` has no `cat-other`"],
            ..NOWHERE
        },
    );
}

/// A hand-written state whose schema omits the subsection its description
/// sends, so that the release check cannot name it from the schema.
#[derive(Debug, Default, Clone, PartialEq)]
struct Unlisted(CatNic);

impl VmStateField for Unlisted {
    const MIN_WIRE_SIZE: usize = CatNic::MIN_WIRE_SIZE;

    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.0.save_field(out)
    }

    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        self.0.load_field(reader)
    }
}

impl VmState for Unlisted {
    const NAME: &'static str = CatNic::NAME;
    const VERSION: u32 = CatNic::VERSION;
    const MINIMUM_VERSION: u32 = CatNic::MINIMUM_VERSION;
    const SCHEMA: Schema = Schema {
        subsections: &[],
        ..CatNic::SCHEMA
    };

    fn save_state_at(&self, out: &mut Vec<u8>, version_id: u32) -> Result<(), Error> {
        self.0.save_state_at(out, version_id)
    }

    fn load_state(&mut self, reader: &mut Reader<'_>, version_id: u32) -> Result<(), Error> {
        self.0.load_state(reader, version_id)
    }

    fn describe_state(&self) -> StateDesc {
        self.0.describe_state()
    }
}

#[test]
fn subsection_not_in_release() {
    let release = Release::from_lock(RELEASE_LOCK, "1.0").unwrap();
    let mut nic = Unlisted::default();
    nic.0.offload.tso = true;
    let error = to_vec_for(&nic, &release).unwrap_err();
    assert!(
        matches!(error.kind(), Some(ReleaseErrorKind::SubsectionNotInRelease { name, release }) if name == "cat-nic/offload" && release == "1.0"),
        "{error}"
    );
    assert_names(
        &error,
        &Expected {
            section: Some("cat-nic"),
            says: &["subsection `cat-nic/offload` is needed, but release `1.0` does not know it"],
            ..NOWHERE
        },
    );
}

// ---- The QEMU models' own failures -----------------------------------------------------

/// The `vmstate::Error` a hook failed with.
fn hook_source(error: &Error) -> &Error {
    std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<Error>())
        .unwrap_or_else(|| panic!("no vmstate::Error under `{error}`"))
}

#[test]
fn unmodelled_element() {
    let port = VirtioSerialPort {
        elem_popped: 1,
        ..VirtioSerialPort::default()
    };
    let error = from_slice::<VirtioSerialPort>(&to_vec(&port).unwrap(), 1).unwrap_err();
    let source = hook_source(&error);
    assert!(
        matches!(
            source.kind(),
            Some(ModelErrorKind::UnmodelledElement {
                holder: "the port holds a popped guest buffer"
            })
        ),
        "{source}"
    );
    assert_names(
        &error,
        &Expected {
            section: Some("virtio-serial-port"),
            path: Some("elem_popped"),
            offset: Some(6),
            says: &[
                "the port holds a popped guest buffer: its saved VirtQueueElement is not modelled",
            ],
            ..NOWHERE
        },
    );
}

/// A model's list whose length another field fixes: the length asked for is
/// derived from that field, and both are named.
#[test]
fn length_mismatch_in_a_model() {
    let mut device = VirtioSerialDevice::default();
    device.ports_map.ports_map = vec![0, 0];
    let error = to_vec(&device).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Some(ErrorKind::LengthMismatch {
                what: "ports_map",
                found: 2,
                count_field: "max_nr_ports",
                count: 31,
                expected: 1,
            })
        ),
        "{error}"
    );
    assert_names(
        &error,
        &Expected {
            section: Some("virtio-serial-device"),
            path: Some("ports_map"),
            says: &["ports_map has 2 elements, but `max_nr_ports` 31 asks for 1"],
            ..NOWHERE
        },
    );
}

/// A model's marker outside its values: the range and what its values mean.
#[test]
fn out_of_range_in_a_model() {
    let device = VirtioBlkDevice {
        rq_end: 2,
        ..VirtioBlkDevice::default()
    };
    let bytes = to_vec(&device).unwrap();
    let error = from_slice::<VirtioBlkDevice>(&bytes, 2).unwrap_err();
    let source = hook_source(&error);
    assert!(
        matches!(
            source.kind(),
            Some(ErrorKind::OutOfRange {
                what: "request list marker",
                value: 2,
                minimum: 0,
                maximum: 1,
                note: Some("0 ends the list, 1 starts a request"),
            })
        ),
        "{source}"
    );
    assert_names(
        &error,
        &Expected {
            section: Some("virtio-blk-device"),
            path: Some("rq_end"),
            offset: Some(u64::try_from(bytes.len() - 1).unwrap()),
            says: &[
                "request list marker 2 is out of range: accepted values are 0 to 1 \
                 (0 ends the list, 1 starts a request)",
            ],
            ..NOWHERE
        },
    );
}

#[test]
fn name_too_long() {
    let capabilities = ConfigurationCapabilities {
        caps_count: 1,
        capabilities: vec![Capability("x".repeat(256))],
    };
    let error = to_vec(&capabilities).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Some(ModelErrorKind::NameTooLong {
                what: "capability name",
                max: 255,
                ..
            })
        ),
        "{error}"
    );
    assert_names(
        &error,
        &Expected {
            section: Some("configuration/capabilities"),
            path: Some("capabilities[0]"),
            says: &["capability name `xxx", "` is longer than 255 bytes"],
            ..NOWHERE
        },
    );
}

#[test]
fn invalid_utf8_in_a_name() {
    // One capability: count 1, then a name of 2 bytes that are not UTF-8.
    let bytes = [0, 0, 0, 1, 2, 0xff, 0xfe];
    let error = from_slice::<ConfigurationCapabilities>(&bytes, 1).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Some(ErrorKind::InvalidUtf8 {
                what: "capability name",
                ..
            })
        ),
        "{error}"
    );
    assert!(std::error::Error::source(&error).is_some());
    assert_names(
        &error,
        &Expected {
            section: Some("configuration/capabilities"),
            path: Some("capabilities[0]"),
            offset: Some(5),
            says: &["capability name is not UTF-8: the bytes are invalid from byte 0 on"],
            ..NOWHERE
        },
    );
}

#[test]
fn no_layout_fits() {
    let model = vmstate::qemu::model("piix4_pm").unwrap();
    // A real payload, changed so that every layout loads and none ends where
    // a record (footer, header, command, EOF) could start.
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/qemu-7.2/pc-paused.mig"
    );
    let mut reader = StreamReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut piix4_pm = None;
    let mut in_piix4_pm = false;
    while let Some(record) = reader.next_record().unwrap() {
        match record {
            Record::Section(header) => {
                in_piix4_pm = header
                    .info
                    .is_some_and(|info| info.idstr.ends_with("/piix4_pm"));
            }
            Record::State { payload, .. } if in_piix4_pm => piix4_pm = Some(payload),
            _ => {}
        }
    }
    let mut bytes = piix4_pm.expect("the pc fixture has a piix4_pm section");
    // Where each layout's fields end in this payload (the layouts differ in
    // the SMBus and ACPI index state they read): a zero byte there could be
    // an EOF record, so each end gets a byte no record starts with, and so
    // does what follows the payload.
    let ends: Vec<usize> = Piix4Pm::LAYOUTS
        .iter()
        .map(|&layout| {
            let mut value = Piix4Pm::with_layout(layout);
            let mut reader = Reader::new(&bytes);
            value.load_state(&mut reader, 3).unwrap();
            bytes.len() - reader.remaining()
        })
        .collect();
    for &end in &ends {
        if let Some(byte) = bytes.get_mut(end) {
            *byte = 0x99;
        }
    }
    bytes.extend([0x99; 16]);
    let error = (model.decode)(&bytes, 3).err().expect("no layout fits");
    assert!(
        matches!(
            error.kind(),
            Some(ModelErrorKind::NoLayoutFits { idstr: "piix4_pm" })
        ),
        "{error}"
    );
    assert_names(
        &error,
        &Expected {
            says: &["no piix4_pm layout ends where a record starts"],
            ..NOWHERE
        },
    );
}

#[test]
fn lossy() {
    use vmstate::qemu::arm::cpu::{ArmCpu, read_whole};
    // A byte past what the model reads: saving the model again would lose it.
    let mut payload = to_vec(&ArmCpu::default()).unwrap();
    payload.push(0);
    let error = read_whole(&payload, ArmCpu::VERSION).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Some(ModelErrorKind::Lossy { model: "Arm cpu" })
        ),
        "{error}"
    );
    assert_names(
        &error,
        &Expected {
            says: &["the Arm cpu model does not save this payload back byte for byte"],
            ..NOWHERE
        },
    );
}

#[test]
fn cannot_lower() {
    let rtc = Rtc {
        base_rtc: 1_577_836_800,
        ..Rtc::default()
    };
    let lower = vmstate::qemu::model("mc146818rtc")
        .and_then(|model| model.lower)
        .unwrap();
    let error = lower(&to_vec(&rtc).unwrap(), 3, 2).expect_err("state is lost");
    match error.kind() {
        Some(ModelErrorKind::CannotLower {
            name,
            version,
            fields,
        }) => {
            assert_eq!((*name, *version), ("mc146818rtc", 2));
            assert!(fields.contains(&"base_rtc"), "{fields:?}");
        }
        _ => panic!("not CannotLower: {error}"),
    }
    assert_names(
        &error,
        &Expected {
            says: &["`mc146818rtc` version 2 cannot hold this state", "base_rtc"],
            ..NOWHERE
        },
    );
}

// ---- Completeness ----------------------------------------------------------------------

/// The variants an enum declares in the runtime's or the facade's source.
/// The kinds are `non_exhaustive`, so a `match` here would need a wildcard
/// arm and could not notice a new variant: the source is read instead.
fn declared_variants<'a>(source: &'a str, enum_name: &str) -> Vec<&'a str> {
    let body = source
        .split(&format!("pub enum {enum_name} {{"))
        .nth(1)
        .and_then(|rest| rest.split("\n}\n").next())
        .unwrap_or_else(|| panic!("no `pub enum {enum_name}`"));
    body.lines()
        .filter_map(|line| {
            let name = line.strip_prefix("    ")?;
            let name = name.split([' ', '{', ',', '(']).next()?;
            name.chars()
                .next()
                .is_some_and(char::is_uppercase)
                .then_some(name)
        })
        .collect()
}

/// The catalogue covers every variant of every layer's kind: the codec
/// core's, the stream's, the release's and the device models'.
#[test]
fn every_variant_is_catalogued() {
    let kinds: [(&str, &str, &[&str]); 4] = [
        (
            include_str!("../vmstate-runtime/src/error.rs"),
            "ErrorKind",
            &[
                "UnexpectedEof",
                "VersionTooNew",
                "VersionTooOld",
                "UnknownSubsection",
                "DuplicateSubsection",
                "SubsectionNotAllowed",
                "NotEqual",
                "InvalidEnumValue",
                "InvalidLength",
                "LengthMismatch",
                "CountOverflow",
                "TrailingBytes",
                "Hook",
                "BadMarker",
                "OutOfRange",
                "InvalidUtf8",
                "Unrepresentable",
                "WireSizeMismatch",
                "Custom",
            ],
        ),
        (
            include_str!("../vmstate-runtime/src/stream/error.rs"),
            "StreamErrorKind",
            &[
                "BadMagic",
                "UnsupportedStreamVersion",
                "UnknownRecord",
                "UnknownSectionId",
                "BadFooter",
                "UndelimitedSection",
                "IterativeSection",
                "MisdelimitedSection",
                "UnsupportedRamFlags",
                "InvalidEncodedPage",
                "UnknownRamBlock",
                "InvalidMappedRam",
                "RegionMoved",
                "InvalidVmdesc",
                "SubsectionMismatch",
                "LimitExceeded",
                "Io",
            ],
        ),
        (
            include_str!("../vmstate-runtime/src/release.rs"),
            "ReleaseErrorKind",
            &["NotInRelease", "SubsectionNotInRelease"],
        ),
        (
            include_str!("../src/models/error.rs"),
            "ModelErrorKind",
            &[
                "UnmodelledElement",
                "NameTooLong",
                "Lossy",
                "NoLayoutFits",
                "CannotLower",
            ],
        ),
    ];
    for (source, enum_name, covered) in kinds {
        assert_eq!(
            declared_variants(source, enum_name),
            covered,
            "{enum_name} variants and the catalogue differ"
        );
    }
}

// ---- QEMU's list, tree, pointer and range forms ---------------------------------------

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "cat-slot", version = 1)]
struct Slot {
    value: u8,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "cat-views", version = 1)]
struct Views {
    size: u16,
    #[vmstate(with = vmstate::with::ptr_array_auto_alloc)]
    slots: [Option<Box<Slot>>; 2],
    #[vmstate(with = vmstate::with::int32_positive_le)]
    index: i32,
    tree: std::collections::BTreeMap<u8, Slot>,
    #[vmstate(with = vmstate::with::string)]
    name: String,
    #[vmstate(with = vmstate::with::timer)]
    timer: Option<i64>,
}

/// size 1, slots [0x30, 0x30], index 0, an empty tree, name "", no timer.
fn views_payload() -> Vec<u8> {
    let mut bytes = vec![0, 1, 0x30, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    bytes.extend([0xff; 8]);
    bytes
}

#[test]
fn the_views_payload_loads() {
    let views: Views = from_slice(&views_payload(), 1).unwrap();
    assert_eq!(views.size, 1);
    assert_eq!(to_vec(&views).unwrap(), views_payload());
}

#[test]
fn bad_marker() {
    let mut bytes = views_payload();
    bytes[3] = 0x7f;
    assert_names(
        &from_slice::<Views>(&bytes, 1).unwrap_err(),
        &Expected {
            section: Some("cat-views"),
            path: Some("slots[1]"),
            offset: Some(3),
            says: &["pointer marker is 0x7f, expected 0x30 (NULL) or 0x31 (present)"],
            ..NOWHERE
        },
    );
}

#[test]
fn out_of_range() {
    let mut bytes = views_payload();
    bytes[7] = 1;
    assert_names(
        &from_slice::<Views>(&bytes, 1).unwrap_err(),
        &Expected {
            section: Some("cat-views"),
            path: Some("index"),
            offset: Some(4),
            says: &[
                "value 1 is out of range: accepted values are 0 to 0 (at most the local value)",
            ],
            ..NOWHERE
        },
    );
}

/// A QEMU tree whose node count differs from the nodes that follow it.
#[test]
fn length_mismatch_in_a_tree() {
    let mut bytes = views_payload();
    bytes[11] = 2;
    assert_names(
        &from_slice::<Views>(&bytes, 1).unwrap_err(),
        &Expected {
            section: Some("cat-views"),
            path: Some("tree"),
            offset: Some(12),
            says: &["tree has 0 elements, but its count `nnodes` says 2"],
            ..NOWHERE
        },
    );
}

#[test]
fn invalid_utf8() {
    let mut bytes = views_payload();
    bytes[16] = 1;
    bytes.insert(17, 0xc3);
    assert_names(
        &from_slice::<Views>(&bytes, 1).unwrap_err(),
        &Expected {
            section: Some("cat-views"),
            path: Some("name"),
            offset: Some(17),
            says: &["string is not UTF-8: the bytes are invalid from byte 0 on"],
            ..NOWHERE
        },
    );
}

#[test]
fn unrepresentable() {
    let views = Views {
        timer: Some(-1),
        ..Views::default()
    };
    assert_names(
        &to_vec(&views).unwrap_err(),
        &Expected {
            section: Some("cat-views"),
            path: Some("timer"),
            says: &["`timer` cannot represent this value: an armed timer expiring at -1"],
            ..NOWHERE
        },
    );
}
