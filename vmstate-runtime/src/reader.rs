//! A bounds-checked cursor over the input, which knows its absolute byte offset.

#![allow(
    clippy::inline_always,
    reason = "measured in docs/performance.md: the primitive reads must inline into every generated load"
)]

use crate::error::{Error, ErrorKind};

/// Reads a payload from a byte slice, tracking the absolute offset of each read
/// so that errors can say where they happened.
///
/// Every read is bounds-checked and fails with [`ErrorKind::UnexpectedEof`]
/// instead of panicking.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    rest: &'a [u8],
    len: usize,
    base: u64,
}

impl<'a> Reader<'a> {
    /// A reader over `data`, whose first byte is at offset 0.
    #[must_use]
    pub fn new(data: &'a [u8]) -> Self {
        Self::with_base_offset(data, 0)
    }

    /// A reader over `data`, whose first byte is at absolute offset `base` of a
    /// larger input (a payload inside a stream, for example).
    #[must_use]
    pub fn with_base_offset(data: &'a [u8], base: u64) -> Self {
        Self {
            rest: data,
            len: data.len(),
            base,
        }
    }

    /// Absolute offset of the next byte to be read.
    #[must_use]
    #[inline]
    pub fn offset(&self) -> u64 {
        self.base + (self.len - self.rest.len()) as u64
    }

    /// Number of bytes not read yet.
    #[must_use]
    #[inline]
    pub fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// The bytes not read yet, without consuming them.
    #[must_use]
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// The error for a read of `needed` bytes that the input cannot satisfy.
    ///
    /// Inlined, so that the cold constructor gets the reader's position as
    /// values: a reader whose address no error path takes can stay in
    /// registers across a generated load instead of being stored after every
    /// field (docs/performance.md, fix 6).
    #[must_use]
    #[inline(always)]
    pub fn eof(&self, needed: usize) -> Error {
        eof_error(needed, self.remaining(), self.offset())
    }

    /// Consumes and returns the next `n` bytes.
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedEof`] when fewer than `n` bytes are left.
    #[inline]
    pub fn read_bytes(&mut self, n: usize) -> Result<&'a [u8], Error> {
        match self.rest.split_at_checked(n) {
            Some((bytes, rest)) => {
                self.rest = rest;
                Ok(bytes)
            }
            None => Err(self.eof(n)),
        }
    }

    /// Consumes and returns the next `N` bytes as an array.
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedEof`] when fewer than `N` bytes are left.
    #[inline(always)]
    pub fn read_array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        match self.rest.split_first_chunk::<N>() {
            Some((bytes, rest)) => {
                self.rest = rest;
                Ok(*bytes)
            }
            None => Err(self.eof(N)),
        }
    }

    /// Skips `n` bytes.
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedEof`] when fewer than `n` bytes are left.
    #[inline]
    pub fn skip(&mut self, n: usize) -> Result<(), Error> {
        self.read_bytes(n).map(|_| ())
    }

    /// Reads one byte.
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedEof`] at the end of the input.
    #[inline(always)]
    pub fn read_u8(&mut self) -> Result<u8, Error> {
        self.read_array::<1>().map(|[b]| b)
    }

    /// Reads a big-endian `u16`.
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedEof`] when fewer than 2 bytes are left.
    #[inline]
    pub fn read_be16(&mut self) -> Result<u16, Error> {
        self.read_array().map(u16::from_be_bytes)
    }

    /// Reads a big-endian `u32`.
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedEof`] when fewer than 4 bytes are left.
    #[inline]
    pub fn read_be32(&mut self) -> Result<u32, Error> {
        self.read_array().map(u32::from_be_bytes)
    }

    /// Reads a big-endian `u64`.
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedEof`] when fewer than 8 bytes are left.
    #[inline]
    pub fn read_be64(&mut self) -> Result<u64, Error> {
        self.read_array().map(u64::from_be_bytes)
    }

    /// Reads one signed byte.
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedEof`] at the end of the input.
    #[inline]
    pub fn read_i8(&mut self) -> Result<i8, Error> {
        self.read_array().map(i8::from_be_bytes)
    }

    /// Reads a big-endian `i16`.
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedEof`] when fewer than 2 bytes are left.
    #[inline]
    pub fn read_be_i16(&mut self) -> Result<i16, Error> {
        self.read_array().map(i16::from_be_bytes)
    }

    /// Reads a big-endian `i32` (QEMU `qemu_get_sbe32`).
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedEof`] when fewer than 4 bytes are left.
    #[inline]
    pub fn read_be_i32(&mut self) -> Result<i32, Error> {
        self.read_array().map(i32::from_be_bytes)
    }

    /// Reads a big-endian `i64` (QEMU `qemu_get_sbe64`).
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedEof`] when fewer than 8 bytes are left.
    #[inline]
    pub fn read_be_i64(&mut self) -> Result<i64, Error> {
        self.read_array().map(i64::from_be_bytes)
    }

    /// Reads a QEMU `bool`: one byte, any non-zero value is `true`
    /// (`get_bool`).
    ///
    /// # Errors
    /// [`ErrorKind::UnexpectedEof`] at the end of the input.
    #[inline]
    pub fn read_bool(&mut self) -> Result<bool, Error> {
        self.read_u8().map(|byte| byte != 0)
    }

    /// A [`ErrorKind::Custom`] error at the next byte's offset: what a custom
    /// wire view returns when the value it just started to read is wrong, so
    /// that the message names where, as the built-in errors do.
    #[must_use]
    pub fn custom_error(&self, message: impl core::fmt::Display) -> Error {
        Error::custom_at(message, self.offset())
    }

    /// The byte `ahead` positions past the next one, without consuming anything.
    #[must_use]
    #[inline]
    pub fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.rest().get(ahead).copied()
    }

    /// Fails with [`ErrorKind::TrailingBytes`] unless the whole input was read.
    ///
    /// # Errors
    /// [`ErrorKind::TrailingBytes`] when bytes are left.
    pub fn finish(&self) -> Result<(), Error> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(Error::at(ErrorKind::TrailingBytes { count }, self.offset())),
        }
    }
}

/// [`Reader::eof`]'s error, built out of line.
#[cold]
#[inline(never)]
fn eof_error(needed: usize, available: usize, offset: u64) -> Error {
    Error::at(ErrorKind::UnexpectedEof { needed, available }, offset)
}
