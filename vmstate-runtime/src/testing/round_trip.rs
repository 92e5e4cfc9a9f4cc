//! Every version a type claims to support round-trips: what it saves for a
//! receiver of version `N` loads back at `N` and saves again to the same bytes.

use std::fmt::Debug;

use super::diff;
use super::harness_report::{CheckKind, Failed, HarnessReport};
use crate::{ErrorKind, VmState, from_slice, load_into, to_vec_at};

/// Checks that `value` round-trips at every version from
/// `T::MINIMUM_VERSION` to `T::VERSION`, and that loading what it saves at
/// `T::VERSION` gives back an equal value.
///
/// When the schema fixes the payload's size at `T::VERSION`
/// ([`Schema::fixed_size`](crate::schema::Schema::fixed_size), from the
/// field types' `WIRE`), the save must write exactly that many bytes: loads
/// rely on it, and no round trip would notice a field type that promises
/// more than it writes.
///
/// At each version `N`: save with [`to_vec_at`]`(value, N)`, load those bytes
/// with [`from_slice`]`(.., N)` into a `Default` value, save that again at `N`,
/// and require the same bytes. A version at which `value` needs a subsection
/// that receivers of that version do not know is reported as skipped
/// ([`HarnessReport::skipped`], listed by `Display`): refusing that save is
/// correct, but that version was not tested with this value.
///
/// The value comparison at `T::VERSION` loads into a copy of `value` (as
/// [`load_into`](crate::load_into) does into a live device), so fields that
/// the current version does not carry (`skip`, `until`) keep their values and
/// every field on the wire must come back as it was. A `count_of` count is
/// compared as a load gives it, the length of its array
/// ([`VmState::sync_counts`]), not as `value` holds it.
///
/// # Errors
/// [`Failed`], listing every version that failed and why, when a save fails, a
/// load of bytes this type saved fails, the bytes saved again differ, or the
/// value loaded at `T::VERSION` differs from `value`.
pub fn verify_round_trips<T>(value: &T) -> Result<HarnessReport, Failed>
where
    T: VmState + Default + Clone + PartialEq + Debug,
{
    round_trips(value, &T::eq).into_result()
}

/// [`verify_round_trips`] with `same` deciding whether the value loaded at
/// `T::VERSION` equals the original (for types without `PartialEq`, or to
/// ignore state that a `post_load` hook recomputes).
///
/// # Errors
/// As [`verify_round_trips`].
pub fn verify_round_trips_with<T, F>(value: &T, same: F) -> Result<HarnessReport, Failed>
where
    T: VmState + Default + Clone + Debug,
    F: Fn(&T, &T) -> bool,
{
    round_trips(value, &same).into_result()
}

/// [`verify_round_trips`] for a type without `Clone`, `PartialEq` or `Debug`
/// (a device holding atomics, channels or handles): states are compared
/// through the wire. At each version the bytes saved, loaded and saved again
/// must be the same, and at `T::VERSION` they must be what `value` saves.
///
/// # Errors
/// As [`verify_round_trips`].
pub fn verify_round_trips_by_wire<T: VmState + Default>(
    value: &T,
) -> Result<HarnessReport, Failed> {
    round_trips_by_wire(value).into_result()
}

/// The report of [`verify_round_trips_by_wire`], failures included.
pub(crate) fn round_trips_by_wire<T: VmState + Default>(value: &T) -> HarnessReport {
    // The bytes saved at `VERSION` come from `value` itself and were checked
    // to come back as they are: nothing more to compare.
    round_trips_core(value, &|_, _| None)
}

