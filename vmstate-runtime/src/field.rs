//! The per-field wire codec: how one value of a type is written and read.

#![allow(
    clippy::inline_always,
    reason = "measured in docs/performance.md: the primitive reads must inline into every generated load"
)]
#![allow(
    clippy::mut_mut,
    reason = "`&mut &mut [u8]` is the cursor `save_fixed` writes through, as `io::Write for &mut [u8]` is"
)]

use crate::bulk::BulkInt;
use crate::desc::FieldDesc;
use crate::error::Error;
use crate::reader::Reader;
use crate::schema::WireType;

/// A type that can be a field of a `#[derive(VmState)]` struct: it knows how to
/// write itself to, and read itself from, QEMU's wire format.
///
/// Implemented for the fixed-width integers, `bool`, `f64`, arrays of fields,
/// [`Unused`](crate::Unused), the std types of `std_fields` and `pointer`
/// (`f32`, `Wrapping<T>`, atomics, `Option<Box<T>>` as a pointer-array
/// element, `BTreeMap` with an integer key), and every type that derives
/// `VmState` (structs are inlined like QEMU's `VMSTATE_STRUCT`; fieldless
/// enums and newtypes use their underlying integer or field). Other std types
/// take a view from [`with`](crate::with), which the compile error names.
///
/// Loads happen in place, as in QEMU: a value is overwritten field by field, so
/// large arrays are never moved and fields the input does not carry keep their
/// current value.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a vmstate field",
    label = "this type has no QEMU wire encoding",
    note = "if `{Self}` is a struct, newtype or `#[repr(u8)]` enum of your crate, derive `VmState` for it; otherwise give the field a wire view with `#[vmstate(with = ...)]`",
    note = "ready-made views in `vmstate::with`: `option` (`Option<T>`: presence byte, value), `timer` (`Option<u64>`/`Option<i64>` deadline: be64, -1 when not armed), `string` (`String`), `gtree` (`BTreeMap` with a struct key; an integer key needs no view), `qtailq` and `qlist` (`Vec`/`VecDeque` lists), `bitmap`, `PartialBuffer::<N>`, `int32_positive_le`, `ptr_array_auto_alloc`",
    note = "a `Vec`, `VecDeque` or `Box<[T]>` whose count is an earlier integer field takes `#[vmstate(len = field)]`; `usize`, `isize` and `char` have no fixed wire size: use a fixed-width integer"
)]
pub trait VmStateField {
    /// The fewest bytes a value of this type can occupy on the wire. Loads use it
    /// to reject variable-array counts that the remaining input cannot hold,
    /// before they allocate.
    const MIN_WIRE_SIZE: usize;

    /// Whether an array of this type is described as one vmdesc entry with an
    /// `array_len` rather than one entry per element, as QEMU's
    /// `vmsd_can_compress` decides: false for structs with subsections or
    /// `exists` fields.
    const VMDESC_COMPRESSIBLE: bool = true;

    /// The wire layout, for schemas and layout checks; `Opaque` when only
    /// saving a value tells.
    ///
    /// A fixed size here is a promise: arrays of derived structs made of such
    /// fields save and load each element as one block of that size
    /// ([`save_fixed`](Self::save_fixed)). A save that writes another number
    /// of bytes fails with an error; a load that reads fewer goes on from
    /// where it stopped.
    const WIRE: WireType = WireType::Opaque;

    /// Whether a load at the current version cannot fail on an input exactly
    /// as long as the schema says ([`WIRE`](Self::WIRE)'s fixed size, or for
    /// a struct [`Schema::payload_len`](crate::schema::Schema::payload_len)):
    /// no hook, no checked value (`equal`, enum discriminants, custom views).
    /// [`load_into`](crate::load_into) then loads such a device in place
    /// rather than into a copy. A wrong `true` breaks that guarantee, so it
    /// is `false` unless the type's load only copies bits.
    const LOAD_INFALLIBLE: bool = false;

    /// Appends the wire encoding of `self` to `out`.
    ///
    /// # Errors
    /// Only user code can fail a save: hooks, custom views, or a variable array
    /// whose length disagrees with its count field.
    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error>;

