//! Helpers for the code that `#[derive(VmState)]` generates. Not a public API:
//! names and signatures change without notice.
//!
//! Keeping this logic here, rather than expanding it into every impl, keeps the
//! generated code short and readable, and puts each wire rule in one place.

#![allow(
    clippy::inline_always,
    reason = "measured in docs/performance.md: `fields_head` and `advance_past` run in every struct's load"
)]

pub use core::fmt::Debug;
pub use core::option::Option::{self, None, Some};
pub use core::primitive::{bool, str, u8, u32, usize};
pub use core::result::Result::{self, Err, Ok};
pub use std::boxed::Box;
pub use std::vec::Vec;

use std::collections::VecDeque;

pub use crate::count_of::{CountFromLen, count_of, save_counted_varray};
pub use crate::field::describe_elements;
pub use crate::layout::{min_wire_size, vmdesc_compressible};
pub use crate::subsection::{
    SUBSECTION_MARKER, duplicate_subsection, enter_subsection, is_subsection_name, peek_subsection,
    save_subsection, subsection_not_allowed, unknown_subsection,
};
pub use vmstate_lock::str_eq;

use crate::desc::{FieldDesc, StateDesc};
use crate::error::{Error, ErrorKind};
use crate::field::{VmStateField, wire_size_mismatch};
use crate::reader::Reader;
use crate::state::VmState;

/// Rejects a `version_id` outside `minimum..=maximum`, as `vmstate_load_state` does.
///
/// # Errors
/// [`ErrorKind::VersionTooNew`] or [`ErrorKind::VersionTooOld`].
#[inline]
pub fn check_version(
    name: &'static str,
    version_id: u32,
    minimum: u32,
    maximum: u32,
    offset: u64,
) -> Result<(), Error> {
    if version_id > maximum {
        return Err(Error::at(
            ErrorKind::VersionTooNew {
                name,
                found: version_id,
                supported: maximum,
            },
            offset,
        ));
    }
    if version_id < minimum {
        return Err(Error::at(
            ErrorKind::VersionTooOld {
                name,
                found: version_id,
                minimum,
            },
            offset,
        ));
    }
    Ok(())
}

/// Rejects a save for a version outside `minimum..=maximum`.
///
/// # Errors
/// [`ErrorKind::VersionTooNew`] or [`ErrorKind::VersionTooOld`].
#[inline]
pub fn check_save_version(
    name: &'static str,
    version_id: u32,
    minimum: u32,
    maximum: u32,
) -> Result<(), Error> {
    if version_id > maximum {
        return Err(Error::new(ErrorKind::VersionTooNew {
            name,
            found: version_id,
            supported: maximum,
        }));
    }
    if version_id < minimum {
        return Err(Error::new(ErrorKind::VersionTooOld {
            name,
            found: version_id,
            minimum,
        }));
    }
    Ok(())
}

/// `VmStateField::save_slice` of a derived struct: the elements one after
/// the other. When every element has the same size, the output grows once and
/// each element writes its slice of it with
/// [`save_fixed`](VmStateField::save_fixed), where no field checks capacity.
///
/// # Errors
/// As the elements' save, with the element index in the path.
#[inline]
pub fn save_struct_slice<T: VmState>(items: &[T], out: &mut Vec<u8>) -> Result<(), Error> {
    if let Some(size) = const { T::SCHEMA.fixed_size() }
        && size > 0
    {
        let start = out.len();
        out.resize(start + size.saturating_mul(items.len()), 0);
        let chunks = out[start..].chunks_exact_mut(size);
        for (index, (item, mut chunk)) in items.iter().zip(chunks).enumerate() {
            item.save_fixed(&mut chunk)
                .and_then(|()| {
                    if chunk.is_empty() {
                        Ok(())
                    } else {
                        Err(wire_size_mismatch())
                    }
                })
                .map_err(|e| e.in_element(index))?;
        }
        return Ok(());
    }
    for (index, item) in items.iter().enumerate() {
        item.save_state(out).map_err(|e| e.in_element(index))?;
    }
    Ok(())
}

/// A reader over exactly the bytes of `T`'s fields, when they have a fixed
/// size at `version_id` (the current version) and the input holds them all.
///
/// The derive loads the fields from it, so that this one bounds check stands
/// for all of theirs, which the compiler folds away; otherwise (other
/// versions, variable fields, truncated input) it loads them from `reader`
/// one check at a time, which names the field a truncated input ends in.
/// [`advance_past`] then moves `reader` past what the fields read.
#[inline(always)]
#[must_use]
pub fn fields_head<'a, T: VmState>(reader: &Reader<'a>, version_id: u32) -> Option<Reader<'a>> {
    let fixed_size = const { T::SCHEMA.fields_fixed_size() };
    let size = fixed_size?;
    if version_id != T::VERSION {
        return None;
    }
    let bytes = reader.rest().get(..size)?;
    Some(Reader::with_base_offset(bytes, reader.offset()))
}

