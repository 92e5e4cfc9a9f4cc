//! Reading a stream record by record, with memory bounded by the largest
//! device payload, never by the RAM size.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use super::StreamErrorKind;
use super::configuration::Configuration;
use super::page_count::{self, CountStart, Counted, PageRules, ReadAt, Step};
use super::ram::{
    MappedRamHeader, PAGE_RUN_MAX, REGION_CHUNK, RamBlock, RamRecord, XBZRLE_ENCODING,
    compressed_page_bound, flags,
};
use super::vmdesc::Vmdesc;
use super::writer::io;
use super::{FORMAT_VERSION, MAGIC, Record, SectionHeader, SectionInfo, SectionKind, tag};
use crate::error::{Error, ErrorKind};

/// Finds where a FULL section's payload ends when the stream has no
/// description of it: given the section and the bytes from the payload's start
/// (up to [`StreamLimits::max_state_len`]), returns the payload's length, or
/// `None` when it does not know the section.
///
/// The reader first offers a prefix of the rest of the stream, and offers
/// twice as much while the delimiter fails or returns a length that ends
/// within 512 bytes of the prefix's end (where it may have missed a
/// subsection header that the prefix cuts). A delimiter must give the same
/// answer for every prefix that holds the payload and 512 bytes more; one that
/// loads the payload with a derived `VmState`, which looks ahead by at most
/// one subsection header, does.
pub type Delimiter = fn(&SectionInfo, &[u8]) -> Option<Result<usize, Error>>;

/// Finds the data of a sparse input: the first extent that may hold data at
/// or after the given offset, as `(start, end)`, or `None` when only a hole
/// follows (Linux `lseek` with `SEEK_DATA` then `SEEK_HOLE`). The reader
/// seeks the input itself afterwards, so the function may move it.
///
/// A mapped-ram file keeps each RAM block at a fixed offset with the pages
/// QEMU never wrote left as holes; with this, reading it costs what it
/// holds rather than what its blocks claim.
pub type DataExtents<R> = fn(&R, u64) -> std::io::Result<Option<(u64, u64)>>;

/// How far past a payload's end a [`Delimiter`] may look: a subsection
/// header (marker, length, a name of up to 255 bytes, version) with room to
/// spare.
const DELIMITER_LOOKAHEAD: usize = 512;

/// The first prefix offered to a [`Delimiter`]. Offering the whole rest of
/// the stream for every section, as the reader once did, made N small
/// sections cost O(N × stream length) in copying (a review finding; see
/// `tests/regressions.rs`).
const FIRST_PEEK: usize = 4 << 10;

/// The first read-ahead of a page run: what a run reads past its last page
/// is read twice, so a run starts small (a part with a few pages before its
/// EOS wastes little) and grows fourfold up to [`PAGE_RUN_MAX`].
const FIRST_RUN: usize = 64 << 10;

/// Bounds on what a stream may make the reader hold in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// Largest FULL section payload, in bytes.
    pub max_state_len: usize,
    /// Largest vmdesc JSON, in bytes.
    pub max_vmdesc_len: usize,
    /// Most RAM blocks in a block list.
    pub max_ram_blocks: usize,
}

impl Default for StreamLimits {
    fn default() -> Self {
        Self {
            max_state_len: 64 << 20,
            max_vmdesc_len: 64 << 20,
            max_ram_blocks: 4096,
        }
    }
}

/// Where the reader is in the stream's grammar.
#[derive(Debug, Clone, PartialEq, Eq)]
enum State {
    /// Expecting a record type byte.
    Top,
    /// Inside a RAM section part, until EOS.
    Ram { section_id: u32 },
    /// In a mapped-ram block list: `remaining` bytes of blocks to come.
    MappedBlocks { section_id: u32, remaining: u64 },
    /// In the file region of a mapped-ram block: `next` is the next byte to
    /// yield, `end` the region's end; then the block list goes on. Bytes
    /// from `next` to `data_end` are known to be data (no hole). `anchored`
    /// once a chunk was yielded at the region's start.
    Region {
        section_id: u32,
        remaining: u64,
        next: u64,
        end: u64,
        data_end: u64,
        anchored: bool,
    },
    /// A FULL header was read; its payload comes next.
    Payload { section_id: u32, info: SectionInfo },
    /// A payload ended; a footer may follow.
    AfterPayload { section_id: u32 },
    /// EOF was read; a vmdesc may follow.
    AfterEof,
    /// Nothing may follow.
    Done,
}

/// Reads a QEMU migration stream as [`Record`]s.
///
/// The input must be seekable: the JSON description at the end of the stream
/// is read first, since it is what delimits the payloads of devices that no
/// model knows. Spool a pipe to a temporary file first.
pub struct StreamReader<R: Read + Seek> {
    input: BufReader<R>,
    offset: u64,
    len: u64,
    limits: StreamLimits,
    vmdesc: Option<Vmdesc>,
    /// Where the vmdesc record that was parsed at open starts (its `0x06`).
    vmdesc_at: Option<u64>,
    /// The wire length of each section the vmdesc describes, by idstr and
    /// instance, computed once: searching the device list and walking the
    /// description for every section made a stream that repeats a section
    /// cost O(sections × vmdesc size) (a review finding).
    described: HashMap<(String, u32), usize>,
    delimiter: Option<Delimiter>,
    /// The idstr and instance of each section id, for PART and END headers
    /// and for footer errors.
    sections: HashMap<u32, (String, u32)>,
    /// A set, not a list: every page names its block, and a list made many
    /// blocks and pages cost O(pages × blocks) (a review finding).
    ram_blocks: HashSet<String>,
    ram_block_named: bool,
    /// The configuration declared the `mapped-ram` capability: the block
    /// list carries headers and file regions.
    mapped_ram: bool,
    page_size: usize,
    state: State,
    /// The last payload whose end the delimiter gave, until the next section
    /// or command header: when the bytes after it are no record, the model
    /// misread it, and the error must name that section rather than the
    /// byte where the reader lost its place.
    delimited: Option<Delimited>,
    /// Set by [`StreamReader::with_page_runs`]: pages come in runs.
    runs: Option<Runs>,
    /// Set by [`StreamReader::with_data_extents`]: holes are skipped.
    extents: Option<DataExtents<R>>,
    /// Set by [`StreamReader::with_page_counts`]: runs are counted.
    counter: Option<Counter<R>>,
    /// A count found a second reading thread not worth its cost.
    count_alone: bool,
}

