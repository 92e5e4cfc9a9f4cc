//! Counting RAM page records without carrying them, for readers that only
//! count pages ([`StreamReader::with_page_counts`]).
//!
//! Reading a cached file costs one copy out of the page cache, and one core
//! copies no faster than `cat` does: a reader that brings every byte
//! through one buffer on one thread is at `cat`'s pace at best (`inspect`
//! with 1 MiB runs took 1.07 to 1.15 of `cat`'s time on a cached 940 MB
//! stream). A counter needs only each record's header, so the bytes of a
//! long run are read by two threads taking turns, in chunks small enough to
//! stay in each core's cache, while the reader's thread walks the headers
//! in order. How much that gains depends on the machine: where the copy
//! is bound by memory, not by the core, or the other core is busy, one
//! thread is as fast or faster, so the count times both ways as it goes and
//! reads the way that was faster ([`Pace`]).
//!
//! [`StreamReader::with_page_counts`]: super::StreamReader::with_page_counts

use std::collections::HashSet;
use std::io;
use std::sync::mpsc::{self, TryRecvError};
use std::time::Instant;

use super::ram::flags;

/// Reads the input's bytes at an absolute offset without moving it, from
/// any thread: fills as much of the buffer as the input holds there and
/// returns how many bytes that was (fewer only at its end), as
/// `std::os::unix::fs::FileExt::read_at` does. An input that cannot be read
/// at an offset answers [`io::ErrorKind::Unsupported`]; its pages then come
/// as runs ([`RamRecord::Pages`](super::RamRecord::Pages)).
pub type ReadAt<R> = fn(&R, u64, &mut [u8]) -> io::Result<usize>;

/// How page records are told apart from other records: what a run
/// ([`StreamReader::with_page_runs`](super::StreamReader::with_page_runs))
/// and a count accept, the same for both.
pub(super) struct PageRules<'a> {
    /// The target page size: the body of a PAGE record.
    pub page_size: usize,
    /// The RAM blocks the block list named.
    pub blocks: &'a HashSet<String>,
}

/// What the bytes at a record boundary inside a RAM section hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Step {
    /// A ZERO or PAGE record `len` bytes long (header and body; the body
    /// may lie past the bytes looked at).
    Page { zero: bool, len: usize },
    /// Any other record, or a page that a run does not take (an unknown
    /// block, CONTINUE before any block was named, a ZERO record whose fill
    /// byte is not 0): for the reader's single-record path to read and
    /// judge.
    Other,
    /// The bytes end inside the record's header (or before a ZERO
    /// record's fill byte).
    Short,
}

/// The most bytes of a page record that tell whether a run takes it: its
/// word, the length byte, a block name of up to 255 bytes and a ZERO
/// record's fill byte.
const HEADER_MAX: usize = 8 + 1 + 255 + 1;

impl PageRules<'_> {
    /// The flag bits of `word` without CONTINUE when it starts a ZERO or
    /// PAGE record.
    pub fn page_kind(&self, word: u64) -> Option<u64> {
        let kind = word & (self.page_size as u64 - 1) & !flags::CONTINUE;
        (kind == flags::ZERO || kind == flags::PAGE).then_some(kind)
    }

    /// The record at the start of `bytes`; `named` says whether an earlier
    /// page named its block (which a CONTINUE record goes on with).
    pub fn step(&self, bytes: &[u8], named: bool) -> Step {
        let Some(word) = bytes.first_chunk::<8>() else {
            return Step::Short;
        };
        let word = u64::from_be_bytes(*word);
        let Some(kind) = self.page_kind(word) else {
            return Step::Other;
        };
        let mut len = 8;
        if word & flags::CONTINUE == 0 {
            let Some(&name_len) = bytes.get(len) else {
                return Step::Short;
            };
            let Some(name) = bytes.get(len + 1..len + 1 + usize::from(name_len)) else {
                return Step::Short;
            };
            // A name that is not known (or not UTF-8) is for the
            // single-record path to report.
            if !std::str::from_utf8(name).is_ok_and(|name| self.blocks.contains(name)) {
                return Step::Other;
            }
            len += 1 + usize::from(name_len);
        } else if !named {
            return Step::Other;
        }
        let zero = kind == flags::ZERO;
        if zero {
            // QEMU from 8.2 refuses a fill byte other than 0 ("Found a zero
            // page with value"), which no QEMU since 1.5 writes: such a
            // record comes alone, where a check can see it.
            match bytes.get(len) {
                None => return Step::Short,
                Some(0) => len += 1,
                Some(_) => return Step::Other,
            }
        } else {
            len += self.page_size;
        }
        Step::Page { zero, len }
    }
}

