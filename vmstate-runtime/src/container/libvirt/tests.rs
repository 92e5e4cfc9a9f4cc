use std::io::Cursor;
use std::path::Path;

use super::*;

const XML: &str = "<domain type='qemu'>\n  <name>guest</name>\n  <os>\n    <type arch='x86_64' \
                   machine='pc-i440fx-7.2'>hvm</type>\n  </os>\n</domain>\n";
const COOKIE: &str = "<cookie>\n  <slirpHelper/>\n</cookie>\n";

/// An image of `image`'s header and data, then `stream`.
fn bytes_of(image: &SaveImage, stream: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    image.write_to(&mut bytes, true).unwrap();
    bytes.extend_from_slice(stream);
    bytes
}

/// Where the stream starts, as an index.
fn stream_start(image: &SaveImage) -> usize {
    usize::try_from(image.stream_offset()).unwrap()
}

fn read(bytes: &[u8]) -> Result<SaveImage, ImageError> {
    SaveImage::read(&mut Cursor::new(bytes))
}

fn sample() -> Vec<u8> {
    let image = SaveImage::new(XML, Some(COOKIE), true, Format::Gzip).unwrap();
    bytes_of(&image, b"QEVM")
}

#[test]
fn a_new_image_reads_back_as_libvirt_lays_it_out() {
    let bytes = sample();
    let mut cursor = Cursor::new(&bytes[..]);
    let image = SaveImage::read(&mut cursor).unwrap();
    assert_eq!(image.xml(), XML);
    assert_eq!(image.cookie(), Some(COOKIE));
    assert_eq!(image.header.format, Format::Gzip);
    assert_eq!(image.header.compression(), Format::Gzip);
    assert_eq!(image.header.was_running, 1);
    let texts = XML.len() + 1 + COOKIE.len() + 1;
    assert_eq!(image.header.data_len as usize, texts + ROOM as usize);
    assert_eq!(image.header.cookie_offset as usize, XML.len() + 1);
    assert_eq!(image.stream_offset(), cursor.position());
    assert_eq!(&bytes[stream_start(&image)..], b"QEVM");
    assert_eq!(image.domain().machine.as_deref(), Some("pc-i440fx-7.2"));
}

#[test]
fn header_and_data_are_written_back_byte_for_byte() {
    let mut bytes = sample();
    // Words a writer may set that this one never does: kept as found.
    bytes[UNUSED_AT + 7] = 0x5a;
    bytes[WAS_RUNNING_AT] = 7;
    let image = read(&bytes).unwrap();
    let mut written = Vec::new();
    image.write_to(&mut written, true).unwrap();
    assert_eq!(written, bytes[..stream_start(&image)]);
    let mut partial = Vec::new();
    image.write_to(&mut partial, false).unwrap();
    assert_eq!(&partial[..16], MAGIC_PARTIAL);
    assert_eq!(partial[16..], written[16..]);
}

#[test]
fn a_big_endian_header_is_read_and_kept_big_endian() {
    let little = sample();
    let mut big = little.clone();
    for at in (VERSION_AT..HEADER_LEN).step_by(4) {
        big[at..at + 4].reverse();
    }
    let image = read(&big).unwrap();
    assert_eq!(image.header.byte_order, ByteOrder::Big);
    assert_eq!(image.xml(), XML);
    assert_eq!(image.header.format, Format::Gzip);
    let mut written = Vec::new();
    image.write_to(&mut written, true).unwrap();
    assert_eq!(written, big[..stream_start(&image)]);
}

#[test]
fn a_version_1_image_is_raw_whatever_its_format_word() {
    let mut bytes = sample();
    bytes[VERSION_AT] = 1;
    let image = read(&bytes).unwrap();
    assert_eq!(image.header.format, Format::Gzip);
    assert_eq!(image.header.compression(), Format::Raw);
}

#[test]
fn an_image_without_cookie_has_its_xml_up_to_the_first_nul() {
    let image = SaveImage::new(XML, None, false, Format::Raw).unwrap();
    let image = read(&bytes_of(&image, b"")).unwrap();
    assert_eq!(image.cookie(), None);
    assert_eq!(image.xml(), XML);
    assert_eq!(image.header.cookie_offset, 0);
}

