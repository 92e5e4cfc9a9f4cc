//! `String`, which QEMU has no single form of: a be32 byte count, then the
//! UTF-8 bytes.
//!
//! Wire form: what a QEMU device writes for a `uint32_t` length field followed
//! by `VMSTATE_VBUFFER_ALLOC_UINT32` of that length (`put_buffer`: the bytes
//! as they are), so a model of such a device can use it. Loading refuses a
//! count longer than the rest of the input before allocating, and bytes that
//! are not UTF-8.
//!
//! ```
//! use vmstate_runtime::with::string;
//!
//! // As `#[vmstate(with = vmstate::with::string)] serial: String`:
//! let mut out = Vec::new();
//! string::save(&"ab".to_owned(), &mut out)?;
//! assert_eq!(out, [0, 0, 0, 2, b'a', b'b']);
//! # Ok::<(), vmstate_runtime::Error>(())
//! ```

use crate::desc::FieldDesc;
use crate::error::{Error, ErrorKind};
use crate::reader::Reader;
use crate::schema::WireType;

/// This view, as [`ViewLayout`](super::ViewLayout) names it: `string`.
#[derive(Debug, Clone, Copy)]
pub struct View;

impl super::ViewLayout<String> for View {
    const WIRE: WireType = WireType::View {
        form: "string",
        parts: &[],
    };
}

/// Writes the byte count as a be32, then the bytes.
///
/// # Errors
/// [`ErrorKind::Unrepresentable`] for a string of more than `u32::MAX` bytes.
#[allow(
    clippy::ptr_arg,
    reason = "a view's `save` receives `&field`, and the field is a `String`"
)]
pub fn save(value: &String, out: &mut Vec<u8>) -> Result<(), Error> {
    let len = u32::try_from(value.len()).map_err(|_| {
        Error::new(ErrorKind::Unrepresentable {
            view: "string",
            reason: format!("{} bytes do not fit a be32 count", value.len()),
        })
    })?;
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(value.as_bytes());
    Ok(())
}

/// Reads the count and that many UTF-8 bytes.
///
/// # Errors
/// Truncated input, [`ErrorKind::InvalidLength`] for a count past the end of
/// the input, [`ErrorKind::InvalidUtf8`] at the string's first byte.
pub fn load(value: &mut String, reader: &mut Reader<'_>) -> Result<(), Error> {
    let count_offset = reader.offset();
    let count = reader.read_be32()?;
    let len = usize::try_from(count)
        .ok()
        .filter(|len| *len <= reader.remaining())
        .ok_or_else(|| {
            Error::at(
                ErrorKind::InvalidLength {
                    count: i128::from(count),
                    max: reader.remaining() as u64,
                },
                count_offset,
            )
        })?;
    let offset = reader.offset();
    let bytes = reader.read_bytes(len)?;
    let text = core::str::from_utf8(bytes).map_err(|source| {
        Error::at(
            ErrorKind::InvalidUtf8 {
                what: "string",
                source,
            },
            offset,
        )
    })?;
    value.clear();
    value.push_str(text);
    Ok(())
}

/// Describes the field for a vmdesc as type `string` of its whole size
/// (count and bytes), so that a reader shows the text. (QEMU has no such
/// type; its own tools show the bytes.) The derive describes fields with
/// this view through it.
#[allow(
    clippy::ptr_arg,
    reason = "a view receives `&field`, and the field is a `String`"
)]
pub fn describe(value: &String, name: &str, out: &mut Vec<FieldDesc>) {
    out.push(FieldDesc::scalar(name, TYPE_NAME, 4 + value.len()));
}

/// The vmdesc type name of a string.
pub const TYPE_NAME: &str = "string";
