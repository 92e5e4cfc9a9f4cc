//! Count fields of variable arrays: a count saved with `value = f` is the one
//! the array is checked against, and `count_of = array` saves the array's
//! length so that no count is kept in sync by hand.

use vmstate::{ErrorKind, VmState};

/// QEMU's VARRAY with a count that a function computes on save.
#[derive(VmState, Debug, Default, PartialEq)]
#[vmstate(name = "fifo-value", version = 1)]
struct ValueFifo {
    #[vmstate(value = ValueFifo::count)]
    n: u8,
    #[vmstate(len = n)]
    buf: Vec<u8>,
}

impl ValueFifo {
    fn count(&self) -> u8 {
        u8::try_from(self.buf.len()).unwrap_or(u8::MAX)
    }
}

#[derive(VmState, Debug, Default, PartialEq)]
#[vmstate(name = "fifo-count-of", version = 1)]
struct CountedFifo {
    head: u16,
    #[vmstate(count_of = buf)]
    n: u8,
    #[vmstate(len = n)]
    buf: Vec<u16>,
    tail: u8,
}

#[derive(VmState, Debug, Default, PartialEq)]
#[vmstate(name = "fifo-boxed", version = 1)]
struct BoxedFifo {
    #[vmstate(count_of = buf)]
    n: i32,
    #[vmstate(len = n)]
    buf: Box<[u32]>,
}

#[test]
fn a_valued_count_is_what_the_array_is_checked_against() {
    let fifo = ValueFifo {
        n: 0,
        buf: vec![1, 2, 3],
    };
    let bytes = vmstate::to_vec(&fifo).unwrap();
    assert_eq!(bytes, [3, 1, 2, 3]);
    let back: ValueFifo = vmstate::from_slice(&bytes, 1).unwrap();
    assert_eq!(
        back,
        ValueFifo {
            n: 3,
            buf: vec![1, 2, 3]
        }
    );
}

#[test]
fn a_valued_count_that_disagrees_with_the_array_is_still_an_error() {
    #[derive(VmState, Debug, Default)]
    #[vmstate(name = "fifo-wrong-value", version = 1)]
    struct Wrong {
        #[vmstate(value = Wrong::count)]
        n: u8,
        #[vmstate(len = n)]
        buf: Vec<u8>,
    }
    impl Wrong {
        fn count(&self) -> u8 {
            self.n + 4
        }
    }
    let error = vmstate::to_vec(&Wrong {
        n: 3,
        buf: vec![1, 2, 3],
    })
    .unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Some(ErrorKind::LengthMismatch {
                count_field: "n",
                count: 7,
                found: 3,
                ..
            })
        ),
        "{error}"
    );
}

#[test]
fn count_of_saves_the_array_length_whatever_the_field_holds() {
    let fifo = CountedFifo {
        head: 0x0102,
        n: 200,
        buf: vec![0x0a0b, 0x0c0d],
        tail: 9,
    };
    let bytes = vmstate::to_vec(&fifo).unwrap();
    assert_eq!(bytes, [1, 2, 2, 0x0a, 0x0b, 0x0c, 0x0d, 9]);
    let back: CountedFifo = vmstate::from_slice(&bytes, 1).unwrap();
    assert_eq!(back, CountedFifo { n: 2, ..fifo });
}

#[test]
fn count_of_loads_the_count_as_written() {
    let bytes = [0, 0, 3, 0, 1, 0, 2, 0, 3, 4];
    let fifo: CountedFifo = vmstate::from_slice(&bytes, 1).unwrap();
    assert_eq!(fifo.n, 3);
    assert_eq!(fifo.buf, [1, 2, 3]);
    assert_eq!(fifo.tail, 4);
    // A count past the input is refused before anything is allocated.
    let error = vmstate::from_slice::<CountedFifo>(&[0, 0, 200, 0, 1], 1).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Some(ErrorKind::InvalidLength { count: 200, .. })
        ),
        "{error}"
    );
}

#[test]
fn count_of_that_does_not_fit_is_an_error_naming_the_field() {
    let fifo = CountedFifo {
        buf: vec![0; 256],
        ..CountedFifo::default()
    };
    let error = vmstate::to_vec(&fifo).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Some(ErrorKind::CountOverflow {
                array_field: "buf",
                actual: 256,
                max: 255
            })
        ),
        "{error}"
    );
    let text = error.to_string();
    assert!(text.contains("`n`"), "{text}");
    assert!(text.contains("256 elements"), "{text}");
    // 255 still fits.
    let fifo = CountedFifo {
        buf: vec![0; 255],
        ..CountedFifo::default()
    };
    assert_eq!(vmstate::to_vec(&fifo).unwrap()[2], 255);
}

#[test]
fn count_of_works_with_boxed_slices_and_signed_counts() {
    let fifo = BoxedFifo {
        n: -1,
        buf: vec![7, 8].into_boxed_slice(),
    };
    let bytes = vmstate::to_vec(&fifo).unwrap();
    assert_eq!(bytes, [0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 8]);
    let back: BoxedFifo = vmstate::from_slice(&bytes, 1).unwrap();
    assert_eq!(back, BoxedFifo { n: 2, ..fifo });
}

#[test]
fn arrays_sharing_a_computed_count_are_checked_against_it() {
    #[derive(VmState, Debug, Default)]
    #[vmstate(name = "fifo-shared", version = 1)]
    struct Shared {
        #[vmstate(count_of = keys)]
        n: u8,
        #[vmstate(len = n)]
        keys: Vec<u8>,
        #[vmstate(len = n)]
        values: Vec<u8>,
    }
    let pairs = Shared {
        n: 0,
        keys: vec![1, 2],
        values: vec![3, 4],
    };
    assert_eq!(vmstate::to_vec(&pairs).unwrap(), [2, 1, 2, 3, 4]);
    let short = Shared {
        values: vec![3],
        ..pairs
    };
    let error = vmstate::to_vec(&short).unwrap_err();
    assert!(
        matches!(
            error.kind(),
            Some(ErrorKind::LengthMismatch {
                count_field: "n",
                count: 2,
                found: 1,
                ..
            })
        ),
        "{error}"
    );
}

#[test]
fn the_schema_and_vmdesc_see_a_plain_count_field() {
    let schema = CountedFifo::SCHEMA;
    assert_eq!(schema.fields[1].name, "n");
    assert_eq!(schema.fields[2].count, vmstate::schema::Count::Field("n"));
}
