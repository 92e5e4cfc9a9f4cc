//! Standard-library types as fields with no wire view: `f32`, `Wrapping<T>`,
//! the atomics, `VecDeque<T>` with `len`, `BTreeMap<K, V>` with an integer key
//! (QEMU's direct-key GTREE) and `Option<Box<T>>` (an element of QEMU's array
//! of pointers to structs or to scalars). Expected bytes are derived from QEMU's C code in
//! the comments.

use std::collections::{BTreeMap, VecDeque};
use std::num::Wrapping;
use std::sync::atomic::{
    AtomicBool, AtomicI8, AtomicI16, AtomicI32, AtomicI64, AtomicU8, AtomicU16, AtomicU32,
    AtomicU64, Ordering,
};

use vmstate::{ErrorKind, VmState, VmStateField};

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "scalars", version = 1)]
struct Scalars {
    gain: f32,
    avail_idx: Wrapping<u16>,
    used_idx: Wrapping<u16>,
}

#[test]
fn f32_and_wrapping_are_their_bits_and_numbers() {
    let value = Scalars {
        gain: 1.5,
        avail_idx: Wrapping(0xfffe),
        used_idx: Wrapping(3u16) - Wrapping(4),
    };
    let bytes = vmstate::to_vec(&value).unwrap();
    // 1.5f32 = sign 0, exponent 127 (0x7f << 23), mantissa 0.5 (1 << 22):
    // 0x3fc0_0000. Wrapping(3) - Wrapping(4) wraps to 0xffff.
    assert_eq!(bytes, [0x3f, 0xc0, 0, 0, 0xff, 0xfe, 0xff, 0xff]);
    assert_eq!(vmstate::from_slice::<Scalars>(&bytes, 1).unwrap(), value);
    // Fixed size: the schema and `to_vec` agree.
    assert_eq!(Scalars::SCHEMA.fixed_size(), Some(8));
    const { assert!(<Scalars as VmStateField>::LOAD_INFALLIBLE) };
}

#[test]
fn f32_keeps_every_bit_pattern() {
    for bits in [0u32, 0x8000_0000, 0x7fc0_0001, 0xff80_0000, 0x0000_0001] {
        let value = Scalars {
            gain: f32::from_bits(bits),
            ..Scalars::default()
        };
        let bytes = vmstate::to_vec(&value).unwrap();
        assert_eq!(bytes[..4], bits.to_be_bytes());
        let back: Scalars = vmstate::from_slice(&bytes, 1).unwrap();
        assert_eq!(back.gain.to_bits(), bits);
    }
}

#[derive(VmState, Debug, Default)]
#[vmstate(name = "atomics", version = 1)]
struct Atomics {
    flag: AtomicBool,
    a: AtomicU8,
    b: AtomicU16,
    c: AtomicU32,
    d: AtomicU64,
    e: AtomicI8,
    f: AtomicI16,
    g: AtomicI32,
    h: AtomicI64,
}

#[test]
fn atomics_are_the_values_they_hold() {
    let value = Atomics {
        flag: AtomicBool::new(true),
        a: AtomicU8::new(0x01),
        b: AtomicU16::new(0x0203),
        c: AtomicU32::new(0x0405_0607),
        d: AtomicU64::new(0x0809_0a0b_0c0d_0e0f),
        e: AtomicI8::new(-1),
        f: AtomicI16::new(-2),
        g: AtomicI32::new(-3),
        h: AtomicI64::new(-4),
    };
    let bytes = vmstate::to_vec(&value).unwrap();
    let mut expected = vec![1, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07];
    expected.extend([0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f]);
    expected.push(0xff);
    expected.extend([0xff, 0xfe]);
    expected.extend((-3i32).to_be_bytes());
    expected.extend((-4i64).to_be_bytes());
    assert_eq!(bytes, expected);
    assert_eq!(Atomics::SCHEMA.fixed_size(), Some(expected.len()));

    let back: Atomics = vmstate::from_slice(&bytes, 1).unwrap();
    assert!(back.flag.load(Ordering::Relaxed));
    assert_eq!(back.c.load(Ordering::Relaxed), 0x0405_0607);
    assert_eq!(back.h.load(Ordering::Relaxed), -4);
    // A device shared between threads saves what another thread stored.
    let shared = std::sync::Arc::new(Atomics::default());
    let writer = std::sync::Arc::clone(&shared);
    std::thread::spawn(move || writer.c.store(7, Ordering::Release))
        .join()
        .unwrap();
    assert_eq!(vmstate::to_vec(&*shared).unwrap()[4..8], [0, 0, 0, 7]);
}

