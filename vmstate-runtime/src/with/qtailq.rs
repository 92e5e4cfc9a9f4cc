//! QEMU `VMSTATE_QTAILQ_V`: a tail queue of structs, as a `Vec<T>` or
//! `VecDeque<T>` (see [`List`]).
//!
//! Wire form (QEMU `put_qtailq`/`get_qtailq` in `migration/vmstate-types.c`,
//! the same in 7.2 and 10.0): for each element front to back, a `0x01` byte
//! and the element's payload; then a `0x00` byte. Loading accepts any
//! non-zero byte as "another element", as QEMU's `while (qemu_get_byte(f))`
//! does.
//!
//! ```
//! use vmstate_runtime::{Reader, with::qtailq};
//!
//! // As `#[vmstate(with = vmstate::with::qtailq)] pending: Vec<u16>`:
//! let mut out = Vec::new();
//! qtailq::save(&vec![0x0102u16, 3], &mut out)?;
//! assert_eq!(out, [1, 1, 2, 1, 0, 3, 0]);
//! let mut back = Vec::<u16>::new();
//! qtailq::load(&mut back, &mut Reader::new(&out))?;
//! assert_eq!(back, [0x0102, 3]);
//! # Ok::<(), vmstate_runtime::Error>(())
//! ```

use super::List;
use crate::error::Error;
use crate::reader::Reader;
use crate::schema::WireType;

/// This view, as [`ViewLayout`](super::ViewLayout) names it: `qtailq`, the
/// element's wire type as its part.
#[derive(Debug, Clone, Copy)]
pub struct View;

impl<L: List> super::ViewLayout<L> for View {
    const WIRE: WireType = WireType::View {
        form: "qtailq",
        parts: L::PARTS,
    };
}

/// Writes the elements, each after a `0x01`, then `0x00`.
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
