//! libvirt save images (`virsh save`, managed save) as input and output.
//!
//! An image is recognised by its magic. A raw stream is read in place; a
//! compressed one is decompressed by the program libvirt runs for the
//! image's format (`gzip -dc`, `xz -dc`, ...) into an unnamed temporary
//! file, since the stream reader seeks (to the description at its end). `set` and `convert` write the stream to a spool beside the
//! output, then the image around it: the header and data (domain XML,
//! cookie, room) as found, the stream compressed as libvirt compresses it,
//! and the complete magic only once the stream is whole.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use vmstate::container::libvirt::{Format, Header, MAGIC, SaveImage};

use crate::CommandError;
use crate::atomic_output::Output;
use crate::scan::Scan;
use crate::wording::counted;

/// The stream of a libvirt save image: read in place when it is stored raw,
/// else decompressed into a spool.
#[derive(Debug)]
pub enum ImageStream {
    /// The image file from the stream's first byte on; positions count from
    /// there.
    InPlace {
        /// The image file.
        file: File,
        /// Where the stream starts in it.
        start: u64,
        /// The position in the stream.
        position: u64,
    },
    /// The decompressed stream in an unnamed temporary file.
    Spooled(File),
}

impl ImageStream {
    /// Reads the stream's bytes at `offset` without moving it.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::InPlace { file, start, .. } => {
                let at = start
                    .checked_add(offset)
                    .ok_or(io::ErrorKind::InvalidInput)?;
                file.read_at(buf, at)
            }
            Self::Spooled(file) => file.read_at(buf, offset),
        }
    }
}

impl Read for ImageStream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::InPlace {
                file,
                start,
                position,
            } => {
                let at = start
                    .checked_add(*position)
                    .ok_or(io::ErrorKind::InvalidInput)?;
                let read = file.read_at(buf, at)?;
                *position += read as u64;
                Ok(read)
            }
            Self::Spooled(file) => file.read(buf),
        }
    }
}

impl Seek for ImageStream {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        match self {
            Self::InPlace {
                file,
                start,
                position,
            } => {
                let base = match to {
                    SeekFrom::Start(offset) => Some(offset),
                    SeekFrom::Current(delta) => position.checked_add_signed(delta),
                    SeekFrom::End(delta) => file
                        .metadata()?
                        .len()
                        .saturating_sub(*start)
                        .checked_add_signed(delta),
                };
                *position = base.ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "seek before the start of the stream",
                    )
                })?;
                Ok(*position)
            }
            Self::Spooled(file) => file.seek(to),
        }
    }
}

/// When `file` is a libvirt save image: its header and data, and its stream
/// (a raw one read in place, a compressed one decompressed into a spool by
/// the program libvirt runs for its format); `None` for any other file.
///
/// # Errors
/// [`CommandError::BadInput`] when the image cannot be read (the message names
/// the byte offset), is incomplete, is a mapped-ram (`sparse`) image, or its
/// decompressor fails.
pub fn detect(file: &File, path: &Path) -> Result<Option<(SaveImage, ImageStream)>, CommandError> {
    let bad = |message: String| CommandError::BadInput(format!("{}: {message}", path.display()));
    let mut magic = [0; 16];
    let mut len = 0;
    while len < magic.len() {
        match file.read_at(&mut magic[len..], len as u64) {
            Ok(0) => break,
            Ok(read) => len += read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(bad(format!("cannot read: {e}"))),
        }
    }
    if !Header::has_magic(&magic[..len]) {
        return Ok(None);
    }
    let mut reader = file
        .try_clone()
        .map_err(|e| bad(format!("cannot read: {e}")))?;
    reader
        .seek(SeekFrom::Start(0))
        .map_err(|e| bad(format!("cannot read: {e}")))?;
    let image = SaveImage::read(&mut reader).map_err(|e| bad(e.to_string()))?;
    let format = image.header.compression();
    if format == Format::Sparse {
        return Err(bad(
            "a libvirt save image in the `sparse` format (a mapped-ram stream at fixed file \
             offsets) is not supported"
                .into(),
        ));
    }
    let Some(program) = format.program() else {
        let start = image.stream_offset();
        return Ok(Some((
            image,
            ImageStream::InPlace {
                file: reader,
                start,
                position: 0,
            },
        )));
    };
    // The reader is at the stream's first byte, where the program starts.
    let mut spool = crate::input::tempfile_in(&std::env::temp_dir())?;
    filter(program, format.decompress_args(), reader, &mut spool)
        .map_err(|e| bad(format!("decompressing the {} stream: {e}", format.name())))?;
    spool
        .seek(SeekFrom::Start(0))
        .map_err(|e| bad(format!("spooling the stream: {e}")))?;
    Ok(Some((image, ImageStream::Spooled(spool))))
}

/// `failure` with a note that its byte offsets count in the stream, when
/// the stream came out of a libvirt save image where it starts at
/// `stream_offset`.
pub fn locate(failure: CommandError, stream_offset: Option<u64>) -> CommandError {
    match (failure, stream_offset) {
        (CommandError::BadInput(message), Some(offset)) => CommandError::BadInput(format!(
            "{message} (in the stream, which starts at byte {offset} of the libvirt save image)"
        )),
        (failure, _) => failure,
    }
}

