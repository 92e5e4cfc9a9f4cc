//! The rules every derived `VmState` impl shares: version checks as
//! `vmstate_load_state` makes them, the fixed-size fast paths, `_EQUAL`
//! fields, hook results and enum discriminants. The derive calls them
//! through `__private`, so that the generated code stays short and each
//! wire rule is written once, here.

#![allow(
    clippy::inline_always,
    reason = "measured in docs/performance.md: `fields_head` and `advance_past` run in every struct's load"
)]

use core::fmt::Debug;

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
