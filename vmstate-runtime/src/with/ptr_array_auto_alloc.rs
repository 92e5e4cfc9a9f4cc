//! QEMU's `VMS_ARRAY_OF_POINTER_AUTO_ALLOC` form of an array of pointers to
//! structs, where every element says on the wire whether it is present:
//! `[Option<Box<T>>; N]`, `Vec<Option<Box<T>>>` or `Box<[Option<Box<T>>]>`.
//!
//! Wire form (QEMU `vmstate_save_vmsd_v`, `vmstate_load_next` and
//! `vmstate_info_ptr_marker` in `migration/vmstate.c` and
//! `migration/vmstate-types.c`): per element, `0x30`
//! (`VMS_MARKER_PTR_NULL`) for NULL, or `0x31` (`VMS_MARKER_PTR_VALID`)
//! followed by the struct's payload. Any other marker fails ("Unexpected ptr
//! marker"). Loading allocates the present elements (at their type's current
//! version) and clears the absent ones, so the destination need not know
//! which are present.
//!
//! This form came after QEMU 10.0: neither 7.2 nor 10.0.2 has it (their
//! binaries carry `vmstate_info_nullptr` and no `ptr-marker` info), and they
//! cannot load it. For the form they use, where the destination's elements
//! decide, use the field type `Option<Box<T>>` itself, with no view.
//!
//! The number of elements is the local array's, as QEMU's `VMS_ARRAY` count
//! is: a `Vec` keeps its length.

use crate::error::{Error, ErrorKind};
pub use crate::pointer::NULL_POINTER_MARKER;
use crate::reader::Reader;
use crate::schema::{Part, WireType};
use crate::state::VmState;

/// This view, as [`ViewLayout`](super::ViewLayout) names it:
/// `ptr_array_auto_alloc`, the elements' struct (and their number, for an
/// array) as its part.
#[derive(Debug, Clone, Copy)]
pub struct View;

impl<T: VmState, const N: usize> super::ViewLayout<[Option<Box<T>>; N]> for View {
    const WIRE: WireType = WireType::View {
        form: "ptr_array_auto_alloc",
        parts: &[Part {
            name: "elements",
            wire: WireType::Array {
                element: &WireType::Struct(&T::SCHEMA),
                len: N,
            },
        }],
    };
}

impl<T: VmState> super::ViewLayout<Vec<Option<Box<T>>>> for View {
    const WIRE: WireType = WireType::View {
        form: "ptr_array_auto_alloc",
        parts: &[Part {
            name: "element",
            wire: WireType::Struct(&T::SCHEMA),
        }],
    };
}

impl<T: VmState> super::ViewLayout<Box<[Option<Box<T>>]>> for View {
    const WIRE: WireType = <View as super::ViewLayout<Vec<Option<Box<T>>>>>::WIRE;
}

/// QEMU's `VMS_MARKER_PTR_VALID`: a present element follows.
pub const VALID_POINTER_MARKER: u8 = 0x31;

/// Writes each element as `0x30`, or `0x31` and its payload.
///
/// # Errors
/// Whatever saving an element returns, with its index in the path.
pub fn save<T: VmState>(slots: &[Option<Box<T>>], out: &mut Vec<u8>) -> Result<(), Error> {
    for (index, slot) in slots.iter().enumerate() {
        match slot {
            None => out.push(NULL_POINTER_MARKER),
            Some(value) => {
                out.push(VALID_POINTER_MARKER);
                value.save_state(out).map_err(|e| e.in_element(index))?;
            }
        }
    }
    Ok(())
}

/// Reads each element's marker, and the payload of those present.
///
/// # Errors
/// Truncated input, [`ErrorKind::BadMarker`] for a marker other than `0x30`
/// and `0x31`, or whatever loading an element returns; each with the
/// element's index in the path.
pub fn load<T: VmState + Default>(
    slots: &mut [Option<Box<T>>],
    reader: &mut Reader<'_>,
) -> Result<(), Error> {
    for (index, slot) in slots.iter_mut().enumerate() {
        load_slot(slot, reader).map_err(|e| e.in_element(index))?;
    }
    Ok(())
}

fn load_slot<T: VmState + Default>(
    slot: &mut Option<Box<T>>,
    reader: &mut Reader<'_>,
) -> Result<(), Error> {
    let offset = reader.offset();
    match reader.read_u8()? {
        NULL_POINTER_MARKER => {
            *slot = None;
            Ok(())
        }
        VALID_POINTER_MARKER => slot
            .get_or_insert_with(Box::default)
            .load_state(reader, T::VERSION),
        found => Err(Error::at(
            ErrorKind::BadMarker {
                what: "pointer marker",
                found,
                expected: "0x30 (NULL) or 0x31 (present)",
            },
            offset,
        )),
    }
}
