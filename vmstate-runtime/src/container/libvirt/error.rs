//! Why a libvirt save image cannot be read: each error names the byte offset,
//! counted from the image's first byte, and what was expected there.

use std::fmt;
use std::io;

/// A libvirt save image that cannot be read.
#[derive(Debug)]
#[non_exhaustive]
pub enum ImageError {
    /// Reading the image failed.
    Io {
        /// Where the read started.
        offset: u64,
        /// The operating system's error.
        source: io::Error,
    },
    /// The image ends before a part that its header promises.
    Truncated {
        /// Where the missing part starts.
        offset: u64,
        /// What was expected there.
        expected: &'static str,
        /// Its length in bytes.
        needed: u64,
        /// The bytes the image has from `offset` on.
        available: u64,
    },
    /// The first 16 bytes are neither libvirt's magic nor its partial magic.
    Magic {
        /// The bytes found.
        found: [u8; 16],
    },
    /// The magic is `LibvirtQemudPart`: libvirt was still writing the image
    /// (or failed to), so the stream in it may be cut short.
    Incomplete,
    /// The version word is above what libvirt writes, in either byte order.
    Version {
        /// Where the word is.
        offset: u64,
        /// The word read as little-endian.
        little: u32,
        /// The word read as big-endian.
        big: u32,
    },
    /// The format word names no format libvirt defines.
    Format {
        /// Where the word is.
        offset: u64,
        /// The value found.
        code: u32,
    },
    /// The data length is zero: libvirt always writes the domain XML.
    NoData {
        /// Where the length is.
        offset: u64,
    },
    /// The data length is above what this reader accepts.
    DataTooLong {
        /// Where the length is.
        offset: u64,
        /// The length found.
        data_len: u32,
        /// The largest accepted.
        limit: u32,
    },
    /// The cookie offset points past the data.
    CookieOffset {
        /// Where the cookie offset is.
        offset: u64,
        /// The cookie offset found, counted from the data's start.
        cookie_offset: u32,
        /// The data length.
        data_len: u32,
    },
    /// A text (the domain XML or the cookie) has no terminating NUL within
    /// its part of the data.
    Unterminated {
        /// Where the text starts.
        offset: u64,
        /// Which text.
        what: &'static str,
        /// The length of its part of the data.
        len: u64,
    },
    /// A text is not UTF-8.
    NotUtf8 {
        /// The first byte that is not part of valid UTF-8.
        offset: u64,
        /// Which text.
        what: &'static str,
    },
}

impl ImageError {
    /// The byte offset the error is about, counted from the image's start.
    #[must_use]
    pub fn offset(&self) -> u64 {
        match self {
            Self::Magic { .. } | Self::Incomplete => 0,
            Self::Io { offset, .. }
            | Self::Truncated { offset, .. }
            | Self::Version { offset, .. }
            | Self::Format { offset, .. }
            | Self::NoData { offset }
            | Self::DataTooLong { offset, .. }
            | Self::CookieOffset { offset, .. }
            | Self::Unterminated { offset, .. }
            | Self::NotUtf8 { offset, .. } => *offset,
        }
    }
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let offset = self.offset();
        match self {
            Self::Io { source, .. } => {
                write!(
                    f,
                    "libvirt save image, byte {offset}: cannot read: {source}"
                )
            }
            Self::Truncated {
                expected,
                needed,
                available,
                ..
            } => write!(
                f,
                "libvirt save image, byte {offset}: expected {expected} ({needed} bytes), \
                 the file has {available} bytes left"
            ),
            Self::Magic { found } => write!(
                f,
                "libvirt save image, byte 0: expected the magic `LibvirtQemudSave`, found `{}`",
                found.escape_ascii()
            ),
            Self::Incomplete => f.write_str(
                "libvirt save image, byte 0: the magic is `LibvirtQemudPart`: the image is \
                 incomplete (libvirt did not finish writing it), so its stream may be cut short",
            ),
            Self::Version { little, big, .. } => write!(
                f,
                "libvirt save image, byte {offset}: expected a version of at most {}, found \
                 {little} little-endian, {big} big-endian",
                super::VERSION
            ),
            Self::Format { code, .. } => write!(
                f,
                "libvirt save image, byte {offset}: expected a save image format (0 raw to 6 \
                 sparse), found {code}"
            ),
            Self::NoData { .. } => write!(
                f,
                "libvirt save image, byte {offset}: expected the length of the domain XML and \
                 cookie, found 0"
            ),
            Self::DataTooLong {
                data_len, limit, ..
            } => write!(
                f,
                "libvirt save image, byte {offset}: the domain XML and cookie take {data_len} \
                 bytes, more than the {limit} accepted"
            ),
            Self::CookieOffset {
                cookie_offset,
                data_len,
                ..
            } => write!(
                f,
                "libvirt save image, byte {offset}: expected a cookie offset within the \
                 {data_len} bytes of data, found {cookie_offset}"
            ),
            Self::Unterminated { what, len, .. } => write!(
                f,
                "libvirt save image, byte {offset}: expected the {what}, NUL-terminated within \
                 {len} bytes; no NUL found"
            ),
            Self::NotUtf8 { what, .. } => write!(
                f,
                "libvirt save image, byte {offset}: the {what} is not UTF-8"
            ),
        }
    }
}

impl std::error::Error for ImageError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