/// The report of [`verify_round_trips`], failures included.
pub(crate) fn round_trips<T>(value: &T, same: &dyn Fn(&T, &T) -> bool) -> HarnessReport
where
    T: VmState + Default + Clone + Debug,
{
    round_trips_core(value, &|saved, version| {
        let mut copy = value.clone();
        if let Err(err) = load_into(&mut copy, saved, version) {
            return Some(format!(
                "what was saved at version {version} does not load into a copy of the value: {err}"
            ));
        }
        // A `count_of` count is what the array's length says, whatever
        // the value held before: compare with the counts a load gives.
        let mut expected = value.clone();
        VmState::sync_counts(&mut expected);
        (!same(&copy, &expected)).then(|| {
            format!(
                "loading what was saved at version {version} (the current one) into a copy of the value \
                 changes it (a `post_load` hook or custom view that does not give back what was saved?):{}",
                diff::values(&expected, &copy)
            )
        })
    })
}

/// Every version, with `at_current` comparing the state loaded at
/// `T::VERSION` (from the bytes given) with the original.
fn round_trips_core<T: VmState + Default>(
    value: &T,
    at_current: &dyn Fn(&[u8], u32) -> Option<String>,
) -> HarnessReport {
    let mut report = HarnessReport::new(T::NAME);
    if T::MINIMUM_VERSION > T::VERSION {
        report.fail(
            CheckKind::RoundTrip,
            None,
            format!(
                "MINIMUM_VERSION {} is above VERSION {}: no version can be loaded",
                T::MINIMUM_VERSION,
                T::VERSION
            ),
        );
    }
    for version in T::MINIMUM_VERSION..=T::VERSION {
        at_version(value, version, at_current, &mut report);
    }
    report
}

/// One version: save, load, save again, compare.
fn at_version<T: VmState + Default>(
    value: &T,
    version: u32,
    at_current: &dyn Fn(&[u8], u32) -> Option<String>,
    report: &mut HarnessReport,
) {
    let fail = |report: &mut HarnessReport, message: String| {
        report.fail(CheckKind::RoundTrip, Some(version), message);
    };
    let saved = match to_vec_at(value, version) {
        Ok(bytes) => bytes,
        Err(err) if matches!(err.kind(), Some(ErrorKind::SubsectionNotAllowed { .. })) => {
            report.skip(
                CheckKind::RoundTrip,
                Some(version),
                format!(
                    "this value cannot be saved for version {version} ({err}); \
                     test that version with a value that does not need the subsection"
                ),
            );
            return;
        }
        Err(err) => return fail(report, format!("saving for version {version} fails: {err}")),
    };
    // Loads trust a fixed size to bound their input and to skip staging a
    // live device's copy, so a field type whose `WIRE` promises other bytes
    // than its save writes would break them where no round trip notices.
    if version == T::VERSION
        && let Some(size) = const { T::SCHEMA.fixed_size() }
        && saved.len() != size
    {
        return fail(
            report,
            format!(
                "the schema fixes version {version}'s payload at {size} bytes, and the save wrote {}: \
                 a field type's `WIRE` does not describe what its `save_field` writes \
                 (a hand-written `VmStateField`?)",
                saved.len()
            ),
        );
    }
    let loaded: T = match from_slice(&saved, version) {
        Ok(loaded) => loaded,
        Err(err) => {
            return fail(
                report,
                format!(
                    "the {} bytes saved for version {version} do not load at version {version}: {err}; \
                     save and load disagree about the fields of version {version} \
                     (a `since`, `until` or `exists` that differs between them?)",
                    saved.len()
                ),
            );
        }
    };
    let again = match to_vec_at(&loaded, version) {
        Ok(bytes) => bytes,
        Err(err) => {
            return fail(
                report,
                format!("the value loaded at version {version} cannot be saved again: {err}"),
            );
        }
    };
    if again != saved {
        return fail(
            report,
            format!(
                "saving, loading and saving again at version {version} changes the bytes: {}",
                diff::bytes(&saved, &again)
            ),
        );
    }
    if version == T::VERSION
        && let Some(message) = at_current(&saved, version)
    {
        return fail(report, message);
    }
    report.pass(format!(
        "round trip, version {version}: {} bytes saved, loaded and saved again",
        saved.len()
    ));
}