/// How a reader made with [`StreamReader::with_page_counts`] counts runs:
/// the caller's positional read, and the count made for an input type that
/// two threads may share (the reader itself does not require it).
struct Counter<R> {
    read_at: ReadAt<R>,
    count: CountRun<R>,
}

impl<R> Clone for Counter<R> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<R> Copy for Counter<R> {}

/// [`page_count::count`] for one input type.
type CountRun<R> =
    fn(&R, ReadAt<R>, &PageRules<'_>, CountStart<'_>, u64) -> std::io::Result<Counted>;

/// A payload delimited by the [`Delimiter`], kept for error messages.
#[derive(Debug)]
struct Delimited {
    info: SectionInfo,
    offset: u64,
    len: usize,
}

impl Delimited {
    /// The error for `byte` found where a record should start after this payload.
    fn misread(self, byte: u8, at: u64) -> Error {
        Error::at(
            StreamErrorKind::MisdelimitedSection {
                byte,
                idstr: self.info.idstr.clone(),
                instance_id: self.info.instance_id,
                version_id: self.info.version_id,
                payload_offset: self.offset,
                len: self.len,
            },
            at,
        )
        .in_section(&self.info.idstr, Some(self.info.instance_id))
    }
}

/// Where a reader with page runs is.
#[derive(Debug, Default)]
struct Runs {
    /// How far the next run reads ahead.
    len: usize,
    /// The last run stopped at a record that is not a page: read it alone.
    stopped: bool,
    /// A run's buffer given back by [`StreamReader::recycle`].
    spare: Vec<u8>,
    /// The bytes after the last run's last whole record, read from the
    /// input but not yet yielded: the next run starts with them. Empty
    /// unless the last run read straight from the input and pages go on;
    /// the input's position is then `offset + carry.len()`.
    carry: Vec<u8>,
}

impl<R: Read + Seek> StreamReader<R> {
    /// Opens a stream with the default limits.
    ///
    /// # Errors
    /// I/O errors, a bad magic or version, or an invalid vmdesc.
    pub fn new(input: R) -> Result<Self, Error> {
        Self::with_limits(input, StreamLimits::default())
    }

    /// Opens a stream with the given limits.
    ///
    /// # Errors
    /// I/O errors, a bad magic or version, or an invalid vmdesc.
    pub fn with_limits(mut input: R, limits: StreamLimits) -> Result<Self, Error> {
        let len = input.seek(SeekFrom::End(0)).map_err(io)?;
        let vmdesc = find_vmdesc(&mut input, len, limits.max_vmdesc_len)?;
        input.seek(SeekFrom::Start(0)).map_err(io)?;
        let page_size = vmdesc
            .as_ref()
            .and_then(|(desc, _)| usize::try_from(desc.page_size).ok())
            .filter(|size| size.is_power_of_two() && (512..=(1 << 21)).contains(size))
            .unwrap_or(4096);
        let mut described = HashMap::new();
        let (vmdesc, vmdesc_at) = vmdesc.map_or((None, None), |(desc, at)| (Some(desc), Some(at)));
        for device in vmdesc.iter().flat_map(|desc| &desc.devices) {
            // The first entry wins, as in `Vmdesc::device`.
            described
                .entry((device.name.clone(), device.instance_id))
                .or_insert_with(|| device.state.wire_len());
        }
        let mut reader = Self {
            input: BufReader::with_capacity(64 << 10, input),
            offset: 0,
            len,
            limits,
            vmdesc,
            vmdesc_at,
            described,
            delimiter: None,
            sections: HashMap::new(),
            ram_blocks: HashSet::new(),
            ram_block_named: false,
            mapped_ram: false,
            page_size,
            state: State::Top,
            delimited: None,
            runs: None,
            extents: None,
            counter: None,
            count_alone: false,
        };
        let magic = reader.be32()?;
        if magic != MAGIC {
            return Err(Error::at(StreamErrorKind::BadMagic { found: magic }, 0));
        }
        let version = reader.be32()?;
        if version != FORMAT_VERSION {
            return Err(Error::at(
                StreamErrorKind::UnsupportedStreamVersion { found: version },
                4,
            ));
        }
        Ok(reader)
    }

    /// Sets the function that delimits FULL payloads the vmdesc does not describe.
    #[must_use]
    pub fn with_delimiter(mut self, delimiter: Delimiter) -> Self {
        self.delimiter = Some(delimiter);
        self
    }

    /// Yields the ZERO and PAGE records of a RAM section in runs
    /// ([`RamRecord::Pages`]) instead of one record per page: for tools that
    /// copy RAM through or count it, a run is read into one buffer with one
    /// system call and written out as is. Runs are checked as single pages
    /// are (known flags, known block names); anything else ends the run and
    /// comes as its own record, with the same errors.
    #[must_use]
    pub fn with_page_runs(mut self) -> Self {
        self.runs = Some(Runs {
            len: FIRST_RUN,
            ..Runs::default()
        });
        self
    }

    /// Counts the ZERO and PAGE records of a RAM section instead of
    /// yielding them: a run comes as one [`RamRecord::Counted`] with its
    /// length and counts, and its bytes are not kept. For tools that only
    /// count pages (`inspect`, `check`): a long run is read by two threads,
    /// each reading chunks at an offset with `read_at`, so that counting a
    /// cached stream takes less time than reading it through (`cat`).
    /// Records are checked as [`with_page_runs`](Self::with_page_runs)
    /// checks them; an input that `read_at` cannot read at an offset
    /// ([`std::io::ErrorKind::Unsupported`]) gets runs instead.
    #[must_use]
    pub fn with_page_counts(mut self, read_at: ReadAt<R>) -> Self
    where
        R: Sync,
    {
        self.counter = Some(Counter {
            read_at,
            count: page_count::count::<R>,
        });
        self.with_page_runs()
    }

    /// Skips the holes of a mapped-ram file's regions, found by `extents`:
    /// the [`RamRecord::Region`] chunks then cover only the data, with gaps
    /// between them where the file has holes (which read as zeros).
    #[must_use]
    pub fn with_data_extents(mut self, extents: DataExtents<R>) -> Self {
        self.extents = Some(extents);
        self
    }