#[test]
fn a_truncated_atomic_names_its_field() {
    let error = vmstate::from_slice::<Atomics>(&[1, 2, 3], 1).unwrap_err();
    assert_eq!(error.path_string(), "b");
    assert_eq!(error.offset(), Some(2));
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::UnexpectedEof { .. })
    ));
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "fifo", version = 1)]
struct Fifo {
    count: u8,
    #[vmstate(len = count)]
    bytes: VecDeque<u8>,
    words: u16,
    #[vmstate(len = words)]
    ring: VecDeque<u32>,
}

/// A deque whose elements wrap around the end of its buffer, so that
/// `as_slices` returns two runs.
fn wrapped<T: Clone>(items: &[T], filler: &T) -> VecDeque<T> {
    let mut deque = VecDeque::with_capacity(items.len());
    for _ in 0..=items.len() / 2 {
        deque.push_back(filler.clone());
    }
    for _ in 0..=items.len() / 2 {
        deque.pop_front();
    }
    deque.extend(items.iter().cloned());
    deque
}

#[test]
fn vecdeque_is_a_variable_array_front_to_back() {
    let bytes_ring = wrapped(&[1u8, 2, 3, 4, 5], &0);
    let ring = wrapped(&[0x0a0b_0c0du32, 7, 8], &0);
    assert!(!ring.as_slices().1.is_empty(), "the test ring must wrap");
    let value = Fifo {
        count: 5,
        bytes: bytes_ring,
        words: 3,
        ring,
    };
    let bytes = vmstate::to_vec(&value).unwrap();
    // QEMU VMSTATE_VARRAY_UINT8 / _UINT16: the count field, then the
    // elements back to back with no length of their own.
    let mut expected = vec![5, 1, 2, 3, 4, 5, 0, 3];
    expected.extend([0x0a, 0x0b, 0x0c, 0x0d, 0, 0, 0, 7, 0, 0, 0, 8]);
    assert_eq!(bytes, expected);
    assert_eq!(vmstate::from_slice::<Fifo>(&bytes, 1).unwrap(), value);

    // Described like the array it is: one entry with the whole length.
    let desc = value.describe_state();
    let ring_desc = desc.fields.iter().find(|f| f.name == "ring").unwrap();
    assert_eq!(ring_desc.array_len, Some(3));
    assert_eq!(ring_desc.type_name, "uint32");
}

#[test]
fn vecdeque_count_mismatch_and_huge_counts_are_errors() {
    let value = Fifo {
        count: 2,
        bytes: VecDeque::from([1]),
        ..Fifo::default()
    };
    let error = vmstate::to_vec(&value).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::LengthMismatch { .. })
    ));
    assert_eq!(error.path_string(), "bytes");

    // words = 0xffff, but only 8 bytes follow: refused before allocating.
    let mut bytes = vec![0, 0xff, 0xff];
    bytes.extend([0; 8]);
    let error = vmstate::from_slice::<Fifo>(&bytes, 1).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Some(ErrorKind::InvalidLength {
                count: 0xffff,
                max: 2
            })
        ),
        "{error}"
    );
    assert_eq!(error.path_string(), "ring");
    assert_eq!(error.offset(), Some(3));
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "domain", version = 2)]
struct Domain {
    bypass: bool,
    pages: u32,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "iommu", version = 1)]
struct Iommu {
    domains: BTreeMap<u32, Domain>,
    signed: BTreeMap<i16, u8>,
}

