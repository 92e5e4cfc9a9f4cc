//! QEMU's vocabulary as ready-made wire views (`vmstate::with::...`): each
//! view's bytes derived from the QEMU function it mirrors (cited at each
//! test), round trips, and hostile input.

use std::collections::{BTreeMap, VecDeque};

use proptest::prelude::*;
use vmstate::with::{Bitmap, PartialBuffer};
use vmstate::{Error, ErrorKind, Reader, VmState, Writer};

#[derive(VmState, Debug, Default, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[vmstate(name = "entry", version = 2, minimum_version = 1)]
struct Entry {
    id: u32,
    flag: u8,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "lists", version = 1)]
struct Lists {
    #[vmstate(with = vmstate::with::qtailq)]
    tailq: Vec<Entry>,
    #[vmstate(with = vmstate::with::qtailq)]
    ring: VecDeque<Entry>,
    #[vmstate(with = vmstate::with::qlist)]
    list: Vec<Entry>,
}

fn entry(id: u32, flag: u8) -> Entry {
    Entry { id, flag }
}

#[test]
fn qtailq_and_qlist_mark_each_element_and_the_end() {
    let value = Lists {
        tailq: vec![entry(7, 1), entry(8, 0)],
        ring: VecDeque::from([entry(0x0102_0304, 5)]),
        list: Vec::new(),
    };
    let bytes = vmstate::to_vec(&value).unwrap();
    // put_qtailq: per element `qemu_put_byte(f, true)` and
    // vmstate_save_state(elm), then `qemu_put_byte(f, false)`; put_qlist the
    // same, head first. An empty list is the one 0x00.
    let expected = [
        1, 0, 0, 0, 7, 1, 1, 0, 0, 0, 8, 0, 0, // tailq
        1, 1, 2, 3, 4, 5, 0, // ring
        0, // list
    ];
    assert_eq!(bytes, expected);
    assert_eq!(vmstate::from_slice::<Lists>(&bytes, 1).unwrap(), value);
}

#[test]
fn list_loads_take_any_nonzero_marker_and_replace_the_list() {
    // get_qtailq: `while (qemu_get_byte(f))`, so 0x02 also announces one.
    let bytes = [2, 0, 0, 0, 9, 9, 0, 0, 1, 0, 0, 0, 1, 1, 0];
    let mut device = Lists {
        tailq: vec![entry(1, 1); 3],
        ..Lists::default()
    };
    vmstate::load_into(&mut device, &bytes, 1).unwrap();
    assert_eq!(device.tailq, [entry(9, 9)]);
    assert!(device.ring.is_empty());
    assert_eq!(device.list, [entry(1, 1)]);
}

#[test]
fn a_truncated_list_names_the_element_and_offset() {
    let bytes = [1, 0, 0, 0, 7, 1, 1, 0, 0];
    let error = vmstate::from_slice::<Lists>(&bytes, 1).unwrap_err();
    assert_eq!(error.path_string(), "tailq[1].id");
    assert_eq!(error.offset(), Some(7));
    // No terminator: the input ends where the next marker should be.
    let error = vmstate::from_slice::<Lists>(&[1, 0, 0, 0, 7, 1], 1).unwrap_err();
    assert_eq!(error.path_string(), "tailq");
    assert_eq!(error.offset(), Some(6));
    for cut in 0..20 {
        let bytes = vmstate::to_vec(&Lists {
            tailq: vec![entry(1, 2); 2],
            ring: VecDeque::from([entry(3, 4)]),
            list: vec![entry(5, 6)],
        })
        .unwrap();
        assert!(vmstate::from_slice::<Lists>(&bytes[..cut], 1).is_err());
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq, Eq, PartialOrd, Ord)]
#[vmstate(name = "interval", version = 1)]
struct Interval {
    low: u64,
    high: u64,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "mappings", version = 1)]
struct Mappings {
    #[vmstate(with = vmstate::with::gtree)]
    map: BTreeMap<Interval, Entry>,
}

