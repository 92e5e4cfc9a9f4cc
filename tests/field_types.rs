//! Every supported field type: its exact bytes and its load errors.

mod support;

use support::examples::{Irq, Mode, Scalars, Signed};
use vmstate::{ErrorKind, Reader, Unused, VmState};

#[test]
fn scalars_are_big_endian_back_to_back() {
    let value = Scalars {
        u: 0x01,
        i: -2,
        w: 0x0304,
        sw: -3,
        d: 0x0506_0708,
        sd: -4,
        q: 0x090a_0b0c_0d0e_0f10,
        sq: -5,
        flag: true,
        real: 1.5,
        mode: Mode::Auto,
        signed: Signed::Plus,
        irq: Irq(0x11),
        pad: Unused,
        grid: [[1, 2], [3, 4]],
    };
    let bytes = vmstate::to_vec(&value).unwrap();
    let mut expected = vec![
        0x01, 0xfe, 0x03, 0x04, 0xff, 0xfd, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xfc,
    ];
    expected.extend([9, 10, 11, 12, 13, 14, 15, 16]);
    expected.extend((-5i64).to_be_bytes());
    expected.push(1);
    expected.extend(1.5f64.to_bits().to_be_bytes());
    expected.push(7);
    expected.extend(300i16.to_be_bytes());
    expected.extend([0, 0, 0, 0x11]);
    expected.extend([0, 0, 0]);
    expected.extend([0, 1, 0, 2, 0, 3, 0, 4]);
    assert_eq!(bytes, expected);
    assert_eq!(vmstate::from_slice::<Scalars>(&bytes, 1).unwrap(), value);
    assert_eq!(
        <Scalars as vmstate::VmStateField>::MIN_WIRE_SIZE,
        expected.len()
    );
}

#[test]
fn any_nonzero_byte_loads_as_true_and_unused_bytes_are_ignored() {
    let mut bytes = vmstate::to_vec(&Scalars::default()).unwrap();
    bytes[30] = 0x80; // flag
    let pad = bytes.len() - 8 - 3;
    bytes[pad..pad + 3].copy_from_slice(&[0xde, 0xad, 0x00]);
    let value: Scalars = vmstate::from_slice(&bytes, 1).unwrap();
    assert!(value.flag);
}

#[test]
fn unknown_enum_discriminant_is_an_error() {
    let mut bytes = vmstate::to_vec(&Scalars::default()).unwrap();
    bytes[39] = 2; // mode
    let err = vmstate::from_slice::<Scalars>(&bytes, 1).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::InvalidEnumValue {
                type_name: "Mode",
                value: 2
            })
        ),
        "{err:?}"
    );
    assert_eq!(err.path_string(), "mode");
    assert_eq!(err.offset(), Some(39));
    assert_eq!(
        err.to_string(),
        "section `scalars`, field `mode`, byte offset 39: 2 is not a valid `Mode`"
    );
}

#[test]
fn truncated_array_names_the_element() {
    let bytes = vmstate::to_vec(&Scalars::default()).unwrap();
    let cut = bytes.len() - 3;
    let err = vmstate::from_slice::<Scalars>(&bytes[..cut], 1).unwrap_err();
    assert_eq!(err.path_string(), "grid[1][0]");
    assert_eq!(err.offset(), Some(cut as u64 - 1));
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "entry", version = 1)]
struct Entry {
    addr: u64,
    len: u16,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "queue", version = 1)]
struct Queue {
    count: u32,
    #[vmstate(len = count)]
    entries: Vec<Entry>,
    nbytes: u8,
    #[vmstate(len = nbytes)]
    bytes: Box<[u8]>,
}

#[test]
fn variable_arrays_take_their_count_from_an_earlier_field() {
    let queue = Queue {
        count: 2,
        entries: vec![Entry { addr: 1, len: 2 }, Entry { addr: 3, len: 4 }],
        nbytes: 3,
        bytes: vec![9, 8, 7].into_boxed_slice(),
    };
    let bytes = vmstate::to_vec(&queue).unwrap();
    assert_eq!(bytes.len(), 4 + 2 * 10 + 1 + 3);
    assert_eq!(&bytes[..4], &[0, 0, 0, 2]);
    assert_eq!(&bytes[bytes.len() - 4..], &[3, 9, 8, 7]);
    assert_eq!(vmstate::from_slice::<Queue>(&bytes, 1).unwrap(), queue);
}

#[test]
fn variable_array_length_must_match_its_count_on_save() {
    let queue = Queue {
        count: 3,
        entries: vec![Entry::default()],
        ..Queue::default()
    };
    let err = vmstate::to_vec(&queue).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::LengthMismatch {
                count_field: "count",
                count: 3,
                found: 1,
                ..
            })
        ),
        "{err:?}"
    );
    assert_eq!(err.path_string(), "entries");
}

