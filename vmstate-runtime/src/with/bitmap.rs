//! QEMU `VMSTATE_BITMAP`: a bitmap as 64-bit words.
//!
//! Two views: [`Bitmap::<BITS>`](Bitmap) for a bitmap whose bit count is a
//! constant, and this module's [`save`]/[`load`]
//! (`#[vmstate(with = vmstate::with::bitmap)]`) for one whose size is the
//! storage's own: every word of a `[u64; W]`, or of a `Vec<u64>` or
//! `Box<[u64]>` as long as it is locally. The latter is QEMU's rule: the bit
//! count comes from the *destination's* field, so both sides must agree on
//! it, and a `Vec` is sized before the load, as QEMU allocates the bitmap at
//! realize.
//!
//! ```
//! use vmstate_runtime::{Reader, with::bitmap};
//!
//! // As `#[vmstate(with = vmstate::with::bitmap)] dirty: Vec<u64>`:
//! let mut out = Vec::new();
//! bitmap::save(&vec![1u64, 2], &mut out)?;
//! assert_eq!(out.len(), 16);
//! let mut dirty = vec![0u64; 2];
//! bitmap::load(&mut dirty, &mut Reader::new(&out))?;
//! assert_eq!(dirty, [1, 2]);
//! # Ok::<(), vmstate_runtime::Error>(())
//! ```

use crate::error::{Error, ErrorKind};
use crate::field::VmStateField;
use crate::reader::Reader;
use crate::schema::{Part, WireType};

/// The module's view, as [`ViewLayout`](super::ViewLayout) names it:
/// `bitmap`, with the words when the storage's length is a constant.
#[derive(Debug, Clone, Copy)]
pub struct View;

impl<B: BitmapWords + ?Sized> super::ViewLayout<B> for View {
    const WIRE: WireType = WireType::View {
        form: "bitmap",
        parts: B::PARTS,
    };
}

/// [`Bitmap::<BITS>`](Bitmap) writes its words whatever the storage.
impl<const BITS: usize, B: BitmapWords + ?Sized> super::ViewLayout<B> for Bitmap<BITS> {
    const WIRE: WireType = WireType::View {
        form: "bitmap",
        parts: &[Part {
            name: "words",
            wire: WireType::Array {
                element: &<u64 as VmStateField>::WIRE,
                len: Self::WORDS,
            },
        }],
    };
}

/// The view `#[vmstate(with = vmstate::with::Bitmap::<BITS>)]` for a bitmap of
/// `BITS` bits held in `u64` words, bit `i` in word `i / 64` at bit `i % 64`
/// (QEMU's `unsigned long` layout on a 64-bit host): `[u64; W]`, `Vec<u64>`
/// or `Box<[u64]>` (see [`BitmapWords`]).
///
/// Wire form (QEMU `put_bitmap`/`get_bitmap` in
/// `migration/vmstate-types.c`, the same in 7.2 and 10.0):
/// `BITS_TO_U64S(BITS)` = `BITS.div_ceil(64)` words, each a be64, nothing
/// else. QEMU takes `BITS` from an `int32_t` field of the device; here it is
/// a constant, since a view sees only its own field. Words past
/// `BITS.div_ceil(64)` are neither sent nor touched; bits past `BITS` in the
/// last word are sent as they are, as QEMU does.
///
/// ```
/// use vmstate_runtime::with::Bitmap;
///
/// // As `#[vmstate(with = vmstate::with::Bitmap::<100>)] pending: [u64; 2]`:
/// let mut out = Vec::new();
/// Bitmap::<100>::save(&[1u64 << 63, 0xf], &mut out)?;
/// assert_eq!(out, [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf]);
/// # Ok::<(), vmstate_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Bitmap<const BITS: usize>;

