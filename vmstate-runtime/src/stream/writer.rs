//! Writing records back into a stream.

use std::io::{Seek, SeekFrom, Write};

use super::StreamErrorKind;
use super::device::DeviceSection;
use super::priority::sort_by_priority;
use super::ram::RamRecord;
use super::{FORMAT_VERSION, MAGIC, Record, tag};
use crate::Priority;
use crate::error::Error;

/// The granularity of holes: the smallest page QEMU writes and the block size
/// of the file systems that hold save files.
const HOLE_GRANULE: u64 = 4096;

/// Moves the output forward by a number of bytes without writing them.
type Skip<W> = fn(&mut W, u64) -> std::io::Result<()>;

/// Writes a migration stream record by record. Records read by
/// [`StreamReader`](super::StreamReader) come out byte for byte as they went in.
pub struct StreamWriter<W: Write> {
    output: W,
    scratch: Vec<u8>,
    /// Bytes written or skipped so far: the absolute offset of the next byte.
    position: u64,
    /// Set by [`StreamWriter::with_holes`]: how to leave zero pages unwritten.
    skip: Option<Skip<W>>,
    /// Zero bytes of a mapped-ram region not written yet; they become a hole
    /// when the next bytes are written (or when the stream is finished).
    hole: u64,
    /// The end of the mapped-ram region being written, once its first chunk
    /// came at the offset it was read from: a reader that skips holes leaves
    /// gaps between its chunks, and after the last one, up to here, which
    /// are zeros.
    region_end: Option<u64>,
    /// The end of the region announced by the last mapped-ram block header,
    /// until its first chunk is written.
    announced_end: Option<u64>,
}

impl<W: Write> StreamWriter<W> {
    /// Starts a stream: writes the magic and the format version.
    ///
    /// # Errors
    /// [`StreamErrorKind::Io`] when writing fails.
    pub fn new(mut output: W) -> Result<Self, Error> {
        let mut header = [0u8; 8];
        header[..4].copy_from_slice(&MAGIC.to_be_bytes());
        header[4..].copy_from_slice(&FORMAT_VERSION.to_be_bytes());
        output.write_all(&header).map_err(io)?;
        Ok(Self {
            output,
            scratch: Vec::new(),
            position: header.len() as u64,
            skip: None,
            hole: 0,
            region_end: None,
            announced_end: None,
        })
    }

    /// Writes device sections, given in registration order with their VMSD's
    /// priority, in the order QEMU saves them: highest priority first, equal
    /// priorities in the given order (see [`sort_by_priority`]).
    ///
    /// # Errors
    /// As [`write`](Self::write).
    pub fn write_devices(&mut self, sections: &[(Priority, DeviceSection)]) -> Result<(), Error> {
        let mut order: Vec<&(Priority, DeviceSection)> = sections.iter().collect();
        sort_by_priority(&mut order, |(priority, _)| *priority);
        for (_, section) in order {
            for record in section.records() {
                self.write(&record)?;
            }
        }
        Ok(())
    }