/// A renamed machine type changes the XML's and nothing else: header words,
/// byte order, cookie and the data's length (while the XML fits) are kept.
#[test]
fn a_machine_type_renamed_keeps_the_rest_of_the_image() {
    let mut big = sample();
    for at in (VERSION_AT..HEADER_LEN).step_by(4) {
        big[at..at + 4].reverse();
    }
    big[UNUSED_AT + 7] = 0x5a;
    let image = read(&big).unwrap();
    let renamed = image.with_machine("pc-i440fx-10.0").unwrap().unwrap();
    assert_eq!(
        renamed.xml(),
        XML.replace("pc-i440fx-7.2", "pc-i440fx-10.0")
    );
    assert_eq!(renamed.domain().machine.as_deref(), Some("pc-i440fx-10.0"));
    assert_eq!(renamed.cookie(), Some(COOKIE));
    assert_eq!(renamed.header.data_len, image.header.data_len);
    assert_eq!(renamed.header.cookie_offset, image.header.cookie_offset + 1);
    assert_eq!(renamed.header.byte_order, ByteOrder::Big);
    assert_eq!(renamed.header.unused, image.header.unused);
    let written = bytes_of(&renamed, b"QEVM");
    let back = read(&written).unwrap();
    assert_eq!(back, renamed);
    // An XML that outgrows the data gets room again, as a new image does.
    let long = "m".repeat(ROOM as usize * 2);
    let grown = image.with_machine(&long).unwrap().unwrap();
    assert_eq!(grown.domain().machine.as_deref(), Some(long.as_str()));
    assert_eq!(
        grown.header.data_len as usize,
        grown.xml().len() + 1 + COOKIE.len() + 1 + ROOM as usize
    );
    assert!(matches!(
        image.with_machine("a\0b"),
        Err(ImageError::Unterminated { .. })
    ));
    let no_machine = SaveImage::new("<domain/>", None, false, Format::Raw).unwrap();
    assert_eq!(no_machine.with_machine("pc").unwrap(), None);
}

/// Sets the header word at `at` in little-endian.
fn with_word(mut bytes: Vec<u8>, at: usize, word: u32) -> Vec<u8> {
    bytes[at..at + 4].copy_from_slice(&word.to_le_bytes());
    bytes
}

/// Damaged images: what is wrong, the bytes, the offset the error names and
/// words its message has.
fn hostile_cases() -> Vec<(&'static str, Vec<u8>, u64, &'static str)> {
    let good = sample();
    let data_len = u32::from_le_bytes(good[DATA_LEN_AT..DATA_LEN_AT + 4].try_into().unwrap());
    vec![
        (
            "partial magic",
            {
                let mut b = good.clone();
                b[..16].copy_from_slice(MAGIC_PARTIAL);
                b
            },
            0,
            "incomplete",
        ),
        (
            "other magic",
            {
                let mut b = good.clone();
                b[..4].copy_from_slice(b"QEVM");
                b
            },
            0,
            "expected the magic",
        ),
        (
            "version 3",
            with_word(good.clone(), VERSION_AT, 3),
            16,
            "version of at most 2",
        ),
        (
            "version in neither order",
            with_word(good.clone(), VERSION_AT, 0x0102_0304),
            16,
            "version",
        ),
        (
            "unknown format",
            with_word(good.clone(), FORMAT_AT, 7),
            28,
            "format",
        ),
        (
            "no data",
            with_word(good.clone(), DATA_LEN_AT, 0),
            20,
            "found 0",
        ),
        (
            "huge data",
            with_word(good.clone(), DATA_LEN_AT, u32::MAX),
            20,
            "more than",
        ),
        (
            "data past the end",
            with_word(good.clone(), DATA_LEN_AT, data_len + 100),
            92,
            "bytes left",
        ),
        (
            "cookie past the data",
            with_word(good.clone(), COOKIE_OFFSET_AT, data_len + 1),
            32,
            "cookie offset",
        ),
        ("header cut", good[..50].to_vec(), 0, "92-byte header"),
        (
            "xml without nul",
            {
                let image = SaveImage::new("<domain/>", None, true, Format::Raw).unwrap();
                let mut b = bytes_of(&image, b"");
                let end = b.len();
                b[HEADER_LEN..end].fill(b' ');
                b
            },
            92,
            "no NUL",
        ),
        (
            "cookie without nul",
            {
                let mut b = good.clone();
                let end = HEADER_LEN + data_len as usize;
                b[HEADER_LEN + XML.len() + 1..end].fill(b' ');
                b
            },
            (HEADER_LEN + XML.len() + 1) as u64,
            "cookie",
        ),
        (
            "xml not utf-8",
            {
                let mut b = good.clone();
                b[HEADER_LEN + 3] = 0xff;
                b
            },
            (HEADER_LEN + 3) as u64,
            "not UTF-8",
        ),
    ]
}

