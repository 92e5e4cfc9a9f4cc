//! The writing side of [`Reader`](crate::Reader): big-endian appends to a
//! payload buffer, for custom wire views (`#[vmstate(with = ...)]`).

/// Appends QEMU's encodings to a payload, as the `qemu_put_*` functions do.
///
/// Implemented for `Vec<u8>`, the buffer a view's `save` receives:
///
/// ```
/// use vmstate_runtime::Writer;
///
/// let mut out = Vec::new();
/// out.write_be16(0x1234);
/// out.write_bool(true);
/// assert_eq!(out, [0x12, 0x34, 0x01]);
/// ```
pub trait Writer {
    /// Appends one byte (`qemu_put_byte`).
    fn write_u8(&mut self, value: u8);
    /// Appends raw bytes (`qemu_put_buffer`).
    fn write_bytes(&mut self, bytes: &[u8]);

    /// Appends a big-endian `u16` (`qemu_put_be16`).
    #[inline]
    fn write_be16(&mut self, value: u16) {
        self.write_bytes(&value.to_be_bytes());
    }

    /// Appends a big-endian `u32` (`qemu_put_be32`).
    #[inline]
    fn write_be32(&mut self, value: u32) {
        self.write_bytes(&value.to_be_bytes());
    }

    /// Appends a big-endian `u64` (`qemu_put_be64`).
    #[inline]
    fn write_be64(&mut self, value: u64) {
        self.write_bytes(&value.to_be_bytes());
    }

    /// Appends one signed byte.
    #[inline]
    fn write_i8(&mut self, value: i8) {
        self.write_bytes(&value.to_be_bytes());
    }

    /// Appends a big-endian `i16`.
    #[inline]
    fn write_be_i16(&mut self, value: i16) {
        self.write_bytes(&value.to_be_bytes());
    }

    /// Appends a big-endian `i32` (`qemu_put_sbe32`).
    #[inline]
    fn write_be_i32(&mut self, value: i32) {
        self.write_bytes(&value.to_be_bytes());
    }

    /// Appends a big-endian `i64` (`qemu_put_sbe64`).
    #[inline]
    fn write_be_i64(&mut self, value: i64) {
        self.write_bytes(&value.to_be_bytes());
    }

    /// Appends a QEMU `bool`: one byte, 1 or 0 (`put_bool`).
    #[inline]
    fn write_bool(&mut self, value: bool) {
        self.write_u8(u8::from(value));
    }
}

impl Writer for Vec<u8> {
    #[inline]
    fn write_u8(&mut self, value: u8) {
        self.push(value);
    }

    #[inline]
    fn write_bytes(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}
