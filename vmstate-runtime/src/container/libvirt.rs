//! libvirt save images (`virsh save`, managed save): libvirt's
//! `qemu_saveimage` format around a QEMU migration stream.
//!
//! The image is a 92-byte header, then `data_len` bytes of data, then the
//! stream, raw or compressed by an external program:
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 16 | magic: `LibvirtQemudSave`, or `LibvirtQemudPart` until libvirt finished writing |
//! | 16 | 4 | version (2; version 1 images are never compressed) |
//! | 20 | 4 | `data_len`: the bytes of data after the header |
//! | 24 | 4 | `was_running`: 1 when the guest ran when saved, and resumes on restore |
//! | 28 | 4 | format: 0 raw, 1 gzip, 2 bzip2, 3 xz, 4 lzop, 5 zstd, 6 sparse (mapped-ram) |
//! | 32 | 4 | `cookieOffset`: where the cookie starts in the data, 0 without one |
//! | 36 | 56 | 14 unused words, zero |
//!
//! The words are in the byte order of the host that wrote them: libvirt
//! reads them in its own, and swaps them when the version is then above the
//! one it writes. The data is the domain XML, NUL-terminated, then the cookie
//! (libvirt's `<cookie>` XML), NUL-terminated, then zeros: libvirt leaves 64
//! KiB of room so that the XML can be edited in place. The stream starts at
//! byte `92 + data_len`.
//!
//! [`SaveImage::read`] reads the header and data and leaves the reader at
//! the stream; [`SaveImage::write_to`] writes them back byte for byte. Nothing
//! in them depends on the stream, so a new stream goes behind the same bytes.

mod domain_xml;
mod error;

use std::io::{self, Read, Seek, SeekFrom, Write};

pub use domain_xml::{Device, Domain};
pub use error::ImageError;

/// The magic of a complete image.
pub const MAGIC: &[u8; 16] = b"LibvirtQemudSave";
/// The magic libvirt writes first and replaces with [`MAGIC`] once the
/// stream is whole.
pub const MAGIC_PARTIAL: &[u8; 16] = b"LibvirtQemudPart";
/// The header's size in bytes.
pub const HEADER_LEN: usize = 92;
/// The highest header version libvirt writes (and reads).
pub const VERSION: u32 = 2;
/// The zeros libvirt leaves after the XML and cookie of a new image.
pub const ROOM: u32 = 64 << 10;
/// The largest `data_len` [`SaveImage::read`] accepts: domain XML is tens of
/// KiB, so a larger length is a damaged header, not an image to allocate for.
pub const DATA_LEN_MAX: u32 = 64 << 20;

const VERSION_AT: usize = 16;
const DATA_LEN_AT: usize = 20;
const WAS_RUNNING_AT: usize = 24;
const FORMAT_AT: usize = 28;
const COOKIE_OFFSET_AT: usize = 32;
const UNUSED_AT: usize = 36;
const UNUSED_WORDS: usize = 14;

/// The byte order of the header's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteOrder {
    /// Written by a little-endian host (x86, most Arm).
    Little,
    /// Written by a big-endian host (s390x, some POWER).
    Big,
}

impl ByteOrder {
    fn read(self, bytes: [u8; 4]) -> u32 {
        match self {
            Self::Little => u32::from_le_bytes(bytes),
            Self::Big => u32::from_be_bytes(bytes),
        }
    }

    fn write(self, word: u32) -> [u8; 4] {
        match self {
            Self::Little => word.to_le_bytes(),
            Self::Big => word.to_be_bytes(),
        }
    }
}

/// How the stream is stored after the data: libvirt's `save_image_format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Format {
    /// The stream as QEMU wrote it.
    Raw,
    /// Compressed by `gzip`.
    Gzip,
    /// Compressed by `bzip2`.
    Bzip2,
    /// Compressed by `xz`.
    Xz,
    /// Compressed by `lzop`.
    Lzop,
    /// Compressed by `zstd`.
    Zstd,
    /// A mapped-ram stream (QEMU 9.0+), RAM at fixed file offsets.
    Sparse,
}

impl Format {
    /// Every format, in the order of their codes.
    pub const ALL: [Self; 7] = [
        Self::Raw,
        Self::Gzip,
        Self::Bzip2,
        Self::Xz,
        Self::Lzop,
        Self::Zstd,
        Self::Sparse,
    ];