/// Where a [`count`] starts, and what the reader knows there.
#[derive(Clone, Copy)]
pub(super) struct CountStart<'a> {
    /// The offset of the first record.
    pub start: u64,
    /// The input's bytes from `start` that the reader read already (may be
    /// empty).
    pub buffered: &'a [u8],
    /// Whether an earlier page named its block (for CONTINUE records).
    pub named: bool,
    /// Whether one thread reads it all ([`Counted::alone`] of an earlier
    /// count).
    pub alone: bool,
}

/// What [`count`] found: whole page records from its start.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) struct Counted {
    /// Bytes of whole page records.
    pub len: u64,
    pub zero_pages: u64,
    pub data_pages: u64,
    /// A record that is not a page ended the count (rather than the end
    /// of the input or a record cut by it).
    pub stopped: bool,
    /// Whether a block is named for CONTINUE records after the count.
    pub named: bool,
    /// One thread read faster than two when the count ended (see
    /// [`Pace`]): the next count of the same input starts alone.
    pub alone: bool,
}

/// The first chunk read when the reader's buffer holds nothing: a part
/// with a few pages before its EOS reads little past them.
const FIRST_CHUNK: usize = 16 << 10;

/// The chunk each thread reads at a time, once a run is long: small enough
/// to stay in a core's cache (its L2 here is 512 KiB) while the headers in
/// it are walked, large enough that a read's fixed cost vanishes.
const CHUNK: usize = 256 << 10;

/// How far a count goes on one thread before a second one joins it:
/// starting a thread costs about what reading 1 MiB does, so a RAM part of
/// a few pages (a live migration's later iterations send many) never
/// starts one.
const SECOND_THREAD_AFTER: u64 = 1 << 20;

/// Buffers lent to the second thread: enough that it reads ahead while
/// the first walks the chunk before.
const LENT_BUFFERS: usize = 3;

/// Counts the page records from `from`, up to `end` (the input's length):
/// stops at the first record that is not a page, or at one that `end`
/// cuts.
///
/// # Errors
/// A read fails (`Unsupported` when the input cannot be read at an
/// offset), or the input ends before `end` (it shrank while being read).
pub(super) fn count<R: Sync>(
    input: &R,
    read_at: ReadAt<R>,
    rules: &PageRules<'_>,
    from: CountStart<'_>,
    end: u64,
) -> io::Result<Counted> {
    let CountStart {
        start,
        buffered,
        named,
        alone,
    } = from;
    let mut walk = Walk {
        rules,
        start,
        end,
        next: start,
        header: Vec::new(),
        counted: Counted {
            named,
            alone,
            ..Counted::default()
        },
    };
    if !buffered.is_empty() && walk.chunk(start, buffered) {
        return Ok(walk.counted);
    }
    std::thread::scope(|scope| {
        let mut chunks = Chunks {
            input,
            read_at,
            next: start + buffered.len() as u64,
            end,
            size: if buffered.is_empty() {
                FIRST_CHUNK
            } else {
                buffered.len().clamp(FIRST_CHUNK, CHUNK)
            },
            own: Vec::new(),
            second: None,
            pace: Pace::new(!alone, start),
        };
        while let Some((at, bytes)) = chunks.next_chunk(scope, start)? {
            if walk.chunk(at, bytes) {
                break;
            }
        }
        walk.counted.alone = !chunks.pace.two;
        Ok(walk.counted)
    })
}

