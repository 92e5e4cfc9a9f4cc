//! `Option<T>`, which QEMU has no single form of: a presence byte, then the
//! value when present.
//!
//! Wire form: `0x00` for `None`; `0x01` and the value's encoding for
//! `Some`. This is what a QEMU device writes for the usual idiom of a `bool`
//! field followed by a field whose `field_exists` test reads that bool
//! (`VMSTATE_BOOL(has_x, S)`, `VMSTATE_UINT32_TEST(x, S, x_needed)`), so a
//! model of such a device can use it. Loading is strict: a presence byte
//! other than 0 and 1 is an error, where QEMU's `get_bool` would take any
//! non-zero byte.
//!
//! ```
//! use vmstate_runtime::with::option;
//!
//! // As `#[vmstate(with = vmstate::with::option)] pending_irq: Option<u32>`:
//! let mut out = Vec::new();
//! option::save(&Some(5u32), &mut out)?;
//! option::save(&None::<u32>, &mut out)?;
//! assert_eq!(out, [1, 0, 0, 0, 5, 0]);
//! # Ok::<(), vmstate_runtime::Error>(())
//! ```

use crate::desc::{FieldDesc, StateDesc};
use crate::error::{Error, ErrorKind};
use crate::field::VmStateField;
use crate::reader::Reader;
use crate::schema::{Part, WireType};

/// This view, as [`ViewLayout`](super::ViewLayout) names it: `option`, the
/// value's wire type as its part.
#[derive(Debug, Clone, Copy)]
pub struct View;

impl<T: VmStateField> super::ViewLayout<Option<T>> for View {
    const WIRE: WireType = WireType::View {
        form: "option",
        parts: &[Part {
            name: "value",
            wire: T::WIRE,
        }],
    };
}

/// Writes `0x00`, or `0x01` and the value.
///
/// # Errors
/// Whatever saving the value returns.
#[allow(
    clippy::ref_option,
    reason = "a view's `save` receives `&field`, and the field is an `Option`"
)]
pub fn save<T: VmStateField>(value: &Option<T>, out: &mut Vec<u8>) -> Result<(), Error> {
    match value {
        None => {
            out.push(0);
            Ok(())
        }
        Some(value) => {
            out.push(1);
            value.save_field(out)
        }
    }
}

/// Reads the presence byte, then the value when it is `0x01`. A present value
/// loads over the local one when there is one, else over `T::default()`.
///
/// # Errors
/// Truncated input, [`ErrorKind::BadMarker`] for a presence byte other than
/// 0 and 1, or whatever loading the value returns.
pub fn load<T: VmStateField + Default>(
    value: &mut Option<T>,
    reader: &mut Reader<'_>,
) -> Result<(), Error> {
    let offset = reader.offset();
    match reader.read_u8()? {
        0 => {
            *value = None;
            Ok(())
        }
        1 => value.get_or_insert_with(T::default).load_field(reader),
        found => Err(Error::at(
            ErrorKind::BadMarker {
                what: "presence byte of an optional value",
                found,
                expected: "0x00 (none) or 0x01 (some)",
            },
            offset,
        )),
    }
}

/// Describes the field for a vmdesc as type `option`: its whole size, and
/// for `Some` the value's own description as the one field `value` of the
/// nested state, so that a reader shows `null` or the value. (QEMU has no
/// such type; its own tools show the bytes.) The derive describes fields
/// with this view through it.
#[allow(
    clippy::ref_option,
    reason = "a view receives `&field`, and the field is an `Option`"
)]
pub fn describe<T: VmStateField>(value: &Option<T>, name: &str, out: &mut Vec<FieldDesc>) {
    let mut bytes = Vec::new();
    let size = save(value, &mut bytes).map_or(0, |()| bytes.len());
    let mut field = FieldDesc::scalar(name, TYPE_NAME, size);
    if let Some(value) = value {
        let mut fields = Vec::new();
        value.describe_field("value", &mut fields);
        field.nested = Some(Box::new(StateDesc {
            fields,
            ..StateDesc::default()
        }));
    }
    out.push(field);
}

/// The vmdesc type name of an optional value.
pub const TYPE_NAME: &str = "option";