    /// Overwrites `self` with a value read from `reader`.
    ///
    /// # Errors
    /// Any malformed or truncated input; the error carries the byte offset.
    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error>;

    /// Appends how QEMU's vmdesc describes this value as field `name`. The
    /// default describes an opaque `buffer` of the value's saved size.
    fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
        let mut bytes = Vec::new();
        // A value that cannot be saved has nothing to describe either.
        let size = self.save_field(&mut bytes).map_or(0, |()| bytes.len());
        out.push(FieldDesc::scalar(name, "buffer", size));
    }

    /// Sets every `count_of` count inside this value to the length of its
    /// array, as a save writes it (see [`VmState::sync_counts`](crate::VmState::sync_counts)).
    /// The default has no counts to set.
    #[inline]
    fn sync_field_counts(&mut self) {}

    /// How many bytes [`save_field`](Self::save_field) writes for this value,
    /// as far as it can tell without saving: exact for a fixed
    /// [`WIRE`](Self::WIRE) size and for derived structs of fields, variable
    /// arrays and subsections of such types; at least
    /// [`MIN_WIRE_SIZE`](Self::MIN_WIRE_SIZE) otherwise (custom views).
    /// [`to_vec`](crate::to_vec) reserves it, so that the result is the
    /// payload's one allocation.
    #[inline]
    fn saved_len_hint(&self) -> usize {
        match Self::WIRE.fixed_size() {
            Some(size) => size,
            None => Self::MIN_WIRE_SIZE,
        }
    }

    /// Writes the wire encoding of `self` to the front of `out` and moves `out`
    /// past it, for a type whose [`WIRE`](Self::WIRE) has a fixed size. Arrays
    /// of derived structs with a fixed size save through it into space they
    /// reserve once, so that no field checks the output's capacity.
    ///
    /// The default saves with [`save_field`](Self::save_field) into a
    /// temporary buffer and copies it; the crate's types and derived types
    /// write in place.
    ///
    /// # Errors
    /// As [`save_field`](Self::save_field); also when `out` is shorter than
    /// the encoding, which means `WIRE` understates the size.
    #[inline]
    fn save_fixed(&self, out: &mut &mut [u8]) -> Result<(), Error> {
        let mut bytes = Vec::new();
        self.save_field(&mut bytes)?;
        put_bytes(out, &bytes)
    }

    /// Appends the encodings of `items`, back to back. Integer types override it
    /// with a bulk conversion.
    ///
    /// # Errors
    /// As [`save_field`](Self::save_field), with the element index in the path.
    #[inline]
    fn save_slice(items: &[Self], out: &mut Vec<u8>) -> Result<(), Error>
    where
        Self: Sized,
    {
        for (index, item) in items.iter().enumerate() {
            item.save_field(out).map_err(|e| e.in_element(index))?;
        }
        Ok(())
    }

    /// Loads `items` in place, back to back. Integer types override it with a
    /// bulk conversion.
    ///
    /// # Errors
    /// As [`load_field`](Self::load_field), with the element index in the path.
    #[inline]
    fn load_slice(items: &mut [Self], reader: &mut Reader<'_>) -> Result<(), Error>
    where
        Self: Sized,
    {
        for (index, item) in items.iter_mut().enumerate() {
            item.load_field(reader).map_err(|e| e.in_element(index))?;
        }
        Ok(())
    }

    /// Replaces `items` with `len` loaded elements (a variable array).
    /// Bytes override it to append straight from the input, so that a
    /// buffer is written once rather than zero-filled and then copied.
    ///
    /// # Errors
    /// As [`load_slice`](Self::load_slice).
    #[inline]
    fn load_vec(items: &mut Vec<Self>, len: usize, reader: &mut Reader<'_>) -> Result<(), Error>
    where
        Self: Sized + Default,
    {
        items.truncate(len);
        items.resize_with(len, Self::default);
        Self::load_slice(items, reader)
    }
}

/// Writes `bytes` to the front of `out` and moves `out` past them: the
/// primitive step of [`VmStateField::save_fixed`].
///
/// # Errors
/// When `out` is too short: the type's `WIRE` understates its size.
#[inline(always)]
pub(crate) fn put_bytes(out: &mut &mut [u8], bytes: &[u8]) -> Result<(), Error> {
    match core::mem::take(out).split_at_mut_checked(bytes.len()) {
        Some((head, rest)) => {
            head.copy_from_slice(bytes);
            *out = rest;
            Ok(())
        }
        None => Err(wire_size_mismatch()),
    }
}

/// A type saved more or fewer bytes than its `WIRE` declares.
#[cold]
#[inline(never)]
#[must_use]
pub(crate) fn wire_size_mismatch() -> Error {
    Error::new(crate::ErrorKind::WireSizeMismatch)
}

/// Reads `count` elements of `size` bytes each in one bounds check, or says which
/// element the input ends in.
#[inline]
fn read_elements<'a>(
    reader: &mut Reader<'a>,
    count: usize,
    size: usize,
) -> Result<&'a [u8], Error> {
    let total = count.saturating_mul(size);
    if total <= reader.remaining() {
        return reader.read_bytes(total);
    }
    let whole = reader.remaining() / size;
    reader.skip(whole * size)?;
    Err(reader.eof(size).in_element(whole))
}