    /// The format with header code `code`, if libvirt defines one.
    #[must_use]
    pub fn from_code(code: u32) -> Option<Self> {
        Self::ALL.get(usize::try_from(code).ok()?).copied()
    }

    /// The format's header code.
    #[must_use]
    pub fn code(self) -> u32 {
        match self {
            Self::Raw => 0,
            Self::Gzip => 1,
            Self::Bzip2 => 2,
            Self::Xz => 3,
            Self::Lzop => 4,
            Self::Zstd => 5,
            Self::Sparse => 6,
        }
    }

    /// The name `qemu.conf` gives it (`save_image_format`), which is also the
    /// compressor's program name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Raw => "raw",
            Self::Gzip => "gzip",
            Self::Bzip2 => "bzip2",
            Self::Xz => "xz",
            Self::Lzop => "lzop",
            Self::Zstd => "zstd",
            Self::Sparse => "sparse",
        }
    }

    /// The program libvirt runs to compress and decompress, `None` when the
    /// stream is stored as it is.
    #[must_use]
    pub fn program(self) -> Option<&'static str> {
        match self {
            Self::Raw | Self::Sparse => None,
            other => Some(other.name()),
        }
    }

    /// The arguments libvirt gives [`Format::program`] to compress standard
    /// input to standard output.
    #[must_use]
    pub fn compress_args(self) -> &'static [&'static str] {
        match self {
            Self::Xz => &["-c", "-3"],
            _ => &["-c"],
        }
    }

    /// The arguments libvirt gives [`Format::program`] to decompress
    /// standard input to standard output.
    #[must_use]
    pub fn decompress_args(self) -> &'static [&'static str] {
        match self {
            Self::Lzop => &["-dc", "--ignore-warn"],
            _ => &["-dc"],
        }
    }
}

/// The 92-byte header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Whether the magic is [`MAGIC`] (`true`) or [`MAGIC_PARTIAL`].
    pub complete: bool,
    /// The byte order of the words below.
    pub byte_order: ByteOrder,
    /// The header version, at most [`VERSION`].
    pub version: u32,
    /// The bytes of data (XML, cookie, room) after the header.
    pub data_len: u32,
    /// Nonzero when the guest ran when saved.
    pub was_running: u32,
    /// How the stream is stored.
    pub format: Format,
    /// Where the cookie starts within the data; 0 without a cookie.
    pub cookie_offset: u32,
    /// The unused words, kept as found.
    pub unused: [u32; UNUSED_WORDS],
}

impl Header {
    /// Whether `bytes` start with either magic: the test by which a file is
    /// taken for a libvirt save image.
    #[must_use]
    pub fn has_magic(bytes: &[u8]) -> bool {
        bytes
            .get(..MAGIC.len())
            .is_some_and(|magic| magic == MAGIC || magic == MAGIC_PARTIAL)
    }

    /// Parses a header. A partial magic parses (`complete` is `false`); the
    /// data length and cookie offset are checked by [`SaveImage::read`],
    /// which knows the image's length.
    ///
    /// # Errors
    /// [`ImageError::Magic`] for another magic, [`ImageError::Version`] for a
    /// version above [`VERSION`] in both byte orders, [`ImageError::Format`]
    /// for an unknown format.
    pub fn parse(bytes: &[u8; HEADER_LEN]) -> Result<Self, ImageError> {
        let word = |at: usize| -> [u8; 4] {
            let mut word = [0; 4];
            word.copy_from_slice(&bytes[at..at + 4]);
            word
        };
        let mut magic = [0; 16];
        magic.copy_from_slice(&bytes[..16]);
        let complete = match &magic {
            m if m == MAGIC => true,
            m if m == MAGIC_PARTIAL => false,
            _ => return Err(ImageError::Magic { found: magic }),
        };
        // libvirt reads in its own byte order and swaps when the version is
        // then too high; on the little-endian hosts this runs on, that is
        // little-endian first.
        let version = word(VERSION_AT);
        let byte_order = [ByteOrder::Little, ByteOrder::Big]
            .into_iter()
            .find(|order| order.read(version) <= VERSION)
            .ok_or(ImageError::Version {
                offset: VERSION_AT as u64,
                little: u32::from_le_bytes(version),
                big: u32::from_be_bytes(version),
            })?;
        let read = |at: usize| byte_order.read(word(at));
        let code = read(FORMAT_AT);
        let format = Format::from_code(code).ok_or(ImageError::Format {
            offset: FORMAT_AT as u64,
            code,
        })?;
        let mut unused = [0; UNUSED_WORDS];
        for (index, slot) in unused.iter_mut().enumerate() {
            *slot = read(UNUSED_AT + 4 * index);
        }
        Ok(Self {
            complete,
            byte_order,
            version: read(VERSION_AT),
            data_len: read(DATA_LEN_AT),
            was_running: read(WAS_RUNNING_AT),
            format,
            cookie_offset: read(COOKIE_OFFSET_AT),
            unused,
        })
    }

