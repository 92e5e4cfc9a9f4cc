//! `vmstate::testing`: each check passes on a sound device and fails, saying
//! what and where, on a broken one: a save at an old version that does not
//! load, a value that does not survive the current version, an edited or
//! missing golden file, a release that forgot `since` or dropped a field
//! without `until`, a state that changes on a ping-pong hop.

use std::fs;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use vmstate::VmState;
use vmstate::testing::{
    self, Bless, CheckKind, golden_dir, golden_file, verify_golden_files, verify_ping_pong,
    verify_ping_pong_with, verify_round_trips, verify_round_trips_with,
};

/// Three releases of a timer device, as `tests/backward.rs` has them.
mod v1 {
    use vmstate::VmState;

    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "tmr", version = 1)]
    pub struct Tmr {
        pub count: u32,
        pub mode: u8,
        pub enabled: bool,
    }
}

mod v2 {
    use vmstate::VmState;

    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "tmr", version = 2, minimum_version = 1)]
    pub struct Tmr {
        pub count: u32,
        pub mode: u8,
        pub enabled: bool,
        #[vmstate(since = 2)]
        pub expiry: i64,
    }
}

mod v3 {
    use vmstate::VmState;

    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "tmr", version = 3, minimum_version = 1)]
    pub struct Tmr {
        pub count: u32,
        #[vmstate(until = 3)]
        pub mode: u8,
        pub enabled: bool,
        #[vmstate(since = 2)]
        pub expiry: i64,
        #[subsection(needed = Tmr::latch_needed, since = 3)]
        pub latch: TmrLatch,
    }

    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "tmr/latch", version = 1)]
    pub struct TmrLatch {
        pub value: u16,
    }

    impl Tmr {
        fn latch_needed(&self) -> bool {
            self.latch.value != 0
        }
    }
}

/// Mistakes a release can make.
mod broken {
    use vmstate::VmState;

    /// Release 2 of `tmr` that forgot `since = 2` on its new field.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "tmr", version = 2, minimum_version = 1)]
    pub struct TmrForgotSince {
        pub count: u32,
        pub mode: u8,
        pub enabled: bool,
        pub expiry: i64,
    }

    /// Release 3 of `tmr` that deleted `mode` instead of marking it `until = 3`.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "tmr", version = 3, minimum_version = 1)]
    pub struct TmrDroppedMode {
        pub count: u32,
        pub enabled: bool,
        #[vmstate(since = 2)]
        pub expiry: i64,
    }

    /// Release 2 of `tmr` whose `post_load` forces `mode` into a range:
    /// state that goes through it comes back changed.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "tmr", version = 2, minimum_version = 1, post_load = TmrClamps::clamp)]
    pub struct TmrClamps {
        pub count: u32,
        pub mode: u8,
        pub enabled: bool,
        #[vmstate(since = 2)]
        pub expiry: i64,
    }

    impl TmrClamps {
        #[allow(clippy::unnecessary_wraps, reason = "hooks return Result")]
        fn clamp(&mut self, _version: u32) -> Result<(), String> {
            self.mode = self.mode.min(3);
            Ok(())
        }
    }

    /// An `exists` predicate that, at version 1, reads a field that comes
    /// *after* the one it decides about: the saver knows `flags`, the loader
    /// has not read it yet, so what version 1 saves does not load.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "late-test", version = 2, minimum_version = 1)]
    pub struct LateTest {
        pub count: u32,
        #[vmstate(exists = LateTest::has_extra)]
        pub extra: u16,
        pub flags: u8,
        /// Configuration, not state.
        #[vmstate(skip)]
        pub model: u8,
    }

    impl LateTest {
        fn has_extra(&self, version: u32) -> bool {
            version >= 2 || self.flags != 0
        }
    }

    /// A `post_load` hook that recomputes state from what was loaded: a value
    /// whose `frequency` is stale does not come back as it was.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "derived", version = 1, post_load = Derived::recompute)]
    pub struct Derived {
        pub period_ns: u32,
        #[vmstate(skip)]
        pub frequency_hz: u32,
    }