/// The headers walked so far, chunk after chunk.
struct Walk<'r, 'b> {
    rules: &'r PageRules<'b>,
    /// Where the count started, and where the input ends.
    start: u64,
    end: u64,
    /// Where the next record starts.
    next: u64,
    /// The input from `next` to the end of the last chunk, when that chunk
    /// ended inside the record's header: the next chunk completes it.
    header: Vec<u8>,
    counted: Counted,
}

impl Walk<'_, '_> {
    /// Walks the records that start in `bytes`, the input's bytes at `at`
    /// (the chunk after the last one walked); returns whether the count is
    /// over.
    fn chunk(&mut self, at: u64, bytes: &[u8]) -> bool {
        let chunk_end = at + bytes.len() as u64;
        let more = chunk_end < self.end;
        if !self.header.is_empty() {
            let take = bytes.len().min(HEADER_MAX - self.header.len());
            self.header.extend_from_slice(&bytes[..take]);
            let step = self.rules.step(&self.header, self.counted.named);
            if step == Step::Short && take == bytes.len() && more {
                return false;
            }
            self.header.clear();
            // A record is longer than its header: `next` is past `at` now.
            if self.take(step) {
                return true;
            }
        }
        // A record's body may cover whole chunks (pages of up to 2 MiB):
        // those have no record to walk.
        while self.next < chunk_end {
            let from = usize::try_from(self.next - at).unwrap_or(usize::MAX);
            let rest = bytes.get(from..).unwrap_or_default();
            let step = self.rules.step(rest, self.counted.named);
            if step == Step::Short && more {
                self.header.extend_from_slice(rest);
                return false;
            }
            if self.take(step) {
                return true;
            }
        }
        self.next >= self.end
    }

    /// Counts the record at `next`; returns whether the count is over.
    fn take(&mut self, step: Step) -> bool {
        let Step::Page { zero, len } = step else {
            // Short here: a header cut by the end of the input, which the
            // single-record path reports.
            self.counted.stopped = step == Step::Other;
            return true;
        };
        let record_end = self.next.saturating_add(len as u64);
        if record_end > self.end {
            // A body cut by the end of the input: likewise.
            return true;
        }
        if zero {
            self.counted.zero_pages += 1;
        } else {
            self.counted.data_pages += 1;
        }
        self.counted.named = true;
        self.next = record_end;
        self.counted.len = record_end - self.start;
        false
    }
}

/// The input's bytes from a start on, chunk after chunk, in order: read by
/// this thread alone until [`SECOND_THREAD_AFTER`], then by two taking
/// turns.
struct Chunks<'s, R> {
    input: &'s R,
    read_at: ReadAt<R>,
    /// Where the next chunk starts.
    next: u64,
    end: u64,
    /// The size of the next chunk this thread reads alone.
    size: usize,
    own: Vec<u8>,
    /// The second thread, while it runs: which chunk is its next, and where
    /// its chunks come from and its buffers go back.
    second: Option<Second>,
    /// Whether two threads read, by which was faster.
    pace: Pace,
}

/// The second reading thread, seen from the first.
struct Second {
    /// Whether the next chunk is the second thread's.
    its_turn: bool,
    filled: mpsc::Receiver<io::Result<Vec<u8>>>,
    lend: mpsc::Sender<Vec<u8>>,
    /// The buffer of its last chunk, lent back once walked.
    walked: Option<Vec<u8>>,
}

/// Whether a second thread speeds the count up, timed as the count goes.
///
/// It depends on the machine and on the moment: on an idle machine here two
/// threads counted a cached 7.5 GB stream in 0.435 s against 0.46 to 0.48 s
/// for one (the copy out of the page cache is bound by memory more than by
/// the core), while with the other core busy two took 0.73 to 1.29 s and
/// one 0.62 to 0.71 s (the second thread does not get a core when it needs
/// one, and the first waits for its chunks). How long the first waits does
/// not tell the two cases apart (it waits half the time or more in both),
/// so the count measures what it is after: bytes per second, over a
/// [`WINDOW`] read one way and one read the other, keeps the faster way for
/// [`KEPT_WINDOWS`], and tries both again, since the load changes. The way
/// that loses costs one window in `KEPT_WINDOWS + 2`.
struct Pace {
    /// Whether two threads read now.
    two: bool,
    /// Where the window being timed started, and when.
    window_from: u64,
    window_since: Instant,
    /// The rates timed in this trial, in bytes per second.
    rate_alone: Option<u128>,
    rate_two: Option<u128>,
    /// Windows left before the next trial.
    kept: u32,
}