    /// Gives back a record that is no longer needed, so that the next page
    /// run reuses its buffer instead of allocating and clearing a new one.
    /// Records without such a buffer are dropped.
    pub fn recycle(&mut self, record: Record) {
        if let (Record::Ram(RamRecord::Pages { data, .. }), Some(runs)) = (record, &mut self.runs)
            && data.capacity() > runs.spare.capacity()
        {
            runs.spare = data;
        }
    }

    /// The stream's length in bytes.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the stream is empty (it never is once opened: the magic and
    /// version were read).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The stream's JSON description, if it has one.
    #[must_use]
    pub fn vmdesc(&self) -> Option<&Vmdesc> {
        self.vmdesc.as_ref()
    }

    /// Moves the stream's JSON description out, for a caller that keeps it
    /// while it reads: a clone would hold it twice. Reading goes on as
    /// before (the reader keeps what it delimits sections with);
    /// [`vmdesc`](Self::vmdesc) answers `None` afterwards.
    pub fn take_vmdesc(&mut self) -> Option<Vmdesc> {
        self.vmdesc.take()
    }

    /// The next record, as [`next_record`](Self::next_record), but the end
    /// (`None`) where that would be the vmdesc record the reader parsed
    /// when it opened the stream: for a caller that only needs the parsed
    /// form ([`vmdesc`](Self::vmdesc), [`take_vmdesc`](Self::take_vmdesc)),
    /// the JSON is not read a second time.
    ///
    /// # Errors
    /// As [`next_record`](Self::next_record).
    pub fn next_record_before_vmdesc(&mut self) -> Result<Option<Record>, Error> {
        if self.state == State::AfterEof && self.vmdesc_at == Some(self.offset) {
            return Ok(None);
        }
        self.next_record()
    }

    /// The target page size: the length of a PAGE record's page (the
    /// vmdesc's `page_size`, else 4096).
    #[must_use]
    pub fn page_size(&self) -> usize {
        self.page_size
    }

    /// Absolute offset of the next byte to be read.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The next record, or `None` after the last one.
    ///
    /// # Errors
    /// Any malformed input, with the section and byte offset; I/O errors.
    pub fn next_record(&mut self) -> Result<Option<Record>, Error> {
        loop {
            match std::mem::replace(&mut self.state, State::Done) {
                State::Top => return self.top_level().map(Some),
                State::Ram { section_id } => {
                    if self.runs.is_some()
                        && let Some(run) = self.page_run().map_err(|e| e.in_section("ram", None))?
                    {
                        self.state = State::Ram { section_id };
                        return Ok(Some(Record::Ram(run)));
                    }
                    let record = self
                        .ram_record(section_id)
                        .map_err(|e| e.in_section("ram", None))?;
                    return Ok(Some(Record::Ram(record)));
                }
                State::MappedBlocks {
                    section_id,
                    remaining,
                } => {
                    if remaining == 0 {
                        self.state = State::Ram { section_id };
                        continue;
                    }
                    let record = self
                        .mapped_block(section_id, remaining)
                        .map_err(|e| e.in_section("ram", None))?;
                    return Ok(Some(Record::Ram(record)));
                }
                state @ State::Region { .. } => {
                    if let Some(record) = self.region(&state)? {
                        return Ok(Some(record));
                    }
                }
                State::Payload { section_id, info } => {
                    return self
                        .payload(section_id, &info)
                        .map(Some)
                        .map_err(|e| e.in_section(&info.idstr, Some(info.instance_id)));
                }
                State::AfterPayload { section_id } => {
                    self.state = State::Top;
                    if self.peek()? == Some(tag::SECTION_FOOTER) {
                        // A bad footer names the section it should close.
                        return self.footer(section_id).map(Some).map_err(|e| {
                            match self.sections.get(&section_id) {
                                Some((idstr, instance)) => e.in_section(idstr, Some(*instance)),
                                None => e,
                            }
                        });
                    }
                }
                State::AfterEof => {
                    if self.peek()?.is_none() {
                        return Ok(None);
                    }
                    return self.vmdesc_record().map(Some);
                }
                State::Done => {
                    return match self.remaining() {
                        0 => Ok(None),
                        count => Err(Error::at(
                            ErrorKind::TrailingBytes {
                                count: usize::try_from(count).unwrap_or(usize::MAX),
                            },
                            self.offset,
                        )),
                    };
                }
            }
        }
    }

    /// The next chunk of a mapped-ram region (`state`, a [`State::Region`]),
    /// or `None` when the region ended and the block list goes on.
    fn region(&mut self, state: &State) -> Result<Option<Record>, Error> {
        let &State::Region {
            section_id,
            remaining,
            mut next,
            end,
            mut data_end,
            anchored,
        } = state
        else {
            return Ok(None);
        };
        if next < end && next >= data_end {
            let at = next;
            (next, data_end) = self.next_data(next, end)?;
            if !anchored && next > at {
                // The region starts with a hole: an empty chunk at its start
                // tells a writer where the region is, so that the gap after
                // it is known to be one and not a record that changed length.
                self.state = State::Region {
                    section_id,
                    remaining,
                    next,
                    end,
                    data_end,
                    anchored: true,
                };
                return Ok(Some(Record::Ram(RamRecord::Region {
                    offset: at,
                    data: Vec::new(),
                })));
            }
        }
        if next == end {
            self.state = State::MappedBlocks {
                section_id,
                remaining,
            };
            return Ok(None);
        }
        // Chunks end at multiples of REGION_CHUNK, so a block's pages (1 MiB
        // aligned) start a chunk.
        let chunk_end = end
            .min((next / REGION_CHUNK + 1) * REGION_CHUNK)
            .min(data_end);
        let data = self
            .bytes(usize::try_from(chunk_end - next).unwrap_or(usize::MAX))
            .map_err(|e| e.in_section("ram", None))?;
        self.state = State::Region {
            section_id,
            remaining,
            next: chunk_end,
            end,
            data_end,
            anchored: true,
        };
        Ok(Some(Record::Ram(RamRecord::Region { offset: next, data })))
    }

