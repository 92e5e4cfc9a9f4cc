//! What the harness found: the checks that passed, the failures (all of them,
//! not just the first), notes, and the golden files it wrote.

use std::fmt;
use std::path::{Path, PathBuf};

/// Which of the harness's checks a [`Failure`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CheckKind {
    /// A version saved and loaded at the same version
    /// ([`verify_round_trips`](super::verify_round_trips)).
    RoundTrip,
    /// A golden byte file ([`verify_golden`](super::verify_golden)).
    Golden,
    /// Two releases of a device handing the state back and forth
    /// ([`verify_ping_pong`](super::verify_ping_pong)).
    PingPong,
}

impl fmt::Display for CheckKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RoundTrip => "round trip",
            Self::Golden => "golden",
            Self::PingPong => "ping-pong",
        })
    }
}

/// One failed check: which check, at which version, and a sentence that says
/// what differs and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The check that failed.
    pub check: CheckKind,
    /// The version of the device the check was about, if one.
    pub version: Option<u32>,
    /// What went wrong.
    pub message: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Some(version) => write!(f, "[{}, version {version}] ", self.check)?,
            None => write!(f, "[{}] ", self.check)?,
        }
        f.write_str(&self.message)
    }
}

/// A check that did not run, and why: a version the value cannot be saved
/// for (a needed subsection that version's receivers do not know). Not a
/// failure, but the versions it names were not tested with this value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The check that was skipped.
    pub check: CheckKind,
    /// The version it would have been about.
    pub version: Option<u32>,
    /// Why, and what value would test it.
    pub reason: String,
}

impl fmt::Display for Skipped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.version {
            Some(version) => write!(f, "[{}, version {version}] ", self.check)?,
            None => write!(f, "[{}] ", self.check)?,
        }
        f.write_str(&self.reason)
    }
}

/// The outcome of one or more harness checks on one device.
///
/// `Display` prints a summary line, every failure, the notes and the files
/// written; the alternate form (`{:#}`) lists the checks that passed too.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HarnessReport {
    subject: String,
    passed: Vec<String>,
    failures: Vec<Failure>,
    skipped: Vec<Skipped>,
    notes: Vec<String>,
    blessed: Vec<PathBuf>,
}

impl HarnessReport {
    /// An empty report about `subject` (a VMSD name, or `old -> new`).
    pub(crate) fn new(subject: impl Into<String>) -> Self {
        Self {
            subject: subject.into(),
            ..Self::default()
        }
    }

    pub(crate) fn pass(&mut self, line: impl Into<String>) {
        self.passed.push(line.into());
    }

    pub(crate) fn fail(
        &mut self,
        check: CheckKind,
        version: Option<u32>,
        message: impl Into<String>,
    ) {
        self.failures.push(Failure {
            check,
            version,
            message: message.into(),
        });
    }

    pub(crate) fn skip(
        &mut self,
        check: CheckKind,
        version: Option<u32>,
        reason: impl Into<String>,
    ) {
        self.skipped.push(Skipped {
            check,
            version,
            reason: reason.into(),
        });
    }

    pub(crate) fn note(&mut self, line: impl Into<String>) {
        self.notes.push(line.into());
    }

    pub(crate) fn blessed_file(&mut self, path: &Path) {
        self.blessed.push(path.to_path_buf());
    }

    /// Adds everything `other` found to this report.
    pub fn merge(&mut self, other: HarnessReport) {
        if self.subject.is_empty() {
            self.subject = other.subject;
        }
        self.passed.extend(other.passed);
        self.failures.extend(other.failures);
        self.skipped.extend(other.skipped);
        self.notes.extend(other.notes);
        self.blessed.extend(other.blessed);
    }

    /// What the checks were about: the device's VMSD name.
    #[must_use]
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// One line per check that passed.
    #[must_use]
    pub fn passed(&self) -> &[String] {
        &self.passed
    }

    /// Every check that failed, in the order they ran.
    #[must_use]
    pub fn failures(&self) -> &[Failure] {
        &self.failures
    }

    /// Every check that did not run with this value, and why (a version it
    /// cannot be saved for). `Display` lists them, and
    /// [`deny_skips`](Self::deny_skips) turns them into failures.
    #[must_use]
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// This report with every skipped check counted as a failure: for a test
    /// whose value must exercise every version.
    ///
    /// # Errors
    /// [`Failed`] when any check failed or was skipped.
    pub fn deny_skips(mut self) -> Result<Self, Failed> {
        for skipped in std::mem::take(&mut self.skipped) {
            self.fail(
                skipped.check,
                skipped.version,
                format!("skipped, and skips are denied: {}", skipped.reason),
            );
        }
        self.into_result()
    }

    /// Things worth knowing that are not failures (a version skipped because
    /// the value needs a subsection that version does not know, a golden file
    /// that the value no longer reproduces, ...).
    #[must_use]
    pub fn notes(&self) -> &[String] {
        &self.notes
    }

    /// The golden files written in this run (with `VMSTATE_BLESS=1`).
    #[must_use]
    pub fn blessed(&self) -> &[PathBuf] {
        &self.blessed
    }

    /// Whether every check passed.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.failures.is_empty()
    }

    /// `Ok(self)` when every check passed.
    ///
    /// # Errors
    /// [`Failed`], holding this report, when any check failed.
    pub fn into_result(self) -> Result<Self, Failed> {
        if self.is_ok() {
            Ok(self)
        } else {
            Err(Failed(Box::new(self)))
        }
    }
}

impl fmt::Display for HarnessReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "vmstate harness, `{}`: {} check{} passed, {} failed",
            self.subject,
            self.passed.len(),
            if self.passed.len() == 1 { "" } else { "s" },
            self.failures.len()
        )?;
        if !self.skipped.is_empty() {
            write!(f, ", {} SKIPPED", self.skipped.len())?;
        }
        if f.alternate() {
            for line in &self.passed {
                write!(f, "\n  ok     {line}")?;
            }
        }
        for failure in &self.failures {
            // Multi-line messages (byte and value differences) stay indented.
            write!(
                f,
                "\n  FAILED {}",
                failure.to_string().replace('\n', "\n         ")
            )?;
        }
        for skipped in &self.skipped {
            write!(f, "\n  SKIPPED {skipped}")?;
        }
        for note in &self.notes {
            write!(f, "\n  note:  {note}")?;
        }
        for path in &self.blessed {
            write!(f, "\n  wrote  {} (commit it)", path.display())?;
        }
        Ok(())
    }
}

/// The error of the `Result`-returning checks: at least one check failed. It
/// holds the whole [`HarnessReport`]; `Display` and `Debug` both list every failure,
/// so `.unwrap()` in a test prints something readable.
#[derive(Clone, PartialEq, Eq)]
pub struct Failed(Box<HarnessReport>);

impl Failed {
    /// The report, with every failure.
    #[must_use]
    pub fn report(&self) -> &HarnessReport {
        &self.0
    }

    /// Every check that failed.
    #[must_use]
    pub fn failures(&self) -> &[Failure] {
        self.0.failures()
    }

    /// Takes the report out.
    #[must_use]
    pub fn into_report(self) -> HarnessReport {
        *self.0
    }
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for Failed {}