fn iommu() -> Iommu {
    Iommu {
        domains: BTreeMap::from([
            (
                7,
                Domain {
                    bypass: true,
                    pages: 0x100,
                },
            ),
            (
                2,
                Domain {
                    bypass: false,
                    pages: 1,
                },
            ),
        ]),
        signed: BTreeMap::from([(-1, 9)]),
    }
}

/// QEMU `put_gtree` with a direct key: `qemu_put_be32(f, nnodes)`, then per
/// node in key order `qemu_put_byte(f, true)`, `qemu_put_be64(f,
/// (uint64_t)(uintptr_t)key)` and the value's VMSD, then
/// `qemu_put_byte(f, false)`.
fn iommu_bytes() -> Vec<u8> {
    let mut bytes = vec![0, 0, 0, 2];
    bytes.extend([1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1]);
    bytes.extend([1, 0, 0, 0, 0, 0, 0, 0, 7, 1, 0, 0, 1, 0]);
    bytes.push(0);
    // GINT_TO_POINTER(-1) is all ones: the key sign-extends to 64 bits.
    bytes.extend([
        0, 0, 0, 1, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 9, 0,
    ]);
    bytes
}

#[test]
fn btreemap_is_a_direct_key_gtree() {
    let bytes = vmstate::to_vec(&iommu()).unwrap();
    assert_eq!(bytes, iommu_bytes());
    assert_eq!(vmstate::from_slice::<Iommu>(&bytes, 1).unwrap(), iommu());
}

#[test]
fn gtree_loads_replace_the_map_and_check_the_count() {
    let mut device = Iommu::default();
    device.domains.insert(99, Domain::default());
    vmstate::load_into(&mut device, &iommu_bytes(), 1).unwrap();
    assert_eq!(device, iommu());

    // Declares 3 nodes, sends 2: QEMU "inconsistent stream when loading the
    // gtree". The error points at the closing byte.
    let mut bytes = iommu_bytes();
    bytes[3] = 3;
    let error = vmstate::from_slice::<Iommu>(&bytes, 1).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Some(ErrorKind::LengthMismatch {
                count: 3,
                found: 2,
                ..
            })
        ),
        "{error}"
    );
    assert_eq!(error.path_string(), "domains");
    assert_eq!(error.offset(), Some(32));

    // Declares 1, sends 2: refused at the second marker (`++count > nnodes`).
    bytes[3] = 1;
    let error = vmstate::from_slice::<Iommu>(&bytes, 1).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::LengthMismatch {
            count: 1,
            found: 2,
            ..
        })
    ));
    assert_eq!(error.offset(), Some(18));
}

#[test]
fn gtree_keys_that_do_not_fit_and_truncation_are_errors() {
    let mut bytes = iommu_bytes();
    // The i16 key's be64 is 0x0000_0000_0001_0000: more than i16::MAX.
    let key = bytes.len() - 10;
    bytes[key..key + 8].copy_from_slice(&0x1_0000u64.to_be_bytes());
    let error = vmstate::from_slice::<Iommu>(&bytes, 1).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Some(ErrorKind::OutOfRange {
                value: 0x1_0000,
                minimum: -32768,
                maximum: 32767,
                ..
            })
        ),
        "{error}"
    );
    assert_eq!(error.path_string(), "signed[0]");
    assert_eq!(error.offset(), Some(key as u64));

    // Every cut of the input fails cleanly.
    let bytes = iommu_bytes();
    for cut in 0..bytes.len() {
        assert!(vmstate::from_slice::<Iommu>(&bytes[..cut], 1).is_err());
    }
    // A huge count with no nodes allocates nothing and fails at the end.
    let error = vmstate::from_slice::<Iommu>(&[0xff, 0xff, 0xff, 0xff, 0], 1).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::LengthMismatch { .. })
    ));
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "port", version = 3)]
struct Port {
    id: u16,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "hub", version = 1)]
