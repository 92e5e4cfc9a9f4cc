//! What every workload shares: the hand-written codec's building blocks, a
//! placeholder type that all four frameworks accept, deterministic fill values,
//! and serde adapters for arrays longer than 32.

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use versionize::{VersionMap, Versionize, VersionizeResult};
use vmstate::{Reader, Unused, VmStateField};

// ---------------------------------------------------------------------------
// The hand-written codec: what a careful person writes for QEMU's format
// without a framework. Same bytes as ours and the same wire rules (a struct
// ends with QEMU's subsection loop, which refuses an unknown subsection whose
// name starts with the struct's), but
// no error context, and it loads only the current version (no version
// checks).
// ---------------------------------------------------------------------------

/// A value with a hand-written QEMU encoding. `get` returns `None` on
/// malformed or truncated input.
pub trait Hand {
    fn put(&self, out: &mut Vec<u8>);
    fn get(&mut self, input: &mut &[u8]) -> Option<()>;

    /// Elements back to back; integers override this with a bulk conversion.
    #[inline]
    fn put_slice(items: &[Self], out: &mut Vec<u8>)
    where
        Self: Sized,
    {
        for item in items {
            item.put(out);
        }
    }

    #[inline]
    fn get_slice(items: &mut [Self], input: &mut &[u8]) -> Option<()>
    where
        Self: Sized,
    {
        for item in items {
            item.get(input)?;
        }
        Some(())
    }
}

#[inline]
pub fn take<'a>(input: &mut &'a [u8], n: usize) -> Option<&'a [u8]> {
    let (head, rest) = input.split_at_checked(n)?;
    *input = rest;
    Some(head)
}

macro_rules! hand_int {
    ($($ty:ty),*) => {$(
        impl Hand for $ty {
            #[inline]
            fn put(&self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_be_bytes());
            }

            #[inline]
            fn get(&mut self, input: &mut &[u8]) -> Option<()> {
                let (head, rest) = input.split_first_chunk()?;
                *self = <$ty>::from_be_bytes(*head);
                *input = rest;
                Some(())
            }

            /// The fastest safe conversion measured here: large arrays
            /// extend straight from an iterator (no zero-fill pass); small
            /// ones zero-fill and overwrite, which has less set-up.
            #[inline]
            fn put_slice(items: &[Self], out: &mut Vec<u8>) {
                const SIZE: usize = size_of::<$ty>();
                if items.len() * SIZE >= 1024 {
                    out.reserve(items.len() * SIZE);
                    out.extend(items.iter().flat_map(|item| item.to_be_bytes()));
                    return;
                }
                let start = out.len();
                out.resize(start + items.len() * SIZE, 0);
                for (chunk, item) in out[start..].chunks_exact_mut(SIZE).zip(items) {
                    chunk.copy_from_slice(&item.to_be_bytes());
                }
            }

            #[inline]
            fn get_slice(items: &mut [Self], input: &mut &[u8]) -> Option<()> {
                const SIZE: usize = size_of::<$ty>();
                let bytes = take(input, items.len() * SIZE)?;
                let (chunks, _) = bytes.as_chunks::<SIZE>();
                for (item, chunk) in items.iter_mut().zip(chunks) {
                    *item = <$ty>::from_be_bytes(*chunk);
                }
                Some(())
            }
        }
    )*};
}

hand_int!(u16, u32, u64, i8, i16, i32, i64);

impl Hand for u8 {
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        out.push(*self);
    }

    #[inline]
    fn get(&mut self, input: &mut &[u8]) -> Option<()> {
        let (&byte, rest) = input.split_first()?;
        *self = byte;
        *input = rest;
        Some(())
    }

    #[inline]
    fn put_slice(items: &[Self], out: &mut Vec<u8>) {
        out.extend_from_slice(items);
    }

    #[inline]
    fn get_slice(items: &mut [Self], input: &mut &[u8]) -> Option<()> {
        items.copy_from_slice(take(input, items.len())?);
        Some(())
    }
}

