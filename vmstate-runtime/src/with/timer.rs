//! QEMU `VMSTATE_TIMER_PTR` (and `VMSTATE_TIMER`): a timer as its expiry
//! time, `Option<u64>` or `Option<i64>` where `None` is "not armed".
//!
//! Wire form: a be64 (QEMU `timer_put`/`timer_get` in `util/qemu-timer.c`,
//! reached through `vmstate_info_timer`, the same in 7.2 and 10.0): the
//! expiry in nanoseconds of the timer's clock when it is pending, `-1`
//! (`0xffff_ffff_ffff_ffff`) when it is not (`timer_expire_time_ns`). On
//! load, `-1` deletes the timer and anything else arms it.
//!
//! ```
//! use vmstate_runtime::with::timer;
//!
//! // As `#[vmstate(with = vmstate::with::timer)] watchdog: Option<i64>`:
//! let mut out = Vec::new();
//! timer::save(&Some(0x1000i64), &mut out)?;
//! timer::save(&None::<i64>, &mut out)?;
//! assert_eq!(out[..8], [0, 0, 0, 0, 0, 0, 0x10, 0]);
//! assert_eq!(out[8..], [0xff; 8]);
//! # Ok::<(), vmstate_runtime::Error>(())
//! ```

use crate::desc::FieldDesc;
use crate::error::{Error, ErrorKind};
use crate::reader::Reader;
use crate::schema::WireType;

/// This view, as [`ViewLayout`](super::ViewLayout) names it: `timer`, a
/// be64 whatever the expiry's type.
#[derive(Debug, Clone, Copy)]
pub struct View;

impl<T: Expiry> super::ViewLayout<Option<T>> for View {
    const WIRE: WireType = WireType::View {
        form: "timer",
        parts: &[],
    };
}

/// An expiry time a [`timer`](self) field can hold: `u64` or `i64`.
pub trait Expiry: Copy {
    /// The be64 QEMU writes for it.
    fn to_wire(self) -> u64;
    /// The expiry a be64 other than `-1` stands for.
    fn from_wire(word: u64) -> Self;
}

impl Expiry for u64 {
    fn to_wire(self) -> u64 {
        self
    }

    fn from_wire(word: u64) -> Self {
        word
    }
}

impl Expiry for i64 {
    fn to_wire(self) -> u64 {
        u64::from_be_bytes(self.to_be_bytes())
    }

    fn from_wire(word: u64) -> Self {
        i64::from_be_bytes(word.to_be_bytes())
    }
}

/// QEMU's "not armed": `(uint64_t)-1`.
const NOT_ARMED: u64 = u64::MAX;

/// Writes the expiry, or `-1` for `None`.
///
/// # Errors
/// [`ErrorKind::Unrepresentable`] for `Some(-1)` (`Some(u64::MAX)`), which
/// the receiver would read as "not armed".
#[allow(
    clippy::ref_option,
    reason = "a view's `save` receives `&field`, and the field is an `Option`"
)]
pub fn save<T: Expiry>(timer: &Option<T>, out: &mut Vec<u8>) -> Result<(), Error> {
    let word = match timer {
        None => NOT_ARMED,
        Some(expiry) if expiry.to_wire() == NOT_ARMED => {
            return Err(Error::new(ErrorKind::Unrepresentable {
                view: "timer",
                reason: "an armed timer expiring at -1 reads back as not armed".to_owned(),
            }));
        }
        Some(expiry) => expiry.to_wire(),
    };
    out.extend_from_slice(&word.to_be_bytes());
    Ok(())
}

/// Reads a be64: `-1` is `None`, anything else the expiry.
///
/// # Errors
/// Truncated input.
pub fn load<T: Expiry>(timer: &mut Option<T>, reader: &mut Reader<'_>) -> Result<(), Error> {
    *timer = match reader.read_be64()? {
        NOT_ARMED => None,
        word => Some(T::from_wire(word)),
    };
    Ok(())
}

/// Describes the field for a vmdesc as QEMU does a timer: type `timer`, 8
/// bytes. The derive describes fields with this view through it.
#[allow(
    clippy::ref_option,
    reason = "a view receives `&field`, and the field is an `Option`"
)]
pub fn describe<T: Expiry>(_timer: &Option<T>, name: &str, out: &mut Vec<FieldDesc>) {
    out.push(FieldDesc::scalar(name, "timer", 8));
}
