//! Count fields computed from the array they count,
//! `#[vmstate(count_of = array)]`: saved as the array's length, so no count
//! is kept in sync by hand; loaded as any integer field.

use crate::error::{Error, ErrorKind};
use crate::varray::{Varray, save_elements};

/// An integer type that can hold a variable array's length, when it fits.
pub trait CountFromLen: Sized {
    /// The largest count the type holds.
    fn max_count() -> u64;
    /// `len` as this type, or `None` when it does not fit.
    fn from_len(len: usize) -> Option<Self>;
}

macro_rules! count_from_len {
    ($($ty:ty),*) => {$(
        impl CountFromLen for $ty {
            #[inline]
            fn max_count() -> u64 {
                // Every count type's `MAX` is positive and fits.
                u64::try_from(<$ty>::MAX).unwrap_or(u64::MAX)
            }
            #[inline]
            fn from_len(len: usize) -> Option<Self> {
                <$ty>::try_from(len).ok()
            }
        }
    )*};
}

count_from_len!(u8, u16, u32, u64, i8, i16, i32, i64);

/// The count to save for `array`: its length, as the count field's type.
///
/// # Errors
/// [`ErrorKind::CountOverflow`] when the length does not fit in `C`.
#[inline]
pub fn count_of<C: CountFromLen, V: Varray>(
    array: &V,
    array_field: &'static str,
) -> Result<C, Error> {
    let (head, tail) = array.as_slices();
    let actual = head.len() + tail.len();
    C::from_len(actual).ok_or_else(|| {
        Error::new(ErrorKind::CountOverflow {
            array_field,
            actual,
            max: C::max_count(),
        })
    })
}

/// Saves a variable array whose count field is computed from it, so that
/// the two always agree.
///
/// # Errors
/// Whatever saving an element returns.
#[inline]
pub fn save_counted_varray<V: Varray>(array: &V, out: &mut Vec<u8>) -> Result<(), Error> {
    save_elements(array, out)
}