impl Hand for bool {
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }

    #[inline]
    fn get(&mut self, input: &mut &[u8]) -> Option<()> {
        let (&byte, rest) = input.split_first()?;
        *self = byte != 0;
        *input = rest;
        Some(())
    }
}

impl<T: Hand, const N: usize> Hand for [T; N] {
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        T::put_slice(self, out);
    }

    #[inline]
    fn get(&mut self, input: &mut &[u8]) -> Option<()> {
        T::get_slice(self, input)
    }
}

/// Subsection header: `0x05`, name length, name, be32 version.
#[inline]
pub fn put_subsection_header(name: &str, version: u32, out: &mut Vec<u8>) {
    out.push(0x05);
    out.push(u8::try_from(name.len()).expect("subsection name fits a u8"));
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(&version.to_be_bytes());
}

/// The name of the subsection header at the front of `input`, if any.
#[inline]
pub fn peek_subsection(input: &[u8]) -> Option<&[u8]> {
    match input {
        [0x05, len, rest @ ..] => rest.get(..usize::from(*len)),
        _ => None,
    }
}

/// `None` when the next bytes are a subsection header that claims `parent`
/// (QEMU's rule: a longer name that starts with it) and that the loop before
/// did not take: an unknown subsection, which fails QEMU's load. Anything
/// else is left to the enclosing struct.
#[inline]
pub fn no_subsection_of(parent: &str, input: &[u8]) -> Option<()> {
    match peek_subsection(input) {
        Some(name) if name.len() > parent.len() && name.starts_with(parent.as_bytes()) => None,
        _ => Some(()),
    }
}

/// Consumes a header that [`peek_subsection`] found.
#[inline]
pub fn skip_subsection_header(input: &mut &[u8]) -> Option<()> {
    let len = usize::from(*input.get(1)?);
    take(input, 2 + len + 4).map(|_| ())
}

/// Keeps the struct definitions it is given exactly as written and adds, for
/// each, the hand codec (fields in order, then the needed subsections) and
/// `Fill`, from the same field list.
///
/// The items are re-emitted token for token rather than rebuilt from
/// fragments: `versionize_derive` (syn 1) rejects the invisible groups that
/// `$ty:ty` fragments become, and `#[derive(VmState)]` cannot expand a struct
/// assembled by `macro_rules!` from caller tokens (see docs/performance.md).
macro_rules! device {
    ($($item:tt)*) => {
        $($item)*
        $crate::common::device_impls!($($item)*);
    };
}