#[test]
fn gtree_with_a_key_vmsd() {
    let value = Mappings {
        map: BTreeMap::from([
            (
                Interval {
                    low: 0x2000,
                    high: 0x2fff,
                },
                entry(2, 0),
            ),
            (
                Interval {
                    low: 0x1000,
                    high: 0x1fff,
                },
                entry(1, 1),
            ),
        ]),
    };
    let bytes = vmstate::to_vec(&value).unwrap();
    // put_gtree: be32 nnodes; per node in key order (g_tree_foreach) 0x01,
    // vmstate_save_state(key_vmsd), vmstate_save_state(val_vmsd); then 0x00.
    let mut expected = vec![0, 0, 0, 2];
    for (low, high, id, flag) in [(0x1000u64, 0x1fffu64, 1u32, 1u8), (0x2000, 0x2fff, 2, 0)] {
        expected.push(1);
        expected.extend(low.to_be_bytes());
        expected.extend(high.to_be_bytes());
        expected.extend(id.to_be_bytes());
        expected.push(flag);
    }
    expected.push(0);
    assert_eq!(bytes, expected);
    assert_eq!(vmstate::from_slice::<Mappings>(&bytes, 1).unwrap(), value);

    // get_gtree: fewer nodes than declared is "inconsistent stream".
    let mut short = expected.clone();
    short[3] = 3;
    let error = vmstate::from_slice::<Mappings>(&short, 1).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::LengthMismatch {
            count: 3,
            found: 2,
            ..
        })
    ));
    assert_eq!(error.path_string(), "map");
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "bits", version = 1)]
struct Bits {
    #[vmstate(with = vmstate::with::Bitmap::<100>)]
    fixed: [u64; 2],
    #[vmstate(with = Bitmap::<65>)]
    growing: Vec<u64>,
    #[vmstate(with = Bitmap::<64>)]
    wide: [u64; 2],
    #[vmstate(with = vmstate::with::bitmap)]
    whole: Vec<u64>,
}

#[test]
fn bitmap_is_its_words_as_be64() {
    let value = Bits {
        fixed: [0x8000_0000_0000_0001, 0xf],
        growing: vec![1, 2],
        wide: [0x0102_0304_0506_0708, 0xdead],
        whole: vec![0xa, 0xb],
    };
    let bytes = vmstate::to_vec(&value).unwrap();
    // put_bitmap: BITS_TO_U64S(size) = DIV_ROUND_UP(size, 64) words, each
    // qemu_put_be64. 100 bits: 2 words; 65: 2; 64: 1 (the second word of
    // `wide` is not sent); `bitmap` sends every word `whole` holds.
    let mut expected = Vec::new();
    for word in [
        0x8000_0000_0000_0001u64,
        0xf,
        1,
        2,
        0x0102_0304_0506_0708,
        0xa,
        0xb,
    ] {
        expected.extend(word.to_be_bytes());
    }
    assert_eq!(bytes, expected);
    assert_eq!(Bitmap::<100>::WORDS, 2);

    // The destination sizes `whole`, as QEMU's destination sizes its bitmap.
    let mut device = Bits {
        wide: [0, 0x55],
        whole: vec![0; 2],
        ..Bits::default()
    };
    vmstate::load_into(&mut device, &bytes, 1).unwrap();
    assert_eq!(device.fixed, value.fixed);
    assert_eq!(device.growing, [1, 2]);
    assert_eq!(device.wide, [0x0102_0304_0506_0708, 0x55]);
    assert_eq!(device.whole, [0xa, 0xb]);
    // A destination whose bitmap is larger reads past the payload.
    device.whole = vec![0; 3];
    let error = vmstate::load_into(&mut device, &bytes, 1).unwrap_err();
    assert_eq!(error.path_string(), "whole[2]");
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "small-bits", version = 1)]
struct SmallBits {
    #[vmstate(with = Bitmap::<65>)]
    words: [u64; 1],
}

