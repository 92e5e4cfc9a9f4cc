//! Golden byte files: one payload per supported version, written once
//! ("blessed") and committed, that every later build must load and reproduce.
//!
//! A golden file freezes what a release put on the wire. When a later change
//! to the type alters the layout of a version it still claims to support, the
//! file stops loading, or loads into different fields and saves back to
//! different bytes, and the check fails.

use std::fs;
use std::io::ErrorKind as IoErrorKind;
use std::path::{Path, PathBuf};

use super::diff;
use super::harness_report::{CheckKind, Failed, HarnessReport};
use crate::{VmState, from_slice, to_vec_at};

/// The environment variable that lets [`verify_golden`] write missing golden
/// files: `VMSTATE_BLESS=1 cargo test`.
pub const BLESS_VAR: &str = "VMSTATE_BLESS";

/// Whether a golden check may write the files that are missing. Existing files
/// are never overwritten.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bless {
    /// Write each missing file from the value, then check it.
    Missing,
    /// A missing file is a failure.
    Never,
}

impl Bless {
    /// [`Bless::Missing`] when the environment variable [`BLESS_VAR`] is `1`,
    /// else [`Bless::Never`].
    #[must_use]
    pub fn from_env() -> Self {
        if std::env::var_os(BLESS_VAR).is_some_and(|value| value == "1") {
            Self::Missing
        } else {
            Self::Never
        }
    }
}

/// The directory under `root` that holds `T`'s golden files:
/// `root/<VMSD name>/`, each `/`-separated part of the name kept as a
/// directory and any byte other than ASCII letters, digits, `-`, `_` and `.`
/// replaced by `_` (`PS2 Common State` is `PS2_Common_State`).
#[must_use]
pub fn golden_dir<T: VmState>(root: impl AsRef<Path>) -> PathBuf {
    let mut dir = root.as_ref().to_path_buf();
    for part in T::NAME.split('/') {
        let clean: String = part
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        dir.push(match clean.as_str() {
            "" | "." | ".." => "_".to_owned(),
            _ => clean,
        });
    }
    dir
}

/// The golden file of version `version` of `T` under `root`:
/// `root/<VMSD name>/v<version>.bin`.
#[must_use]
pub fn golden_file<T: VmState>(root: impl AsRef<Path>, version: u32) -> PathBuf {
    golden_dir::<T>(root).join(format!("v{version}.bin"))
}

/// Checks `T`'s golden files under `root` ([`golden_dir`]), writing the missing
/// ones from `value` when the environment asks for it ([`Bless::from_env`]).
///
/// Every version from `T::MINIMUM_VERSION` to `T::VERSION` must have a file;
/// files of other versions (retired ones, or newer ones when `T` is an older
/// release kept for ping-pong tests) are noted, not checked.
/// Each file must load forward (at its version, into the current type) and be
/// reproduced exactly by saving the loaded value backward
/// ([`to_vec_at`] at the file's version). A file that `value` itself no longer
/// saves byte for byte is a note, not a failure: the test value may change;
/// released bytes may not.
///
/// Bless each version when it is released: a file for an older version
/// written later comes from today's [`to_vec_at`], which is only as right as
/// today's code.
///
/// # Errors
/// [`Failed`], listing every problem: a missing file (with the command that
/// writes it), a file that does not load or is not reproduced, an unreadable
/// file or directory, a file that cannot be written when blessing.
pub fn verify_golden<T>(value: &T, root: impl AsRef<Path>) -> Result<HarnessReport, Failed>
where
    T: VmState + Default,
{
    golden(value, root.as_ref(), Bless::from_env()).into_result()
}

/// [`verify_golden`] with the blessing decided by the caller rather than by
/// [`BLESS_VAR`].
///
/// # Errors
/// As [`verify_golden`].
pub fn verify_golden_files<T>(
    value: &T,
    root: impl AsRef<Path>,
    bless: Bless,
) -> Result<HarnessReport, Failed>
where
    T: VmState + Default,
{
    golden(value, root.as_ref(), bless).into_result()
}

/// The report of [`verify_golden_files`], failures included.
pub(crate) fn golden<T>(value: &T, root: &Path, bless: Bless) -> HarnessReport
where
    T: VmState + Default,
{
    let mut report = HarnessReport::new(T::NAME);
    let dir = golden_dir::<T>(root);
    let mut found = existing_versions(&dir, &mut report);
    for version in T::MINIMUM_VERSION..=T::VERSION {
        if found.contains(&version) {
            continue;
        }
        let path = golden_file::<T>(root, version);
        match bless {
            Bless::Never => report.fail(
                CheckKind::Golden,
                Some(version),
                format!(
                    "no golden file {}: run the tests once with {BLESS_VAR}=1 (`{BLESS_VAR}=1 cargo test`) \
                     to write it from this value, then commit it",
                    path.display()
                ),
            ),
            Bless::Missing => {
                if write_golden(value, version, &dir, &path, &mut report) {
                    found.push(version);
                }
            }
        }
    }
    found.sort_unstable();
    for version in found {
        check_file(
            value,
            version,
            &golden_file::<T>(root, version),
            &mut report,
        );
    }
    report
}