/// The bytes over which a way of reading is timed: 64 MiB, about 4 ms here,
/// long enough that a thread's start and the scheduler's tick move its rate
/// little. Unit tests switch ways every few chunks, to count across the
/// switches.
#[cfg(not(test))]
const WINDOW: u64 = 64 << 20;
#[cfg(test)]
const WINDOW: u64 = CHUNK as u64 + 1;

/// The windows read the faster way before both are timed again.
#[cfg(not(test))]
const KEPT_WINDOWS: u32 = 6;
#[cfg(test)]
const KEPT_WINDOWS: u32 = 1;

impl Pace {
    /// Starts timing at `from`, with two threads or not.
    fn new(two: bool, from: u64) -> Self {
        Self {
            two,
            window_from: from,
            window_since: Instant::now(),
            rate_alone: None,
            rate_two: None,
            kept: 0,
        }
    }

    /// Whether two threads read the chunk at `at`: closes the window being
    /// timed once it is [`WINDOW`] long.
    fn two_at(&mut self, at: u64) -> bool {
        let read = at.saturating_sub(self.window_from);
        if read >= WINDOW {
            let nanos = self.window_since.elapsed().as_nanos().max(1);
            self.timed(u128::from(read) * 1_000_000_000 / nanos);
            self.window_from = at;
            self.window_since = Instant::now();
        }
        self.two
    }

    /// Takes the rate of the window just read, and picks the way to read
    /// the next one.
    fn timed(&mut self, rate: u128) {
        if self.kept > 0 {
            self.kept -= 1;
            return;
        }
        if self.two {
            self.rate_two = Some(rate);
        } else {
            self.rate_alone = Some(rate);
        }
        self.two = match (self.rate_alone.take(), self.rate_two.take()) {
            (Some(alone), Some(two)) => {
                self.kept = KEPT_WINDOWS;
                two > alone
            }
            (alone, two) => {
                // The other way is timed next.
                (self.rate_alone, self.rate_two) = (alone, two);
                !self.two
            }
        };
    }
}

