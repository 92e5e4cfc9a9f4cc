//! The progress line that `set`, `convert` and `inspect` draw on standard
//! error while they read a large stream.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Streams smaller than this are read too fast for a progress line to help.
const MIN_BYTES: u64 = 256 << 20;

/// A progress line over the bytes of the input, or nothing: with `--quiet`,
/// when standard error is not a terminal, or for a small stream. It is
/// cleared when dropped, so that an error message starts a clean line.
pub struct Progress(Option<ProgressBar>);

impl Progress {
    /// A progress line titled `what` over `total` bytes.
    pub fn new(what: &'static str, total: u64, quiet: bool) -> Self {
        if quiet || total < MIN_BYTES || !std::io::stderr().is_terminal() {
            return Self(None);
        }
        let bar = ProgressBar::new(total);
        // The template is fixed, so it parses; the default is a fallback
        // that never shows.
        let style = ProgressStyle::with_template(
            "{msg} {wide_bar} {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_message(what);
        Self(Some(bar))
    }

    /// Moves the line to `position` bytes into the input.
    pub fn set(&self, position: u64) {
        if let Some(bar) = &self.0 {
            bar.set_position(position);
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