    fn top_level(&mut self) -> Result<Record, Error> {
        let at = self.offset;
        let byte = self.u8()?;
        match byte {
            tag::CONFIGURATION => {
                let start = self.offset;
                let chunk = self.peek_chunk(64 << 10)?;
                let (configuration, used) = Configuration::parse(&chunk, start)
                    .map_err(|e| e.in_section("configuration", None))?;
                self.seek_to(start + used as u64)?;
                self.mapped_ram = configuration.capabilities.iter().any(|c| c == "mapped-ram");
                self.state = State::Top;
                Ok(Record::Configuration(configuration))
            }
            tag::SECTION_START | tag::SECTION_FULL => {
                let kind = if byte == tag::SECTION_START {
                    SectionKind::Start
                } else {
                    SectionKind::Full
                };
                let section_id = self.be32()?;
                let len = self.u8()?;
                let raw = self.bytes(usize::from(len))?;
                // QEMU's idstrs are printable: a header whose name is not
                // comes from a model that misread the payload before it.
                let plausible = !raw.is_empty() && raw.iter().all(u8::is_ascii_graphic);
                if let (false, Some(delimited)) = (plausible, self.delimited.take()) {
                    return Err(delimited.misread(byte, at));
                }
                self.delimited = None;
                let idstr = text(raw, "section idstr", at)?;
                let instance_id = self.be32()?;
                let version_id = self.be32()?;
                let info = SectionInfo {
                    idstr,
                    instance_id,
                    version_id,
                };
                self.sections
                    .insert(section_id, (info.idstr.clone(), info.instance_id));
                self.state = Self::payload_state(kind, section_id, &info, at)?;
                Ok(Record::Section(SectionHeader {
                    kind,
                    section_id,
                    info: Some(info),
                }))
            }
            tag::SECTION_PART | tag::SECTION_END => {
                let kind = if byte == tag::SECTION_PART {
                    SectionKind::Part
                } else {
                    SectionKind::End
                };
                let section_id = self.be32()?;
                let Some((idstr, _)) = self.sections.get(&section_id).cloned() else {
                    return Err(match self.delimited.take() {
                        Some(delimited) => delimited.misread(byte, at),
                        None => Error::at(StreamErrorKind::UnknownSectionId { section_id }, at),
                    });
                };
                if idstr != "ram" {
                    return Err(Error::at(StreamErrorKind::IterativeSection { idstr }, at));
                }
                self.state = State::Ram { section_id };
                Ok(Record::Section(SectionHeader {
                    kind,
                    section_id,
                    info: None,
                }))
            }
            tag::COMMAND => {
                self.delimited = None;
                let command = u16::from_be_bytes(self.array()?);
                let len = u16::from_be_bytes(self.array()?);
                let data = self.bytes(usize::from(len))?;
                self.state = State::Top;
                Ok(Record::Command { command, data })
            }
            tag::EOF => {
                self.state = State::AfterEof;
                Ok(Record::Eof)
            }
            byte => Err(match self.delimited.take() {
                Some(delimited) => delimited.misread(byte, at),
                None => Error::at(StreamErrorKind::UnknownRecord { byte }, at),
            }),
        }
    }

    fn payload_state(
        kind: SectionKind,
        section_id: u32,
        info: &SectionInfo,
        at: u64,
    ) -> Result<State, Error> {
        if info.idstr == "ram" {
            return Ok(State::Ram { section_id });
        }
        if kind == SectionKind::Full {
            return Ok(State::Payload {
                section_id,
                info: info.clone(),
            });
        }
        Err(Error::at(
            StreamErrorKind::IterativeSection {
                idstr: info.idstr.clone(),
            },
            at,
        ))
    }

    /// A FULL payload, delimited by the vmdesc or else by the delimiter.
    fn payload(&mut self, section_id: u32, info: &SectionInfo) -> Result<Record, Error> {
        let offset = self.offset;
        let described = self
            .described
            .get(&(info.idstr.clone(), info.instance_id))
            .copied();
        let len = if let Some(len) = described {
            self.delimited = None;
            len
        } else {
            let delimiter = self.delimiter.ok_or_else(|| undelimited(info, offset))?;
            let len = self.delimit(delimiter, info, offset)?;
            self.delimited = Some(Delimited {
                info: info.clone(),
                offset,
                len,
            });
            len
        };
        if len > self.limits.max_state_len {
            return Err(Error::at(
                StreamErrorKind::LimitExceeded {
                    what: "section payload size",
                    found: len as u64,
                    limit: self.limits.max_state_len as u64,
                },
                offset,
            ));
        }
        let payload = self.bytes(len)?;
        self.state = State::AfterPayload { section_id };
        Ok(Record::State { payload, offset })
    }

    /// Asks `delimiter` for the length of the payload at `offset`, offering
    /// prefixes of the rest of the input that double until the answer cannot
    /// depend on what lies beyond (see [`Delimiter`]).
    fn delimit(
        &mut self,
        delimiter: Delimiter,
        info: &SectionInfo,
        offset: u64,
    ) -> Result<usize, Error> {
        let available = usize::try_from(self.remaining())
            .unwrap_or(usize::MAX)
            .min(self.limits.max_state_len);
        let mut size = FIRST_PEEK.min(available);
        loop {
            let chunk = self.peek_chunk(size)?;
            let whole = size == available;
            match delimiter(info, &chunk) {
                None => return Err(undelimited(info, offset)),
                Some(Ok(len)) if whole || len.saturating_add(DELIMITER_LOOKAHEAD) <= size => {
                    return Ok(len);
                }
                Some(Err(error)) if whole => return Err(error),
                // Failed or ended near the cut: the prefix may be to blame.
                Some(_) => size = size.saturating_mul(2).min(available),
            }
        }
    }

    fn footer(&mut self, section_id: u32) -> Result<Record, Error> {
        let at = self.offset;
        let _tag = self.u8()?;
        let found = self.be32()?;
        if found != section_id {
            return Err(Error::at(
                StreamErrorKind::BadFooter {
                    expected: section_id,
                    found: format!("a footer for section id {found}"),
                },
                at,
            ));
        }
        Ok(Record::Footer { section_id })
    }