/// Storage for a [`Bitmap`]: `u64` words, bit 0 in word 0's least
/// significant bit.
pub trait BitmapWords {
    /// The words.
    fn words(&self) -> &[u64];
    /// At least `len` words to load into, or `None` when the storage has a
    /// fixed length below `len`. A `Vec` is resized to exactly `len`.
    fn words_for_load(&mut self, len: usize) -> Option<&mut [u64]>;

    /// The words on the wire when the module's view saves this storage and
    /// its length is a constant; none when the length is the value's.
    #[doc(hidden)]
    const PARTS: &'static [Part] = &[];
}

impl<const W: usize> BitmapWords for [u64; W] {
    const PARTS: &'static [Part] = &[Part {
        name: "words",
        wire: WireType::Array {
            element: &<u64 as VmStateField>::WIRE,
            len: W,
        },
    }];

    fn words(&self) -> &[u64] {
        self
    }

    fn words_for_load(&mut self, len: usize) -> Option<&mut [u64]> {
        self.get_mut(..len)
    }
}

impl BitmapWords for Vec<u64> {
    fn words(&self) -> &[u64] {
        self
    }

    fn words_for_load(&mut self, len: usize) -> Option<&mut [u64]> {
        self.resize(len, 0);
        Some(self)
    }
}

impl BitmapWords for Box<[u64]> {
    fn words(&self) -> &[u64] {
        self
    }

    fn words_for_load(&mut self, len: usize) -> Option<&mut [u64]> {
        self.get_mut(..len)
    }
}

impl<const BITS: usize> Bitmap<BITS> {
    /// The number of be64 words on the wire (QEMU `BITS_TO_U64S`).
    pub const WORDS: usize = BITS.div_ceil(64);

    /// Writes the first [`WORDS`](Self::WORDS) words as be64.
    ///
    /// # Errors
    /// [`ErrorKind::Unrepresentable`] when the storage has fewer words.
    pub fn save<B: BitmapWords + ?Sized>(bitmap: &B, out: &mut Vec<u8>) -> Result<(), Error> {
        let words = bitmap.words();
        let words = words.get(..Self::WORDS).ok_or_else(|| short(words.len()))?;
        u64::save_slice(words, out)
    }

    /// Reads [`WORDS`](Self::WORDS) be64 words into the storage.
    ///
    /// # Errors
    /// Truncated input (naming the word it ends in), or
    /// [`ErrorKind::Unrepresentable`] at the field's offset when fixed storage
    /// has fewer words.
    pub fn load<B: BitmapWords + ?Sized>(
        bitmap: &mut B,
        reader: &mut Reader<'_>,
    ) -> Result<(), Error> {
        let offset = reader.offset();
        let held = bitmap.words().len();
        let words = bitmap
            .words_for_load(Self::WORDS)
            .ok_or_else(|| short(held).at_offset(offset))?;
        u64::load_slice(&mut words[..Self::WORDS], reader)
    }
}

#[cold]
fn short(held: usize) -> Error {
    Error::new(ErrorKind::Unrepresentable {
        view: "Bitmap",
        reason: format!("the bitmap's storage holds {held} words, fewer than the wire's"),
    })
}

/// Writes every word of the storage as a be64 (QEMU `put_bitmap` with
/// `size` = 64 bits per word).
///
/// # Errors
/// None: the `Result` is the view's signature.
pub fn save<B: BitmapWords + ?Sized>(bitmap: &B, out: &mut Vec<u8>) -> Result<(), Error> {
    u64::save_slice(bitmap.words(), out)
}

/// Reads as many be64 words as the storage holds now (QEMU `get_bitmap`,
/// whose size is the destination's).
///
/// # Errors
/// Truncated input, naming the word it ends in.
pub fn load<B: BitmapWords + ?Sized>(bitmap: &mut B, reader: &mut Reader<'_>) -> Result<(), Error> {
    let held = bitmap.words().len();
    match bitmap.words_for_load(held) {
        Some(words) => u64::load_slice(words, reader),
        None => Err(short(held).at_offset(reader.offset())),
    }
}
