//! One element of QEMU's `VMSTATE_ARRAY_OF_POINTER_TO_STRUCT` and
//! `VMSTATE_ARRAY_OF_POINTER`: an `Option<Box<T>>`, where `None` is a NULL
//! pointer. `[Option<Box<T>>; N]` is the fixed array, `Vec<Option<Box<T>>>`
//! with `len` the variable one.

use crate::desc::FieldDesc;
use crate::error::{Error, ErrorKind};
use crate::field::VmStateField;
use crate::reader::Reader;
use crate::schema::{Part, WireType};

/// QEMU's `VMS_NULLPTR_MARKER` (`VMS_MARKER_PTR_NULL` after 10.0): the byte
/// sent in place of a NULL element of a pointer array.
pub const NULL_POINTER_MARKER: u8 = 0x30;

/// `Some` is the pointee's encoding: a struct's payload (QEMU
/// `vmstate_save_state` of a `VMSTATE_ARRAY_OF_POINTER_TO_STRUCT` element),
/// or a scalar's (`info->put` of a `VMSTATE_ARRAY_OF_POINTER` element, such
/// as the `int32_t *` array of QEMU's `tests/unit/test-vmstate.c`); `None` is
/// the one byte [`NULL_POINTER_MARKER`] (QEMU `put_nullptr`).
///
/// As in QEMU 7.2 and 10.0 (`vmstate_load_state`), the wire does not say
/// which of the two follows: the *destination* decides. A local `None`
/// expects the marker and fails on anything else (`get_nullptr`: "expected
/// `VMS_NULLPTR_MARKER`"); a local `Some` loads the pointee (a struct at its
/// current version). The destination must therefore hold the same elements
/// as the source, as a QEMU device does after realize: give the type a
/// `Default` that allocates them, or load into a value that has them. For a
/// form of struct arrays that carries the presence on the wire, see
/// [`with::ptr_array_auto_alloc`](crate::with::ptr_array_auto_alloc).
impl<T: VmStateField> VmStateField for Option<Box<T>> {
    // A NULL element is one byte; a struct may be less.
    const MIN_WIRE_SIZE: usize = if T::MIN_WIRE_SIZE < 1 {
        T::MIN_WIRE_SIZE
    } else {
        1
    };
    // Elements of different shapes: described one by one, as QEMU 10.0 splits
    // a compressed run at every change between NULL and non-NULL.
    const VMDESC_COMPRESSIBLE: bool = false;
    /// The pointee's bytes, or the NULL marker: which, the value says.
    const WIRE: WireType = WireType::View {
        form: "pointer",
        parts: &[Part {
            name: "pointee",
            wire: T::WIRE,
        }],
    };

    /// A NULL element as QEMU 10.0 describes it (`nullptr`, 1 byte); a
    /// present one as its pointee.
    fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
        match self {
            Some(value) => (**value).describe_field(name, out),
            None => out.push(FieldDesc::scalar(name, "nullptr", 1)),
        }
    }

    fn sync_field_counts(&mut self) {
        if let Some(value) = self {
            value.sync_field_counts();
        }
    }

    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        if let Some(value) = self {
            return value.save_field(out);
        }
        out.push(NULL_POINTER_MARKER);
        Ok(())
    }

    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        if let Some(value) = self {
            return value.load_field(reader);
        }
        let offset = reader.offset();
        match reader.read_u8()? {
            NULL_POINTER_MARKER => Ok(()),
            found => Err(Error::at(
                ErrorKind::BadMarker {
                    what: "null-pointer marker of an element that is NULL here",
                    found,
                    expected: "0x30 (VMS_NULLPTR_MARKER): the source must have NULL where the destination has",
                },
                offset,
            )),
        }
    }
}