#[test]
fn hostile_headers_are_refused_with_the_offset() {
    for (what, bytes, offset, words) in hostile_cases() {
        let error = read(&bytes).expect_err(what);
        assert_eq!(error.offset(), offset, "{what}: {error}");
        let message = error.to_string();
        assert!(message.contains(words), "{what}: {message}");
        assert!(
            message.contains(&format!("byte {offset}")),
            "{what}: {message}"
        );
    }
}

#[test]
fn every_prefix_and_every_byte_flip_of_the_header_reads_or_fails() {
    let good = sample();
    let header_and_data = stream_start(&read(&good).unwrap());
    for cut in 0..header_and_data {
        assert!(read(&good[..cut]).is_err(), "a cut at {cut} read");
    }
    for at in 0..HEADER_LEN + 64 {
        for bit in 0..8 {
            let mut bytes = good.clone();
            bytes[at] ^= 1 << bit;
            // Ok or Err, never a panic; what reads writes back the same.
            if let Ok(image) = read(&bytes) {
                let mut written = Vec::new();
                image.write_to(&mut written, true).unwrap();
                assert_eq!(written, bytes[..written.len()], "flip at {at} bit {bit}");
            }
        }
    }
}

#[test]
fn every_format_code_maps_back() {
    for format in Format::ALL {
        assert_eq!(Format::from_code(format.code()), Some(format));
    }
    assert_eq!(Format::from_code(7), None);
    assert_eq!(Format::from_code(u32::MAX), None);
    assert_eq!(Format::Xz.compress_args(), ["-c", "-3"]);
    assert_eq!(Format::Lzop.decompress_args(), ["-dc", "--ignore-warn"]);
    assert_eq!(Format::Raw.program(), None);
    assert_eq!(Format::Zstd.program(), Some("zstd"));
}

#[test]
fn a_nul_inside_a_text_is_refused() {
    assert!(SaveImage::new("<domain>\0</domain>", None, true, Format::Raw).is_err());
    assert!(SaveImage::new("<domain/>", Some("a\0b"), true, Format::Raw).is_err());
}

/// The images real libvirt wrote: each reads, its stream starts where the
/// header says (the compressors' own magic, or `QEVM`), and its header and
/// data write back byte for byte.
#[test]
fn real_libvirt_images_read_and_write_back() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/libvirt");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "save") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let image = read(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let stream = &bytes[stream_start(&image)..];
        let magic: &[u8] = match image.header.compression() {
            Format::Raw => b"QEVM",
            Format::Gzip => b"\x1f\x8b",
            Format::Bzip2 => b"BZh",
            Format::Xz => b"\xfd7zXZ",
            Format::Lzop => b"\x89LZO",
            other => panic!("{}: libvirt 9.0 does not write {other:?}", path.display()),
        };
        assert!(stream.starts_with(magic), "{}", path.display());
        let domain = image.domain();
        assert_eq!(domain.machine.as_deref(), Some("pc-i440fx-7.2"));
        assert_eq!(domain.name.as_deref(), Some("fixture"));
        assert!(domain.devices.iter().any(|d| d.kind == "interface"));
        assert!(image.cookie().is_some_and(|c| c.starts_with("<cookie>")));
        let mut written = Vec::new();
        image.write_to(&mut written, true).unwrap();
        assert_eq!(written, bytes[..written.len()], "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 2, "only {seen} images in {}", dir.display());
}