#[test]
fn bitmap_storage_shorter_than_the_wire_is_an_error() {
    let error = vmstate::to_vec(&SmallBits::default()).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::Unrepresentable { view: "Bitmap", .. })
    ));
    assert_eq!(error.path_string(), "words");
    let error = vmstate::from_slice::<SmallBits>(&[0; 16], 1).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::Unrepresentable { .. })
    ));
    assert_eq!(error.offset(), Some(0));
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "partial", version = 1)]
struct Partial {
    #[vmstate(with = PartialBuffer::<3>)]
    head: [u8; 5],
    #[vmstate(with = vmstate::with::PartialBuffer::<2>)]
    config: Vec<u8>,
}

#[test]
fn partial_buffer_sends_the_first_bytes_only() {
    let value = Partial {
        head: [1, 2, 3, 4, 5],
        config: vec![6, 7, 8],
    };
    let bytes = vmstate::to_vec(&value).unwrap();
    // VMSTATE_PARTIAL_BUFFER(f, s, N) = VMSTATE_STATIC_BUFFER(.., 0, N): a
    // vmstate_info_buffer of N bytes, put_buffer writes them as they are.
    assert_eq!(bytes, [1, 2, 3, 6, 7]);
    let mut device = Partial {
        head: [0, 0, 0, 0xaa, 0xbb],
        config: Vec::new(),
    };
    vmstate::load_into(&mut device, &[9, 9, 9, 8, 8], 1).unwrap();
    assert_eq!(device.head, [9, 9, 9, 0xaa, 0xbb]);
    assert_eq!(device.config, [8, 8]);

    let short = Partial {
        config: vec![1],
        ..Partial::default()
    };
    let error = vmstate::to_vec(&short).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::Unrepresentable {
            view: "PartialBuffer",
            ..
        })
    ));
    assert_eq!(error.path_string(), "config");
    let error = vmstate::from_slice::<Partial>(&[1, 2, 3, 4], 1).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::UnexpectedEof { .. })
    ));
    assert_eq!(
        (error.path_string().as_str(), error.offset()),
        ("config", Some(3))
    );
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "queue", version = 1)]
struct Queue {
    #[vmstate(with = vmstate::with::int32_positive_le)]
    size: i32,
}

#[test]
fn int32_positive_le_takes_values_between_zero_and_the_local_one() {
    // put_int32: be32.
    assert_eq!(vmstate::to_vec(&Queue { size: 256 }).unwrap(), [0, 0, 1, 0]);
    // get_int32_le: `loaded >= 0 && loaded <= *cur`.
    let mut device = Queue { size: 256 };
    vmstate::load_into(&mut device, &[0, 0, 0, 128], 1).unwrap();
    assert_eq!(device.size, 128);
    vmstate::load_into(&mut device, &[0, 0, 0, 128], 1).unwrap();
    assert_eq!(device.size, 128);
    for refused in [129i32, -1, i32::MIN] {
        let error = vmstate::load_into(&mut device, &refused.to_be_bytes(), 1).unwrap_err();
        assert!(
            matches!(
                error.kind(),
                Some(ErrorKind::OutOfRange { minimum: 0, maximum: 128, value, .. }) if *value == i128::from(refused)
            ),
            "{error}"
        );
        assert_eq!(
            (error.path_string().as_str(), error.offset()),
            ("size", Some(0))
        );
        assert_eq!(
            device.size, 128,
            "a refused value leaves the device as it was"
        );
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "timers", version = 1)]
struct Timers {
    #[vmstate(with = vmstate::with::timer)]
    signed: Option<i64>,
    #[vmstate(with = vmstate::with::timer)]
    unsigned: Option<u64>,
}