macro_rules! device_impls {
    () => {};
    (
        $(#[$($attr:tt)*])*
        pub struct $name:ident { $($body:tt)* }
        $($rest:tt)*
    ) => {
        $crate::common::device_fields!($name [] [] $($body)*);
        $crate::common::device_impls!($($rest)*);
    };
}

/// Munches a struct body: `[fields] [subsection field, type, needed;]`.
macro_rules! device_fields {
    // A subsection field.
    (
        $name:ident [$($f:ident)*] [$($s:ident $st:ident $nd:path;)*]
        #[subsection(needed = $needed:path)] pub $sub:ident : $sty:ident,
        $($rest:tt)*
    ) => {
        $crate::common::device_fields!(
            $name [$($f)*] [$($s $st $nd;)* $sub $sty $needed;] $($rest)*
        );
    };
    // Any other field attribute.
    (
        $name:ident [$($f:ident)*] [$($s:ident $st:ident $nd:path;)*]
        #[$($attr:tt)*]
        $($rest:tt)*
    ) => {
        $crate::common::device_fields!($name [$($f)*] [$($s $st $nd;)*] $($rest)*);
    };
    // A field.
    (
        $name:ident [$($f:ident)*] [$($s:ident $st:ident $nd:path;)*]
        pub $field:ident : $ty:tt $(<$n:tt>)?,
        $($rest:tt)*
    ) => {
        $crate::common::device_fields!($name [$($f)* $field] [$($s $st $nd;)*] $($rest)*);
    };
    // Done, no subsections. Like QEMU, a load still refuses a subsection
    // that claims this struct as its parent (`name/...`).
    ($name:ident [$($f:ident)*] []) => {
        impl $crate::common::Hand for $name {
            #[inline]
            fn put(&self, out: &mut Vec<u8>) {
                $( $crate::common::Hand::put(&self.$f, out); )*
            }

            #[inline]
            fn get(&mut self, input: &mut &[u8]) -> Option<()> {
                $( $crate::common::Hand::get(&mut self.$f, input)?; )*
                $crate::common::no_subsection_of(<$name as ::vmstate::VmState>::NAME, input)
            }
        }

        impl $crate::common::Fill for $name {
            fn filled(rng: &mut $crate::common::Rng) -> Self {
                Self { $( $f: $crate::common::Fill::filled(rng), )* }
            }
        }
    };
    // Done, with subsections.
    ($name:ident [$($f:ident)*] [$($s:ident $st:ident $nd:path;)+]) => {
        impl $crate::common::Hand for $name {
            #[inline]
            fn put(&self, out: &mut Vec<u8>) {
                $( $crate::common::Hand::put(&self.$f, out); )*
                $(
                    if $nd(self) {
                        $crate::common::put_subsection_header(
                            <$st as ::vmstate::VmState>::NAME,
                            <$st as ::vmstate::VmState>::VERSION,
                            out,
                        );
                        $crate::common::Hand::put(&self.$s, out);
                    }
                )+
            }

            #[inline]
            fn get(&mut self, input: &mut &[u8]) -> Option<()> {
                $( $crate::common::Hand::get(&mut self.$f, input)?; )*
                while let Some(name) = $crate::common::peek_subsection(input) {
                    $(
                        if name == <$st as ::vmstate::VmState>::NAME.as_bytes() {
                            $crate::common::skip_subsection_header(input)?;
                            $crate::common::Hand::get(&mut self.$s, input)?;
                            continue;
                        }
                    )+
                    break;
                }
                $crate::common::no_subsection_of(<$name as ::vmstate::VmState>::NAME, input)
            }
        }

        impl $crate::common::Fill for $name {
            fn filled(rng: &mut $crate::common::Rng) -> Self {
                Self {
                    $( $f: $crate::common::Fill::filled(rng), )*
                    $( $s: $crate::common::Fill::filled(rng), )+
                }
            }
        }
    };
}

pub(crate) use {device, device_fields, device_impls};

// ---------------------------------------------------------------------------
// `Gap<N>`: QEMU's VMSTATE_UNUSED(N) for all four frameworks. On our wire it is
// exactly `vmstate::Unused<N>` (it delegates); versionize and serde carry no
// bytes for it, as a placeholder has no value to keep. A local type because
// the orphan rule forbids implementing versionize's or serde's traits for
// `vmstate::Unused`.
// ---------------------------------------------------------------------------

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Gap<const N: usize>;

impl<const N: usize> VmStateField for Gap<N> {
    const MIN_WIRE_SIZE: usize = N;

    #[inline]
    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), vmstate::Error> {
        Unused::<N>.save_field(out)
    }

    #[inline]
    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), vmstate::Error> {
        Unused::<N>.load_field(reader)
    }
}

impl<const N: usize> Hand for Gap<N> {
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        out.resize(out.len() + N, 0);
    }

    #[inline]
    fn get(&mut self, input: &mut &[u8]) -> Option<()> {
        take(input, N).map(|_| ())
    }
}

impl<const N: usize> Versionize for Gap<N> {
    fn serialize<W: std::io::Write>(
        &self,
        _writer: &mut W,
        _version_map: &VersionMap,
        _app_version: u16,
    ) -> VersionizeResult<()> {
        Ok(())
    }