    impl Derived {
        #[allow(clippy::unnecessary_wraps, reason = "hooks return Result")]
        fn recompute(&mut self, _version: u32) -> Result<(), String> {
            self.frequency_hz = 1_000_000_000 / self.period_ns.max(1);
            Ok(())
        }
    }
}

fn current() -> v3::Tmr {
    v3::Tmr {
        count: 0x0102_0304,
        mode: 0,
        enabled: true,
        expiry: 1_000_000,
        latch: v3::TmrLatch::default(),
    }
}

/// A fresh directory for golden files under the system's temporary directory.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "vmstate-testing-harness-{}-{name}",
        std::process::id()
    ));
    let _ = fs::remove_dir_all(&dir);
    dir
}

// Round trips.

#[test]
fn a_sound_device_round_trips_at_every_version() {
    let report = verify_round_trips(&current()).unwrap();
    assert_eq!(report.subject(), "tmr");
    assert_eq!(report.passed().len(), 3, "{report:#}");
    assert!(report.notes().is_empty(), "{report:#}");
    assert!(report.skipped().is_empty(), "{report:#}");
}

#[test]
fn a_version_that_cannot_take_a_needed_subsection_is_reported_as_skipped() {
    let mut tmr = current();
    tmr.latch.value = 9;
    let report = verify_round_trips(&tmr).unwrap();
    assert_eq!(report.passed().len(), 1, "only version 3: {report:#}");
    let versions: Vec<Option<u32>> = report.skipped().iter().map(|s| s.version).collect();
    assert_eq!(versions, [Some(1), Some(2)], "{report:#}");
    assert!(
        report.skipped()[0].reason.contains("`tmr/latch` is needed"),
        "{report:#}"
    );
    // Visible in the summary line, not only in a list nobody prints.
    let summary = report.to_string();
    assert!(
        summary
            .lines()
            .next()
            .is_some_and(|line| line.ends_with("2 SKIPPED")),
        "{summary}"
    );
    assert!(
        summary.contains("SKIPPED [round trip, version 1]"),
        "{summary}"
    );
    // A test that must exercise every version says so.
    let denied = report.deny_skips().unwrap_err();
    assert_eq!(denied.failures().len(), 2, "{denied}");
}

#[test]
fn a_save_at_an_old_version_that_does_not_load_fails() {
    let dev = broken::LateTest {
        count: 7,
        extra: 0x0a0b,
        flags: 1,
        model: 0,
    };
    let failed = verify_round_trips(&dev).unwrap_err();
    let failures = failed.failures();
    assert_eq!(failures.len(), 1, "{failed}");
    assert_eq!(failures[0].check, CheckKind::RoundTrip);
    assert_eq!(failures[0].version, Some(1));
    let message = &failures[0].message;
    assert!(
        message.starts_with(
            "the 7 bytes saved for version 1 do not load at version 1: section `late-test`"
        ),
        "{message}"
    );
    assert!(message.contains("bytes left"), "{message}");
    assert_eq!(failed.report().passed().len(), 1, "version 2 still passes");
}

#[test]
fn fields_the_current_version_does_not_carry_keep_their_values() {
    // `model` is `skip`, `mode` is `until = 3`: the value comparison at the
    // current version loads into a copy, as into a live device.
    let dev = broken::LateTest {
        count: 7,
        extra: 1,
        flags: 0,
        model: 5,
    };
    verify_round_trips(&dev).unwrap();
    let mut tmr = current();
    tmr.mode = 4;
    verify_round_trips(&tmr).unwrap();
}

#[test]
fn a_value_that_does_not_come_back_fails_with_the_differing_field() {
    let dev = broken::Derived {
        period_ns: 1000,
        frequency_hz: 0,
    };
    let failed = verify_round_trips(&dev).unwrap_err();
    assert_eq!(failed.failures().len(), 1, "{failed}");
    let message = &failed.failures()[0].message;
    assert!(
        message.contains("into a copy of the value changes it"),
        "{message}"
    );
    assert!(
        message.ends_with("\n- frequency_hz: 0,\n+ frequency_hz: 1000000,"),
        "{message}"
    );
    // A comparison that leaves out the recomputed field accepts it.
    verify_round_trips_with(&dev, |a, b| a.period_ns == b.period_ns).unwrap();
}

