//! QEMU `VMSTATE_QLIST_V`: a singly linked list of structs, as a `Vec<T>` or
//! `VecDeque<T>` (see [`List`]).
//!
//! Wire form (QEMU `put_qlist`/`get_qlist` in `migration/vmstate-types.c`):
//! that of [`qtailq`](super::qtailq), head first: a `0x01` byte and the
//! payload per element, then `0x00`. QEMU 7.2 and 10.0 both keep the order
//! on load (`QLIST_RAW_INSERT_AFTER` the previous element).

use super::List;
use crate::error::Error;
use crate::reader::Reader;
use crate::schema::WireType;

/// This view, as [`ViewLayout`](super::ViewLayout) names it: `qlist`, the
/// element's wire type as its part.
#[derive(Debug, Clone, Copy)]
pub struct View;

impl<L: List> super::ViewLayout<L> for View {
    const WIRE: WireType = WireType::View {
        form: "qlist",
        parts: L::PARTS,
    };
}

/// Writes the elements, head first, each after a `0x01`, then `0x00`.
///
/// # Errors
/// Whatever saving an element returns, with its index in the path.
pub fn save<L: List>(list: &L, out: &mut Vec<u8>) -> Result<(), Error> {
    super::list::save(list, out)
}

/// Replaces the list with the elements read until a `0x00` byte.
///
/// # Errors
/// Truncated input, or whatever loading an element returns, with its index
/// in the path.
pub fn load<L: List>(list: &mut L, reader: &mut Reader<'_>) -> Result<(), Error> {
    super::list::load(list, reader)
}
