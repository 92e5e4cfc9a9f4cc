//! Arrays of derived structs with a fixed wire size take fast paths: saves
//! write each element into space reserved once (`VmStateField::save_fixed`),
//! loads read each element's fields from a reader over exactly their bytes
//! (`__private::fields_head`). These tests
//! hold them to the element-by-element reference, QEMU's
//! `VMSTATE_STRUCT_ARRAY`: the same bytes, the same values, the same errors.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};

use support::examples::{Mode, Scalars, Signed};
use vmstate::schema::WireType;
use vmstate::{Error, ErrorKind, Reader, Unused, VmState, VmStateField};

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "bank", version = 1)]
struct Bank {
    regs: [Scalars; 4],
}

fn scalars(seed: u8) -> Scalars {
    Scalars {
        u: seed,
        i: -2,
        w: 0x0102 + u16::from(seed),
        sw: -3,
        d: 0x0304_0506,
        sd: -4,
        q: 0x0708_090a_0b0c_0d0e,
        sq: -5,
        flag: seed % 2 == 1,
        real: 1.5,
        mode: Mode::Auto,
        signed: Signed::Plus,
        irq: support::examples::Irq(u32::from(seed) << 8),
        pad: Unused,
        grid: [[1, 2], [3, u16::from(seed)]],
    }
}

fn bank() -> Bank {
    Bank {
        regs: [scalars(0), scalars(5), scalars(0x05), scalars(200)],
    }
}

/// The reference: each element saved on its own, back to back.
fn elements_one_by_one(bank: &Bank) -> Vec<u8> {
    bank.regs
        .iter()
        .flat_map(|reg| vmstate::to_vec(reg).unwrap())
        .collect()
}

#[test]
fn the_struct_has_a_fixed_size() {
    assert_eq!(Scalars::SCHEMA.fixed_size(), Some(57));
}

#[test]
fn saves_the_bytes_of_its_elements_one_by_one() {
    let bank = bank();
    let bytes = vmstate::to_vec(&bank).unwrap();
    assert_eq!(bytes, elements_one_by_one(&bank));
    assert_eq!(bytes.len(), 4 * 57);
}

#[test]
fn loads_what_it_saved() {
    let bank = bank();
    let bytes = vmstate::to_vec(&bank).unwrap();
    assert_eq!(vmstate::from_slice::<Bank>(&bytes, 1).unwrap(), bank);
}

#[test]
fn an_element_whose_first_byte_is_the_subsection_marker_is_data() {
    // Element 3 starts with 0x05, QEMU's subsection marker; the next bytes do
    // not name a subsection of `scalars`, so QEMU reads it as the field.
    let bank = bank();
    let bytes = vmstate::to_vec(&bank).unwrap();
    assert_eq!(bytes[2 * 57], 0x05);
    assert_eq!(vmstate::from_slice::<Bank>(&bytes, 1).unwrap(), bank);
}

#[test]
fn a_subsection_claiming_the_element_is_refused_at_that_element() {
    let mut bytes = vmstate::to_vec(&bank()).unwrap();
    let header = b"\x05\x0cscalars/none\x00\x00\x00\x01";
    bytes.splice(57..57, header.iter().copied());
    let err = vmstate::from_slice::<Bank>(&bytes, 1).unwrap_err();
    assert!(
        matches!(err.kind(), Some(ErrorKind::UnknownSubsection { name, .. }) if name == "scalars/none"),
        "{err}"
    );
    assert_eq!(err.path_string(), "regs[0]");
    assert_eq!(err.offset(), Some(57));
}

#[test]
fn truncated_input_names_the_element_and_the_field() {
    let bytes = vmstate::to_vec(&bank()).unwrap();
    // Cut inside element 2, 2 bytes into its `q` (offset 14 of the element).
    let cut = 2 * 57 + 16;
    let err = vmstate::from_slice::<Bank>(&bytes[..cut], 1).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::UnexpectedEof {
                needed: 8,
                available: 2
            })
        ),
        "{err}"
    );
    assert_eq!(err.path_string(), "regs[2].q");
    assert_eq!(err.offset(), Some(2 * 57 + 14));
}

#[test]
fn an_invalid_value_inside_an_element_names_it() {
    let mut bytes = vmstate::to_vec(&bank()).unwrap();
    // `mode` is at offset 39 of an element (after 38 bytes of scalars and the f64).
    let mode_at = 57 + 1 + 1 + 2 + 2 + 4 + 4 + 8 + 8 + 1 + 8;
    assert_eq!(bytes[mode_at], 7, "the Auto discriminant");
    bytes[mode_at] = 9;
    let err = vmstate::from_slice::<Bank>(&bytes, 1).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::InvalidEnumValue { value: 9, .. })
        ),
        "{err}"
    );
    assert_eq!(err.path_string(), "regs[1].mode");
    assert_eq!(err.offset(), Some(mode_at as u64));
}