    /// The header's bytes: what [`Header::parse`] read, byte for byte.
    #[must_use]
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut bytes = [0; HEADER_LEN];
        bytes[..16].copy_from_slice(if self.complete { MAGIC } else { MAGIC_PARTIAL });
        let mut put = |at: usize, word: u32| {
            bytes[at..at + 4].copy_from_slice(&self.byte_order.write(word));
        };
        put(VERSION_AT, self.version);
        put(DATA_LEN_AT, self.data_len);
        put(WAS_RUNNING_AT, self.was_running);
        put(FORMAT_AT, self.format.code());
        put(COOKIE_OFFSET_AT, self.cookie_offset);
        for (index, word) in self.unused.iter().enumerate() {
            put(UNUSED_AT + 4 * index, *word);
        }
        bytes
    }

    /// How the stream is really stored: libvirt decompresses only version 2
    /// images, so an older one is raw whatever its format word says.
    #[must_use]
    pub fn compression(&self) -> Format {
        if self.version == VERSION {
            self.format
        } else {
            Format::Raw
        }
    }
}

/// A libvirt save image's header and data: everything before the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveImage {
    /// The header.
    pub header: Header,
    /// The `data_len` bytes after the header, as found.
    data: Vec<u8>,
    /// The domain XML's length, without its NUL.
    xml_len: usize,
    /// The cookie's start and length without its NUL, when there is one.
    cookie: Option<(usize, usize)>,
}

impl SaveImage {
    /// Reads the header and data of the image that starts at the reader's
    /// position, and leaves the reader at the stream's first byte. Offsets in
    /// errors count from that start.
    ///
    /// # Errors
    /// Any [`ImageError`]: a read failure, an image shorter than its header
    /// says, a partial magic ([`ImageError::Incomplete`]), a header
    /// [`Header::parse`] refuses, a data length of zero or above
    /// [`DATA_LEN_MAX`], a cookie offset past the data, an XML or cookie
    /// without its NUL or not UTF-8.
    pub fn read<R: Read + Seek>(reader: &mut R) -> Result<Self, ImageError> {
        let io_at = |offset: u64| move |source| ImageError::Io { offset, source };
        let start = reader.stream_position().map_err(io_at(0))?;
        let end = reader.seek(SeekFrom::End(0)).map_err(io_at(0))?;
        let available = end.saturating_sub(start);
        reader.seek(SeekFrom::Start(start)).map_err(io_at(0))?;
        let mut bytes = [0; HEADER_LEN];
        read_exact(reader, &mut bytes, 0, "the 92-byte header", available)?;
        let header = Header::parse(&bytes)?;
        if !header.complete {
            return Err(ImageError::Incomplete);
        }
        let data_len = header.data_len;
        if data_len == 0 {
            return Err(ImageError::NoData {
                offset: DATA_LEN_AT as u64,
            });
        }
        if data_len > DATA_LEN_MAX {
            return Err(ImageError::DataTooLong {
                offset: DATA_LEN_AT as u64,
                data_len,
                limit: DATA_LEN_MAX,
            });
        }
        if header.cookie_offset > data_len {
            return Err(ImageError::CookieOffset {
                offset: COOKIE_OFFSET_AT as u64,
                cookie_offset: header.cookie_offset,
                data_len,
            });
        }
        // Checked against the file before allocating: a hostile length costs
        // nothing beyond the bytes really there.
        let header_len = HEADER_LEN as u64;
        let left = available.saturating_sub(header_len);
        if u64::from(data_len) > left {
            return Err(ImageError::Truncated {
                offset: header_len,
                expected: "the domain XML and cookie",
                needed: u64::from(data_len),
                available: left,
            });
        }
        let mut data = vec![0; data_len as usize];
        read_exact(
            reader,
            &mut data,
            header_len,
            "the domain XML and cookie",
            left,
        )?;
        Self::from_parts(header, data)
    }