impl<'s, R: Sync> Chunks<'s, R> {
    /// The next chunk and where it is, or `None` at `end`.
    fn next_chunk<'scope>(
        &mut self,
        scope: &'scope std::thread::Scope<'scope, '_>,
        start: u64,
    ) -> io::Result<Option<(u64, &[u8])>>
    where
        's: 'scope,
    {
        if self.next >= self.end {
            return Ok(None);
        }
        let at = self.next;
        let size = self.chunk_size(at);
        self.next += size as u64;
        let two = self.pace.two_at(at) && at - start >= SECOND_THREAD_AFTER;
        if !two {
            // Dropped with what it read ahead; this thread reads from here on.
            self.second = None;
        } else if self.second.is_none() && self.next < self.end {
            self.start_second(scope);
        }
        if let Some(second) = &mut self.second {
            if let Some(buffer) = second.walked.take() {
                // The second thread is gone only if it failed, which its
                // last chunk (received before this) said.
                let _ = second.lend.send(buffer);
            }
            second.its_turn = !second.its_turn;
            if !second.its_turn {
                let stopped = || io::Error::other("the second reading thread stopped");
                let buffer = match second.filled.try_recv() {
                    Ok(buffer) => buffer,
                    Err(TryRecvError::Empty) => second.filled.recv().map_err(|_| stopped())?,
                    Err(TryRecvError::Disconnected) => return Err(stopped()),
                };
                let buffer = second.walked.insert(buffer?);
                check_full(at, size, buffer.len())?;
                return Ok(Some((at, buffer.as_slice())));
            }
        }
        self.own.resize(size, 0);
        let read = read_full(self.input, self.read_at, at, &mut self.own)?;
        check_full(at, size, read)?;
        Ok(Some((at, &self.own[..read])))
    }

    /// How much of the input the chunk at `at` covers.
    fn chunk_size(&mut self, at: u64) -> usize {
        let size = self.size;
        self.size = (self.size * 2).min(CHUNK);
        usize::try_from(self.end - at)
            .unwrap_or(usize::MAX)
            .min(size)
    }

    /// Starts the second thread on every other chunk after the one being
    /// read now (the first's).
    fn start_second<'scope>(&mut self, scope: &'scope std::thread::Scope<'scope, '_>)
    where
        's: 'scope,
    {
        let (lend, borrowed) = mpsc::channel::<Vec<u8>>();
        let (fill, filled) = mpsc::sync_channel::<io::Result<Vec<u8>>>(LENT_BUFFERS);
        for _ in 0..LENT_BUFFERS {
            let _ = lend.send(Vec::with_capacity(CHUNK));
        }
        let (input, read_at, end) = (self.input, self.read_at, self.end);
        // Chunks are CHUNK long from here on: the second thread's are the
        // odd ones counted from `self.next`.
        self.size = CHUNK;
        let mut at = self.next;
        scope.spawn(move || {
            // Ends when the first thread stops lending or taking chunks.
            while at < end {
                let Ok(mut buffer) = borrowed.recv() else {
                    return;
                };
                let size = usize::try_from(end - at).unwrap_or(usize::MAX).min(CHUNK);
                buffer.resize(size, 0);
                let read = read_full(input, read_at, at, &mut buffer).map(|read| {
                    buffer.truncate(read);
                    buffer
                });
                let failed = read.is_err();
                if fill.send(read).is_err() || failed {
                    return;
                }
                at = at.saturating_add(2 * CHUNK as u64);
            }
        });
        self.second = Some(Second {
            // The chunk being read now is this thread's.
            its_turn: false,
            filled,
            lend,
            walked: None,
        });
    }
}