struct Hub {
    ports: [Option<Box<Port>>; 3],
    n: u32,
    #[vmstate(len = n)]
    extra: Vec<Option<Box<Port>>>,
}

fn hub() -> Hub {
    Hub {
        ports: [
            Some(Box::new(Port { id: 0x0102 })),
            None,
            Some(Box::new(Port { id: 3 })),
        ],
        n: 2,
        extra: vec![None, Some(Box::new(Port { id: 4 }))],
    }
}

#[test]
fn option_box_is_an_array_of_pointers_with_null_markers() {
    let bytes = vmstate::to_vec(&hub()).unwrap();
    // QEMU vmstate_save_state_v: a present element is its struct's payload
    // (`vmstate_save_state`), a NULL one `put_nullptr`'s
    // VMS_NULLPTR_MARKER 0x30.
    assert_eq!(bytes, [1, 2, 0x30, 0, 3, 0, 0, 0, 2, 0x30, 0, 4]);
    // The destination has the same elements, as a realized QEMU device does.
    let mut device = hub();
    device.ports[0] = Some(Box::default());
    device.extra[1] = Some(Box::default());
    vmstate::load_into(&mut device, &bytes, 1).unwrap();
    assert_eq!(device, hub());

    let desc = hub().describe_state();
    let types: Vec<(&str, &str, Option<u64>)> = desc
        .fields
        .iter()
        .map(|f| (f.name.as_str(), f.type_name.as_str(), f.index))
        .collect();
    assert_eq!(
        types[..3],
        [
            ("ports", "struct", Some(0)),
            ("ports", "nullptr", Some(1)),
            ("ports", "struct", Some(2))
        ]
    );
}

#[test]
fn a_null_element_here_needs_the_null_marker_there() {
    // The destination's ports[0] is NULL, the source's is not: QEMU's
    // get_nullptr "expected VMS_NULLPTR_MARKER".
    let bytes = vmstate::to_vec(&hub()).unwrap();
    let error = vmstate::from_slice::<Hub>(&bytes, 1).unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::BadMarker { found: 1, .. })),
        "{error}"
    );
    assert_eq!(error.path_string(), "ports[0]");
    assert_eq!(error.offset(), Some(0));
    let text = error.to_string();
    assert!(text.contains("0x30") && text.contains("0x01"), "{text}");

    // A huge count of pointer elements is refused before allocating.
    let error = vmstate::from_slice::<Hub>(&[0x30, 0x30, 0x30, 0xff, 0xff, 0xff, 0xff, 0x30], 1)
        .unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::InvalidLength { .. })),
        "{error}"
    );
}

/// QEMU's `tests/unit/test-vmstate.c` `TestArrayOfPtrToInt`:
/// `VMSTATE_ARRAY_OF_POINTER(ar, .., AR_SIZE, 0, vmstate_info_int32, int32_t*)`.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "test/arps", version = 1)]
struct ArrayOfPtrToInt {
    ar: [Option<Box<i32>>; 4],
}

fn pointers_to(values: [i32; 4]) -> ArrayOfPtrToInt {
    ArrayOfPtrToInt {
        ar: values.map(|value| Some(Box::new(value))),
    }
}