    /// A new image's header and data as libvirt writes them: the XML and
    /// cookie NUL-terminated, [`ROOM`] zeros after them, version
    /// [`VERSION`], this host's byte order, the complete magic.
    ///
    /// # Errors
    /// [`ImageError::DataTooLong`] when the texts do not fit in
    /// [`DATA_LEN_MAX`], [`ImageError::Unterminated`] when one holds a NUL.
    pub fn new(
        xml: &str,
        cookie: Option<&str>,
        was_running: bool,
        format: Format,
    ) -> Result<Self, ImageError> {
        let (mut data, cookie_offset) = texts(xml, cookie);
        let too_long = |len: usize| ImageError::DataTooLong {
            offset: DATA_LEN_AT as u64,
            data_len: u32::try_from(len).unwrap_or(u32::MAX),
            limit: DATA_LEN_MAX,
        };
        let data_len = data.len() + ROOM as usize;
        if data_len > DATA_LEN_MAX as usize {
            return Err(too_long(data_len));
        }
        data.resize(data_len, 0);
        let header = Header {
            complete: true,
            byte_order: if cfg!(target_endian = "big") {
                ByteOrder::Big
            } else {
                ByteOrder::Little
            },
            version: VERSION,
            data_len: u32::try_from(data_len).map_err(|_| too_long(data_len))?,
            was_running: u32::from(was_running),
            format,
            cookie_offset: u32::try_from(cookie_offset).map_err(|_| too_long(cookie_offset))?,
            unused: [0; UNUSED_WORDS],
        };
        let image = Self::from_parts(header, data)?;
        // A NUL inside a text would end it early: what is read back differs.
        if image.xml().len() != xml.len() || image.cookie() != cookie {
            return Err(ImageError::Unterminated {
                offset: HEADER_LEN as u64,
                what: "domain XML or cookie, without NUL bytes inside",
                len: image.data.len() as u64,
            });
        }
        Ok(image)
    }

    /// The same image with its domain XML's machine type
    /// (`<os><type machine='...'>`) replaced by `machine`, as `virsh
    /// save-image-edit` would leave it: header, cookie and the rest of the
    /// XML kept, the data as long as before unless the new XML needs more.
    /// `None` when the XML names no machine type.
    ///
    /// # Errors
    /// [`ImageError::DataTooLong`] when the texts no longer fit in
    /// [`DATA_LEN_MAX`], [`ImageError::Unterminated`] when `machine` holds a
    /// NUL.
    pub fn with_machine(&self, machine: &str) -> Result<Option<Self>, ImageError> {
        let Some(xml) = domain_xml::with_machine(self.xml(), machine) else {
            return Ok(None);
        };
        let cookie = self.cookie();
        let (mut data, cookie_offset) = texts(&xml, cookie);
        let data_len = if data.len() <= self.data.len() {
            self.data.len()
        } else {
            data.len() + ROOM as usize
        };
        let too_long = || ImageError::DataTooLong {
            offset: DATA_LEN_AT as u64,
            data_len: u32::try_from(data_len).unwrap_or(u32::MAX),
            limit: DATA_LEN_MAX,
        };
        if data_len > DATA_LEN_MAX as usize {
            return Err(too_long());
        }
        data.resize(data_len, 0);
        let header = Header {
            data_len: u32::try_from(data_len).map_err(|_| too_long())?,
            cookie_offset: u32::try_from(cookie_offset).map_err(|_| too_long())?,
            ..self.header.clone()
        };
        let image = Self::from_parts(header, data)?;
        if image.xml() != xml || image.cookie() != cookie {
            return Err(ImageError::Unterminated {
                offset: HEADER_LEN as u64,
                what: "domain XML, without NUL bytes inside",
                len: image.data.len() as u64,
            });
        }
        Ok(Some(image))
    }