/// Where `set` and `convert` write: `target` itself for a stream, or, for a
/// stream that came out of `image`, a spool that [`Output::commit`] wraps
/// in the same kind of image at `target`.
///
/// # Errors
/// [`CommandError::Io`] when the target or the spool cannot be created.
pub fn output(target: &Path, image: Option<SaveImage>) -> Result<Output, CommandError> {
    let Some(image) = image else {
        return Output::create(target);
    };
    // Created now, so that a target that cannot be written is named before
    // any work is done.
    let output = Output::create(target)?;
    let directory = match target.parent() {
        _ if target == Path::new("-") => std::env::temp_dir(),
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => Path::new(".").to_owned(),
    };
    let spool = crate::input::tempfile_in(&directory)?;
    let target = target.to_owned();
    Ok(Output::spool(
        spool,
        Box::new(move |stream| {
            write_image(&image, stream, &output, &target)?;
            output.commit()
        }),
    ))
}

/// Writes `image`'s header and data, then `stream` stored as its format
/// says. A file gets the partial magic first and the complete one once the
/// stream is written, as libvirt does; standard output gets the complete one.
fn write_image(
    image: &SaveImage,
    mut stream: File,
    output: &Output,
    target: &Path,
) -> Result<(), CommandError> {
    let failed =
        |e: &dyn std::fmt::Display| CommandError::Io(format!("writing {}: {e}", target.display()));
    let format = image.header.compression();
    let seekable = output.seekable()?;
    let complete_now = seekable.is_none();
    let mut writer: Box<dyn Write> = match &seekable {
        Some(file) => Box::new(io::BufWriter::new(file)),
        None => output.file()?,
    };
    image
        .write_to(&mut writer, complete_now)
        .map_err(|e| failed(&e))?;
    match format.program() {
        None => io::copy(&mut stream, &mut writer)
            .map(drop)
            .map_err(|e| failed(&e))?,
        Some(program) => filter(program, format.compress_args(), stream, &mut writer)
            .map_err(|e| failed(&format!("compressing the stream: {e}")))?,
    }
    writer.flush().map_err(|e| failed(&e))?;
    drop(writer);
    if let Some(mut file) = seekable {
        file.sync_data()
            .and_then(|()| file.seek(SeekFrom::Start(0)))
            .and_then(|_| file.write_all(MAGIC))
            .map_err(|e| failed(&e))?;
    }
    Ok(())
}

/// Runs `program args` with `input` as standard input and copies its
/// standard output to `output`: how libvirt runs its compressors.
fn filter(program: &str, args: &[&str], input: File, output: &mut dyn Write) -> Result<(), String> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::from(input))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    let mut errors = child.stderr.take();
    // Read beside the copy, so that a program that writes much there cannot
    // stall on a full pipe.
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(errors) = &mut errors {
            let _ = errors.read_to_string(&mut text);
        }
        text
    });
    let copied = match child.stdout.take() {
        Some(mut stdout) => io::copy(&mut stdout, output).map(drop),
        None => Ok(()),
    };
    let status = child.wait().map_err(|e| e.to_string())?;
    let stderr = stderr.join().unwrap_or_default();
    copied.map_err(|e| e.to_string())?;
    if !status.success() {
        return Err(format!(
            "`{program} {}` failed ({status}): {}",
            args.join(" "),
            stderr.trim()
        ));
    }
    Ok(())
}

/// The sections of `scan` that belong to the PCI device at `address`:
/// QEMU names them `ADDRESS/NAME`.
fn sections_at<'a>(scan: &'a Scan, address: &str) -> Vec<&'a str> {
    let prefix = format!("{address}/");
    scan.sections
        .iter()
        .map(|s| s.info.idstr.as_str())
        .filter(|idstr| idstr.starts_with(&prefix))
        .collect()
}

/// Renames the machine type in `image`'s domain XML as `convert --machine`
/// renames the stream's: libvirt starts QEMU with the XML's, and refuses a
/// `virsh restore --xml` that changes it. Returns what to tell once the
/// conversion is written (or, for an XML that names no machine type, why
/// it is left as it is).
///
/// # Errors
/// [`CommandError::Usage`] when the XML cannot hold the name.
pub fn rename_machine(
    image: &mut Option<SaveImage>,
    args: &crate::args::Convert,
) -> Result<Option<String>, CommandError> {
    let (Some(image), Some(machine)) = (image.as_mut(), &args.machine) else {
        return Ok(None);
    };
    let Some(old) = image.domain().machine.filter(|xml| xml != machine) else {
        return Ok(None);
    };
    match image.with_machine(machine) {
        Ok(Some(renamed)) => {
            *image = renamed;
            Ok(Some(format!(
                "the domain XML's machine type `{old}` is renamed `{machine}` too"
            )))
        }
        Ok(None) => Ok(machine_mismatch(image, Some(machine))),
        Err(e) => Err(CommandError::Usage(format!(
            "{}: the domain XML cannot name machine type `{machine}`: {e}",
            args.file.display()
        ))),
    }
}

