//! QEMU `VMSTATE_INT32_POSITIVE_LE`: an `i32` whose incoming value must be
//! between 0 and the local value.
//!
//! Wire form: a be32 (`put_int32`). Loading is QEMU's `get_int32_le` (7.2 and
//! 10.0): the value is read with `qemu_get_sbe32s` and taken only when
//! `0 <= loaded <= local`; otherwise the load fails ("Invalid value %d
//! expecting positive value <= %d") and the local value stays. Devices use it
//! for an index or count that must not exceed what this build allocated.
//!
//! ```
//! use vmstate_runtime::{Reader, with::int32_positive_le};
//!
//! // As `#[vmstate(with = vmstate::with::int32_positive_le)] queue_size: i32`:
//! let mut queue_size = 256;
//! int32_positive_le::load(&mut queue_size, &mut Reader::new(&[0, 0, 0, 128]))?;
//! assert_eq!(queue_size, 128);
//! assert!(int32_positive_le::load(&mut queue_size, &mut Reader::new(&[0, 0, 1, 0])).is_err());
//! # Ok::<(), vmstate_runtime::Error>(())
//! ```

use crate::error::{Error, ErrorKind};
use crate::reader::Reader;
use crate::schema::WireType;

/// This view, as [`ViewLayout`](super::ViewLayout) names it:
/// `int32_positive_le`.
#[derive(Debug, Clone, Copy)]
pub struct View;

impl super::ViewLayout<i32> for View {
    const WIRE: WireType = WireType::View {
        form: "int32_positive_le",
        parts: &[],
    };
}

/// Writes the value as a be32.
///
/// # Errors
/// None: the `Result` is the view's signature.
pub fn save(value: &i32, out: &mut Vec<u8>) -> Result<(), Error> {
    out.extend_from_slice(&value.to_be_bytes());
    Ok(())
}

/// Reads a be32 and takes it when it is between 0 and the local value.
///
/// # Errors
/// Truncated input, or [`ErrorKind::OutOfRange`] at the value's offset.
pub fn load(value: &mut i32, reader: &mut Reader<'_>) -> Result<(), Error> {
    let offset = reader.offset();
    let loaded = reader.read_be_i32()?;
    if (0..=*value).contains(&loaded) {
        *value = loaded;
        return Ok(());
    }
    Err(Error::at(
        ErrorKind::OutOfRange {
            what: "value",
            value: i128::from(loaded),
            minimum: 0,
            maximum: i128::from(*value),
            note: Some("at most the local value"),
        },
        offset,
    ))
}