/// Reads `buffer.len()` bytes at `at`, or as many as the input has there.
fn read_full<R>(
    input: &R,
    read_at: ReadAt<R>,
    mut at: u64,
    buffer: &mut [u8],
) -> io::Result<usize> {
    let mut done = 0;
    while done < buffer.len() {
        match read_at(input, at, &mut buffer[done..]) {
            Ok(0) => break,
            Ok(read) => {
                done += read;
                at += read as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(done)
}

/// An error unless a chunk read all `size` bytes it covers: the input's
/// length was taken when it was opened, so a short read means it shrank.
fn check_full(at: u64, size: usize, read: usize) -> io::Result<()> {
    if read == size {
        Ok(())
    } else {
        Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!(
                "the input ended at byte {}, before the length it had when it was opened: it changed while it was read",
                at + read as u64
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `pace` windows read at `rate(two)` bytes per second; returns
    /// the way each window was read.
    fn ways(pace: &mut Pace, windows: usize, rate: impl Fn(bool) -> u128) -> Vec<bool> {
        (0..windows)
            .map(|_| {
                let two = pace.two;
                pace.timed(rate(two));
                two
            })
            .collect()
    }

    /// Both ways are timed, the faster is kept for [`KEPT_WINDOWS`], and
    /// both are timed again: the slower costs one window in
    /// `KEPT_WINDOWS + 2`, whichever it is and whichever way the count
    /// starts.
    #[test]
    fn the_faster_way_is_kept_and_timed_again() {
        let cycle = KEPT_WINDOWS as usize + 2;
        for start_two in [true, false] {
            for two_faster in [true, false] {
                let mut pace = Pace::new(start_two, 0);
                let read = ways(&mut pace, 3 * cycle, |two| {
                    if two == two_faster {
                        2_000_000_000
                    } else {
                        1_000_000_000
                    }
                });
                let slower = read.iter().filter(|two| **two != two_faster).count();
                assert!(slower <= 3, "{read:?}");
                assert_eq!(
                    read[2..cycle]
                        .iter()
                        .filter(|two| **two == two_faster)
                        .count(),
                    cycle - 2,
                    "{read:?}"
                );
            }
        }
    }

    /// A change of load during the count changes the way within a cycle.
    #[test]
    fn a_change_of_load_is_followed() {
        let mut pace = Pace::new(true, 0);
        let cycle = KEPT_WINDOWS as usize + 2;
        let idle = ways(&mut pace, cycle, |two| {
            if two { 2_000_000_000 } else { 1_000_000_000 }
        });
        assert!(idle[2..].iter().all(|two| *two), "{idle:?}");
        let busy = ways(&mut pace, 2 * cycle, |two| {
            if two { 500_000_000 } else { 1_000_000_000 }
        });
        assert!(
            busy[cycle..].iter().filter(|two| !**two).count() >= cycle - 1,
            "{busy:?}"
        );
    }

    /// Pages of a block named `b`, zero and data pages in runs of
    /// irregular lengths, and how many of each.
    fn pages(count: usize) -> (Vec<u8>, u64, u64) {
        let mut bytes = Vec::new();
        let (mut zero, mut data) = (0, 0);
        for index in 0..count {
            let is_zero = index % 7 < 3 || index % 11 == 0;
            let mut word = (index as u64) << 12;
            word |= if is_zero { flags::ZERO } else { flags::PAGE };
            if index == 0 {
                bytes.extend_from_slice(&word.to_be_bytes());
                bytes.extend_from_slice(&[1, b'b']);
            } else {
                bytes.extend_from_slice(&(word | flags::CONTINUE).to_be_bytes());
            }
            if is_zero {
                bytes.push(0);
                zero += 1;
            } else {
                bytes.extend((0..=u8::MAX).cycle().skip(index % 256).take(4096));
                data += 1;
            }
        }
        (bytes, zero, data)
    }

    #[expect(
        clippy::ptr_arg,
        clippy::unnecessary_wraps,
        reason = "the signature is ReadAt's"
    )]
    fn read_at(input: &Vec<u8>, at: u64, buffer: &mut [u8]) -> io::Result<usize> {
        let rest = usize::try_from(at)
            .ok()
            .and_then(|at| input.get(at..))
            .unwrap_or_default();
        let read = rest.len().min(buffer.len());
        buffer[..read].copy_from_slice(&rest[..read]);
        Ok(read)
    }

    /// A count that switches between one and two reading threads every
    /// window or two (this build's windows are a chunk long) counts what
    /// is there, starting either way and from any offset.
    #[test]
    fn counts_across_switches_of_the_way_of_reading() {
        let (bytes, zero, data) = pages(3000);
        let blocks = HashSet::from(["b".to_string()]);
        let rules = PageRules {
            page_size: 4096,
            blocks: &blocks,
        };
        for alone in [false, true] {
            for buffered in [0, 5, 4097] {
                let counted = count(
                    &bytes,
                    read_at,
                    &rules,
                    CountStart {
                        start: 0,
                        buffered: &bytes[..buffered],
                        named: false,
                        alone,
                    },
                    bytes.len() as u64,
                )
                .unwrap();
                assert_eq!(
                    (counted.zero_pages, counted.data_pages, counted.len),
                    (zero, data, bytes.len() as u64),
                    "alone {alone}, buffered {buffered}"
                );
                assert!(!counted.stopped);
            }
        }
    }

    /// Windows close every [`WINDOW`] bytes, not at every chunk.
    #[test]
    fn a_window_closes_after_its_bytes() {
        let mut pace = Pace::new(true, 1000);
        assert!(pace.two_at(1000 + WINDOW - 1));
        assert!(pace.rate_two.is_none());
        // The first window read with two threads: the next is timed alone.
        assert!(!pace.two_at(1000 + WINDOW));
        assert!(pace.rate_two.is_some());
        assert_eq!(pace.window_from, 1000 + WINDOW);
    }
}