#[test]
fn timer_is_its_expiry_or_minus_one() {
    let value = Timers {
        signed: Some(0x0102_0304_0506_0708),
        unsigned: None,
    };
    let bytes = vmstate::to_vec(&value).unwrap();
    // timer_put: qemu_put_be64(timer_expire_time_ns(ts)), which is -1 when
    // the timer is not pending.
    let mut expected = vec![1, 2, 3, 4, 5, 6, 7, 8];
    expected.extend([0xff; 8]);
    assert_eq!(bytes, expected);
    assert_eq!(vmstate::from_slice::<Timers>(&bytes, 1).unwrap(), value);
    // timer_get: -1 deletes the timer.
    let mut device = Timers {
        signed: Some(5),
        unsigned: Some(6),
    };
    vmstate::load_into(&mut device, &[0xff; 16], 1).unwrap();
    assert_eq!(device, Timers::default());

    let error = vmstate::to_vec(&Timers {
        signed: Some(-1),
        unsigned: None,
    })
    .unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::Unrepresentable { view: "timer", .. })
    ));
    assert_eq!(error.path_string(), "signed");
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "slot", version = 1)]
struct Slot {
    value: u16,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "slots", version = 1)]
struct Slots {
    #[vmstate(with = vmstate::with::ptr_array_auto_alloc)]
    slots: [Option<Box<Slot>>; 3],
    #[vmstate(with = vmstate::with::ptr_array_auto_alloc)]
    more: Vec<Option<Box<Slot>>>,
}

#[test]
fn ptr_array_auto_alloc_marks_every_element() {
    let value = Slots {
        slots: [
            Some(Box::new(Slot { value: 0x0102 })),
            None,
            Some(Box::new(Slot { value: 3 })),
        ],
        more: vec![None],
    };
    let bytes = vmstate::to_vec(&value).unwrap();
    // vmstate_save_vmsd_v with VMS_ARRAY_OF_POINTER_AUTO_ALLOC: a ptr-marker
    // field per element (save_ptr_marker: VMS_MARKER_PTR_VALID 0x31 or
    // VMS_MARKER_PTR_NULL 0x30), then the struct when present.
    assert_eq!(bytes, [0x31, 1, 2, 0x30, 0x31, 0, 3, 0x30]);
    // The destination need not have the elements: they are allocated.
    let mut device = Slots {
        more: vec![Some(Box::default())],
        ..Slots::default()
    };
    vmstate::load_into(&mut device, &bytes, 1).unwrap();
    assert_eq!(device, value);

    // vmstate_ptr_marker_load: "Unexpected ptr marker".
    let mut bad = bytes.clone();
    bad[3] = 0x32;
    let error = vmstate::from_slice::<Slots>(&bad, 1).unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::BadMarker { found: 0x32, .. })),
        "{error}"
    );
    assert_eq!(
        (error.path_string().as_str(), error.offset()),
        ("slots[1]", Some(3))
    );
    assert!(error.to_string().contains("0x32"), "{error}");
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "std-views", version = 1)]
struct StdViews {
    #[vmstate(with = vmstate::with::option)]
    irq: Option<u32>,
    #[vmstate(with = vmstate::with::option)]
    entry: Option<Entry>,
    #[vmstate(with = vmstate::with::string)]
    serial: String,
}

#[test]
fn option_and_string_forms() {
    let value = StdViews {
        irq: Some(7),
        entry: None,
        serial: "hé".to_owned(),
    };
    let bytes = vmstate::to_vec(&value).unwrap();
    // option: presence byte (a QEMU bool), then the value when present.
    // string: be32 byte count (a uint32 length field), then the UTF-8 bytes
    // (VMSTATE_VBUFFER_ALLOC_UINT32's put_buffer).
    assert_eq!(bytes, [1, 0, 0, 0, 7, 0, 0, 0, 0, 3, b'h', 0xc3, 0xa9]);
    assert_eq!(vmstate::from_slice::<StdViews>(&bytes, 1).unwrap(), value);

    let error = vmstate::from_slice::<StdViews>(&[2], 1).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::BadMarker { found: 2, .. })
    ));
    assert_eq!(
        (error.path_string().as_str(), error.offset()),
        ("irq", Some(0))
    );

    // A count past the end is refused before allocating.
    let error =
        vmstate::from_slice::<StdViews>(&[0, 0, 0xff, 0xff, 0xff, 0xff, b'a'], 1).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::InvalidLength {
            count: 0xffff_ffff,
            max: 1
        })
    ));
    assert_eq!(
        (error.path_string().as_str(), error.offset()),
        ("serial", Some(2))
    );

    let error = vmstate::from_slice::<StdViews>(&[0, 0, 0, 0, 0, 2, b'a', 0xff], 1).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::InvalidUtf8 { what: "string", source }) if source.valid_up_to() == 1
    ));
    assert_eq!(error.offset(), Some(6));
}

