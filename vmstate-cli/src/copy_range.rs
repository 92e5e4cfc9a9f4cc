//! RAM page runs copied by the kernel: a run of a stream goes out byte for
//! byte, so when input and output are files on a file system that shares
//! extents (Btrfs, XFS, bcachefs) or copies on the server (NFS, SMB),
//! `copy_file_range` moves it without moving its data. Consecutive runs are
//! one range of the input and of the output, so they are gathered and copied
//! with one call, as `cp` does. Where the kernel or the file systems refuse,
//! the range is read and written instead.
//!
//! Elsewhere (ext4, tmpfs) the kernel copies through a pipe, page by page,
//! and that is slower than writing the run from the buffer it was read into
//! (which the reader needs anyway, to see each page's header): `set` on a
//! 1 GiB stream on ext4 took 1.38 s copied by the kernel and 1.06 s written,
//! and again, with the output's writeback started as it is written
//! ([`crate::writeback`]), 1.88 s against 0.97 s (best of 3, taking turns;
//! docs/performance.md), so there runs are written.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::{FileExt, MetadataExt};

use rustix::io::Errno;
use vmstate::stream::{RamRecord, Record, StreamReader, StreamWriter};

use crate::CommandError;
use crate::writeback::Writeback;

/// The most bytes gathered before they are copied: large enough that the
/// cost per call vanishes, small enough that a failure is reported soon.
const GATHER_MAX: u64 = 256 << 20;

/// An output the kernel may copy input ranges into.
pub trait RangeSink: Write {
    /// Writes `len` bytes of `input` at `offset` at the output's position,
    /// copied by the kernel where it can.
    ///
    /// # Errors
    /// Reading or writing fails.
    fn copy_range(&mut self, input: &File, offset: u64, len: u64) -> io::Result<()>;
}

impl<F: AsFd + Write> RangeSink for BufWriter<Writeback<F>> {
    fn copy_range(&mut self, input: &File, offset: u64, len: u64) -> io::Result<()> {
        self.flush()?;
        let done = kernel_copy(input, offset, self.get_ref().get_ref(), len);
        self.get_mut().wrote(done.as_ref().map_or(0, |n| *n));
        let done = done?;
        copy_by_reading(input, offset + done, len - done, self)
    }
}

impl RangeSink for BufWriter<Box<dyn Write>> {
    fn copy_range(&mut self, input: &File, offset: u64, len: u64) -> io::Result<()> {
        copy_by_reading(input, offset, len, self)
    }
}

/// Copies up to `len` bytes of `input` at `offset` to `output`'s position;
/// returns how many were copied before the kernel refused (0 when it cannot
/// copy between these files at all).
fn kernel_copy(input: &File, mut offset: u64, output: impl AsFd, len: u64) -> io::Result<u64> {
    let mut done = 0;
    while done < len {
        let want = usize::try_from(len - done).unwrap_or(usize::MAX);
        match rustix::fs::copy_file_range(input, Some(&mut offset), &output, None, want) {
            Ok(0) => break,
            Ok(n) => done += n as u64,
            Err(Errno::INTR) => {}
            // Not between these files or on this kernel: read and write.
            Err(Errno::XDEV | Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP | Errno::BADF) => {
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(done)
}

/// Reads `len` bytes of `input` at `offset` and writes them to `output`.
fn copy_by_reading(
    input: &File,
    mut offset: u64,
    mut len: u64,
    output: &mut impl Write,
) -> io::Result<()> {
    let mut buffer = vec![0; usize::try_from(len.min(1 << 20)).unwrap_or(1 << 20)];
    while len > 0 {
        let n = usize::try_from(len).map_or(buffer.len(), |n| n.min(buffer.len()));
        input.read_exact_at(&mut buffer[..n], offset)?;
        output.write_all(&buffer[..n])?;
        offset += n as u64;
        len -= n as u64;
    }
    Ok(())
}

/// File systems where `copy_file_range` shares extents or copies on the
/// server (`statfs` magic numbers): there it costs no data movement.
const COPY_WITHOUT_MOVING: &[u64] = &[
    0x9123_683e, // Btrfs
    0x5846_5342, // XFS
    0xca45_1a4e, // bcachefs
    0x6969,      // NFS
    0xfe53_4d42, // SMB2
    0xff53_4d42, // CIFS
];

/// Whether the kernel copies from `input` to `output` without moving the
/// data: both on one file system of a kind in [`COPY_WITHOUT_MOVING`].
pub fn pays(input: &File, output: &File) -> bool {
    let same_device = match (input.metadata(), output.metadata()) {
        (Ok(a), Ok(b)) => a.dev() == b.dev(),
        _ => false,
    };
    same_device
        && rustix::fs::fstatfs(output).is_ok_and(|fs| {
            #[allow(
                clippy::useless_conversion,
                reason = "f_type's width differs by target"
            )]
            let kind = u64::try_from(fs.f_type).unwrap_or(0);
            COPY_WITHOUT_MOVING.contains(&kind)
        })
}

/// Writes records read from a file, gathering the page runs into ranges of
/// the input that the kernel copies.
pub struct Copier<'a> {
    /// The file the records are read from; `None` when the kernel cannot
    /// copy from it (not a whole file) or into the output.
    input: Option<&'a File>,
    /// Input offset and length of the runs gathered and not yet written.
    pending: Option<(u64, u64)>,
}