/// Arrays of at least this many bytes save through [`BulkInt`]; smaller ones
/// inline a plain loop, which has less set-up (W1's registers and timers).
const BULK_SAVE_BYTES: usize = 1024;

/// Arrays of at least this many bytes load through [`BulkInt`]. Lower than for
/// saves: for smaller loads of `u64`, LLVM's baseline code swaps bytes with
/// SSE2 unpack and shuffle sequences that are slower than one `bswap` per
/// element (docs/performance.md).
const BULK_LOAD_BYTES: usize = 64;

/// Integers: big-endian, converted in bulk inside arrays.
macro_rules! integer_fields {
    ($($ty:ty => $info:literal),*) => {$(
        impl VmStateField for $ty {
            const MIN_WIRE_SIZE: usize = size_of::<$ty>();
            const LOAD_INFALLIBLE: bool = true;
            const WIRE: WireType = WireType::Scalar { info: $info, size: size_of::<$ty>() };

            fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
                out.push(FieldDesc::scalar(name, $info, size_of::<$ty>()));
            }

            #[inline]
            fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
                out.extend_from_slice(&self.to_be_bytes());
                Ok(())
            }

            #[inline(always)]
            fn save_fixed(&self, out: &mut &mut [u8]) -> Result<(), Error> {
                put_bytes(out, &self.to_be_bytes())
            }

            #[inline(always)]
            fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
                *self = <$ty>::from_be_bytes(reader.read_array()?);
                Ok(())
            }

            #[inline]
            fn save_slice(items: &[Self], out: &mut Vec<u8>) -> Result<(), Error> {
                const SIZE: usize = size_of::<$ty>();
                if items.len() * SIZE >= BULK_SAVE_BYTES {
                    <$ty as BulkInt>::save_bulk(items, out);
                    return Ok(());
                }
                let start = out.len();
                out.resize(start + items.len() * SIZE, 0);
                let (chunks, _) = out[start..].as_chunks_mut::<SIZE>();
                for (chunk, item) in chunks.iter_mut().zip(items) {
                    *chunk = item.to_be_bytes();
                }
                Ok(())
            }

            #[inline]
            fn load_slice(items: &mut [Self], reader: &mut Reader<'_>) -> Result<(), Error> {
                const SIZE: usize = size_of::<$ty>();
                let bytes = read_elements(reader, items.len(), SIZE)?;
                if bytes.len() >= BULK_LOAD_BYTES {
                    <$ty as BulkInt>::load_bulk(items, bytes);
                    return Ok(());
                }
                let (chunks, _) = bytes.as_chunks::<SIZE>();
                for (item, chunk) in items.iter_mut().zip(chunks) {
                    *item = <$ty>::from_be_bytes(*chunk);
                }
                Ok(())
            }
        }
    )*};
}

integer_fields!(
    u16 => "uint16", u32 => "uint32", u64 => "uint64", u128 => "uint128",
    i16 => "int16", i32 => "int32", i64 => "int64", i128 => "int128"
);

