//! Comparing device states through the wire, for devices without `Clone` or
//! `PartialEq` (atomics, channels, host handles): two states are the same
//! when they save the same bytes.

use std::path::Path;

use super::golden::{self, Bless};
use super::harness_report::{Failed, HarnessReport};
use super::round_trip;
use crate::{VmState, to_vec};

/// Whether `a` and `b` save the same payload at the current version; false
/// when either cannot be saved. Pass it to the `_with` checks
/// ([`verify_ping_pong_with`](super::verify_ping_pong_with)) for a type
/// without `PartialEq`.
#[must_use]
pub fn same_wire<T: VmState>(a: &T, b: &T) -> bool {
    match (to_vec(a), to_vec(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// [`verify_device`](super::verify_device) for a type without `Clone`,
/// `PartialEq` or `Debug`: [`verify_round_trips_by_wire`](super::verify_round_trips_by_wire)
/// and the golden files.
///
/// # Panics
/// When any check fails, with every failure listed.
#[track_caller]
pub fn verify_device_by_wire<T: VmState + Default>(
    value: &T,
    golden_root: impl AsRef<Path>,
) -> HarnessReport {
    match try_verify_device_by_wire(value, golden_root) {
        Ok(report) => report,
        Err(failed) => panic!("{failed}"),
    }
}

/// [`verify_device_by_wire`] without the panic.
///
/// # Errors
/// [`Failed`], holding the report of both checks, when any check failed.
pub fn try_verify_device_by_wire<T: VmState + Default>(
    value: &T,
    golden_root: impl AsRef<Path>,
) -> Result<HarnessReport, Failed> {
    let mut report = round_trip::round_trips_by_wire(value);
    report.merge(golden::golden(
        value,
        golden_root.as_ref(),
        Bless::from_env(),
    ));
    report.into_result()
}