/// The versions of the `v<N>.bin` files in `dir` (none when it does not exist).
fn existing_versions(dir: &Path, report: &mut HarnessReport) -> Vec<u32> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == IoErrorKind::NotFound => return Vec::new(),
        Err(err) => {
            report.fail(
                CheckKind::Golden,
                None,
                format!("cannot read the golden directory {}: {err}", dir.display()),
            );
            return Vec::new();
        }
    };
    let mut versions = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let version = name
            .to_str()
            .and_then(|name| name.strip_prefix('v'))
            .and_then(|rest| rest.strip_suffix(".bin"))
            .and_then(|number| number.parse::<u32>().ok());
        match version {
            Some(version) => versions.push(version),
            // Subsections' directories live next to the files.
            None if entry.path().is_dir() => {}
            None => report.note(format!(
                "{}: not a golden file (`v<version>.bin`), ignored",
                entry.path().display()
            )),
        }
    }
    versions
}

/// Writes the golden file of `version` from `value`; whether it was written.
fn write_golden<T: VmState>(
    value: &T,
    version: u32,
    dir: &Path,
    path: &Path,
    report: &mut HarnessReport,
) -> bool {
    let bytes = match to_vec_at(value, version) {
        Ok(bytes) => bytes,
        Err(err) => {
            report.fail(
                CheckKind::Golden,
                Some(version),
                format!(
                    "cannot write {}: the value cannot be saved for version {version}: {err}; \
                     bless with a value that version {version} can represent",
                    path.display()
                ),
            );
            return false;
        }
    };
    // Written under a temporary name and renamed, so that a test running at
    // the same time never reads half a file.
    let temporary = path.with_extension(format!("bin.{}.tmp", std::process::id()));
    let written = fs::create_dir_all(dir)
        .and_then(|()| fs::write(&temporary, &bytes))
        .and_then(|()| fs::rename(&temporary, path));
    match written {
        Ok(()) => {
            report.blessed_file(path);
            true
        }
        Err(err) => {
            report.fail(
                CheckKind::Golden,
                Some(version),
                format!("cannot write {}: {err}", path.display()),
            );
            false
        }
    }
}

/// Loads one golden file forward and saves it backward.
fn check_file<T>(value: &T, version: u32, path: &Path, report: &mut HarnessReport)
where
    T: VmState + Default,
{
    let shown = path.display();
    let fail = |report: &mut HarnessReport, message: String| {
        report.fail(CheckKind::Golden, Some(version), message);
    };
    if version > T::VERSION {
        // An older release checked against the files of newer ones; a version
        // number taken back is the layout lock's to catch.
        report.note(format!(
            "{shown}: version {version} is newer than `{}` version {}, not checked here",
            T::NAME,
            T::VERSION
        ));
        return;
    }
    if version < T::MINIMUM_VERSION {
        report.note(format!(
            "{shown}: version {version} is below MINIMUM_VERSION {}, so it is no longer loaded; \
             delete the file if dropping version {version} is intended",
            T::MINIMUM_VERSION
        ));
        return;
    }
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => return fail(report, format!("cannot read {shown}: {err}")),
    };
    let loaded: T = match from_slice(&bytes, version) {
        Ok(loaded) => loaded,
        Err(err) => {
            return fail(
                report,
                format!(
                    "{shown} does not load at version {version} into the current type: {err}; \
                     the layout of version {version} changed since the file was written \
                     (a field added without `since`, removed without `until`, resized or moved?)"
                ),
            );
        }
    };
    let saved = match to_vec_at(&loaded, version) {
        Ok(saved) => saved,
        Err(err) => {
            return fail(
                report,
                format!("{shown} loads, but saving it back for version {version} fails: {err}"),
            );
        }
    };
    if saved != bytes {
        return fail(
            report,
            format!(
                "{shown} loads, but saving it back for version {version} does not reproduce it: {}; \
                 receivers of version {version} would get different bytes than they expect",
                diff::bytes(&bytes, &saved)
            ),
        );
    }
    match to_vec_at(value, version) {
        Ok(own) if own != bytes => report.note(format!(
            "{shown}: the test value now saves differently for version {version} ({}); fine if the \
             value changed on purpose, else a layout change that kept the size",
            diff::bytes(&bytes, &own)
        )),
        _ => {}
    }
    report.pass(format!(
        "golden, version {version}: {shown} ({} bytes) loads and is reproduced",
        bytes.len()
    ));
}
