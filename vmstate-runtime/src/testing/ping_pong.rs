//! Ping-pong: the state goes from an old release of a device to a new one, back
//! to the old one and to the new one again, and is compared on every hop. Two
//! Rust types stand for the two releases.

use std::fmt::Debug;

use super::diff;
use super::harness_report::{CheckKind, Failed, HarnessReport};
use crate::{VmState, from_slice, to_vec, to_vec_at};

/// Migrates `old` from release `Old` to release `New` and back, twice:
/// old -> new -> old -> new, comparing the state with `PartialEq` on each side.
///
/// The hops, with `V = Old::VERSION`:
/// 1. `Old` saves `old` (at `V`); `New` loads it at `V`.
/// 2. `New` saves for the old receiver ([`to_vec_at`] at `V`): the bytes must
///    equal what `Old` saved, and `Old` loads them into a value equal to `old`.
/// 3. `Old` saves that again; `New` loads it into a value equal to the one of
///    hop 1.
///
/// # Errors
/// [`Failed`], listing every hop that failed: the two types have different
/// names, `New` cannot load version `V`, a save or load fails, the bytes `New`
/// writes for `Old` differ from `Old`'s own, or the state changed on a hop.
pub fn verify_ping_pong<Old, New>(old: &Old) -> Result<HarnessReport, Failed>
where
    Old: VmState + Default + PartialEq + Debug,
    New: VmState + Default + PartialEq + Debug,
{
    ping_pong::<Old, New>(old, &Old::eq, &New::eq).into_result()
}

/// [`verify_ping_pong`] with the caller's comparisons: `same_old` for the old
/// release's states, `same_new` for the new release's.
///
/// # Errors
/// As [`verify_ping_pong`].
pub fn verify_ping_pong_with<Old, New, FO, FN>(
    old: &Old,
    same_old: FO,
    same_new: FN,
) -> Result<HarnessReport, Failed>
where
    Old: VmState + Default + Debug,
    New: VmState + Default + Debug,
    FO: Fn(&Old, &Old) -> bool,
    FN: Fn(&New, &New) -> bool,
{
    ping_pong::<Old, New>(old, &same_old, &same_new).into_result()
}

/// The report of [`verify_ping_pong_with`], failures included.
fn ping_pong<Old, New>(
    old: &Old,
    same_old: &dyn Fn(&Old, &Old) -> bool,
    same_new: &dyn Fn(&New, &New) -> bool,
) -> HarnessReport
where
    Old: VmState + Default + Debug,
    New: VmState + Default + Debug,
{
    let mut report = HarnessReport::new(format!(
        "{} v{} <-> {} v{}",
        Old::NAME,
        Old::VERSION,
        New::NAME,
        New::VERSION
    ));
    // A hop that cannot go on ends the game with its failure; failures that
    // leave a state to carry on with are recorded as they happen.
    let played =
        meet::<Old, New>(&mut report).and_then(|()| hops(old, same_old, same_new, &mut report));
    if let Err(message) = played {
        report.fail(CheckKind::PingPong, Some(Old::VERSION), message);
    }
    report
}

/// Whether the two releases can migrate to each other at all.
fn meet<Old: VmState, New: VmState>(report: &mut HarnessReport) -> Result<(), String> {
    let version = Old::VERSION;
    if Old::NAME != New::NAME {
        report.fail(
            CheckKind::PingPong,
            Some(version),
            format!(
                "the releases have different names, `{}` and `{}`: a receiver finds a section by its name",
                Old::NAME,
                New::NAME
            ),
        );
    }
    if (New::MINIMUM_VERSION..=New::VERSION).contains(&version) {
        Ok(())
    } else {
        Err(format!(
            "the new release loads versions {} to {}, not the old release's version {version}",
            New::MINIMUM_VERSION,
            New::VERSION
        ))
    }
}

/// old -> new -> old -> new.
fn hops<Old, New>(
    old: &Old,
    same_old: &dyn Fn(&Old, &Old) -> bool,
    same_new: &dyn Fn(&New, &New) -> bool,
    report: &mut HarnessReport,
) -> Result<(), String>
where
    Old: VmState + Default + Debug,
    New: VmState + Default + Debug,
{
    let version = Old::VERSION;
    let fail = |report: &mut HarnessReport, message: String| {
        report.fail(CheckKind::PingPong, Some(version), message);
    };

    // Hop 1: old -> new.
    let first = to_vec(old)
        .map_err(|err| format!("hop 1 (old -> new): the old release cannot save: {err}"))?;
    let new_1: New = from_slice(&first, version).map_err(|err| {
        format!("hop 1 (old -> new): the new release does not load what the old one saved: {err}")
    })?;
    report.pass(format!("hop 1, old -> new: {} bytes", first.len()));

    // Hop 2: new -> old, the new release saving for the old receiver.
    let second = to_vec_at(&new_1, version).map_err(|err| {
        format!("hop 2 (new -> old): the new release cannot save for version {version}: {err}")
    })?;
    if second != first {
        fail(
            report,
            format!(
                "hop 2 (new -> old): the new release saves for version {version} other bytes than the old \
                 release saved: {}",
                diff::bytes(&first, &second)
            ),
        );
    }
    let old_2: Old = from_slice(&second, version).map_err(|err| {
        format!(
            "hop 2 (new -> old): the old release does not load what the new one saved for it: {err}"
        )
    })?;
    // A `count_of` count that `old` does not keep by hand comes back as its
    // array's length: then the state to compare with is what the old
    // release itself loads from its own bytes.
    let own: Option<Old> = from_slice(&first, version).ok();
    if same_old(&old_2, old) {
        report.pass(format!(
            "hop 2, new -> old: {} bytes, same state",
            second.len()
        ));
    } else if own.as_ref().is_some_and(|own| same_old(&old_2, own)) {
        report.pass(format!(
            "hop 2, new -> old: {} bytes, the state the old release loads from its own bytes",
            second.len()
        ));
        report.note(format!(
            "hop 2 compared with the old release's own load of its bytes: the original differs from it \
             in what the wire does not carry as held (a `count_of` count, a `skip` field):{}",
            diff::values(old, &old_2)
        ));
    } else {
        fail(
            report,
            format!(
                "hop 2 (new -> old): the old release's state changed on the way through the new one:{}",
                diff::values(old, &old_2)
            ),
        );
    }

    // Hop 3: old -> new again.
    let third = to_vec(&old_2)
        .map_err(|err| format!("hop 3 (old -> new): the old release cannot save: {err}"))?;
    let new_3: New = from_slice(&third, version).map_err(|err| {
        format!("hop 3 (old -> new): the new release does not load the old one's bytes: {err}")
    })?;
    if same_new(&new_3, &new_1) {
        report.pass(format!(
            "hop 3, old -> new: {} bytes, same state",
            third.len()
        ));
    } else {
        fail(
            report,
            format!(
                "hop 3 (old -> new): the new release's state differs from hop 1:{}",
                diff::values(&new_1, &new_3)
            ),
        );
    }
    Ok(())
}
