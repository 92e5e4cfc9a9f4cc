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

pub use crate::count_of::{CountFromLen, count_of, save_counted_varray};
pub use crate::field::describe_elements;
pub use crate::layout::{min_wire_size, vmdesc_compressible};
pub use crate::subsection::{
    SUBSECTION_MARKER, duplicate_subsection, enter_subsection, is_subsection_name, peek_subsection,
    save_subsection, subsection_not_allowed, unknown_subsection,
};
pub use crate::varray::{
    Varray, VarrayCount, describe_varray, load_varray, save_elements, save_varray,
    sync_varray_counts, varray_len_hint,
};
pub use vmstate_lock::{on_wire_at, str_eq};

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

/// [`VmStateField::saved_len_hint`] of a subsection: its header (marker,
/// name length, name, version) and payload.
#[inline]
pub fn subsection_len_hint<T: VmState>(value: &T) -> usize {
    (1 + 1 + T::NAME.len() + 4).saturating_add(value.saved_len_hint())
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