    fn ram_record(&mut self, section_id: u32) -> Result<RamRecord, Error> {
        let at = self.offset;
        let word = self.be64()?;
        let page_mask = self.page_size as u64 - 1;
        let (offset, flag_bits) = (word & !page_mask, word & page_mask);
        // QEMU `ram_load_precopy` switches on the flags but CONTINUE: one
        // kind per record, or "Unknown combination of migration flags".
        let kind = flag_bits & !flags::CONTINUE;
        let one_kind = [
            flags::MEM_SIZE,
            flags::EOS,
            flags::ZERO,
            flags::PAGE,
            flags::COMPRESS_PAGE,
            flags::XBZRLE,
        ]
        .contains(&kind);
        if flag_bits & !flags::KNOWN != 0 || !one_kind {
            return Err(Error::at(
                StreamErrorKind::UnsupportedRamFlags { flags: flag_bits },
                at,
            ));
        }
        self.state = State::Ram { section_id };
        if flag_bits & flags::MEM_SIZE != 0 && self.mapped_ram {
            self.state = State::MappedBlocks {
                section_id,
                remaining: offset,
            };
            return Ok(RamRecord::MappedMemSize { total: offset });
        }
        if flag_bits & flags::MEM_SIZE != 0 {
            return self.block_list(offset);
        }
        if flag_bits & flags::EOS != 0 {
            self.state = State::AfterPayload { section_id };
            return Ok(RamRecord::Eos);
        }
        let block = if flag_bits & flags::CONTINUE == 0 {
            let len = self.u8()?;
            let name_at = self.offset;
            let name = text(self.bytes(usize::from(len))?, "RAM block name", name_at)?;
            if !self.ram_blocks.contains(&name) {
                return Err(Error::at(StreamErrorKind::UnknownRamBlock { name }, at));
            }
            self.ram_block_named = true;
            Some(name)
        } else if self.ram_block_named {
            None
        } else {
            return Err(Error::at(
                StreamErrorKind::UnknownRamBlock {
                    name: String::new(),
                },
                at,
            ));
        };
        if flag_bits & flags::ZERO != 0 {
            let fill = self.u8()?;
            Ok(RamRecord::Zero {
                offset,
                block,
                fill,
            })
        } else if flag_bits & flags::PAGE != 0 {
            let data = self.bytes(self.page_size)?;
            Ok(RamRecord::Page {
                offset,
                block,
                data,
            })
        } else if flag_bits & (flags::COMPRESS_PAGE | flags::XBZRLE) != 0 {
            self.encoded_page(offset, block, flag_bits, at)
        } else {
            Err(Error::at(
                StreamErrorKind::UnsupportedRamFlags { flags: flag_bits },
                at,
            ))
        }
    }

    /// A compressed or XBZRLE page after its word and block name, kept as
    /// sent, with the bounds QEMU's loader enforces.
    fn encoded_page(
        &mut self,
        offset: u64,
        block: Option<String>,
        flag_bits: u64,
        at: u64,
    ) -> Result<RamRecord, Error> {
        if flag_bits & flags::COMPRESS_PAGE != 0 {
            // QEMU `ram_load_precopy`: "Invalid compressed data length".
            let len = self.be32()?;
            let bound = compressed_page_bound(self.page_size);
            if usize::try_from(len).map_or(true, |len| len > bound) {
                return Err(Error::at(
                    StreamErrorKind::InvalidEncodedPage {
                        flags: flag_bits,
                        reason: format!(
                            "compressed length {len}, over the {bound} bytes a page compresses to at most"
                        ),
                    },
                    at,
                ));
            }
            // Within the bound just checked.
            let data = self.bytes(len.try_into().unwrap_or(bound))?;
            return Ok(RamRecord::Compressed {
                offset,
                block,
                data,
            });
        }
        // QEMU `load_xbzrle`: "wrong compression!", "len overflow!".
        let encoding = self.u8()?;
        let len = usize::from(self.be16()?);
        let reason = if encoding != XBZRLE_ENCODING {
            Some(format!(
                "encoding {encoding:#x}, where QEMU knows only {XBZRLE_ENCODING:#x}"
            ))
        } else if len > self.page_size {
            Some(format!(
                "encoded length {len}, over the page size {}",
                self.page_size
            ))
        } else {
            None
        };
        if let Some(reason) = reason {
            return Err(Error::at(
                StreamErrorKind::InvalidEncodedPage {
                    flags: flag_bits,
                    reason,
                },
                at,
            ));
        }
        let data = self.bytes(len)?;
        Ok(RamRecord::Xbzrle {
            offset,
            block,
            data,
        })
    }