    /// Writes one record.
    ///
    /// # Errors
    /// [`StreamErrorKind::Io`] when writing fails; [`StreamErrorKind::RegionMoved`] when a
    /// mapped-ram region would land at another file offset than the one it
    /// was read from (a record before it changed length), since the block's
    /// header points at the old offset; [`StreamErrorKind::Io`] of kind
    /// `InvalidInput` for a [`RamRecord::Counted`] run, whose bytes were
    /// not kept.
    pub fn write(&mut self, record: &Record) -> Result<(), Error> {
        if let Record::Ram(RamRecord::Counted { len, .. }) = record {
            return Err(io(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "a counted run of pages ({len} bytes) has no bytes to write: read the stream with page runs, not counts, to write it"
                ),
            )));
        }
        if let Record::Ram(RamRecord::Region { offset, data }) = record {
            let here = self.position + self.hole;
            let in_region = self
                .region_end
                .is_some_and(|end| offset.saturating_add(data.len() as u64) <= end);
            if *offset > here && in_region {
                self.zeros(*offset - here)?;
            } else if *offset == here {
                if let Some(end) = self.announced_end.take() {
                    self.region_end = Some(end);
                }
            } else {
                return Err(Error::at(
                    StreamErrorKind::RegionMoved {
                        read_at: *offset,
                        write_at: here,
                    },
                    *offset,
                )
                .in_section("ram", None));
            }
            return self.write_region(data);
        }
        self.end_region()?;
        if let Record::Ram(RamRecord::MappedBlock { block, header }) = record
            && !header.is_ignored()
        {
            self.announced_end = header.pages_offset.checked_add(block.used_length);
        }
        if let Record::Ram(RamRecord::Pages { data, .. }) = record {
            // Straight to the output: a run is already in wire form, and a
            // copy into the scratch buffer would touch every byte once more.
            return self.put(data);
        }
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        match record {
            Record::Configuration(configuration) => {
                out.push(tag::CONFIGURATION);
                out.extend_from_slice(&configuration.payload);
            }
            Record::Section(header) => {
                out.push(header.kind.tag());
                out.extend_from_slice(&header.section_id.to_be_bytes());
                if let Some(info) = &header.info {
                    out.push(u8::try_from(info.idstr.len()).unwrap_or(u8::MAX));
                    out.extend_from_slice(info.idstr.as_bytes());
                    out.extend_from_slice(&info.instance_id.to_be_bytes());
                    out.extend_from_slice(&info.version_id.to_be_bytes());
                }
            }
            Record::State { payload, .. } => out.extend_from_slice(payload),
            Record::Ram(ram) => ram.write_to(&mut out),
            Record::Footer { section_id } => {
                out.push(tag::SECTION_FOOTER);
                out.extend_from_slice(&section_id.to_be_bytes());
            }
            Record::Command { command, data } => {
                out.push(tag::COMMAND);
                out.extend_from_slice(&command.to_be_bytes());
                out.extend_from_slice(&u16::try_from(data.len()).unwrap_or(u16::MAX).to_be_bytes());
                out.extend_from_slice(data);
            }
            Record::Eof => out.push(tag::EOF),
            Record::Vmdesc { json } => {
                out.push(tag::VMDESCRIPTION);
                out.extend_from_slice(&u32::try_from(json.len()).unwrap_or(u32::MAX).to_be_bytes());
                out.extend_from_slice(json);
            }
        }
        let result = self.put(&out);
        self.scratch = out;
        result
    }

    /// Writes `len` bytes of a record that `copy` puts into the output
    /// itself, after any pending hole: for a tool that has the kernel copy a
    /// [`RamRecord::Pages`] run from the input file (`copy_file_range`)
    /// instead of passing its bytes through a buffer. `copy` must write
    /// exactly `len` bytes at the output's current position.
    ///
    /// # Errors
    /// [`StreamErrorKind::Io`] when skipping the hole or `copy` fails.
    pub fn write_with(
        &mut self,
        len: u64,
        copy: impl FnOnce(&mut W) -> std::io::Result<()>,
    ) -> Result<(), Error> {
        self.end_region()?;
        if len == 0 {
            return Ok(());
        }
        if self.hole > 0
            && let Some(skip) = self.skip
        {
            skip(&mut self.output, self.hole).map_err(io)?;
            self.position += self.hole;
            self.hole = 0;
        }
        copy(&mut self.output).map_err(io)?;
        self.position += len;
        Ok(())
    }

    /// Flushes and returns the output.
    ///
    /// # Errors
    /// [`StreamErrorKind::Io`] when writing or flushing fails.
    pub fn finish(mut self) -> Result<W, Error> {
        self.end_region()?;
        if self.hole > 0 {
            // Nothing follows the hole to give the file its length: skip all
            // but one byte and write that one.
            self.hole -= 1;
            self.put(&[0])?;
        }
        self.output.flush().map_err(io)?;
        Ok(self.output)
    }

    /// Zeros up to the end of the region being written, which the reader
    /// skipped as a hole.
    fn end_region(&mut self) -> Result<(), Error> {
        self.announced_end = None;
        if let Some(end) = self.region_end.take() {
            let here = self.position + self.hole;
            if end > here {
                self.zeros(end - here)?;
            }
        }
        Ok(())
    }

    /// `len` zero bytes of a region: a hole where the output can seek,
    /// written out where it cannot.
    fn zeros(&mut self, len: u64) -> Result<(), Error> {
        if self.skip.is_some() {
            let aligned = self.position + self.hole;
            // Holes are whole granules; the unaligned edges are written.
            let head = (HOLE_GRANULE - aligned % HOLE_GRANULE) % HOLE_GRANULE;
            let head = head.min(len);
            self.put_zeros(head)?;
            let body = (len - head) / HOLE_GRANULE * HOLE_GRANULE;
            self.hole += body;
            return self.put_zeros(len - head - body);
        }
        self.put_zeros(len)
    }

    fn put_zeros(&mut self, mut len: u64) -> Result<(), Error> {
        static ZEROS: [u8; 64 << 10] = [0; 64 << 10];
        while len > 0 {
            let n = usize::try_from(len).map_or(ZEROS.len(), |n| n.min(ZEROS.len()));
            self.put(&ZEROS[..n])?;
            len -= n as u64;
        }
        Ok(())
    }

    /// Writes `bytes` at the current position, after the pending hole.
    fn put(&mut self, bytes: &[u8]) -> Result<(), Error> {
        if bytes.is_empty() {
            return Ok(());
        }
        if self.hole > 0
            && let Some(skip) = self.skip
        {
            skip(&mut self.output, self.hole).map_err(io)?;
            self.position += self.hole;
            self.hole = 0;
        }
        self.output.write_all(bytes).map_err(io)?;
        self.position += bytes.len() as u64;
        Ok(())
    }

    /// Writes a chunk of a mapped-ram region. With holes enabled, every
    /// aligned [`HOLE_GRANULE`] of zeros is skipped instead of written, so a
    /// sparse input gives a sparse output.
    fn write_region(&mut self, data: &[u8]) -> Result<(), Error> {
        if self.skip.is_none() {
            return self.put(data);
        }
        let mut rest = data;
        while !rest.is_empty() {
            let position = self.position + self.hole;
            let to_boundary = HOLE_GRANULE - position % HOLE_GRANULE;
            let len = usize::try_from(to_boundary).map_or(rest.len(), |n| n.min(rest.len()));
            let (piece, tail) = rest.split_at(len);
            if len as u64 == HOLE_GRANULE && piece.iter().all(|&b| b == 0) {
                self.hole += HOLE_GRANULE;
            } else {
                self.put(piece)?;
            }
            rest = tail;
        }
        Ok(())
    }
}

impl<W: Write + Seek> StreamWriter<W> {
    /// Leaves the all-zero pages of mapped-ram regions unwritten: the output
    /// seeks past them, so a new file gets holes there (as QEMU's own save
    /// file has) and reads back the same bytes. Only for an output that
    /// starts empty: skipped bytes keep whatever the output held.
    #[must_use]
    pub fn with_holes(mut self) -> Self {
        self.skip = Some(|output, len| {
            let len = i64::try_from(len).map_err(std::io::Error::other)?;
            output.seek(SeekFrom::Current(len)).map(drop)
        });
        self
    }
}

pub(super) fn io(source: std::io::Error) -> Error {
    Error::new(StreamErrorKind::Io { source })
}