/// Moves `reader` past what was read from `head`, a reader that
/// [`fields_head`] made from it.
///
/// # Errors
/// None in practice: `head`'s bytes are `reader`'s next ones.
#[inline(always)]
pub fn advance_past(reader: &mut Reader<'_>, head: &Reader<'_>) -> Result<(), Error> {
    let read = head.offset() - reader.offset();
    reader.skip(usize::try_from(read).unwrap_or(usize::MAX))
}

/// Loads a value that must equal the local one (QEMU `VMSTATE_*_EQUAL`).
///
/// # Errors
/// [`ErrorKind::NotEqual`], or whatever loading the value returns.
pub fn load_equal<T>(local: &T, reader: &mut Reader<'_>) -> Result<(), Error>
where
    T: VmStateField + Clone + PartialEq + Debug,
{
    let offset = reader.offset();
    let mut incoming = local.clone();
    incoming.load_field(reader)?;
    if incoming == *local {
        Ok(())
    } else {
        Err(Error::at(
            ErrorKind::NotEqual {
                expected: format!("{local:?}"),
                found: format!("{incoming:?}"),
            },
            offset,
        ))
    }
}

/// Turns a hook's result into ours.
///
/// # Errors
/// [`ErrorKind::Hook`] when the hook failed.
#[inline]
pub fn hook<E>(name: &'static str, result: Result<(), E>, offset: Option<u64>) -> Result<(), Error>
where
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    result.map_err(|source| {
        let error = Error::new(ErrorKind::Hook {
            hook: name,
            source: source.into(),
        });
        match offset {
            Some(offset) => error.at_offset(offset),
            None => error,
        }
    })
}

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

    fn resize_for_load(&mut self, len: usize) -> &mut [T] {
        if self.len() != len {
            let mut items = core::mem::take(self).into_vec();
            items.truncate(len);
            items.resize_with(len, T::default);
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
            len_field,
            count,
            actual: len,
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

/// [`VmStateField::saved_len_hint`] of a subsection: its header (marker,
/// name length, name, version) and payload.
#[inline]
pub fn subsection_len_hint<T: VmState>(value: &T) -> usize {
    (1 + 1 + T::NAME.len() + 4).saturating_add(value.saved_len_hint())
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

/// The error for an enum discriminant that names no variant.
#[cold]
#[must_use]
pub fn invalid_enum_value(type_name: &'static str, value: u64, offset: u64) -> Error {
    Error::at(ErrorKind::InvalidEnumValue { type_name, value }, offset)
}

/// Whether every flag is set (`&&` over a list, in `const` context).
#[must_use]
pub const fn all(flags: &[bool]) -> bool {
    let mut i = 0;
    while i < flags.len() {
        if !flags[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether a subsection version survives QEMU 7.2 reading it into a byte.
#[must_use]
pub const fn fits_in_a_byte(version: u32) -> bool {
    version <= 0xff
}

/// A struct's description: its name, version, described fields and sent
/// subsections.
#[must_use]
pub fn state_desc(
    name: &str,
    version: u32,
    fields: Vec<FieldDesc>,
    subsections: Vec<StateDesc>,
) -> StateDesc {
    StateDesc {
        vmsd_name: name.to_owned(),
        version,
        fields,
        subsections,
    }
}

/// The description at `VERSION`, which cannot fail (every gate is known
/// there and no subsection is newer); the bare header if it did.
#[must_use]
pub fn described_at_version(
    described: Result<StateDesc, Error>,
    name: &str,
    version: u32,
) -> StateDesc {
    described.unwrap_or_else(|_| state_desc(name, version, Vec::new(), Vec::new()))
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

/// Describes a field with a custom wire view as a `buffer` of its saved size.
pub fn describe_with(
    name: &str,
    out: &mut Vec<FieldDesc>,
    save: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
) {
    let mut bytes = Vec::new();
    let size = save(&mut bytes).map_or(0, |()| bytes.len());
    out.push(FieldDesc::scalar(name, "buffer", size));
}

/// Replaces the QEMU type name of freshly described entries (`info = "..."`).
/// A byte array given a type of its own is one entry of the whole size, as
/// QEMU's `VMSTATE_BUFFER` and `VMSTATE_BUFFER_UNSAFE_INFO` describe it
/// (`buffer`, `pci config`); arrays of wider elements keep their `array_len`.
pub fn set_info(entries: &mut [FieldDesc], info: &str) {
    for entry in entries {
        if entry.size == 1
            && entry.nested.is_none()
            && let Some(len) = entry.array_len.take()
        {
            entry.size = len;
        }
        info.clone_into(&mut entry.type_name);
    }
}

/// Describes a struct field: a `struct` entry holding its state.
pub fn describe_struct(name: &str, state: StateDesc, out: &mut Vec<FieldDesc>) {
    out.push(FieldDesc::structure(name, state));
}

/// The lock's compile-time comparisons and the test that records.
pub mod lock {
    pub use crate::lock::compare::{Message, moved, subsection_diff, wire_diff};
    pub use crate::lock::record_in_test;
}
