//! An output file whose writeback starts while it is being written.
//!
//! `set` and `convert` sync their output before it takes OUT's name. Left to
//! the kernel, the pages of a large output stay dirty until that sync (or
//! until the dirty limit throttles the writer), so the disk idles while the
//! stream is copied and the copy idles while the disk writes. Asking the
//! kernel to start writing each chunk as soon as it is complete
//! (`posix_fadvise(POSIX_FADV_DONTNEED)`, which starts asynchronous writeback
//! of a range's dirty pages and drops its clean ones) keeps the disk busy
//! during the copy and leaves little for the final sync; see
//! docs/performance.md's Streams section for what it measured.

use std::io::{self, Seek, SeekFrom, Write};
use std::num::NonZeroU64;
use std::os::fd::AsFd;

use rustix::fs::Advice;

/// How many bytes are written before their writeback is started: large
/// enough that the disk gets long sequential writes and the call costs
/// nothing per byte, small enough that writeback starts early.
const CHUNK: u64 = 8 << 20;

/// A file written from its start, handing each complete [`CHUNK`] to
/// writeback as it goes.
#[derive(Debug)]
pub struct Writeback<F> {
    file: F,
    /// Where the next write lands.
    position: u64,
    /// Start of the bytes written and not yet handed to writeback.
    pending: u64,
    /// Start of the bytes handed to writeback whose clean pages were not yet
    /// dropped.
    written: u64,
    /// Whether writeback is started early at all: not for a spool that is
    /// read back and never synced, whose pages had better stay in memory.
    early: bool,
}

impl<F: AsFd> Writeback<F> {
    /// Wraps `file`, positioned at its start; `early` says whether the file
    /// is synced once written (and its writeback is worth starting early).
    pub fn new(file: F, early: bool) -> Self {
        Self {
            file,
            position: 0,
            pending: 0,
            written: 0,
            early,
        }
    }

    /// The file.
    pub fn get_ref(&self) -> &F {
        &self.file
    }

    /// Counts `n` bytes written at the position, and hands what is complete
    /// to writeback.
    pub fn wrote(&mut self, n: u64) {
        self.position = self.position.saturating_add(n);
        if !self.early || self.position < self.pending.saturating_add(CHUNK) {
            return;
        }
        // The previous chunk's writeback has had a chunk's time to finish:
        // dropping its now clean pages keeps the page cache for the input
        // and for other programs (a second DONTNEED skips pages still
        // under writeback, so nothing waits).
        if self.written < self.pending {
            advise(&self.file, self.written, self.pending);
            self.written = self.pending;
        }
        advise(&self.file, self.pending, self.position);
        self.pending = self.position;
    }
}

/// Starts writeback of `from..to` of `file` and drops its clean pages. Only
/// advice: a kernel that ignores it leaves the work to the final sync.
fn advise(file: &impl AsFd, from: u64, to: u64) {
    if let Some(len) = NonZeroU64::new(to.saturating_sub(from)) {
        let _ = rustix::fs::fadvise(file, from, Some(len), Advice::DontNeed);
    }
}

impl<F: AsFd + Write> Write for Writeback<F> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.file.write(buf)?;
        self.wrote(n as u64);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl<F: AsFd + Seek> Seek for Writeback<F> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let position = self.file.seek(to)?;
        // Skipping forward (a hole) leaves the pending range to grow across
        // it; going back restarts it where the writes now land.
        if position < self.position {
            self.pending = self.pending.min(position);
            self.written = self.written.min(self.pending);
        }
        self.position = position;
        Ok(position)
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::io::{Seek, SeekFrom, Write};

    use super::{CHUNK, Writeback};

    /// Writes, holes and a rewrite from the start land where a plain file
    /// puts them, and each complete chunk is handed to writeback once.
    #[test]
    fn writes_land_in_place_and_chunks_go_to_writeback() {
        let path = std::env::temp_dir().join(format!("vmstate-writeback-{}", std::process::id()));
        let file = File::options()
            .create(true)
            .truncate(true)
            .read(true)
            .write(true)
            .open(&path)
            .unwrap();
        let piece: Vec<u8> = (0..3u32 << 20).map(|i| (i % 253) as u8).collect();
        let mut out = Writeback::new(&file, true);
        out.write_all(&piece).unwrap();
        assert_eq!((out.pending, out.written), (0, 0), "less than a chunk");
        out.seek(SeekFrom::Current(6 << 20)).unwrap();
        out.write_all(&piece).unwrap();
        assert_eq!(
            (out.pending, out.written),
            (12 << 20, 0),
            "one chunk, across the hole"
        );
        for _ in 0..3 {
            out.write_all(&piece).unwrap();
        }
        assert_eq!((out.pending, out.written), (21 << 20, 12 << 20));
        assert!(out.pending - out.written >= CHUNK);
        out.flush().unwrap();
        let mut expected = piece.clone();
        expected.resize(9 << 20, 0);
        for _ in 0..4 {
            expected.extend_from_slice(&piece);
        }
        assert!(std::fs::read(&path).unwrap() == expected);

        // Written again from the start (as `convert` does after a refusal
        // it can mend): the ranges restart there.
        file.set_len(0).unwrap();
        out.seek(SeekFrom::Start(0)).unwrap();
        assert_eq!((out.position, out.pending, out.written), (0, 0, 0));
        out.write_all(b"again").unwrap();
        assert!(std::fs::read(&path).unwrap() == b"again");

        // A file that is not synced is left to the kernel.
        let mut spool = Writeback::new(&file, false);
        for _ in 0..4 {
            spool.write_all(&piece).unwrap();
        }
        assert_eq!((spool.pending, spool.written), (0, 0));
        let _ = std::fs::remove_file(&path);
    }
}