    /// A run of whole ZERO and PAGE records from here, or `None` when the
    /// next record is anything else (or cut short by the end of the input),
    /// which [`Self::ram_record`] then reads and judges.
    fn page_run(&mut self) -> Result<Option<RamRecord>, Error> {
        let Some(runs) = &mut self.runs else {
            return Ok(None);
        };
        if std::mem::take(&mut runs.stopped) {
            return Ok(None);
        }
        if let Some(counter) = self.counter {
            match self.page_count(counter) {
                Err(e) if e.kind() == std::io::ErrorKind::Unsupported => self.counter = None,
                Err(e) => return Err(Error::at(StreamErrorKind::Io { source: e }, self.offset)),
                Ok(counted) => return Ok(counted),
            }
        }
        let Some(runs) = &mut self.runs else {
            return Ok(None);
        };
        let run_len = runs.len;
        let mut data = std::mem::take(&mut runs.spare);
        let mut carry = std::mem::take(&mut runs.carry);
        // Looking at the first word first keeps a part that opens with its
        // block list or EOS from reading ahead for nothing. An empty buffer
        // is not filled for it: that read would bring the run's first bytes
        // through the buffer, copied twice.
        let first = if carry.is_empty() {
            self.input.buffer().first_chunk::<8>().copied()
        } else {
            carry.first_chunk::<8>().copied()
        };
        if let Some(word) = first
            && self
                .page_rules()
                .page_kind(u64::from_be_bytes(word))
                .is_none()
        {
            self.put_back(&mut carry)?;
            self.give_back(data, FIRST_RUN);
            return Ok(None);
        }
        let start = self.offset;
        // The carried bytes count: they lie at `start`, read already.
        let mut want = usize::try_from(self.remaining())
            .unwrap_or(usize::MAX)
            .min(run_len.max(carry.len()));
        // Only the growth is cleared: the carry and the reads overwrite the
        // rest (clearing a MiB per run costs as much as a tenth of its read).
        if data.len() < want {
            data.resize(want, 0);
        } else {
            data.truncate(want);
        }
        data[..carry.len()].copy_from_slice(&carry);
        if slow_kernel_copy(data.as_ptr().addr(), start) {
            // Every byte of this run would be copied slowly; a short run
            // moves the next one's start past the bad distance.
            want = want.min(carry.len() + SHORT_RUN);
            data.truncate(want);
        }
        // What is carried or buffered first, then the rest straight from the
        // input into the run's buffer, in as few reads as it takes.
        let buffered = self.input.buffer().len().min(want - carry.len());
        let from = carry.len();
        data[from..from + buffered].copy_from_slice(&self.input.buffer()[..buffered]);
        self.input.consume(buffered);
        // Whether the input was read past the buffer: the buffer, empty,
        // then no longer ends where the input is.
        let direct = from + buffered < want;
        self.input
            .get_mut()
            .read_exact(&mut data[from + buffered..])
            .map_err(io)?;
        let run = self.parse_run(&data);
        // The bytes after the last whole record: the start of the next run
        // when pages go on, carried to it without a seek (a seek per run was
        // one system call per MiB); else read again from the input.
        let tail = &data[run.len..];
        carry.clear();
        let back = i64::try_from(tail.len()).unwrap_or(i64::MAX);
        if from == 0 && !direct {
            // The buffer held the whole run: its tail is still there.
            self.input.seek_relative(-back).map_err(io)?;
        } else if !run.stopped && run.len > 0 {
            carry.extend_from_slice(tail);
        } else {
            // Not `seek_relative`: the buffer, empty, still holds the bytes
            // before the direct read, which it would step back into.
            self.input
                .get_mut()
                .seek(SeekFrom::Current(-back))
                .map_err(io)?;
        }
        self.offset = start + run.len as u64;
        if let Some(runs) = &mut self.runs {
            runs.carry = carry;
        }
        if run.len == 0 {
            self.give_back(data, FIRST_RUN);
            return Ok(None);
        }
        if let Some(runs) = &mut self.runs {
            runs.stopped = run.stopped;
            runs.len = if run.stopped {
                FIRST_RUN
            } else {
                run_len.saturating_mul(4).min(PAGE_RUN_MAX)
            };
        }
        data.truncate(run.len);
        Ok(Some(RamRecord::Pages {
            data,
            zero_pages: run.zero_pages,
            data_pages: run.data_pages,
        }))
    }

    /// The run of whole ZERO and PAGE records from here, counted, or `None`
    /// when the next record is anything else (or cut short by the end of
    /// the input), which [`Self::ram_record`] then reads and judges.
    fn page_count(&mut self, how: Counter<R>) -> std::io::Result<Option<RamRecord>> {
        let counted = (how.count)(
            self.input.get_ref(),
            how.read_at,
            &self.page_rules(),
            CountStart {
                start: self.offset,
                buffered: self.input.buffer(),
                named: self.ram_block_named,
                alone: self.count_alone,
            },
            self.len,
        )?;
        let buffered = self.input.buffer().len();
        match usize::try_from(counted.len) {
            Ok(len) if len <= buffered => self.input.consume(len),
            _ => {
                self.input
                    .seek(SeekFrom::Start(self.offset + counted.len))?;
            }
        }
        self.offset += counted.len;
        self.ram_block_named = counted.named;
        self.count_alone = counted.alone;
        if counted.len == 0 {
            return Ok(None);
        }
        if let Some(runs) = &mut self.runs {
            runs.stopped = counted.stopped;
        }
        Ok(Some(RamRecord::Counted {
            len: counted.len,
            zero_pages: counted.zero_pages,
            data_pages: counted.data_pages,
        }))
    }

    /// Gives the bytes a run carried back to the input, for a reader that
    /// reads the next record alone: `carry` is left empty, its allocation
    /// kept.
    fn put_back(&mut self, carry: &mut Vec<u8>) -> Result<(), Error> {
        if !carry.is_empty() {
            // A carry is only kept after a direct read: the buffer is empty
            // (but holds older bytes that `seek_relative` would step back
            // into), so this is one seek of the input.
            let back = i64::try_from(carry.len()).unwrap_or(i64::MAX);
            self.input
                .get_mut()
                .seek(SeekFrom::Current(-back))
                .map_err(io)?;
            carry.clear();
        }
        if let Some(runs) = &mut self.runs {
            runs.carry = std::mem::take(carry);
        }
        Ok(())
    }

    /// Keeps a run's buffer for the next run, which reads `len` ahead.
    fn give_back(&mut self, data: Vec<u8>, len: usize) {
        if let Some(runs) = &mut self.runs {
            runs.spare = data;
            runs.len = len;
        }
    }