/// A user's own view, written with the `Reader` and `Writer` helpers.
mod celsius {
    use vmstate::{Error, Reader, Writer};

    #[allow(
        clippy::trivially_copy_pass_by_ref,
        clippy::unnecessary_wraps,
        reason = "a view's `save` receives `&field` and returns a `Result`"
    )]
    pub fn save(value: &i16, out: &mut Vec<u8>) -> Result<(), Error> {
        out.write_be_i16(*value);
        out.write_bool(*value < 0);
        Ok(())
    }

    pub fn load(value: &mut i16, reader: &mut Reader<'_>) -> Result<(), Error> {
        let raw = reader.read_be_i16()?;
        let negative = reader.read_bool()?;
        if negative != (raw < 0) {
            return Err(reader.custom_error("the sign flag disagrees with the value"));
        }
        *value = raw;
        Ok(())
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "sensor", version = 1)]
struct Sensor {
    id: u16,
    #[vmstate(with = celsius)]
    temperature: i16,
}

#[test]
fn a_custom_view_error_names_its_field_and_offset() {
    let bytes = vmstate::to_vec(&Sensor {
        id: 1,
        temperature: -3,
    })
    .unwrap();
    assert_eq!(bytes, [0, 1, 0xff, 0xfd, 1]);
    let error = vmstate::from_slice::<Sensor>(&[0, 1, 0xff, 0xfd, 0], 1).unwrap_err();
    assert_eq!(error.path_string(), "temperature");
    assert_eq!(error.offset(), Some(5));
    assert_eq!(
        error.to_string(),
        "section `sensor`, field `temperature`, byte offset 5: the sign flag disagrees with the value"
    );
}

/// A view that reports with a plain `Error::custom`, without an offset.
mod even {
    use vmstate::{Error, Reader};

    #[allow(
        clippy::trivially_copy_pass_by_ref,
        clippy::unnecessary_wraps,
        reason = "a view's `save` receives `&field` and returns a `Result`"
    )]
    pub fn save(value: &u8, out: &mut Vec<u8>) -> Result<(), Error> {
        out.push(*value);
        Ok(())
    }

    pub fn load(value: &mut u8, reader: &mut Reader<'_>) -> Result<(), Error> {
        let raw = reader.read_u8()?;
        if raw % 2 != 0 {
            return Err(Error::custom(format!("{raw} is odd")));
        }
        *value = raw;
        Ok(())
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "pair", version = 1)]
struct Pair {
    id: u32,
    #[vmstate(with = even)]
    level: u8,
}

#[test]
fn a_plain_custom_error_gets_the_offset_of_its_field() {
    let error = vmstate::from_slice::<Pair>(&[0, 0, 0, 1, 3], 1).unwrap_err();
    assert_eq!(error.offset(), Some(4));
    assert_eq!(
        error.to_string(),
        "section `pair`, field `level`, byte offset 4: 3 is odd"
    );
}