/// A note when the domain XML and the stream name different machine types:
/// libvirt starts QEMU with the XML's, which then refuses the stream.
pub fn machine_mismatch(image: &SaveImage, stream_machine: Option<&str>) -> Option<String> {
    let xml = image.domain().machine?;
    let stream = stream_machine?;
    (xml != stream).then(|| {
        format!(
            "the domain XML names machine type `{xml}` and the stream `{stream}`: libvirt starts \
             QEMU with the XML's (change it with `virsh save-image-edit`)"
        )
    })
}

/// The lines `inspect` prints above the sections: the header, the domain
/// XML's machine type beside the stream's, and its devices beside the
/// stream's sections of the same PCI address.
pub fn table(image: &SaveImage, scan: &Scan) -> String {
    let mut out = String::new();
    let header = &image.header;
    let domain = image.domain();
    let _ = writeln!(
        out,
        "libvirt save image: version {}, {}, {}; domain XML {}{}; stream from byte {} (stream \
         offsets below count from there)",
        header.version,
        header.compression().name(),
        if header.was_running == 0 {
            "paused"
        } else {
            "was running"
        },
        counted(image.xml().len(), "byte"),
        image
            .cookie()
            .map(|c| format!(", cookie {}", counted(c.len(), "byte")))
            .unwrap_or_default(),
        image.stream_offset()
    );
    let _ = writeln!(
        out,
        "domain: {}, machine {} (the stream's: {})",
        domain.name.as_deref().unwrap_or("-"),
        domain.machine.as_deref().unwrap_or("-"),
        scan.machine.as_deref().unwrap_or("-")
    );
    if let Some(note) = machine_mismatch(image, scan.machine.as_deref()) {
        let _ = writeln!(out, "note: {note}");
    }
    let _ = writeln!(out, "devices in the domain XML:");
    for device in &domain.devices {
        let summary = device.summary();
        let sections = device
            .pci_address
            .as_deref()
            .map(|address| sections_at(scan, address))
            .unwrap_or_default();
        if sections.is_empty() {
            let _ = writeln!(out, "  {summary}");
        } else {
            let _ = writeln!(out, "  {summary:<44} sections: {}", sections.join(", "));
        }
    }
    out
}

/// `inspect --json`'s `libvirt` member.
pub fn json(image: &SaveImage, scan: &Scan) -> Value {
    let header = &image.header;
    let domain = image.domain();
    let devices: Vec<Value> = domain
        .devices
        .iter()
        .map(|device| {
            let attributes: serde_json::Map<String, Value> = device
                .attributes
                .iter()
                .map(|(k, v)| (k.clone(), json!(v)))
                .collect();
            json!({
                "kind": device.kind,
                "attributes": attributes,
                "model": device.model,
                "target": device.target,
                "pci_address": device.pci_address,
                "text": device.text,
                "sections": device
                    .pci_address
                    .as_deref()
                    .map(|address| sections_at(scan, address))
                    .unwrap_or_default(),
            })
        })
        .collect();
    json!({
        "complete": header.complete,
        "version": header.version,
        "byte_order": format!("{:?}", header.byte_order).to_lowercase(),
        "format": header.format.name(),
        "compression": header.compression().name(),
        "was_running": header.was_running != 0,
        "data_len": header.data_len,
        "cookie_offset": header.cookie_offset,
        "stream_offset": image.stream_offset(),
        "xml": image.xml(),
        "cookie": image.cookie(),
        "domain": {
            "name": domain.name,
            "machine": domain.machine,
            "arch": domain.arch,
            "devices": devices,
        },
        "machine_mismatch": machine_mismatch(image, scan.machine.as_deref()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A raw stream read in place: positions count from the stream's start,
    /// whichever way the reader seeks.
    #[test]
    fn a_raw_stream_is_read_in_place_from_its_start() {
        let mut file = crate::input::tempfile_in(&std::env::temp_dir()).unwrap();
        file.write_all(b"HEADERQEVM-stream-end").unwrap();
        let mut stream = ImageStream::InPlace {
            file,
            start: 6,
            position: 0,
        };
        let mut text = String::new();
        stream.read_to_string(&mut text).unwrap();
        assert_eq!(text, "QEVM-stream-end");
        assert_eq!(stream.seek(SeekFrom::End(-3)).unwrap(), 12);
        let mut end = [0; 3];
        stream.read_exact(&mut end).unwrap();
        assert_eq!(&end, b"end");
        assert_eq!(stream.seek(SeekFrom::Current(-15)).unwrap(), 0);
        assert!(stream.seek(SeekFrom::Current(-1)).is_err());
        assert_eq!(stream.seek(SeekFrom::Start(100)).unwrap(), 100);
        assert_eq!(stream.read(&mut end).unwrap(), 0);
    }
}