    /// How this reader tells page records from others.
    fn page_rules(&self) -> PageRules<'_> {
        PageRules {
            page_size: self.page_size,
            blocks: &self.ram_blocks,
        }
    }

    /// How many bytes of `data` are whole page records, and what they are.
    fn parse_run(&mut self, data: &[u8]) -> Run {
        let mut run = Run::default();
        let mut named = self.ram_block_named;
        let rules = self.page_rules();
        loop {
            match rules.step(&data[run.len..], named) {
                Step::Short => break,
                Step::Other => {
                    run.stopped = true;
                    break;
                }
                Step::Page { zero, len } => {
                    if run.len + len > data.len() {
                        break;
                    }
                    named = true;
                    if zero {
                        run.zero_pages += 1;
                    } else {
                        run.data_pages += 1;
                    }
                    run.len += len;
                }
            }
        }
        self.ram_block_named = named;
        run
    }

    fn block_list(&mut self, total: u64) -> Result<RamRecord, Error> {
        let mut blocks = Vec::new();
        let mut sum = 0u64;
        while sum < total {
            if blocks.len() == self.limits.max_ram_blocks {
                return Err(Error::at(
                    StreamErrorKind::LimitExceeded {
                        what: "RAM block count",
                        found: blocks.len() as u64 + 1,
                        limit: self.limits.max_ram_blocks as u64,
                    },
                    self.offset,
                ));
            }
            let len = self.u8()?;
            let name_at = self.offset;
            let name = text(self.bytes(usize::from(len))?, "RAM block name", name_at)?;
            let used_length = self.be64()?;
            sum = sum.saturating_add(used_length);
            self.ram_blocks.insert(name.clone());
            blocks.push(RamBlock { name, used_length });
        }
        Ok(RamRecord::MemSize { total, blocks })
    }

    /// One entry of a mapped-ram block list (name, length, header), checked
    /// so that its file region lies after the header and inside the file
    /// (QEMU `parse_ramblock_mapped_ram` reads the pages at those offsets
    /// and goes on at `pages_offset + used_length`).
    fn mapped_block(&mut self, section_id: u32, remaining: u64) -> Result<RamRecord, Error> {
        if self.ram_blocks.len() >= self.limits.max_ram_blocks {
            return Err(Error::at(
                StreamErrorKind::LimitExceeded {
                    what: "RAM block count",
                    found: self.ram_blocks.len() as u64 + 1,
                    limit: self.limits.max_ram_blocks as u64,
                },
                self.offset,
            ));
        }
        let len = self.u8()?;
        let name_at = self.offset;
        let name = text(self.bytes(usize::from(len))?, "RAM block name", name_at)?;
        let used_length = self.be64()?;
        let at = self.offset;
        let header = MappedRamHeader::from_bytes(self.array()?);
        let header_end = self.offset;
        let bad = |reason: String| {
            Error::at(
                StreamErrorKind::InvalidMappedRam {
                    block: name.clone(),
                    reason,
                },
                at,
            )
        };
        if header.version != 1 {
            return Err(bad(format!(
                "version {} (QEMU writes version 1)",
                header.version
            )));
        }
        if !header.page_size.is_power_of_two() || !(512..=1 << 30).contains(&header.page_size) {
            return Err(bad(format!(
                "page size {} is not a power of two from 512 to 1 GiB",
                header.page_size
            )));
        }
        let end = if header.is_ignored() {
            header_end
        } else {
            let bitmap_len = header.bitmap_len(used_length).unwrap_or(u64::MAX);
            let bitmap_end = header.bitmap_offset.checked_add(bitmap_len);
            let pages_end = header.pages_offset.checked_add(used_length);
            match (bitmap_end, pages_end) {
                _ if header.bitmap_offset < header_end => {
                    return Err(bad(format!(
                        "bitmap offset {} lies before the header's end ({header_end})",
                        header.bitmap_offset
                    )));
                }
                (Some(bitmap_end), _) if bitmap_end > header.pages_offset => {
                    return Err(bad(format!(
                        "the bitmap ({bitmap_len} bytes at {}) overlaps the pages at {}",
                        header.bitmap_offset, header.pages_offset
                    )));
                }
                (Some(_), Some(pages_end)) if pages_end <= self.len => pages_end,
                _ => {
                    return Err(bad(format!(
                        "the pages ({used_length} bytes at {}) end past the end of the file \
                         ({} bytes)",
                        header.pages_offset, self.len
                    )));
                }
            }
        };
        self.ram_blocks.insert(name.clone());
        self.state = State::Region {
            section_id,
            // A length past the announced total ends the list, as QEMU's
            // `total_ram_bytes -= length` loop would after that block.
            remaining: remaining.saturating_sub(used_length),
            next: header_end,
            end,
            data_end: header_end,
            anchored: false,
        };
        Ok(RamRecord::MappedBlock {
            block: RamBlock { name, used_length },
            header,
        })
    }

    /// Where the next data of a region at or after `next` starts, and where
    /// it ends, the reader moved there: `(end, end)` when only holes are
    /// left. Without [`DataExtents`], or when the file system cannot tell,
    /// everything is data.
    fn next_data(&mut self, next: u64, end: u64) -> Result<(u64, u64), Error> {
        let Some(extents) = self.extents else {
            return Ok((next, end));
        };
        let (start, stop) = match extents(self.input.get_ref(), next) {
            Ok(Some((start, stop))) if start < end && stop > start.max(next) => {
                (start.max(next), stop.min(end))
            }
            Ok(_) => (end, end),
            Err(_) => (next, end),
        };
        // The function may have moved the input under the buffer.
        self.seek_to(start)?;
        Ok((start, stop))
    }

    fn vmdesc_record(&mut self) -> Result<Record, Error> {
        let at = self.offset;
        let byte = self.u8()?;
        if byte != tag::VMDESCRIPTION {
            // After a model-delimited payload, an "EOF" byte followed by
            // more bytes is a payload the model cut short.
            return Err(match self.delimited.take() {
                Some(delimited) => delimited.misread(byte, at),
                None => Error::at(StreamErrorKind::UnknownRecord { byte }, at),
            });
        }
        let len = self.be32()?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len > self.limits.max_vmdesc_len {
            return Err(Error::at(
                StreamErrorKind::LimitExceeded {
                    what: "vmdesc size",
                    found: len as u64,
                    limit: self.limits.max_vmdesc_len as u64,
                },
                at,
            ));
        }
        let json = self.bytes(len)?;
        self.state = State::Done;
        Ok(Record::Vmdesc { json })
    }

    // Byte-level reads, each bounds-checked against the input's length first
    // so that no hostile length allocates more than the input holds.

    fn remaining(&self) -> u64 {
        self.len.saturating_sub(self.offset)
    }

    fn bytes(&mut self, n: usize) -> Result<Vec<u8>, Error> {
        if n as u64 > self.remaining() {
            return Err(Error::at(
                ErrorKind::UnexpectedEof {
                    needed: n,
                    available: usize::try_from(self.remaining()).unwrap_or(usize::MAX),
                },
                self.offset,
            ));
        }
        let mut buf = vec![0; n];
        self.input.read_exact(&mut buf).map_err(io)?;
        self.offset += n as u64;
        Ok(buf)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        let mut buf = [0; N];
        if (N as u64) > self.remaining() {
            return Err(Error::at(
                ErrorKind::UnexpectedEof {
                    needed: N,
                    available: usize::try_from(self.remaining()).unwrap_or(usize::MAX),
                },
                self.offset,
            ));
        }
        self.input.read_exact(&mut buf).map_err(io)?;
        self.offset += N as u64;
        Ok(buf)
    }

    fn u8(&mut self) -> Result<u8, Error> {
        self.array::<1>().map(|[b]| b)
    }

    fn be16(&mut self) -> Result<u16, Error> {
        self.array().map(u16::from_be_bytes)
    }

    fn be32(&mut self) -> Result<u32, Error> {
        self.array().map(u32::from_be_bytes)
    }

    fn be64(&mut self) -> Result<u64, Error> {
        self.array().map(u64::from_be_bytes)
    }

    fn peek(&mut self) -> Result<Option<u8>, Error> {
        Ok(self.input.fill_buf().map_err(io)?.first().copied())
    }

    /// Up to `max` bytes from here, without consuming them.
    fn peek_chunk(&mut self, max: usize) -> Result<Vec<u8>, Error> {
        let start = self.offset;
        let n = usize::try_from(self.remaining())
            .unwrap_or(usize::MAX)
            .min(max);
        let chunk = self.bytes(n)?;
        self.seek_to(start)?;
        Ok(chunk)
    }

    fn seek_to(&mut self, offset: u64) -> Result<(), Error> {
        self.input.seek(SeekFrom::Start(offset)).map_err(io)?;
        self.offset = offset;
        Ok(())
    }
}

