//! RAM page runs copied by the kernel: a run of a stream goes out byte for
//! byte, so when input and output are files `copy_file_range` moves it from
//! one to the other inside the kernel, with no write from user space (and
//! on file systems that share extents, no copy at all). Where the kernel or
//! the file systems refuse (another file system, an old kernel, a pipe),
//! the run's bytes, already read, are written as before.

use std::fs::File;
use std::io::{self, BufWriter, Read, Seek, Write};

use rustix::io::Errno;
use vmstate::stream::{RamRecord, Record, StreamReader, StreamWriter};

use crate::Failure;

/// An output the kernel may copy input ranges into.
pub trait RangeSink: Write {
    /// Writes `data`, which are the input's bytes at `offset`, by copying
    /// them from `input` where the kernel can.
    ///
    /// # Errors
    /// Writing fails.
    fn copy_from(&mut self, input: &File, offset: u64, data: &[u8]) -> io::Result<()>;
}

impl RangeSink for BufWriter<File> {
    fn copy_from(&mut self, input: &File, offset: u64, data: &[u8]) -> io::Result<()> {
        self.flush()?;
        let done = kernel_copy(input, offset, self.get_ref(), data.len())?;
        self.write_all(&data[done..])
    }
}

impl RangeSink for BufWriter<&File> {
    fn copy_from(&mut self, input: &File, offset: u64, data: &[u8]) -> io::Result<()> {
        self.flush()?;
        let done = kernel_copy(input, offset, self.get_ref(), data.len())?;
        self.write_all(&data[done..])
    }
}

impl RangeSink for BufWriter<Box<dyn Write>> {
    fn copy_from(&mut self, _: &File, _: u64, data: &[u8]) -> io::Result<()> {
        self.write_all(data)
    }
}

/// Copies up to `len` bytes of `input` at `offset` to `output`'s position;
/// returns how many were copied before the kernel refused (0 when it cannot
/// copy between these files at all).
fn kernel_copy(input: &File, mut offset: u64, output: &File, len: usize) -> io::Result<usize> {
    let mut done = 0;
    while done < len {
        match rustix::fs::copy_file_range(input, Some(&mut offset), output, None, len - done) {
            Ok(0) => break,
            Ok(n) => done += n,
            Err(Errno::INTR) => {}
            // Not between these files or on this kernel: write instead.
            Err(Errno::XDEV | Errno::INVAL | Errno::NOSYS | Errno::OPNOTSUPP | Errno::BADF) => {
                break;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(done)
}

/// Writes `record`, just read by `reader`; a page run goes through
/// [`RangeSink::copy_from`] when `input` (the file `reader` reads) is given.
///
/// # Errors
/// Writing fails.
pub fn write<R: Read + Seek, W: RangeSink>(
    writer: &mut StreamWriter<W>,
    record: &Record,
    reader: &StreamReader<R>,
    input: Option<&File>,
) -> Result<(), Failure> {
    if let (Record::Ram(RamRecord::Pages { data, .. }), Some(input)) = (record, input) {
        // A run ends where the reader now is.
        let offset = reader.offset() - data.len() as u64;
        writer.write_with(data.len() as u64, |out| out.copy_from(input, offset, data))?;
        return Ok(());
    }
    writer.write(record)?;
    Ok(())
}