#[test]
fn reader_and_writer_helpers_mirror_each_other() {
    let mut out = Vec::new();
    out.write_u8(1);
    out.write_be16(0x0203);
    out.write_be32(0x0405_0607);
    out.write_be64(0x0809_0a0b_0c0d_0e0f);
    out.write_i8(-1);
    out.write_be_i16(-2);
    out.write_be_i32(-3);
    out.write_be_i64(-4);
    out.write_bool(true);
    out.write_bytes(b"ok");
    assert_eq!(out.len(), 1 + 2 + 4 + 8 + 1 + 2 + 4 + 8 + 1 + 2);
    let mut reader = Reader::new(&out);
    assert_eq!(reader.read_u8().unwrap(), 1);
    assert_eq!(reader.read_be16().unwrap(), 0x0203);
    assert_eq!(reader.read_be32().unwrap(), 0x0405_0607);
    assert_eq!(reader.read_be64().unwrap(), 0x0809_0a0b_0c0d_0e0f);
    assert_eq!(reader.read_i8().unwrap(), -1);
    assert_eq!(reader.read_be_i16().unwrap(), -2);
    assert_eq!(reader.read_be_i32().unwrap(), -3);
    assert_eq!(reader.read_be_i64().unwrap(), -4);
    assert!(reader.read_bool().unwrap());
    assert_eq!(reader.read_bytes(2).unwrap(), b"ok");
    let error: Error = reader.read_be16().unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::UnexpectedEof {
            needed: 2,
            available: 0
        })
    ));
    assert_eq!(error.offset(), Some(out.len() as u64));
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "everything", version = 1)]
struct Everything {
    #[vmstate(with = vmstate::with::qtailq)]
    list: VecDeque<Entry>,
    tree: BTreeMap<u16, Entry>,
    #[vmstate(with = vmstate::with::gtree)]
    keyed: BTreeMap<Entry, Slot>,
    #[vmstate(with = vmstate::with::option)]
    maybe: Option<u64>,
    #[vmstate(with = vmstate::with::string)]
    name: String,
    #[vmstate(with = vmstate::with::timer)]
    timer: Option<u64>,
}

fn arb_entry() -> impl Strategy<Value = Entry> {
    (any::<u32>(), any::<u8>()).prop_map(|(id, flag)| Entry { id, flag })
}

fn arb_everything() -> impl Strategy<Value = Everything> {
    (
        proptest::collection::vec_deque(arb_entry(), 0..4),
        proptest::collection::btree_map(any::<u16>(), arb_entry(), 0..4),
        proptest::collection::btree_map(arb_entry(), any::<u16>(), 0..4),
        any::<Option<u64>>(),
        ".{0,8}",
        any::<Option<u64>>().prop_filter("-1 is not armed", |t| *t != Some(u64::MAX)),
    )
        .prop_map(|(list, tree, keyed, maybe, name, timer)| Everything {
            list,
            tree,
            keyed: keyed
                .into_iter()
                .map(|(k, value)| (k, Slot { value }))
                .collect(),
            maybe,
            name,
            timer,
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn views_round_trip(value in arb_everything()) {
        let bytes = vmstate::to_vec(&value).unwrap();
        prop_assert_eq!(vmstate::from_slice::<Everything>(&bytes, 1).unwrap(), value);
    }

    #[test]
    fn views_never_panic_on_hostile_input(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = vmstate::from_slice::<Everything>(&bytes, 1);
        let _ = vmstate::from_slice::<Lists>(&bytes, 1);
        let _ = vmstate::from_slice::<Slots>(&bytes, 1);
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "described", version = 1)]
struct Described {
    #[vmstate(with = vmstate::with::timer, info = "timer")]
    timer: Option<i64>,
    #[vmstate(with = vmstate::with::qtailq, info = "qtailq")]
    list: Vec<Entry>,
}

#[test]
fn views_describe_as_a_buffer_of_their_size_or_their_info() {
    let value = Described {
        timer: None,
        list: vec![entry(1, 2)],
    };
    let desc = value.describe_state();
    let fields: Vec<(&str, &str, usize)> = desc
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.type_name.as_str(), f.size))
        .collect();
    // QEMU's vmdesc gives `timer` (size 8) and `qtailq` (the bytes written).
    assert_eq!(fields, [("timer", "timer", 8), ("list", "qtailq", 7)]);
}
