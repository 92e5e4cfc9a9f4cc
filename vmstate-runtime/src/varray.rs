//! Variable arrays (QEMU `VMSTATE_VARRAY_*`): a `Vec`, `VecDeque` or
//! `Box<[T]>` whose element count an earlier integer field carries. The
//! derive's generated code reaches these through `__private`.

use std::collections::VecDeque;

use crate::desc::FieldDesc;
use crate::error::{Error, ErrorKind};
use crate::field::{VmStateField, describe_elements};
use crate::reader::Reader;

/// An integer field that can give a variable array its element count.
pub trait VarrayCount {
    /// The count, widened so that no integer type loses its sign or range.
    fn count(&self) -> i128;
}

macro_rules! varray_count {
    ($($ty:ty),*) => {$(
        impl VarrayCount for $ty {
            #[inline]
            fn count(&self) -> i128 {
                i128::from(*self)
            }
        }
    )*};
}

varray_count!(u8, u16, u32, u64, i8, i16, i32, i64);

/// A container that can hold a variable array (QEMU `VMSTATE_VARRAY_*`).
pub trait Varray {
    /// The element type.
    type Item: VmStateField;
    /// The elements, in order: the second slice continues the first (only a
    /// ring buffer such as `VecDeque` has two).
    fn as_slices(&self) -> (&[Self::Item], &[Self::Item]);
    /// The elements, mutable, as [`as_slices`](Self::as_slices) gives them.
    fn as_mut_slices(&mut self) -> (&mut [Self::Item], &mut [Self::Item]);
    /// Resizes to exactly `len` elements, and returns them for loading.
    fn resize_for_load(&mut self, len: usize) -> &mut [Self::Item];

    /// Replaces the elements with `len` loaded from `reader`.
    ///
    /// # Errors
    /// Whatever loading an element returns.
    #[inline]
    fn load_items(&mut self, len: usize, reader: &mut Reader<'_>) -> Result<(), Error> {
        Self::Item::load_slice(self.resize_for_load(len), reader)
    }
}

impl<T: VmStateField + Default> Varray for Vec<T> {
    type Item = T;

    fn as_slices(&self) -> (&[T], &[T]) {
        (self, &[])
    }

    fn as_mut_slices(&mut self) -> (&mut [T], &mut [T]) {
        (self, &mut [])
    }

    fn resize_for_load(&mut self, len: usize) -> &mut [T] {
        self.truncate(len);
        self.resize_with(len, T::default);
        self
    }

    #[inline]
    fn load_items(&mut self, len: usize, reader: &mut Reader<'_>) -> Result<(), Error> {
        T::load_vec(self, len, reader)
    }
}

impl<T: VmStateField + Default> Varray for Box<[T]> {
    type Item = T;

    fn as_slices(&self) -> (&[T], &[T]) {
        (self, &[])
    }

    fn as_mut_slices(&mut self) -> (&mut [T], &mut [T]) {
        (self, &mut [])
    }

    fn resize_for_load(&mut self, len: usize) -> &mut [T] {
        if self.len() != len {
            let mut items = core::mem::take(self).into_vec();
            items.resize_for_load(len);
            *self = items.into_boxed_slice();
        }
        self
    }
}

/// A ring buffer (a UART's FIFO, a queue of requests) is a variable array
/// like a `Vec`: its elements front to back.
impl<T: VmStateField + Default> Varray for VecDeque<T> {
    type Item = T;

    fn as_slices(&self) -> (&[T], &[T]) {
        VecDeque::as_slices(self)
    }

    fn as_mut_slices(&mut self) -> (&mut [T], &mut [T]) {
        VecDeque::as_mut_slices(self)
    }

    fn resize_for_load(&mut self, len: usize) -> &mut [T] {
        self.truncate(len);
        self.resize_with(len, T::default);
        self.make_contiguous()
    }
}

