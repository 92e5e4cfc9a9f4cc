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
//! in order. How much that gains depends on the machine: `inspect` took
//! 0.86 to 1.04 of `cat`'s time in the runs of docs/performance.md, and a
//! second thread that waits for a core is given up ([`Worth`]).
//!
//! [`StreamReader::with_page_counts`]: super::StreamReader::with_page_counts

use std::collections::HashSet;
use std::io;
use std::sync::mpsc::{self, TryRecvError};
use std::time::{Duration, Instant};

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
    /// The second thread did not pay its way (see [`Worth`]): later counts
    /// of the same input read alone.
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
            alone,
        };
        while let Some((at, bytes)) = chunks.next_chunk(scope, start)? {
            if walk.chunk(at, bytes) {
                break;
            }
        }
        walk.counted.alone = chunks.alone;
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
    /// The second thread, once it runs: which chunk is its next, and where
    /// its chunks come from and its buffers go back.
    second: Option<Second>,
    /// The second thread was not worth keeping: this one reads the rest.
    alone: bool,
}

/// The second reading thread, seen from the first.
struct Second {
    /// Whether the next chunk is the second thread's.
    its_turn: bool,
    filled: mpsc::Receiver<io::Result<Vec<u8>>>,
    lend: mpsc::Sender<Vec<u8>>,
    /// The buffer of its last chunk, lent back once walked.
    walked: Option<Vec<u8>>,
    /// Whether it pays its way, over the last chunks it read.
    worth: Worth,
}

/// Whether the second thread speeds the count up. On a machine whose cores
/// are busy with other work it does not get a core when it needs one, and
/// the first thread waits for each of its chunks: a count there took 1.4
/// to 1.9 times as long as one thread alone (two busy loops on this
/// machine's two cores). When the first thread spends more than half its
/// time waiting, the second one reads at less than its pace; when it does
/// so over two windows in a row, the count goes on alone.
struct Worth {
    since: Instant,
    waited: Duration,
    chunks: u32,
    /// Windows in a row in which the first thread waited more than half
    /// the time: on an idle machine a window alone may (a stall of the
    /// second thread), two in a row only under load.
    idle_windows: u32,
}

/// The chunks over which [`Worth`] weighs the second thread: 8 MiB of its
/// own.
const WEIGHED_CHUNKS: u32 = 32;

/// The windows in a row in which the first thread waits more than half the
/// time that give the second thread up.
const IDLE_WINDOWS: u32 = 2;

impl Worth {
    fn new() -> Self {
        Self {
            since: Instant::now(),
            waited: Duration::ZERO,
            chunks: 0,
            idle_windows: 0,
        }
    }

    /// Counts a chunk the first thread waited `waited` for; returns whether
    /// the second thread is not worth keeping.
    fn weigh(&mut self, waited: Duration) -> bool {
        self.waited += waited;
        self.chunks += 1;
        if self.chunks < WEIGHED_CHUNKS {
            return false;
        }
        let idle = self.waited * 2 > self.since.elapsed();
        *self = Self {
            idle_windows: if idle { self.idle_windows + 1 } else { 0 },
            ..Self::new()
        };
        self.idle_windows >= IDLE_WINDOWS
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
        if self.second.is_none()
            && !self.alone
            && at - start >= SECOND_THREAD_AFTER
            && self.next < self.end
        {
            self.start_second(scope);
        }
        if self.alone {
            self.second = None;
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
                let (buffer, waited) = match second.filled.try_recv() {
                    Ok(buffer) => (buffer, Duration::ZERO),
                    Err(TryRecvError::Empty) => {
                        let since = Instant::now();
                        let buffer = second.filled.recv().map_err(|_| stopped())?;
                        (buffer, since.elapsed())
                    }
                    Err(TryRecvError::Disconnected) => return Err(stopped()),
                };
                // Given up, it is dropped at the next chunk, with what it
                // read ahead; this thread reads from there on.
                self.alone = second.worth.weigh(waited);
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
            worth: Worth::new(),
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

    /// A second thread the first waits for most of the time is given up
    /// after a window of its chunks; one it never waits for is kept.
    #[test]
    fn a_second_thread_that_keeps_the_first_waiting_is_given_up() {
        let mut kept = Worth::new();
        assert!((0..WEIGHED_CHUNKS * 4).all(|_| !kept.weigh(Duration::ZERO)));
        let mut idle = Worth::new();
        let verdicts: Vec<bool> = (0..WEIGHED_CHUNKS * IDLE_WINDOWS)
            .map(|_| idle.weigh(Duration::from_secs(1)))
            .collect();
        assert_eq!(verdicts.iter().filter(|v| **v).count(), 1);
        assert_eq!(verdicts.last(), Some(&true));
        // Idle windows that alternate with good ones keep it.
        let mut stalling = Worth::new();
        assert!((0..WEIGHED_CHUNKS * 8).all(|chunk| {
            let window = chunk / WEIGHED_CHUNKS;
            !stalling.weigh(if window.is_multiple_of(2) {
                Duration::from_secs(1)
            } else {
                Duration::ZERO
            })
        }));
    }
}