    fn deserialize<R: std::io::Read>(
        _reader: &mut R,
        _version_map: &VersionMap,
        _app_version: u16,
    ) -> VersionizeResult<Self> {
        Ok(Self)
    }

    fn version() -> u16 {
        1
    }
}

impl<const N: usize> Serialize for Gap<N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_unit()
    }
}

impl<'de, const N: usize> Deserialize<'de> for Gap<N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        <()>::deserialize(deserializer).map(|()| Self)
    }
}

// ---------------------------------------------------------------------------
// Deterministic values, so that every peer encodes the same state.
// ---------------------------------------------------------------------------

/// `SplitMix64`.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// A value built from the generator.
pub trait Fill {
    fn filled(rng: &mut Rng) -> Self;
}

macro_rules! fill_int {
    ($($ty:ty),*) => {$(
        impl Fill for $ty {
            fn filled(rng: &mut Rng) -> Self {
                rng.next_u64() as $ty
            }
        }
    )*};
}

fill_int!(u8, u16, u32, u64, i8, i16, i32, i64);

impl Fill for bool {
    fn filled(rng: &mut Rng) -> Self {
        rng.next_u64() & 1 == 1
    }
}

impl<T: Fill, const N: usize> Fill for [T; N] {
    fn filled(rng: &mut Rng) -> Self {
        std::array::from_fn(|_| T::filled(rng))
    }
}

impl<const N: usize> Fill for Gap<N> {
    fn filled(_rng: &mut Rng) -> Self {
        Self
    }
}

// ---------------------------------------------------------------------------
// serde adapters: serde derives arrays only up to 32 elements. Byte arrays go
// as bytes (what `serde_bytes` does), other arrays as sequences: the encodings
// a serde user would pick for speed. bitcode treats a long tuple as that many
// columns, so a tuple encoding would be unfair to it.
// ---------------------------------------------------------------------------

/// `#[serde(with = "serde_array")]` for `[T; N]`, N > 32.
pub mod serde_array {
    use super::{Deserialize, Deserializer, Serialize, Serializer, de};

    pub fn serialize<S, T, const N: usize>(value: &[T; N], serializer: S) -> Result<S::Ok, S::Error>
    where
        S: Serializer,
        T: Serialize,
    {
        serializer.collect_seq(value)
    }

    pub fn deserialize<'de, D, T, const N: usize>(deserializer: D) -> Result<[T; N], D::Error>
    where
        D: Deserializer<'de>,
        T: Deserialize<'de>,
    {
        let items = Vec::<T>::deserialize(deserializer)?;
        let len = items.len();
        items
            .try_into()
            .map_err(|_| de::Error::invalid_length(len, &"the array's length"))
    }
}

/// `#[serde(with = "serde_bytes_array")]` for `[u8; N]`, N > 32.
pub mod serde_bytes_array {
    use super::{Deserializer, SeqAccess, Serializer, Visitor, de};

    pub fn serialize<S: Serializer, const N: usize>(
        value: &[u8; N],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>, const N: usize>(
        deserializer: D,
    ) -> Result<[u8; N], D::Error> {
        deserializer.deserialize_bytes(BytesVisitor::<N>)
    }

    struct BytesVisitor<const N: usize>;

    impl<'de, const N: usize> Visitor<'de> for BytesVisitor<N> {
        type Value = [u8; N];

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{N} bytes")
        }

        fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<[u8; N], E> {
            bytes
                .try_into()
                .map_err(|_| E::invalid_length(bytes.len(), &self))
        }

        fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<[u8; N], E> {
            self.visit_bytes(&bytes)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<[u8; N], A::Error> {
            let mut out = [0; N];
            for (index, byte) in out.iter_mut().enumerate() {
                *byte = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(index, &self))?;
            }
            Ok(out)
        }
    }
}
