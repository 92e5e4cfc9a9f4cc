//! Standard-library types that VMMs keep device state in, as fields with no
//! wire view: `f32`, `Wrapping<T>` and the atomics. Each has the wire form of
//! the plain value it holds.

#![allow(
    clippy::mut_mut,
    reason = "`&mut &mut [u8]` is the cursor `VmStateField::save_fixed` writes through"
)]

use core::num::Wrapping;
use core::sync::atomic::{
    AtomicBool, AtomicI8, AtomicI16, AtomicI32, AtomicI64, AtomicU8, AtomicU16, AtomicU32,
    AtomicU64, Ordering,
};

use crate::error::Error;
use crate::field::VmStateField;
use crate::reader::Reader;
use crate::schema::WireType;
use crate::stream::FieldDesc;

/// The IEEE-754 bits as a big-endian `u32`, as `f64` is a `u64` (QEMU has no
/// `float32` info; devices that keep a `float` migrate its bits as a
/// `uint32`). Described as `float32`, which vmdesc readers that do not know it
/// show as four raw bytes.
impl VmStateField for f32 {
    const MIN_WIRE_SIZE: usize = 4;
    const LOAD_INFALLIBLE: bool = true;
    const WIRE: WireType = WireType::Scalar {
        info: "float32",
        size: 4,
    };

    fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
        out.push(FieldDesc::scalar(name, "float32", 4));
    }

    #[inline]
    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.to_bits().save_field(out)
    }

    #[inline]
    fn save_fixed(&self, out: &mut &mut [u8]) -> Result<(), Error> {
        self.to_bits().save_fixed(out)
    }

    #[inline]
    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        *self = f32::from_bits(reader.read_be32()?);
        Ok(())
    }
}

/// A wrapping counter (rust-vmm's virtio queue indices are `Wrapping<u16>`)
/// is the number it holds.
impl<T: VmStateField> VmStateField for Wrapping<T> {
    const MIN_WIRE_SIZE: usize = T::MIN_WIRE_SIZE;
    const LOAD_INFALLIBLE: bool = T::LOAD_INFALLIBLE;
    const VMDESC_COMPRESSIBLE: bool = T::VMDESC_COMPRESSIBLE;
    const WIRE: WireType = T::WIRE;

    fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
        self.0.describe_field(name, out);
    }

    #[inline]
    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.0.save_field(out)
    }

    #[inline]
    fn save_fixed(&self, out: &mut &mut [u8]) -> Result<(), Error> {
        self.0.save_fixed(out)
    }

    #[inline]
    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        self.0.load_field(reader)
    }
}

/// Atomics are the value they hold.
///
/// Saving reads the value with [`Ordering::Acquire`], so that a save sees
/// everything another thread wrote before it published the value with a
/// `Release` (or stronger) store. Loading needs no ordering: it has the
/// atomic by `&mut` (nothing else can observe it) and writes through
/// `get_mut`; whoever shares the device afterwards does so through a
/// synchronizing operation of its own (a lock, a thread spawn).
macro_rules! atomic_fields {
    ($($atomic:ty => $plain:ty),*) => {$(
        impl VmStateField for $atomic {
            const MIN_WIRE_SIZE: usize = <$plain as VmStateField>::MIN_WIRE_SIZE;
            const LOAD_INFALLIBLE: bool = true;
            const WIRE: WireType = <$plain as VmStateField>::WIRE;

            fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
                self.load(Ordering::Acquire).describe_field(name, out);
            }

            #[inline]
            fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
                self.load(Ordering::Acquire).save_field(out)
            }

            #[inline]
            fn save_fixed(&self, out: &mut &mut [u8]) -> Result<(), Error> {
                self.load(Ordering::Acquire).save_fixed(out)
            }

            #[inline]
            fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
                self.get_mut().load_field(reader)
            }
        }
    )*};
}

atomic_fields!(
    AtomicBool => bool,
    AtomicU8 => u8, AtomicU16 => u16, AtomicU32 => u32, AtomicU64 => u64,
    AtomicI8 => i8, AtomicI16 => i16, AtomicI32 => i32, AtomicI64 => i64
);