    /// Checks and indexes the texts in `data`.
    fn from_parts(header: Header, data: Vec<u8>) -> Result<Self, ImageError> {
        let cookie_at = header.cookie_offset as usize;
        let xml_part = if cookie_at == 0 {
            data.len()
        } else {
            cookie_at
        };
        let xml_len = text_len(&data, 0, xml_part, "domain XML")?;
        let cookie = if cookie_at == 0 || cookie_at == data.len() {
            None
        } else {
            let len = text_len(&data, cookie_at, data.len(), "cookie")?;
            Some((cookie_at, len))
        };
        Ok(Self {
            header,
            data,
            xml_len,
            cookie,
        })
    }

    /// The domain XML.
    #[must_use]
    pub fn xml(&self) -> &str {
        text(&self.data, 0, self.xml_len)
    }

    /// The cookie (libvirt's `<cookie>` XML: the guest CPU it ran with,
    /// slirp helpers), when there is one.
    #[must_use]
    pub fn cookie(&self) -> Option<&str> {
        self.cookie
            .map(|(start, len)| text(&self.data, start, start + len))
    }

    /// The `data_len` bytes after the header, room included.
    #[must_use]
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Where the stream starts: the header's and the data's length.
    #[must_use]
    pub fn stream_offset(&self) -> u64 {
        HEADER_LEN as u64 + self.data.len() as u64
    }

    /// What the domain XML says of the guest: name, machine type, devices.
    #[must_use]
    pub fn domain(&self) -> Domain {
        Domain::parse(self.xml())
    }

    /// Writes the header and the data, byte for byte as read, with the
    /// complete magic when `complete` and the partial one otherwise: a
    /// writer that can come back writes the partial magic first and the
    /// complete one once the stream is whole, as libvirt does.
    ///
    /// # Errors
    /// Any error of `writer`.
    pub fn write_to<W: Write>(&self, writer: &mut W, complete: bool) -> io::Result<()> {
        let header = Header {
            complete,
            ..self.header.clone()
        };
        writer.write_all(&header.to_bytes())?;
        writer.write_all(&self.data)
    }
}

/// An image's data before its padding: the XML and the cookie, each ended
/// by a NUL, and where the cookie starts (0 without one).
fn texts(xml: &str, cookie: Option<&str>) -> (Vec<u8>, usize) {
    let mut data = Vec::with_capacity(xml.len() + cookie.map_or(0, str::len) + ROOM as usize);
    data.extend_from_slice(xml.as_bytes());
    data.push(0);
    let cookie_offset = cookie.map_or(0, |cookie| {
        let at = data.len();
        data.extend_from_slice(cookie.as_bytes());
        data.push(0);
        at
    });
    (data, cookie_offset)
}

/// Reads exactly `buffer.len()` bytes, naming `expected` at `offset` when the
/// image ends first.
fn read_exact<R: Read>(
    reader: &mut R,
    buffer: &mut [u8],
    offset: u64,
    expected: &'static str,
    available: u64,
) -> Result<(), ImageError> {
    reader.read_exact(buffer).map_err(|source| {
        if source.kind() == io::ErrorKind::UnexpectedEof {
            ImageError::Truncated {
                offset,
                expected,
                needed: buffer.len() as u64,
                available,
            }
        } else {
            ImageError::Io { offset, source }
        }
    })
}

/// The length of the NUL-terminated UTF-8 text at `data[start..end]`.
fn text_len(
    data: &[u8],
    start: usize,
    end: usize,
    what: &'static str,
) -> Result<usize, ImageError> {
    let part = data.get(start..end).unwrap_or_default();
    let offset = HEADER_LEN as u64 + start as u64;
    let len = part
        .iter()
        .position(|&byte| byte == 0)
        .ok_or(ImageError::Unterminated {
            offset,
            what,
            len: part.len() as u64,
        })?;
    std::str::from_utf8(&part[..len]).map_err(|e| ImageError::NotUtf8 {
        offset: offset + e.valid_up_to() as u64,
        what,
    })?;
    Ok(len)
}

/// The text `from_parts` checked.
fn text(data: &[u8], start: usize, end: usize) -> &str {
    data.get(start..end)
        .and_then(|bytes| std::str::from_utf8(bytes).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