/// A run that [`slow_kernel_copy`] would copy slowly reads this much, so
/// that the next one starts a few records further, where it does not.
const SHORT_RUN: usize = 32 << 10;

/// Whether the kernel copies a file's bytes slowly into a buffer at
/// address `buffer` whose first byte is the file's byte `offset`: when
/// the buffer lies 1 to 32 bytes past the file page's offset, modulo 4 KiB.
/// Measured on AMD Zen 3 (the `rep movsb` of `copy_to_user` takes the
/// pair for an overlap on the address bits below 4 KiB), reading 1 MiB of a
/// cached file into a buffer at such a distance took 5 times as long
/// (0.55-0.70 s against 0.10-0.15 s for 940 MB, any other distance). The
/// distance is the same for every byte of a run, so a run that starts at a
/// bad one is cut short; a page record moves the next run's distance by 8.
fn slow_kernel_copy(buffer: usize, offset: u64) -> bool {
    // Truncating the offset keeps its low bits, the only ones that count.
    #[expect(clippy::cast_possible_truncation, reason = "modulo 4 KiB")]
    let distance = buffer.wrapping_sub(offset as usize) % 4096;
    (1..=32).contains(&distance)
}

/// What [`StreamReader::parse_run`] found.
#[derive(Default)]
struct Run {
    /// Bytes of whole page records.
    len: usize,
    zero_pages: u64,
    data_pages: u64,
    /// It ended at a record that is not a page (rather than at the end of
    /// the bytes read).
    stopped: bool,
}

fn undelimited(info: &SectionInfo, offset: u64) -> Error {
    Error::at(
        StreamErrorKind::UndelimitedSection {
            idstr: info.idstr.clone(),
            instance_id: info.instance_id,
            version_id: info.version_id,
        },
        offset,
    )
}

/// Finds the vmdesc at the end of the stream: `0x00` (EOF), `0x06`, a be32
/// length that reaches exactly to the end, then JSON. Returns it with its offset.
///
/// The tail is read in windows that grow fourfold from 64 KiB, so memory
/// follows the description's size, never the stream's: a 4 GiB RAM stream
/// with a 100 KiB vmdesc reads 256 KiB at most.
#[cfg(feature = "vmdesc")]
fn find_vmdesc<R: Read + Seek>(
    input: &mut R,
    len: u64,
    max_len: usize,
) -> Result<Option<(Vmdesc, u64)>, Error> {
    let limit = len.min(max_len as u64 + 6);
    let mut window = limit.min(64 << 10);
    loop {
        let start = len - window;
        input.seek(SeekFrom::Start(start)).map_err(io)?;
        let mut tail = Vec::with_capacity(usize::try_from(window).unwrap_or(0));
        input.take(window).read_to_end(&mut tail).map_err(io)?;
        // JSON text holds no raw 0x06 byte, so scanning back for the first
        // match whose length reaches the end finds the real header.
        for p in (1..tail.len().saturating_sub(4)).rev() {
            if tail[p] != tag::VMDESCRIPTION || tail[p - 1] != tag::EOF {
                continue;
            }
            let declared = u32::from_be_bytes([tail[p + 1], tail[p + 2], tail[p + 3], tail[p + 4]]);
            if declared as usize == tail.len() - p - 5 {
                let desc =
                    Vmdesc::parse(&tail[p + 5..]).map_err(|e| e.at_offset(start + p as u64 + 5))?;
                return Ok(Some((desc, start + p as u64)));
            }
        }
        if window == limit {
            return Ok(None);
        }
        window = limit.min(window.saturating_mul(4));
    }
}

/// Without the `vmdesc` feature the description is not read: sections are
/// delimited by models (see [`StreamReader::with_delimiter`]) and the vmdesc
/// comes through as its JSON bytes.
#[cfg(not(feature = "vmdesc"))]
#[expect(
    clippy::unnecessary_wraps,
    reason = "the same signature as the reading version's"
)]
fn find_vmdesc<R: Read + Seek>(
    _input: &mut R,
    _len: u64,
    _max_len: usize,
) -> Result<Option<(Vmdesc, u64)>, Error> {
    Ok(None)
}

/// `raw` as text. QEMU's idstrs and RAM block names are C strings of
/// printable ASCII; bytes that are not UTF-8 are refused rather than
/// replaced, since a replaced name would be written back at another length.
fn text(raw: Vec<u8>, what: &'static str, at: u64) -> Result<String, Error> {
    String::from_utf8(raw).map_err(|e| {
        Error::at(
            ErrorKind::InvalidUtf8 {
                what,
                source: e.utf8_error(),
            },
            at,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::slow_kernel_copy;

    #[test]
    fn slow_copies_are_the_buffers_just_past_the_file_page() {
        // Distances measured slow: 1, 4, 8, 16, 24, 31; fast: 0, 40, 64 and on.
        for distance in [1, 4, 8, 16, 24, 31, 32] {
            assert!(slow_kernel_copy(0x7000 + distance, 0x3000), "{distance}");
            assert!(slow_kernel_copy(distance + 5, 5 + (7 << 12)), "{distance}");
        }
        for distance in [0, 33, 40, 64, 2048, 4095] {
            assert!(!slow_kernel_copy(0x7000 + distance, 0x3000), "{distance}");
        }
        // Below the file's offset, the distance wraps.
        assert!(!slow_kernel_copy(0x10, 0x20));
        assert!(slow_kernel_copy(0x10, u64::MAX - 0xf));
    }
}