/// Bytes move with one copy.
macro_rules! byte_fields {
    ($($ty:ty => $info:literal),*) => {$(
        impl VmStateField for $ty {
            const MIN_WIRE_SIZE: usize = 1;
            const LOAD_INFALLIBLE: bool = true;
            const WIRE: WireType = WireType::Scalar { info: $info, size: 1 };

            fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
                out.push(FieldDesc::scalar(name, $info, 1));
            }

            #[inline]
            fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
                out.extend_from_slice(&self.to_be_bytes());
                Ok(())
            }

            #[inline(always)]
            fn save_fixed(&self, out: &mut &mut [u8]) -> Result<(), Error> {
                put_bytes(out, &self.to_be_bytes())
            }

            #[inline(always)]
            fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
                *self = <$ty>::from_be_bytes(reader.read_array()?);
                Ok(())
            }

            #[inline]
            fn save_slice(items: &[Self], out: &mut Vec<u8>) -> Result<(), Error> {
                out.extend(items.iter().map(|b| b.to_be_bytes()[0]));
                Ok(())
            }

            #[inline]
            fn load_slice(items: &mut [Self], reader: &mut Reader<'_>) -> Result<(), Error> {
                let bytes = read_elements(reader, items.len(), 1)?;
                for (item, byte) in items.iter_mut().zip(bytes) {
                    *item = <$ty>::from_be_bytes([*byte]);
                }
                Ok(())
            }

            #[inline]
            fn load_vec(items: &mut Vec<Self>, len: usize, reader: &mut Reader<'_>) -> Result<(), Error> {
                let bytes = read_elements(reader, len, 1)?;
                items.clear();
                items.extend(bytes.iter().map(|byte| <$ty>::from_be_bytes([*byte])));
                Ok(())
            }
        }
    )*};
}

byte_fields!(i8 => "int8");

impl VmStateField for u8 {
    const MIN_WIRE_SIZE: usize = 1;
    const LOAD_INFALLIBLE: bool = true;
    const WIRE: WireType = WireType::Scalar {
        info: "uint8",
        size: 1,
    };

    fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
        out.push(FieldDesc::scalar(name, "uint8", 1));
    }

    #[inline]
    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.push(*self);
        Ok(())
    }

    #[inline(always)]
    fn save_fixed(&self, out: &mut &mut [u8]) -> Result<(), Error> {
        put_bytes(out, &[*self])
    }

    #[inline(always)]
    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        *self = reader.read_u8()?;
        Ok(())
    }

    #[inline]
    fn save_slice(items: &[Self], out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(items);
        Ok(())
    }

    #[inline]
    fn load_slice(items: &mut [Self], reader: &mut Reader<'_>) -> Result<(), Error> {
        items.copy_from_slice(read_elements(reader, items.len(), 1)?);
        Ok(())
    }

    #[inline]
    fn load_vec(items: &mut Vec<Self>, len: usize, reader: &mut Reader<'_>) -> Result<(), Error> {
        let bytes = read_elements(reader, len, 1)?;
        items.clear();
        items.extend_from_slice(bytes);
        Ok(())
    }
}

/// QEMU `VMSTATE_BOOL`: one byte; any non-zero byte loads as `true`.
impl VmStateField for bool {
    const MIN_WIRE_SIZE: usize = 1;
    const LOAD_INFALLIBLE: bool = true;
    const WIRE: WireType = WireType::Scalar {
        info: "bool",
        size: 1,
    };

    fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
        out.push(FieldDesc::scalar(name, "bool", 1));
    }

    #[inline]
    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.push(u8::from(*self));
        Ok(())
    }

    #[inline(always)]
    fn save_fixed(&self, out: &mut &mut [u8]) -> Result<(), Error> {
        put_bytes(out, &[u8::from(*self)])
    }

    #[inline(always)]
    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        *self = reader.read_u8()? != 0;
        Ok(())
    }
}

/// QEMU `VMSTATE_FLOAT64`: the IEEE-754 bits as a big-endian `u64`.
impl VmStateField for f64 {
    const MIN_WIRE_SIZE: usize = 8;
    const LOAD_INFALLIBLE: bool = true;
    const WIRE: WireType = WireType::Scalar {
        info: "float64",
        size: 8,
    };

    fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
        out.push(FieldDesc::scalar(name, "float64", 8));
    }

    #[inline]
    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(&self.to_bits().to_be_bytes());
        Ok(())
    }

    #[inline(always)]
    fn save_fixed(&self, out: &mut &mut [u8]) -> Result<(), Error> {
        put_bytes(out, &self.to_bits().to_be_bytes())
    }

    #[inline(always)]
    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        *self = f64::from_bits(reader.read_be64()?);
        Ok(())
    }
}

/// Arrays: elements back to back, no length on the wire (QEMU `VMSTATE_*_ARRAY`).
impl<T: VmStateField, const N: usize> VmStateField for [T; N] {
    const MIN_WIRE_SIZE: usize = T::MIN_WIRE_SIZE.saturating_mul(N);
    const LOAD_INFALLIBLE: bool = T::LOAD_INFALLIBLE;
    const VMDESC_COMPRESSIBLE: bool = T::VMDESC_COMPRESSIBLE;
    const WIRE: WireType = WireType::Array {
        element: &T::WIRE,
        len: N,
    };

    fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
        describe_elements(self, name, out);
    }

    fn sync_field_counts(&mut self) {
        for item in self {
            item.sync_field_counts();
        }
    }

    #[inline]
    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        T::save_slice(self, out)
    }

    #[inline]
    fn save_fixed(&self, out: &mut &mut [u8]) -> Result<(), Error> {
        self.iter().try_for_each(|item| item.save_fixed(out))
    }

    #[inline(always)]
    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        T::load_slice(self, reader)
    }
}

/// A boxed value has the wire form of the value: large device states can live
/// on the heap.
impl<T: VmStateField + ?Sized> VmStateField for Box<T> {
    const MIN_WIRE_SIZE: usize = T::MIN_WIRE_SIZE;
    const LOAD_INFALLIBLE: bool = T::LOAD_INFALLIBLE;
    const VMDESC_COMPRESSIBLE: bool = T::VMDESC_COMPRESSIBLE;
    const WIRE: WireType = T::WIRE;

    fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
        (**self).describe_field(name, out);
    }

    #[inline]
    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        (**self).save_field(out)
    }

    #[inline]
    fn save_fixed(&self, out: &mut &mut [u8]) -> Result<(), Error> {
        (**self).save_fixed(out)
    }

    #[inline(always)]
    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        (**self).load_field(reader)
    }
}

/// QEMU `VMSTATE_UNUSED(N)`: `N` bytes that older versions carried and that are
/// now written as zeros and skipped on load.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Unused<const N: usize>;

impl<const N: usize> VmStateField for Unused<N> {
    const MIN_WIRE_SIZE: usize = N;
    const LOAD_INFALLIBLE: bool = true;
    const WIRE: WireType = WireType::Unused(N);

    fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
        out.push(FieldDesc::scalar(name, "unused_buffer", N));
    }

    #[inline]
    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.resize(out.len() + N, 0);
        Ok(())
    }

    #[inline]
    fn save_fixed(&self, out: &mut &mut [u8]) -> Result<(), Error> {
        put_bytes(out, &[0; N])
    }

    #[inline(always)]
    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        reader.skip(N)
    }
}

/// Describes an array as QEMU does: one entry with `array_len` when the
/// element type compresses, else one entry per element with its `index`; no
/// entry at all for an empty array.
pub fn describe_elements<T: VmStateField>(items: &[T], name: &str, out: &mut Vec<FieldDesc>) {
    let start = out.len();
    if T::VMDESC_COMPRESSIBLE {
        let Some(first) = items.first() else { return };
        first.describe_field(name, out);
        if items.len() > 1 {
            for entry in &mut out[start..] {
                entry.array_len = Some(items.len());
            }
        }
    } else {
        for (index, item) in items.iter().enumerate() {
            let at = out.len();
            item.describe_field(name, out);
            if items.len() > 1 {
                for entry in &mut out[at..] {
                    entry.index = Some(index as u64);
                }
            }
        }
    }
}