/// Saves a variable array whose length must match its count field.
///
/// # Errors
/// [`ErrorKind::LengthMismatch`], or whatever saving an element returns.
pub fn save_varray<V: Varray>(
    array: &V,
    count: &impl VarrayCount,
    len_field: &'static str,
    out: &mut Vec<u8>,
) -> Result<(), Error> {
    let (head, tail) = array.as_slices();
    let len = head.len() + tail.len();
    let count = count.count();
    if usize::try_from(count).ok() != Some(len) {
        return Err(Error::new(ErrorKind::LengthMismatch {
            what: "variable array",
            found: len as u64,
            count_field: len_field,
            count,
            expected: count,
        }));
    }
    save_elements(array, out)
}

/// [`VmStateField::saved_len_hint`] of a variable array: its length times
/// the element's fixed size, or the elements' hints summed.
#[inline]
pub fn varray_len_hint<V: Varray>(array: &V) -> usize {
    let (head, tail) = array.as_slices();
    match V::Item::WIRE.fixed_size() {
        Some(size) => (head.len() + tail.len()).saturating_mul(size),
        None => head
            .iter()
            .chain(tail)
            .fold(0, |sum, item| sum.saturating_add(item.saved_len_hint())),
    }
}

/// Saves the elements of a variable array, front to back.
///
/// # Errors
/// Whatever saving an element returns, with its index.
#[inline]
pub fn save_elements<V: Varray>(array: &V, out: &mut Vec<u8>) -> Result<(), Error> {
    let (head, tail) = array.as_slices();
    V::Item::save_slice(head, out)?;
    for (index, item) in tail.iter().enumerate() {
        item.save_field(out)
            .map_err(|e| e.in_element(head.len() + index))?;
    }
    Ok(())
}

/// Loads a variable array of `count` elements, refusing counts that the
/// remaining input cannot hold before allocating anything.
///
/// # Errors
/// [`ErrorKind::InvalidLength`], or whatever loading an element returns.
pub fn load_varray<V: Varray>(
    array: &mut V,
    count: &impl VarrayCount,
    reader: &mut Reader<'_>,
) -> Result<(), Error> {
    // An element that can be empty on the wire still counts one byte, so that a
    // huge count of empty elements cannot allocate without bound.
    let max = reader.remaining() / V::Item::MIN_WIRE_SIZE.max(1);
    let count = count.count();
    let len = usize::try_from(count)
        .ok()
        .filter(|len| *len <= max)
        .ok_or_else(|| {
            Error::at(
                ErrorKind::InvalidLength {
                    count,
                    max: max as u64,
                },
                reader.offset(),
            )
        })?;
    array.load_items(len, reader)
}

/// Describes a variable array like a fixed one of its current length.
pub fn describe_varray<V: Varray>(array: &V, name: &str, out: &mut Vec<FieldDesc>) {
    match array.as_slices() {
        (items, []) => describe_elements(items, name, out),
        (head, tail) => {
            // A wrapped ring buffer: both runs form one array of
            // `head.len() + tail.len() >= 2` elements.
            let total = head.len() + tail.len();
            if V::Item::VMDESC_COMPRESSIBLE {
                let start = out.len();
                if let Some(first) = head.first().or(tail.first()) {
                    first.describe_field(name, out);
                }
                for entry in &mut out[start..] {
                    entry.array_len = Some(total);
                }
            } else {
                for (index, item) in head.iter().chain(tail).enumerate() {
                    let at = out.len();
                    item.describe_field(name, out);
                    for entry in &mut out[at..] {
                        entry.index = Some(index as u64);
                    }
                }
            }
        }
    }
}

/// Sets the `count_of` counts inside each element to their arrays' lengths
/// (see [`VmState::sync_counts`](crate::VmState::sync_counts)).
pub fn sync_varray_counts<V: Varray>(array: &mut V) {
    let (head, tail) = array.as_mut_slices();
    for item in head.iter_mut().chain(tail) {
        item.sync_field_counts();
    }
}