#[test]
fn an_array_of_pointers_to_integers_is_the_integers() {
    // test_arr_ptr_prim_0_save: each pointee through `vmstate_info_int32`
    // (`qemu_put_sbe32s`), nothing for the pointers themselves.
    let wire = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3];
    assert_eq!(vmstate::to_vec(&pointers_to([0, 1, 2, 3])).unwrap(), wire);
    // test_arr_ptr_prim_0_load: into the destination's own pointees.
    let mut device = pointers_to([3, 42, 1, 0]);
    vmstate::load_into(&mut device, &wire, 1).unwrap();
    assert_eq!(device, pointers_to([0, 1, 2, 3]));

    // A NULL element is QEMU's `put_nullptr` marker, as for structs, and a
    // destination whose element is NULL needs the marker there.
    let mut sparse = pointers_to([-1, 0, 0, 7]);
    sparse.ar[1] = None;
    sparse.ar[2] = None;
    let bytes = vmstate::to_vec(&sparse).unwrap();
    assert_eq!(bytes, [0xff, 0xff, 0xff, 0xff, 0x30, 0x30, 0, 0, 0, 7]);
    let mut back = sparse.clone();
    back.ar[0] = Some(Box::new(0));
    vmstate::load_into(&mut back, &bytes, 1).unwrap();
    assert_eq!(back, sparse);
    let error = vmstate::from_slice::<ArrayOfPtrToInt>(&wire, 1).unwrap_err();
    assert!(
        matches!(error.kind(), Some(ErrorKind::BadMarker { found: 0, .. })),
        "{error}"
    );
    assert_eq!(error.path_string(), "ar[0]");

    // vmdesc: a present element is its int32, a NULL one a `nullptr`.
    let types: Vec<(String, usize)> = sparse
        .describe_state()
        .fields
        .iter()
        .map(|f| (f.type_name.clone(), f.size))
        .collect();
    let expected = [("int32", 4), ("nullptr", 1), ("nullptr", 1), ("int32", 4)];
    assert_eq!(types, expected.map(|(name, size)| (name.to_owned(), size)),);
}

mod properties {
    use proptest::prelude::*;

    use super::{Atomics, Domain, Fifo, Hub, Iommu, Scalars, VecDeque, Wrapping};

    fn arb_fifo() -> impl Strategy<Value = Fifo> {
        (
            proptest::collection::vec(any::<u8>(), 0..20),
            proptest::collection::vec(any::<u32>(), 0..6),
            0usize..8,
        )
            .prop_map(|(bytes, ring, rotate)| {
                // Rotating a deque moves its start inside the buffer, so that
                // some cases wrap.
                let mut ring: VecDeque<u32> = ring.into();
                if !ring.is_empty() {
                    ring.rotate_left(rotate % ring.len());
                }
                Fifo {
                    count: u8::try_from(bytes.len()).unwrap(),
                    bytes: bytes.into(),
                    words: u16::try_from(ring.len()).unwrap(),
                    ring,
                }
            })
    }

    fn arb_iommu() -> impl Strategy<Value = Iommu> {
        (
            proptest::collection::btree_map(any::<u32>(), (any::<bool>(), any::<u32>()), 0..5),
            proptest::collection::btree_map(any::<i16>(), any::<u8>(), 0..5),
        )
            .prop_map(|(domains, signed)| Iommu {
                domains: domains
                    .into_iter()
                    .map(|(id, (bypass, pages))| (id, Domain { bypass, pages }))
                    .collect(),
                signed,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn std_types_round_trip(
            fifo in arb_fifo(),
            iommu in arb_iommu(),
            gain in any::<f32>(),
            idx in any::<u16>(),
        ) {
            let bytes = vmstate::to_vec(&fifo).unwrap();
            prop_assert_eq!(vmstate::from_slice::<Fifo>(&bytes, 1).unwrap(), fifo);
            let bytes = vmstate::to_vec(&iommu).unwrap();
            prop_assert_eq!(vmstate::from_slice::<Iommu>(&bytes, 1).unwrap(), iommu);
            let scalars = Scalars { gain, avail_idx: Wrapping(idx), used_idx: Wrapping(idx) + Wrapping(1) };
            let back: Scalars = vmstate::from_slice(&vmstate::to_vec(&scalars).unwrap(), 1).unwrap();
            prop_assert_eq!(back.gain.to_bits(), gain.to_bits());
            prop_assert_eq!(back.used_idx, scalars.used_idx);
        }

        #[test]
        fn std_types_never_panic_on_hostile_input(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = vmstate::from_slice::<Fifo>(&bytes, 1);
            let _ = vmstate::from_slice::<Iommu>(&bytes, 1);
            let _ = vmstate::from_slice::<Hub>(&bytes, 1);
            let _ = vmstate::from_slice::<Atomics>(&bytes, 1);
        }
    }
}
