//! The wire form that QEMU's QTAILQ and QLIST share: each element preceded by
//! a 1 byte, the list closed by a 0 byte.

use std::collections::VecDeque;

use crate::error::Error;
use crate::field::VmStateField;
use crate::reader::Reader;
use crate::schema::Part;

/// A Rust sequence that can stand for a QEMU linked list (`QTAILQ_HEAD`,
/// `QLIST_HEAD`): `Vec<T>` and `VecDeque<T>`, front to back.
pub trait List {
    /// The element: usually a struct that derives `VmState` (QEMU's list
    /// element VMSD); any field type works.
    type Item: VmStateField + Default;

    /// The parts of the list's wire layout: its element.
    #[doc(hidden)]
    const PARTS: &'static [Part] = &[Part {
        name: "element",
        wire: <Self::Item as VmStateField>::WIRE,
    }];

    /// The elements, front to back.
    fn items(&self) -> impl Iterator<Item = &Self::Item>;

    /// Removes every element.
    fn clear_items(&mut self);

    /// Appends `item` at the back.
    fn push_item(&mut self, item: Self::Item);
}

impl<T: VmStateField + Default> List for Vec<T> {
    type Item = T;

    fn items(&self) -> impl Iterator<Item = &T> {
        self.iter()
    }

    fn clear_items(&mut self) {
        self.clear();
    }

    fn push_item(&mut self, item: T) {
        self.push(item);
    }
}

impl<T: VmStateField + Default> List for VecDeque<T> {
    type Item = T;

    fn items(&self) -> impl Iterator<Item = &T> {
        self.iter()
    }

    fn clear_items(&mut self) {
        self.clear();
    }

    fn push_item(&mut self, item: T) {
        self.push_back(item);
    }
}

/// `put_qtailq` and `put_qlist`: `qemu_put_byte(f, true)` and the element's
/// state for each element, then `qemu_put_byte(f, false)`.
pub(super) fn save<L: List>(list: &L, out: &mut Vec<u8>) -> Result<(), Error> {
    for (index, item) in list.items().enumerate() {
        out.push(1);
        item.save_field(out).map_err(|e| e.in_element(index))?;
    }
    out.push(0);
    Ok(())
}

/// `get_qtailq` and `get_qlist`: `while (qemu_get_byte(f))` an element, so
/// any non-zero byte announces one, as in QEMU. The list is replaced, in
/// order. Elements load at their type's current version, which is the
/// version QEMU's `VMSTATE_QTAILQ_V`/`VMSTATE_QLIST_V` fields name in
/// practice; every element costs at least its marker byte, so a hostile input
/// cannot make more elements than it has bytes.
pub(super) fn load<L: List>(list: &mut L, reader: &mut Reader<'_>) -> Result<(), Error> {
    list.clear_items();
    let mut index = 0;
    while reader.read_u8()? != 0 {
        let mut item = L::Item::default();
        item.load_field(reader).map_err(|e| e.in_element(index))?;
        list.push_item(item);
        index += 1;
    }
    Ok(())
}