#[test]
fn every_failure_is_listed_not_just_the_first() {
    let dev = broken::LateTest {
        count: 7,
        extra: 1,
        flags: 1,
        model: 5,
    };
    let mut report = verify_round_trips(&dev).unwrap_err().into_report();
    report.merge(
        verify_golden_files(&dev, scratch("every"), Bless::Never)
            .unwrap_err()
            .into_report(),
    );
    let failed = report.into_result().unwrap_err();
    let found: Vec<_> = failed
        .failures()
        .iter()
        .map(|f| (f.check, f.version))
        .collect();
    assert_eq!(
        found,
        [
            (CheckKind::RoundTrip, Some(1)),
            (CheckKind::Golden, Some(1)),
            (CheckKind::Golden, Some(2))
        ],
        "{failed}"
    );
    let text = failed.to_string();
    assert!(
        text.starts_with(
            "vmstate harness, `late-test`: 1 check passed, 3 failed\n  FAILED [round trip, version 1] "
        ),
        "{text}"
    );
    assert!(
        text.contains("\n  FAILED [golden, version 2] no golden file "),
        "{text}"
    );
    assert_eq!(format!("{failed:?}"), text, "unwrap() prints the report");
}

// Golden files.

#[test]
fn golden_files_are_blessed_once_then_verified() {
    let root = scratch("bless");
    let report = verify_golden_files(&current(), &root, Bless::Missing).unwrap();
    assert_eq!(report.blessed().len(), 3, "{report:#}");
    assert_eq!(report.passed().len(), 3, "{report:#}");
    assert_eq!(golden_dir::<v3::Tmr>(&root), root.join("tmr"));
    let v1 = golden_file::<v3::Tmr>(&root, 1);
    assert_eq!(v1, root.join("tmr/v1.bin"));
    assert_eq!(fs::read(&v1).unwrap(), [1, 2, 3, 4, 0, 1]);

    let report = verify_golden_files(&current(), &root, Bless::Never).unwrap();
    assert!(report.blessed().is_empty());
    assert_eq!(report.passed().len(), 3, "{report:#}");
    assert!(report.notes().is_empty(), "{report:#}");

    // Another value: the files still load and are reproduced; the harness
    // notes that the value itself saves other bytes now.
    let mut other = current();
    other.count = 5;
    let report = verify_golden_files(&other, &root, Bless::Never).unwrap();
    assert_eq!(report.notes().len(), 3, "{report:#}");
    assert!(
        report.notes()[0].contains("the test value now saves differently"),
        "{report:#}"
    );
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn a_missing_golden_file_fails_and_says_how_to_create_it() {
    let root = scratch("missing");
    let failed = verify_golden_files(&current(), &root, Bless::Never).unwrap_err();
    assert_eq!(failed.failures().len(), 3, "{failed}");
    let message = &failed.failures()[0].message;
    assert_eq!(failed.failures()[0].version, Some(1));
    assert!(message.starts_with("no golden file "), "{message}");
    assert!(message.contains("tmr/v1.bin"), "{message}");
    assert!(message.contains("VMSTATE_BLESS=1 cargo test"), "{message}");
    assert!(!root.exists(), "nothing is written without blessing");
}

#[test]
fn an_edited_golden_file_fails() {
    let root = scratch("edited");
    verify_golden_files(&current(), &root, Bless::Missing).unwrap();
    // Cut a byte off version 2, make version 3's `enabled` a 2 (which loads
    // as `true` and saves as 1).
    let v2 = golden_file::<v3::Tmr>(&root, 2);
    let mut bytes = fs::read(&v2).unwrap();
    bytes.pop();
    fs::write(&v2, &bytes).unwrap();
    let v3 = golden_file::<v3::Tmr>(&root, 3);
    let mut bytes = fs::read(&v3).unwrap();
    assert_eq!(bytes[4], 1, "`enabled`");
    bytes[4] = 2;
    fs::write(&v3, &bytes).unwrap();

    let failed = verify_golden_files(&current(), &root, Bless::Missing).unwrap_err();
    assert!(
        failed.report().blessed().is_empty(),
        "existing files are never rewritten"
    );
    let failures = failed.failures();
    assert_eq!(failures.len(), 2, "{failed}");
    assert_eq!(
        (failures[0].check, failures[0].version),
        (CheckKind::Golden, Some(2))
    );
    assert!(
        failures[0].message.contains(
            "does not load at version 2 into the current type: section `tmr`, field `expiry`"
        ),
        "{failed}"
    );
    assert_eq!(failures[1].version, Some(3));
    assert!(
        failures[1].message.contains(
            "loads, but saving it back for version 3 does not reproduce it: 13 bytes each; \
             first difference at byte 4: expected [01 02 03 04 | 02 00"
        ),
        "{failed}"
    );
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn golden_files_of_an_earlier_release_catch_a_layout_change() {
    // Release 2 blesses its files; a release 2 that forgot `since` must load them.
    let root = scratch("forgot-since");
    let good = v2::Tmr {
        count: 3,
        mode: 1,
        enabled: true,
        expiry: -1,
    };
    verify_golden_files(&good, &root, Bless::Missing).unwrap();
    let bad = broken::TmrForgotSince {
        count: 3,
        mode: 1,
        enabled: true,
        expiry: -1,
    };
    let failed = verify_golden_files(&bad, &root, Bless::Never).unwrap_err();
    assert_eq!(failed.failures().len(), 1, "{failed}");
    assert_eq!(failed.failures()[0].version, Some(1));
    assert!(
        failed.failures()[0]
            .message
            .contains("input ends too early"),
        "{failed}"
    );
    // Its own round trips do not see the mistake: save and load agree.
    verify_round_trips(&bad).unwrap();
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn golden_files_of_other_versions_are_noted_not_checked() {
    let root = scratch("stray");
    let dir = golden_dir::<v2::Tmr>(&root);
    verify_golden_files(&v3::Tmr::default(), &root, Bless::Missing).unwrap();
    fs::write(dir.join("v0.bin"), [0]).unwrap();
    fs::write(dir.join("notes.txt"), "hello").unwrap();
    // Release 2 is checked against release 3's files, as an old release kept
    // for ping-pong tests is.
    let report = verify_golden_files(&v2::Tmr::default(), &root, Bless::Never).unwrap();
    assert_eq!(report.passed().len(), 2, "{report:#}");
    let notes = report.notes().join("\n");
    assert!(notes.contains("notes.txt: not a golden file"), "{notes}");
    assert!(
        notes.contains("version 0 is below MINIMUM_VERSION 1"),
        "{notes}"
    );
    assert!(
        notes.contains("v3.bin: version 3 is newer than `tmr` version 2, not checked here"),
        "{notes}"
    );
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn subsections_and_odd_names_get_tidy_directories() {
    assert_eq!(
        golden_dir::<v3::TmrLatch>("g"),
        PathBuf::from("g/tmr/latch")
    );
    assert_eq!(
        golden_dir::<vmstate::qemu::pit::PitChannel>("g"),
        PathBuf::from("g/pit_channel")
    );
}

// Ping-pong.

#[test]
fn sound_releases_ping_pong() {
    let old = v1::Tmr {
        count: 9,
        mode: 2,
        enabled: true,
    };
    let report = verify_ping_pong::<v1::Tmr, v3::Tmr>(&old).unwrap();
    assert_eq!(report.subject(), "tmr v1 <-> tmr v3");
    assert_eq!(report.passed().len(), 3, "{report:#}");
    let report = verify_ping_pong::<v2::Tmr, v3::Tmr>(&v2::Tmr {
        expiry: 77,
        ..v2::Tmr::default()
    })
    .unwrap();
    assert_eq!(report.passed().len(), 3, "{report:#}");
}

#[test]
fn a_release_that_forgot_since_fails_the_first_hop() {
    let old = v1::Tmr {
        count: 9,
        mode: 2,
        enabled: true,
    };
    let failed = verify_ping_pong::<v1::Tmr, broken::TmrForgotSince>(&old).unwrap_err();
    assert_eq!(failed.failures().len(), 1, "{failed}");
    let failure = &failed.failures()[0];
    assert_eq!(
        (failure.check, failure.version),
        (CheckKind::PingPong, Some(1))
    );
    assert_eq!(
        failure.message,
        "hop 1 (old -> new): the new release does not load what the old one saved: \
         section `tmr`, field `expiry`, byte offset 6: input ends too early: needed 8 bytes, 0 left"
    );
}

#[test]
fn a_release_that_dropped_a_field_without_until_fails() {
    let old = v2::Tmr {
        count: 9,
        mode: 2,
        enabled: true,
        expiry: 5,
    };
    let failed = verify_ping_pong::<v2::Tmr, broken::TmrDroppedMode>(&old).unwrap_err();
    assert_eq!(failed.failures().len(), 1, "{failed}");
    assert!(
        failed.failures()[0].message.starts_with(
            "hop 1 (old -> new): the new release does not load what the old one saved"
        ),
        "{failed}"
    );
}

#[test]
fn state_that_changes_on_a_hop_fails_with_every_difference() {
    let old = v1::Tmr {
        count: 9,
        mode: 6,
        enabled: true,
    };
    let failed = verify_ping_pong::<v1::Tmr, broken::TmrClamps>(&old).unwrap_err();
    let failures = failed.failures();
    assert_eq!(failures.len(), 2, "{failed}");
    assert!(
        failures[0].message.starts_with(
            "hop 2 (new -> old): the new release saves for version 1 other bytes than the old release saved: \
             6 bytes each; first difference at byte 4"
        ),
        "{failed}"
    );
    assert!(
        failures[1]
            .message
            .ends_with("state changed on the way through the new one:\n- mode: 6,\n+ mode: 3,"),
        "{failed}"
    );
    // A comparison on each side that ignores `mode` lets only the bytes fail.
    let failed = verify_ping_pong_with::<v1::Tmr, broken::TmrClamps, _, _>(
        &old,
        |a, b| a.count == b.count,
        |a, b| a.count == b.count,
    )
    .unwrap_err();
    assert_eq!(failed.failures().len(), 1, "{failed}");
}

#[test]
fn releases_that_cannot_meet_are_refused() {
    let failed = verify_ping_pong::<v3::Tmr, v1::Tmr>(&current()).unwrap_err();
    assert_eq!(
        failed.failures()[0].message,
        "the new release loads versions 1 to 1, not the old release's version 3"
    );
    let failed = verify_ping_pong::<v1::Tmr, broken::LateTest>(&v1::Tmr::default()).unwrap_err();
    assert!(
        failed.failures()[0]
            .message
            .starts_with("the releases have different names, `tmr` and `late-test`"),
        "{failed}"
    );
}

// The one call.

#[test]
fn verify_device_runs_round_trips_and_golden_files() {
    let root = scratch("device");
    // Blessed through the explicit API so that the test does not depend on
    // the environment; `verify_device` then only verifies.
    verify_golden_files(&current(), &root, Bless::Missing).unwrap();
    let report = testing::verify_device(&current(), &root);
    assert_eq!(report.passed().len(), 6, "{report:#}");
    assert!(report.is_ok());
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn verify_device_panics_listing_every_failure() {
    let root = scratch("device-broken");
    let dev = broken::LateTest {
        count: 7,
        extra: 1,
        flags: 1,
        model: 5,
    };
    verify_golden_files(&broken::LateTest::default(), &root, Bless::Missing).unwrap();
    let file = golden_file::<broken::LateTest>(&root, 2);
    fs::write(&file, [0, 0, 0]).unwrap();

    let panic = catch_unwind(AssertUnwindSafe(|| testing::verify_device(&dev, &root)))
        .expect_err("a broken device must fail");
    let message = panic
        .downcast_ref::<String>()
        .expect("the panic carries the report")
        .clone();
    assert!(
        message.starts_with("vmstate harness, `late-test`: 2 checks passed, 2 failed\n"),
        "{message}"
    );
    assert!(
        message.contains("FAILED [round trip, version 1]"),
        "{message}"
    );
    assert!(message.contains("FAILED [golden, version 2]"), "{message}");

    let failed = testing::try_verify_device(&dev, &root).unwrap_err();
    assert_eq!(failed.to_string(), message);
    assert_eq!(failed.failures().len(), 2);
    fs::remove_dir_all(&root).unwrap();
}

#[test]
fn the_report_prints_what_passed_in_its_alternate_form() {
    let report = verify_round_trips(&v1::Tmr::default()).unwrap();
    assert_eq!(
        format!("{report}"),
        "vmstate harness, `tmr`: 1 check passed, 0 failed"
    );
    assert_eq!(
        format!("{report:#}"),
        "vmstate harness, `tmr`: 1 check passed, 0 failed\n  ok     round trip, version 1: 6 bytes saved, loaded and saved again"
    );
    assert_eq!(v1::Tmr::VERSION, 1);
}

/// A device that keeps no count by hand and has neither `Clone` nor
/// `PartialEq`: a FIFO behind a derived count, and an atomic.
mod counted {
    use std::collections::VecDeque;
    use std::sync::atomic::AtomicU32;

    use vmstate::VmState;

    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "fifo", version = 1)]
    pub struct Fifo {
        #[vmstate(count_of = bytes)]
        pub len: u8,
        #[vmstate(len = len)]
        pub bytes: VecDeque<u8>,
        pub inner: Inner,
        #[vmstate(count_of = queues)]
        pub queue_count: u8,
        /// Variable arrays of structs with counts of their own: synced
        /// element by element.
        #[vmstate(len = queue_count)]
        pub queues: Vec<Inner>,
    }

    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "fifo-inner", version = 1)]
    pub struct Inner {
        #[vmstate(count_of = words)]
        pub count: u16,
        #[vmstate(len = count)]
        pub words: Vec<u32>,
    }

    #[derive(VmState, Default)]
    #[vmstate(name = "shared", version = 1)]
    pub struct Shared {
        pub hits: AtomicU32,
        #[vmstate(count_of = log)]
        pub log_len: u8,
        #[vmstate(len = log_len)]
        pub log: Vec<u8>,
    }
}

#[test]
fn a_count_that_count_of_derives_need_not_be_kept_by_hand() {
    let fifo = counted::Fifo {
        len: 0,
        bytes: std::collections::VecDeque::from([1, 2, 3]),
        inner: counted::Inner {
            count: 7,
            words: vec![9],
        },
        queue_count: 0,
        queues: vec![counted::Inner {
            count: 0,
            words: vec![1, 2],
        }],
    };
    let report = verify_round_trips(&fifo).unwrap();
    assert_eq!(report.passed().len(), 1, "{report:#}");
    let mut synced = fifo.clone();
    VmState::sync_counts(&mut synced);
    assert_eq!((synced.len, synced.inner.count), (3, 1));
    assert_eq!((synced.queue_count, synced.queues[0].count), (1, 2));
    let loaded: counted::Fifo = vmstate::from_slice(&vmstate::to_vec(&fifo).unwrap(), 1).unwrap();
    assert_eq!(loaded, synced);
}

#[test]
fn a_device_without_clone_or_partial_eq_is_compared_through_the_wire() {
    let shared = counted::Shared {
        hits: std::sync::atomic::AtomicU32::new(41),
        log_len: 0,
        log: vec![5, 6],
    };
    let report = vmstate::testing::verify_round_trips_by_wire(&shared).unwrap();
    assert_eq!(report.passed().len(), 1, "{report:#}");
    let other = counted::Shared {
        hits: std::sync::atomic::AtomicU32::new(41),
        log_len: 2,
        log: vec![5, 6],
    };
    assert!(vmstate::testing::same_wire(&shared, &other));
    other.hits.store(42, std::sync::atomic::Ordering::Relaxed);
    assert!(!vmstate::testing::same_wire(&shared, &other));
}