impl<'a> Copier<'a> {
    /// Copies page runs from `input` when it is given; writes every record
    /// as it is otherwise.
    pub fn new(input: Option<&'a File>) -> Self {
        Self {
            input,
            pending: None,
        }
    }

    /// Writes `record`, just read by `reader`.
    ///
    /// # Errors
    /// Writing fails.
    pub fn write<R: Read + Seek, W: RangeSink>(
        &mut self,
        writer: &mut StreamWriter<W>,
        record: &Record,
        reader: &StreamReader<R>,
    ) -> Result<(), CommandError> {
        if let (Record::Ram(RamRecord::Pages { data, .. }), Some(_)) = (record, self.input) {
            // A run ends where the reader now is.
            let len = data.len() as u64;
            let offset = reader.offset() - len;
            match &mut self.pending {
                Some((start, gathered))
                    if *start + *gathered == offset && *gathered < GATHER_MAX =>
                {
                    *gathered += len;
                }
                _ => {
                    self.flush(writer)?;
                    self.pending = Some((offset, len));
                }
            }
            return Ok(());
        }
        self.flush(writer)?;
        writer.write(record)?;
        Ok(())
    }

    /// Writes the runs gathered so far.
    ///
    /// # Errors
    /// Reading or writing fails.
    pub fn flush<W: RangeSink>(
        &mut self,
        writer: &mut StreamWriter<W>,
    ) -> Result<(), CommandError> {
        if let (Some((offset, len)), Some(input)) = (self.pending.take(), self.input) {
            writer.write_with(len, |out| out.copy_range(input, offset, len))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// A range copied by the kernel, and one it refuses (an output opened
    /// for appending), give the input's bytes at the output's position.
    #[test]
    fn a_copied_range_is_the_inputs_bytes() {
        let dir = std::env::temp_dir();
        let name =
            |what: &str| dir.join(format!("vmstate-copy-range-{what}-{}", std::process::id()));
        let (input_path, output_path) = (name("in"), name("out"));
        let bytes: Vec<u8> = (0..3u32 << 20).map(|i| (i % 251) as u8).collect();
        std::fs::write(&input_path, &bytes).unwrap();
        let input = File::open(&input_path).unwrap();
        for append in [false, true] {
            let _ = std::fs::remove_file(&output_path);
            let file = File::options()
                .create_new(true)
                .write(true)
                .read(true)
                .append(append)
                .open(&output_path)
                .unwrap();
            let mut out = BufWriter::new(Writeback::new(file, true));
            out.write_all(b"head").unwrap();
            out.copy_range(&input, 1000, 2 << 20).unwrap();
            out.write_all(b"tail").unwrap();
            drop(out.into_inner().unwrap());
            let written = std::fs::read(&output_path).unwrap();
            let mut expected = b"head".to_vec();
            expected.extend_from_slice(&bytes[1000..1000 + (2 << 20)]);
            expected.extend_from_slice(b"tail");
            assert!(written == expected, "append: {append}");
        }
        let _ = std::fs::remove_file(&input_path);
        let _ = std::fs::remove_file(&output_path);
    }
}