// ---------------------------------------------------------------------------
// Hooks run once per element on both paths.
// ---------------------------------------------------------------------------

static SAVES: AtomicUsize = AtomicUsize::new(0);
static LOADS: AtomicUsize = AtomicUsize::new(0);

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "counted", version = 1, pre_save = Counted::count_save, post_load = Counted::count_load)]
struct Counted {
    word: u32,
}

#[allow(clippy::unnecessary_wraps, reason = "hooks return a Result")]
impl Counted {
    /// Adds the element's word, so the total shows each element was seen.
    fn count_save(&self) -> Result<(), Error> {
        SAVES.fetch_add(self.word as usize, Ordering::Relaxed);
        Ok(())
    }
    fn count_load(&mut self, _version: u32) -> Result<(), Error> {
        LOADS.fetch_add(self.word as usize, Ordering::Relaxed);
        Ok(())
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "counters", version = 1)]
struct Counters {
    items: [Counted; 6],
}

#[test]
fn hooks_run_for_every_element() {
    let counters = Counters {
        items: [1, 2, 4, 8, 16, 32].map(|word| Counted { word }),
    };
    let bytes = vmstate::to_vec(&counters).unwrap();
    assert_eq!(SAVES.load(Ordering::Relaxed), 63);
    let loaded = vmstate::from_slice::<Counters>(&bytes, 1).unwrap();
    assert_eq!(loaded, counters);
    assert_eq!(LOADS.load(Ordering::Relaxed), 63);
}

// ---------------------------------------------------------------------------
// Hand-written field types: the default `save_fixed`, and a `WIRE` that
// disagrees with what the type saves, which must fail without panicking.
// ---------------------------------------------------------------------------

/// A two-byte little-endian counter with a hand-written impl that declares
/// its size but keeps the default `save_fixed`.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct LittleEndian(u16);

impl VmStateField for LittleEndian {
    const MIN_WIRE_SIZE: usize = 2;
    const WIRE: WireType = WireType::Scalar {
        info: "uint16",
        size: 2,
    };

    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(&self.0.to_le_bytes());
        Ok(())
    }

    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        self.0 = u16::from_le_bytes(reader.read_array()?);
        Ok(())
    }
}

#[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
#[vmstate(name = "pair", version = 1)]
struct Pair {
    tag: u8,
    count: LittleEndian,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "pairs", version = 1)]
struct Pairs {
    items: [Pair; 3],
}

#[test]
fn hand_written_field_types_save_through_the_default() {
    let pairs = Pairs {
        items: [1, 2, 3].map(|n| Pair {
            tag: n,
            count: LittleEndian(0x0100 + u16::from(n)),
        }),
    };
    let bytes = vmstate::to_vec(&pairs).unwrap();
    assert_eq!(bytes, [1, 1, 1, 2, 2, 1, 3, 3, 1]);
    assert_eq!(vmstate::from_slice::<Pairs>(&bytes, 1).unwrap(), pairs);
}

/// Declares 4 bytes on the wire but saves and loads 2: a broken impl.
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
#[vmstate(name = "broken", version = 1)]
struct Broken {
    value: Understated,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "brokens", version = 1)]
struct Brokens {
    items: [Broken; 2],
}

#[test]
fn a_wire_size_that_disagrees_with_the_save_is_an_error_not_a_panic() {
    let err = vmstate::to_vec(&Brokens::default()).unwrap_err();
    assert!(
        matches!(err.kind(), Some(ErrorKind::WireSizeMismatch)),
        "{err}"
    );
    assert_eq!(err.path_string(), "items[0]");
}

/// Alone, `Broken` saves and loads its 2 bytes both ways: only the promise
/// of its field type's `WIRE` is wrong, which the test harness reports.
#[test]
fn the_test_harness_reports_a_wire_size_that_disagrees_with_the_save() {
    let bytes = vmstate::to_vec(&Broken {
        value: Understated(7),
    })
    .unwrap();
    assert_eq!(bytes, [0, 7]);
    assert_eq!(
        vmstate::from_slice::<Broken>(&bytes, 1).unwrap(),
        Broken {
            value: Understated(7)
        }
    );
    let failed = vmstate::testing::verify_round_trips(&Broken {
        value: Understated(7),
    })
    .unwrap_err();
    let message = failed.to_string();
    assert!(
        message.contains("fixes version 1's payload at 4 bytes, and the save wrote 2"),
        "{message}"
    );
}

#[test]
fn a_load_that_reads_less_than_the_wire_size_goes_on_where_it_stopped() {
    // The real bytes: 2 per element. Each element must start where the last
    // one ended, not 4 bytes later.
    let loaded = vmstate::from_slice::<Brokens>(&[0, 1, 0, 2], 1).unwrap();
    assert_eq!(
        loaded.items.map(|item| item.value.0),
        [1, 2],
        "elements read from where the previous one stopped"
    );
}
