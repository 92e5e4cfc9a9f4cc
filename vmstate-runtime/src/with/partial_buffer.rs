//! QEMU `VMSTATE_PARTIAL_BUFFER`: the first `N` bytes of a byte buffer.

use crate::error::{Error, ErrorKind};
use crate::field::VmStateField;
use crate::reader::Reader;
use crate::schema::{Part, WireType};

/// The first `N` bytes, whatever the buffer.
impl<const N: usize, B: ByteBuffer + ?Sized> super::ViewLayout<B> for PartialBuffer<N> {
    const WIRE: WireType = WireType::View {
        form: "partial_buffer",
        parts: &[Part {
            name: "bytes",
            wire: WireType::Array {
                element: &<u8 as VmStateField>::WIRE,
                len: N,
            },
        }],
    };
}

/// The view `#[vmstate(with = vmstate::with::PartialBuffer::<N>)]`: only the
/// first `N` bytes of a `[u8; M]`, `Vec<u8>` or `Box<[u8]>` (see
/// [`ByteBuffer`]) are on the wire.
///
/// Wire form: QEMU's `VMSTATE_PARTIAL_BUFFER(f, s, N)` is
/// `VMSTATE_STATIC_BUFFER(f, s, 0, NULL, 0, N)`, a `vmstate_info_buffer` of
/// size `N` (`put_buffer`/`get_buffer`: the bytes as they are, no length),
/// the same in 7.2 and 10.0. Loading overwrites the first `N` bytes and
/// keeps the rest.
///
/// ```
/// use vmstate_runtime::{Reader, with::PartialBuffer};
///
/// // As `#[vmstate(with = vmstate::with::PartialBuffer::<2>)] config: [u8; 4]`:
/// let mut config = [1u8, 2, 3, 4];
/// let mut out = Vec::new();
/// PartialBuffer::<2>::save(&config, &mut out)?;
/// assert_eq!(out, [1, 2]);
/// PartialBuffer::<2>::load(&mut config, &mut Reader::new(&[9, 9]))?;
/// assert_eq!(config, [9, 9, 3, 4]);
/// # Ok::<(), vmstate_runtime::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct PartialBuffer<const N: usize>;

/// A byte buffer that a [`PartialBuffer`] reads and writes.
pub trait ByteBuffer {
    /// The bytes.
    fn bytes(&self) -> &[u8];
    /// At least `len` bytes to load into, or `None` when the buffer has a
    /// fixed length below `len`. A shorter `Vec` grows to `len` with zeros.
    fn bytes_for_load(&mut self, len: usize) -> Option<&mut [u8]>;
}

impl<const M: usize> ByteBuffer for [u8; M] {
    fn bytes(&self) -> &[u8] {
        self
    }

    fn bytes_for_load(&mut self, len: usize) -> Option<&mut [u8]> {
        self.get_mut(..len)
    }
}

impl ByteBuffer for Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }

    fn bytes_for_load(&mut self, len: usize) -> Option<&mut [u8]> {
        if self.len() < len {
            self.resize(len, 0);
        }
        Some(self)
    }
}

impl ByteBuffer for Box<[u8]> {
    fn bytes(&self) -> &[u8] {
        self
    }

    fn bytes_for_load(&mut self, len: usize) -> Option<&mut [u8]> {
        self.get_mut(..len)
    }
}

impl<const N: usize> PartialBuffer<N> {
    /// Writes the first `N` bytes.
    ///
    /// # Errors
    /// [`ErrorKind::Unrepresentable`] when the buffer is shorter than `N`.
    pub fn save<B: ByteBuffer + ?Sized>(buffer: &B, out: &mut Vec<u8>) -> Result<(), Error> {
        let bytes = buffer.bytes();
        let head = bytes.get(..N).ok_or_else(|| short(bytes.len()))?;
        out.extend_from_slice(head);
        Ok(())
    }

    /// Reads `N` bytes over the front of the buffer.
    ///
    /// # Errors
    /// Truncated input, or [`ErrorKind::Unrepresentable`] at the field's
    /// offset when a fixed buffer is shorter than `N`.
    pub fn load<B: ByteBuffer + ?Sized>(
        buffer: &mut B,
        reader: &mut Reader<'_>,
    ) -> Result<(), Error> {
        let offset = reader.offset();
        let capacity = buffer.bytes().len();
        let bytes = reader.read_bytes(N)?;
        let target = buffer
            .bytes_for_load(N)
            .ok_or_else(|| short(capacity).at_offset(offset))?;
        target[..N].copy_from_slice(bytes);
        Ok(())
    }
}

#[cold]
fn short(held: usize) -> Error {
    Error::new(ErrorKind::Unrepresentable {
        view: "PartialBuffer",
        reason: format!("the buffer holds {held} bytes, fewer than the wire's"),
    })
}
