//! A cross-version test harness for device states: the tests that keep old
//! releases working, in one call.
//!
//! - [`verify_round_trips`]: every version from `MINIMUM_VERSION` to `VERSION`
//!   saves, loads and saves again to the same bytes.
//! - [`verify_golden`]: committed golden byte files, one per version
//!   (`tests/golden/<vmsd name>/v<N>.bin`), load forward into the current type
//!   and are reproduced exactly when saved backward. `VMSTATE_BLESS=1 cargo
//!   test` writes the missing ones; existing ones are never rewritten.
//! - [`verify_ping_pong`]: two Rust types that stand for two releases of a
//!   device hand the state back and forth, old -> new -> old -> new, with the
//!   state compared on every hop.
//! - [`verify_device`]: round trips and golden files together, panicking with
//!   every failure listed; the one line a device's test needs.
//! - [`verify_device_by_wire`], [`verify_round_trips_by_wire`] and
//!   [`same_wire`]: the same for a device without `Clone` or `PartialEq`
//!   (atomics, handles), comparing states by the bytes they save.
//!
//! A `count_of` count is compared as a load gives it, the length of its
//! array, so a value need not keep it by hand. A version that the value
//! cannot be saved for (a needed subsection its receivers do not know) is
//! listed as skipped in the report, never passed over in silence;
//! [`HarnessReport::deny_skips`] makes skips failures.
//!
//! The checks return `Result<HarnessReport, Failed>`: a [`HarnessReport`] of what passed
//! (with notes, and the golden files written), or [`Failed`] holding the
//! report with every failure, not just the first. Only [`verify_device`]
//! panics.
//!
//! ```ignore
//! #[test]
//! fn rtc_migrates_across_versions() {
//!     let rtc = Rtc { cmos_index: 0x0a, ..Rtc::default() };
//!     vmstate::testing::verify_device(&rtc, concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden"));
//! }
//! ```

mod diff;
mod golden;
mod harness_report;
mod ping_pong;
mod round_trip;
mod wire;

use std::fmt::Debug;
use std::path::Path;

use crate::VmState;

pub use golden::{BLESS_VAR, Bless, golden_dir, golden_file, verify_golden, verify_golden_files};
pub use harness_report::{CheckKind, Failed, Failure, HarnessReport, Skipped};
pub use ping_pong::{verify_ping_pong, verify_ping_pong_with};
pub use round_trip::{verify_round_trips, verify_round_trips_by_wire, verify_round_trips_with};
pub use wire::{same_wire, try_verify_device_by_wire, verify_device_by_wire};

/// Runs [`verify_round_trips`] and [`verify_golden`] on `value` (golden files
/// under `golden_root/<vmsd name>/`, written when missing if
/// `VMSTATE_BLESS=1`) and returns the report of both.
///
/// A relative `golden_root` is relative to the working directory, which
/// `cargo test` sets to the package root; `concat!(env!("CARGO_MANIFEST_DIR"),
/// "/tests/golden")` does not depend on it.
///
/// # Panics
/// When any check fails, with a message that lists every failure (not just the
/// first) and says how to fix or bless. Use [`try_verify_device`] to get the
/// failures as a value instead.
#[track_caller]
pub fn verify_device<T>(value: &T, golden_root: impl AsRef<Path>) -> HarnessReport
where
    T: VmState + Default + Clone + PartialEq + Debug,
{
    match try_verify_device(value, golden_root) {
        Ok(report) => report,
        Err(failed) => panic!("{failed}"),
    }
}

/// [`verify_device`] without the panic.
///
/// # Errors
/// [`Failed`], holding the report of both checks, when any check failed.
pub fn try_verify_device<T>(
    value: &T,
    golden_root: impl AsRef<Path>,
) -> Result<HarnessReport, Failed>
where
    T: VmState + Default + Clone + PartialEq + Debug,
{
    let mut report = round_trip::round_trips(value, &T::eq);
    report.merge(golden::golden(
        value,
        golden_root.as_ref(),
        Bless::from_env(),
    ));
    report.into_result()
}