#[test]
fn hostile_count_is_refused_before_allocating() {
    let bytes = [0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let err = vmstate::from_slice::<Queue>(&bytes, 1).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::InvalidLength {
                count: 0xffff_ffff,
                max: 1
            })
        ),
        "{err:?}"
    );
    assert_eq!(err.path_string(), "entries");
    assert_eq!(err.offset(), Some(4));
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "signed_count", version = 1)]
struct SignedCount {
    n: i32,
    #[vmstate(len = n)]
    items: Vec<u16>,
}

#[test]
fn negative_count_is_refused() {
    let err = vmstate::from_slice::<SignedCount>(&[0xff, 0xff, 0xff, 0xfe], 1).unwrap_err();
    assert!(
        matches!(err.kind(), Some(ErrorKind::InvalidLength { count: -2, .. })),
        "{err:?}"
    );
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "config", version = 1)]
struct Config {
    #[vmstate(equal)]
    nr_irqs: u32,
    state: u8,
}

#[test]
fn equal_field_must_match_the_local_value() {
    let mut local = Config {
        nr_irqs: 24,
        state: 0,
    };
    vmstate::load_into(&mut local, &[0, 0, 0, 24, 5], 1).unwrap();
    assert_eq!(local.state, 5);
    let err = vmstate::load_into(&mut local, &[0, 0, 0, 16, 6], 1).unwrap_err();
    assert!(
        matches!(err.kind(), Some(ErrorKind::NotEqual { expected, found }) if expected == "24" && found == "16"),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "section `config`, field `nr_irqs`, byte offset 0: incoming value 16 differs from the local value 24, and they must be equal"
    );
    assert_eq!(
        local,
        Config {
            nr_irqs: 24,
            state: 5
        },
        "a failed load changes nothing"
    );
}

/// A custom wire view: the host keeps a `String`, the wire carries 8 padded bytes.
mod fixed_name {
    use vmstate::{Error, Reader};

    pub fn save(name: &String, out: &mut Vec<u8>) -> Result<(), Error> {
        if name.len() > 8 {
            return Err(Error::custom(format!(
                "name `{name}` is longer than 8 bytes"
            )));
        }
        let mut bytes = [0u8; 8];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        out.extend_from_slice(&bytes);
        Ok(())
    }

    pub fn load(name: &mut String, reader: &mut Reader<'_>) -> Result<(), Error> {
        let offset = reader.offset();
        let bytes = reader.read_bytes(8)?;
        let end = bytes.iter().position(|b| *b == 0).unwrap_or(8);
        let text =
            std::str::from_utf8(&bytes[..end]).map_err(|e| Error::custom(e).at_offset(offset))?;
        text.clone_into(name);
        Ok(())
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "named", version = 1)]
struct Named {
    #[vmstate(with = fixed_name)]
    label: String,
    id: u8,
}

#[test]
fn custom_wire_view_round_trips_and_reports_errors() {
    let named = Named {
        label: "eth0".into(),
        id: 3,
    };
    let bytes = vmstate::to_vec(&named).unwrap();
    assert_eq!(bytes, b"eth0\0\0\0\0\x03");
    assert_eq!(vmstate::from_slice::<Named>(&bytes, 1).unwrap(), named);
    let err = vmstate::to_vec(&Named {
        label: "much-too-long".into(),
        id: 0,
    })
    .unwrap_err();
    assert_eq!(err.path_string(), "label");
    let err = vmstate::from_slice::<Named>(b"\xff\xfe\0\0\0\0\0\0\x01", 1).unwrap_err();
    assert_eq!(
        (err.path_string().as_str(), err.offset()),
        ("label", Some(0))
    );
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "regs", version = 1)]
struct Regs<T> {
    bank: [T; 2],
    #[vmstate(skip)]
    _host: std::marker::PhantomData<fn() -> String>,
}

#[test]
fn generic_structs_infer_their_bounds() {
    let regs = Regs {
        bank: [Entry { addr: 1, len: 2 }, Entry::default()],
        _host: std::marker::PhantomData,
    };
    let bytes = vmstate::to_vec(&regs).unwrap();
    assert_eq!(bytes.len(), 20);
    assert_eq!(vmstate::from_slice::<Regs<Entry>>(&bytes, 1).unwrap(), regs);
    let words = Regs::<u32> {
        bank: [1, 2],
        _host: std::marker::PhantomData,
    };
    assert_eq!(vmstate::to_vec(&words).unwrap(), [0, 0, 0, 1, 0, 0, 0, 2]);
}

#[test]
fn reader_reports_offsets_relative_to_its_base() {
    let mut reader = Reader::with_base_offset(&[1, 2], 100);
    assert_eq!(reader.read_u8().unwrap(), 1);
    let err = reader.read_be32().unwrap_err();
    assert_eq!(err.offset(), Some(101));
    assert!(matches!(
        err.kind(),
        Some(ErrorKind::UnexpectedEof {
            needed: 4,
            available: 1
        })
    ));
}
