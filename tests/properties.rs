//! Property tests: for the QEMU device models and for types like
//! the examples and tests use,
//!
//! - random payload bytes of the right length decode, re-encode to a
//!   canonical form, and the canonical form decodes to the same value;
//! - saving never fails for a representable value, and what was saved at the
//!   current version loads back as the same value;
//! - at every supported version from `MINIMUM_VERSION` to `VERSION`, the
//!   payload saved for that version (and, where the layout is known, a payload
//!   cut by hand to that version's layout) loads at that version;
//! - arrays of fixed-size structs, which save and load through fast paths,
//!   give the bytes, values and errors of saving their elements one by one
//!   and of loading a twin struct one bounds check a field, on cut, flipped
//!   and spliced inputs.
//!
//! Runs are deterministic (a fixed proptest RNG); `PROPTEST_CASES` changes
//! how many cases each property gets.

mod support;

use std::cell::Cell;
use std::fmt::Debug;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
use support::examples::{Card, CardDma, CardDmaExtra, CardIrq, Dev, Irq, Mode, Scalars, Signed};
use support::fixtures;
use vmstate::{Reader, Unused, VmState, from_slice, load_into, to_vec, to_vec_at};

// ---- Running properties ------------------------------------------------------

/// Cases per property: `PROPTEST_CASES`, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A deterministic runner that writes no regression files.
fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// Runs `test` on values of `strategy`; panics with the minimal failing input.
fn check<S: Strategy>(
    name: &str,
    cases: u32,
    strategy: &S,
    test: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S::Value: Debug,
{
    match runner(cases).run(strategy, test) {
        Ok(()) => {}
        Err(TestError::Fail(reason, value)) => {
            panic!("{name}: {reason}\nminimal failing input: {value:?}")
        }
        Err(TestError::Abort(reason)) => panic!("{name}: aborted: {reason}"),
    }
}

// ---- Canonical forms -----------------------------------------------------------

/// `bytes` decode at `T::VERSION` to a value that re-encodes to a canonical
/// form, which decodes to the same value and re-encodes to itself. Returns
/// whether `bytes` decoded at all (validation may refuse them).
fn canonical<T>(bytes: &[u8]) -> Result<bool, TestCaseError>
where
    T: VmState + Default + Clone + PartialEq + Debug,
{
    let Ok(value) = from_slice::<T>(bytes, T::VERSION) else {
        return Ok(false);
    };
    let saved = to_vec(&value).map_err(|e| TestCaseError::fail(format!("save: {e}")))?;
    let again: T = from_slice(&saved, T::VERSION)
        .map_err(|e| TestCaseError::fail(format!("the canonical form does not load: {e}")))?;
    prop_assert_eq!(&again, &value, "the canonical form loads as another value");
    let resaved = to_vec(&again).map_err(|e| TestCaseError::fail(format!("save: {e}")))?;
    prop_assert!(resaved == saved, "the canonical form is not a fixed point");
    Ok(true)
}

/// Every version from `T::MINIMUM_VERSION` to `T::VERSION`: the payload saved
/// for that version, loaded at it into a device like the one that saved it,
/// gives that device back (fields that the version does not carry keep their
/// value, as they do in a receiver of that version). A save that refuses the
/// version (a needed subsection that the version does not know) must say so,
/// not panic.
///
/// `from_slice` would start from `T::default()` instead, which is not always a
/// receiver that can take the payload: `hpet` version 1 has no `num_timers` on
/// the wire, so its timers are counted by the receiver's own.
///
/// Versions in `lossy` need only load: saving for them is known to lose
/// state (see the model tests).
fn every_version<T>(value: &T, lossy: &[u32]) -> Result<(), TestCaseError>
where
    T: VmState + Default + Clone + PartialEq + Debug,
{
    for version in T::MINIMUM_VERSION..=T::VERSION {
        let Ok(saved) = to_vec_at(value, version) else {
            continue;
        };
        let mut receiver = value.clone();
        load_into(&mut receiver, &saved, version).map_err(|e| {
            TestCaseError::fail(format!(
                "the payload saved for version {version} does not load: {e}"
            ))
        })?;
        if !lossy.contains(&version) {
            prop_assert_eq!(&receiver, value, "version {}", version);
        }
    }
    let current = to_vec_at(value, T::VERSION)
        .map_err(|e| TestCaseError::fail(format!("save at the current version: {e}")))?;
    prop_assert!(
        current == to_vec(value).unwrap_or_default(),
        "to_vec_at(VERSION) differs from to_vec"
    );
    Ok(())
}

// ---- QEMU device models ----------------------------------------------------------

/// The length of `T`'s fields on the wire at its current version: the
/// payload of its `Default` value up to the first subsection, if any.
fn fields_len<T: VmState + Default>() -> usize {
    let payload = to_vec(&T::default()).expect("the default value saves");
    (0..payload.len())
        .find(|&at| {
            payload[at] == 0x05
                && payload[at + 2..].starts_with(T::NAME.as_bytes())
                && from_slice::<T>(&payload[..at], T::VERSION).is_ok()
        })
        .unwrap_or(payload.len())
}

/// Random payloads of `T`'s field length, passed through `fixup` (which puts
/// valid values where a model validates its input), must all give canonical
/// values, and those values must survive a save and load at every supported
/// version (but the `lossy` ones).
fn model<T>(name: &str, fixup: fn(&mut Vec<u8>), lossy: &[u32])
where
    T: VmState + Default + Clone + PartialEq + Debug,
{
    let len = fields_len::<T>();
    let cases = cases(if len > 10_000 { 24 } else { 256 });
    let accepted = Cell::new(0u32);
    check(name, cases, &vec(any::<u8>(), len), |mut bytes| {
        fixup(&mut bytes);
        if canonical::<T>(&bytes)? {
            accepted.set(accepted.get() + 1);
            let value: T = from_slice(&bytes, T::VERSION).expect("decoded before");
            every_version(&value, lossy)?;
        }
        Ok(())
    });
    assert_eq!(
        accepted.get(),
        cases,
        "{name}: random payloads of {len} bytes refused"
    );
}

fn no_fixup(_: &mut Vec<u8>) {}

/// Bytes derived from `seed`, to grow a payload deterministically.
fn filler(seed: u8, len: usize) -> impl Iterator<Item = u8> {
    (0..len).map(move |i| {
        seed.wrapping_mul(31)
            .wrapping_add(u8::try_from(i % 251).unwrap_or(0))
    })
}

/// `configuration`: `len` (be32) counts the machine-type bytes that follow;
/// the first byte picks a length up to 63.
fn configuration_fixup(bytes: &mut Vec<u8>) {
    let len = bytes[0] % 64;
    bytes.truncate(0);
    bytes.extend_from_slice(&u32::from(len).to_be_bytes());
    bytes.extend(filler(len, usize::from(len)));
}

/// `hpet`: `num_timers` (offset 24) is validated to 3..=32 and counts the
/// 42-byte timers that follow.
fn hpet_fixup(bytes: &mut Vec<u8>) {
    let timers = 3 + bytes[24] % 30;
    bytes[24] = timers;
    bytes.resize(25, 0);
    bytes.extend(filler(timers, usize::from(timers) * 42));
}

/// `e1000`: its PCI part starts with `version_id` (be32, 0 to the local 2),
/// then 256 bytes of config space, then four interrupt levels (be32, 0 or 1).
#[expect(clippy::ptr_arg, reason = "every fixup has the same signature")]
fn e1000_fixup(bytes: &mut Vec<u8>) {
    let version = bytes[3] % 3;
    put(bytes, 0, &[0, 0, 0, version]);
    for pin in 0..4 {
        let at = 4 + 256 + 4 * pin;
        let level = bytes[at + 3] & 1;
        put(bytes, at, &[0, 0, 0, level]);
    }
}

/// Writes `value` at `at`.
fn put(bytes: &mut [u8], at: usize, value: &[u8]) {
    bytes[at..at + value.len()].copy_from_slice(value);
}

macro_rules! model_tests {
    ($($test:ident: $ty:ty, $fixup:expr, $lossy:expr;)*) => {$(
        #[test]
        fn $test() {
            // Values such as e1000's (200 KiB) are moved around by value: in
            // a debug build that takes more than a test thread's stack.
            std::thread::Builder::new()
                .stack_size(64 << 20)
                .spawn(|| model::<$ty>(stringify!($ty), $fixup, &$lossy))
                .expect("spawns")
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
    )*};
}

model_tests! {
    model_timer: vmstate::qemu::timer::Timers, no_fixup, [];
    model_globalstate: vmstate::qemu::globalstate::GlobalState, no_fixup, [];
    model_rtc: vmstate::qemu::rtc::Rtc, no_fixup, [];
    model_pit: vmstate::qemu::pit::Pit, no_fixup, [];
    model_pic: vmstate::qemu::pic::Pic, no_fixup, [];
    // Version 1 carries the offset in 16 bits: a save for it writes
    // `cur_offset` saturated, so random offsets above 0xffff cannot come back.
    model_fw_cfg: vmstate::qemu::fw_cfg::FwCfg, no_fixup, [1];
    model_ps2kbd: vmstate::qemu::ps2::Ps2Kbd, no_fixup, [];
    model_ps2mouse: vmstate::qemu::ps2::Ps2Mouse, no_fixup, [];
    model_pckbd: vmstate::qemu::pckbd::Pckbd, no_fixup, [];
    model_port92: vmstate::qemu::port92::Port92, no_fixup, [];
    model_pcspk: vmstate::qemu::pcspk::PcSpk, no_fixup, [];
    model_dma: vmstate::qemu::dma::Dma, no_fixup, [];
    model_ioapic: vmstate::qemu::ioapic::IoApic, no_fixup, [];
    model_hpet: vmstate::qemu::hpet::Hpet, hpet_fixup, [];
    model_serial: vmstate::qemu::serial::IsaSerial, no_fixup, [];
    model_e1000: vmstate::qemu::e1000::E1000, e1000_fixup, [];
    model_configuration: vmstate::qemu::configuration::Configuration, configuration_fixup, [];
}

// ---- QEMU models, shaped like the fixtures ----------------------------------------

/// The payloads of the fixtures' sections whose idstr ends in `idstr`.
fn fixture_payloads(idstr: &str) -> Vec<Vec<u8>> {
    use vmstate::stream::{Record, StreamReader};
    let mut found: Vec<Vec<u8>> = Vec::new();
    // The 7.2 streams that have a vmdesc to delimit their sections.
    for fixture in fixtures::in_dir("qemu-7.2")
        .into_iter()
        .filter(|f| !f.is_pre_vmdesc() && !f.is_mapped_ram())
    {
        let bytes = fixture.bytes();
        let mut reader = StreamReader::new(std::io::Cursor::new(bytes)).expect("opens");
        let mut current = None;
        while let Some(record) = reader.next_record().expect("reads") {
            match record {
                Record::Section(header) => current = header.info,
                Record::State { payload, .. } => {
                    let info = current.take().expect("a header before each payload");
                    let short = info.idstr.rsplit('/').next().unwrap_or_default();
                    if short == idstr && !found.contains(&payload) {
                        found.push(payload);
                    }
                }
                _ => {}
            }
        }
    }
    found
}

/// The byte ranges of the subsection headers of `name`'s payload (marker,
/// length, name, version), found by their names.
fn subsection_headers(payload: &[u8], name: &str) -> Vec<std::ops::Range<usize>> {
    (0..payload.len())
        .filter_map(|at| {
            let len = usize::from(*payload.get(at + 1)?);
            let header = at..at + 2 + len + 4;
            (payload[at] == 0x05
                && len > name.len()
                && payload
                    .get(at + 2..at + 2 + len)?
                    .starts_with(name.as_bytes())
                && header.end <= payload.len())
            .then_some(header)
        })
        .collect()
}

/// The fixtures' payloads of `T` (subsections included) with every byte
/// randomised except the subsection headers and the `kept` ranges (counts and
/// validated fields): they decode, and from the first re-encoding on, saving
/// and loading is a fixed point. (The first one need not be: a subsection
/// that the random fields make not needed is dropped, as in QEMU.)
fn model_shaped<T>(idstr: &str, kept: &[(usize, usize)])
where
    T: VmState + Default + Clone + PartialEq + Debug,
{
    let payloads = fixture_payloads(idstr);
    assert!(!payloads.is_empty(), "no fixture has a `{idstr}` section");
    for payload in payloads {
        let mut fixed = vec![false; payload.len()];
        for range in subsection_headers(&payload, T::NAME)
            .into_iter()
            .chain(kept.iter().map(|&(start, len)| start..start + len))
        {
            fixed[range].iter_mut().for_each(|f| *f = true);
        }
        let cases = cases(if payload.len() > 10_000 { 16 } else { 128 });
        let name = format!("{idstr} ({} bytes)", payload.len());
        check(&name, cases, &vec(any::<u8>(), payload.len()), |random| {
            let bytes: Vec<u8> = payload
                .iter()
                .zip(&random)
                .zip(&fixed)
                .map(|((original, random), fixed)| if *fixed { *original } else { *random })
                .collect();
            let value: T = from_slice(&bytes, T::VERSION)
                .map_err(|e| TestCaseError::fail(format!("does not load: {e}")))?;
            let saved = to_vec(&value).map_err(|e| TestCaseError::fail(format!("save: {e}")))?;
            prop_assert!(canonical::<T>(&saved)?, "the re-encoding does not load");
            Ok(())
        });
    }
}

macro_rules! shaped_tests {
    ($($test:ident: $ty:ty, $idstr:literal, $kept:expr;)*) => {$(
        #[test]
        fn $test() {
            std::thread::Builder::new()
                .stack_size(64 << 20)
                .spawn(|| model_shaped::<$ty>($idstr, &$kept))
                .expect("spawns")
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        }
    )*};
}

shaped_tests! {
    shaped_timer: vmstate::qemu::timer::Timers, "timer", [];
    shaped_globalstate: vmstate::qemu::globalstate::GlobalState, "globalstate", [];
    shaped_rtc: vmstate::qemu::rtc::Rtc, "mc146818rtc", [];
    shaped_pit: vmstate::qemu::pit::Pit, "i8254", [];
    shaped_pic: vmstate::qemu::pic::Pic, "i8259", [];
    shaped_fw_cfg: vmstate::qemu::fw_cfg::FwCfg, "fw_cfg", [];
    shaped_ps2kbd: vmstate::qemu::ps2::Ps2Kbd, "ps2kbd", [];
    shaped_ps2mouse: vmstate::qemu::ps2::Ps2Mouse, "ps2mouse", [];
    shaped_pckbd: vmstate::qemu::pckbd::Pckbd, "pckbd", [];
    shaped_port92: vmstate::qemu::port92::Port92, "port92", [];
    shaped_pcspk: vmstate::qemu::pcspk::PcSpk, "pcspk", [];
    shaped_dma: vmstate::qemu::dma::Dma, "dma", [];
    shaped_ioapic: vmstate::qemu::ioapic::IoApic, "ioapic", [];
    // `num_timers` (offset 24) counts the timers.
    shaped_hpet: vmstate::qemu::hpet::Hpet, "hpet", [(24, 1)];
    shaped_serial: vmstate::qemu::serial::IsaSerial, "serial", [];
    // PCI `version_id` and the four interrupt levels are validated.
    shaped_e1000: vmstate::qemu::e1000::E1000, "e1000", [(0, 4), (260, 16)];
}

// ---- Types like the examples' and the tests' ------------------------------------

/// Offsets in a `Scalars` payload (57 bytes).
const SCALARS_LEN: usize = 57;
const SCALARS_REAL: usize = 31;
const SCALARS_MODE: usize = 39;
const SCALARS_SIGNED: usize = 40;

fn scalars() -> impl Strategy<Value = Scalars> {
    (
        (any::<u8>(), any::<i8>(), any::<u16>(), any::<i16>()),
        (any::<u32>(), any::<i32>(), any::<u64>(), any::<i64>()),
        (any::<bool>(), any::<u64>().prop_map(f64::from_bits)),
        (
            prop_oneof![Just(Mode::Off), Just(Mode::On), Just(Mode::Auto)],
            prop_oneof![Just(Signed::Minus), Just(Signed::Plus)],
            any::<u32>().prop_map(Irq),
            any::<[[u16; 2]; 2]>(),
        ),
    )
        .prop_map(
            |((u, i, w, sw), (d, sd, q, sq), (flag, real), (mode, signed, irq, grid))| Scalars {
                u,
                i,
                w,
                sw,
                d,
                sd,
                q,
                sq,
                flag,
                real,
                mode,
                signed,
                irq,
                pad: Unused,
                grid,
            },
        )
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "prop-entry", version = 1)]
struct Entry {
    addr: u64,
    len: u16,
}

/// Variable arrays, of structs and of bytes (as in `tests/field_types.rs`).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "prop-queue", version = 1)]
struct Queue {
    count: u32,
    #[vmstate(len = count)]
    entries: Vec<Entry>,
    nbytes: u8,
    #[vmstate(len = nbytes)]
    bytes: Box<[u8]>,
}

fn queue() -> impl Strategy<Value = Queue> {
    (
        vec((any::<u64>(), any::<u16>()), 0..12),
        vec(any::<u8>(), 0..=255),
    )
        .prop_map(|(entries, bytes)| Queue {
            count: u32::try_from(entries.len()).unwrap_or(u32::MAX),
            entries: entries
                .into_iter()
                .map(|(addr, len)| Entry { addr, len })
                .collect(),
            nbytes: u8::try_from(bytes.len()).unwrap_or(u8::MAX),
            bytes: bytes.into_boxed_slice(),
        })
}

fn dev() -> impl Strategy<Value = Dev> {
    (
        any::<u8>(),
        any::<u16>(),
        any::<u32>(),
        any::<u8>(),
        any::<u64>(),
    )
        .prop_map(|(a, b, c, d, host_only)| Dev {
            a,
            b,
            c,
            d,
            host_only,
        })
}

/// A struct that inlines `Card` and its nested subsections.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "prop-board", version = 1)]
struct Board {
    card: Card,
    tail: u8,
}

fn card() -> impl Strategy<Value = Card> {
    (any::<u8>(), any::<u8>(), any::<u32>(), any::<u16>()).prop_map(|(reg, level, addr, flags)| {
        Card {
            reg,
            irq: CardIrq { level },
            dma: CardDma {
                addr,
                extra: CardDmaExtra { flags },
            },
        }
    })
}

/// The design contract's RTC: `since` fields at the end, then a subsection.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "prop-rtc", version = 3, minimum_version = 1)]
struct Rtc {
    cmos_data: [u8; 128],
    cmos_index: u8,
    gap1: Unused<28>,
    periodic_timer: i64,
    next_periodic_time: i64,
    gap2: Unused<24>,
    #[vmstate(since = 2)]
    irq_coalesced: u32,
    #[vmstate(since = 2)]
    period: u32,
    #[vmstate(since = 3)]
    #[expect(clippy::struct_field_names, reason = "QEMU's field name")]
    base_rtc: u64,
    #[vmstate(since = 3)]
    last_update: u64,
    #[vmstate(since = 3)]
    offset: i64,
    #[vmstate(since = 3)]
    update_timer: i64,
    #[vmstate(since = 3)]
    next_alarm_time: u64,
    #[subsection(needed = Rtc::reinject_needed)]
    reinject: RtcReinject,
}

impl Default for Rtc {
    fn default() -> Self {
        Self {
            cmos_data: [0; 128],
            cmos_index: 0,
            gap1: Unused,
            periodic_timer: -1,
            next_periodic_time: 0,
            gap2: Unused,
            irq_coalesced: 0,
            period: 0,
            base_rtc: 0,
            last_update: 0,
            offset: 0,
            update_timer: -1,
            next_alarm_time: 0,
            reinject: RtcReinject::default(),
        }
    }
}

impl Rtc {
    fn reinject_needed(&self) -> bool {
        self.reinject.irq_reinject_on_ack_count != 0
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "prop-rtc/irq_reinject_on_ack_count", version = 1)]
struct RtcReinject {
    irq_reinject_on_ack_count: u16,
}

/// Where each version's fields end in an `Rtc` payload.
const RTC_V1_LEN: usize = 128 + 1 + 28 + 8 + 8 + 24;
const RTC_V2_LEN: usize = RTC_V1_LEN + 4 + 4;
const RTC_V3_LEN: usize = RTC_V2_LEN + 5 * 8;

fn rtc() -> impl Strategy<Value = Rtc> {
    (
        vec(any::<u8>(), 128),
        any::<u8>(),
        any::<[i64; 2]>(),
        any::<[u32; 2]>(),
        any::<[u64; 5]>(),
        any::<u16>(),
    )
        .prop_map(|(cmos, cmos_index, timers, v2, v3, reinject)| Rtc {
            cmos_data: cmos.try_into().unwrap_or([0; 128]),
            cmos_index,
            periodic_timer: timers[0],
            next_periodic_time: timers[1],
            irq_coalesced: v2[0],
            period: v2[1],
            base_rtc: v3[0],
            last_update: v3[1],
            offset: i64::from_be_bytes(v3[2].to_be_bytes()),
            update_timer: i64::from_be_bytes(v3[3].to_be_bytes()),
            next_alarm_time: v3[4],
            reinject: RtcReinject {
                irq_reinject_on_ack_count: reinject,
            },
            ..Rtc::default()
        })
}

/// Saves `value` at its current version (which must not fail), loads it, and
/// compares with `expected`: `value` with what is not on the wire at its
/// default. Compares payloads too, which also covers NaNs.
fn saves_and_loads<T>(value: &T, expected: &T) -> Result<(), TestCaseError>
where
    T: VmState + Default + Clone + PartialEq + Debug,
{
    let saved = to_vec(value).map_err(|e| TestCaseError::fail(format!("save: {e}")))?;
    let loaded: T =
        from_slice(&saved, T::VERSION).map_err(|e| TestCaseError::fail(format!("load: {e}")))?;
    prop_assert!(
        to_vec(&loaded).ok() == Some(saved),
        "the loaded value saves differently"
    );
    prop_assert_eq!(&loaded, expected);
    Ok(())
}

#[test]
fn scalars_round_trip_and_random_bytes_are_canonical() {
    check("Scalars values", cases(256), &scalars(), |value| {
        if value.real.is_nan() {
            // A NaN is not equal to itself: compare the payloads only.
            let saved = to_vec(&value).map_err(|e| TestCaseError::fail(format!("save: {e}")))?;
            let loaded: Scalars =
                from_slice(&saved, 1).map_err(|e| TestCaseError::fail(format!("load: {e}")))?;
            prop_assert!(to_vec(&loaded).ok() == Some(saved), "a NaN changed");
            return Ok(());
        }
        saves_and_loads(&value, &value)?;
        every_version(&value, &[])
    });
    check(
        "Scalars payloads",
        cases(256),
        &vec(any::<u8>(), SCALARS_LEN),
        |mut bytes| {
            // Valid discriminants, and no NaN (not equal to itself).
            bytes[SCALARS_MODE] = [0, 1, 7][usize::from(bytes[SCALARS_MODE] % 3)];
            let signed: i16 = if bytes[SCALARS_SIGNED] % 2 == 0 {
                -2
            } else {
                300
            };
            put(&mut bytes, SCALARS_SIGNED, &signed.to_be_bytes());
            let real =
                u64::from_be_bytes(bytes[SCALARS_REAL..SCALARS_REAL + 8].try_into().unwrap());
            if f64::from_bits(real).is_nan() {
                put(&mut bytes, SCALARS_REAL, &0u64.to_be_bytes());
            }
            prop_assert!(canonical::<Scalars>(&bytes)?, "refused");
            Ok(())
        },
    );
}

#[test]
fn variable_arrays_round_trip_and_refuse_wrong_counts() {
    check("Queue values", cases(256), &queue(), |value| {
        saves_and_loads(&value, &value)?;
        // A count that disagrees with the array is a save error, not a panic.
        let mut wrong = value.clone();
        wrong.count = wrong.count.wrapping_add(1);
        let error = to_vec(&wrong).expect_err("a wrong count saves");
        prop_assert!(
            matches!(
                error.kind(),
                Some(vmstate::ErrorKind::LengthMismatch { .. })
            ),
            "{}",
            error
        );
        Ok(())
    });
    check(
        "Queue payloads",
        cases(256),
        &(0u32..12, vec(any::<u8>(), 12 * 10 + 1 + 255)),
        |(count, random)| {
            // count, `count` entries of 10 bytes, nbytes, `nbytes` bytes.
            let entries = usize::try_from(count).unwrap_or(0) * 10;
            let nbytes = random[entries];
            let mut bytes = count.to_be_bytes().to_vec();
            bytes.extend_from_slice(&random[..entries]);
            bytes.push(nbytes);
            bytes.extend_from_slice(&random[entries + 1..entries + 1 + usize::from(nbytes)]);
            prop_assert!(canonical::<Queue>(&bytes)?, "refused");
            Ok(())
        },
    );
}

#[test]
fn dev_loads_each_version_from_its_own_layout() {
    check("Dev values", cases(256), &dev(), |value| {
        let mut expected = value.clone();
        expected.host_only = 0;
        if !value.has_d(3) {
            expected.d = 0;
        }
        saves_and_loads(&value, &expected)?;
        every_version(&value, &[])?;
        for version in 1..=3 {
            // The layout by hand: `a`, then `b` from 2, `c` from 3, then
            // `d` when `a` is odd.
            let mut payload = vec![value.a];
            let mut expected = Dev {
                a: value.a,
                ..Dev::default()
            };
            if version >= 2 {
                payload.extend_from_slice(&value.b.to_be_bytes());
                expected.b = value.b;
            }
            if version >= 3 {
                payload.extend_from_slice(&value.c.to_be_bytes());
                expected.c = value.c;
            }
            if value.a % 2 == 1 {
                payload.push(value.d);
                expected.d = value.d;
            }
            let loaded: Dev = from_slice(&payload, version)
                .map_err(|e| TestCaseError::fail(format!("version {version}: {e}")))?;
            prop_assert_eq!(&loaded, &expected, "version {}", version);
            prop_assert!(
                to_vec_at(&value, version).ok() == Some(payload),
                "to_vec_at({}) differs from the layout",
                version
            );
        }
        Ok(())
    });
    check(
        "Dev payloads",
        cases(256),
        &vec(any::<u8>(), 8),
        |mut bytes| {
            bytes[0] |= 1; // `d` on the wire: 8 bytes.
            prop_assert!(canonical::<Dev>(&bytes)?, "refused");
            Ok(())
        },
    );
}

#[test]
fn nested_subsections_round_trip_inline_too() {
    check("Card values", cases(256), &card(), |card| {
        saves_and_loads(&card, &card)?;
        every_version(&card, &[])?;
        let board = Board { card, tail: 0x05 };
        saves_and_loads(&board, &board)
    });
}

#[test]
fn rtc_loads_each_version_from_a_cut_payload() {
    check("Rtc values", cases(256), &rtc(), |value| {
        saves_and_loads(&value, &value)?;
        every_version(&value, &[])?;
        let current = to_vec(&value).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let subsections = &current[RTC_V3_LEN..];
        for (version, fields_end) in [(1, RTC_V1_LEN), (2, RTC_V2_LEN)] {
            // Version 1 and 2 payloads are the current one without the later
            // fields: they come last, before the subsection.
            let mut cut = current[..fields_end].to_vec();
            cut.extend_from_slice(subsections);
            let loaded: Rtc = from_slice(&cut, version)
                .map_err(|e| TestCaseError::fail(format!("version {version}: {e}")))?;
            let mut expected = value.clone();
            if version < 2 {
                expected.irq_coalesced = 0;
                expected.period = 0;
            }
            expected.base_rtc = 0;
            expected.last_update = 0;
            expected.offset = 0;
            expected.update_timer = -1;
            expected.next_alarm_time = 0;
            prop_assert_eq!(&loaded, &expected, "version {}", version);
            prop_assert!(
                to_vec_at(&value, version).ok() == Some(cut),
                "to_vec_at({}) differs from the cut payload",
                version
            );
        }
        Ok(())
    });
    check(
        "Rtc payloads",
        cases(256),
        &vec(any::<u8>(), RTC_V3_LEN),
        |bytes| {
            prop_assert!(canonical::<Rtc>(&bytes)?, "refused");
            Ok(())
        },
    );
}

// ---- Arrays of fixed-size structs ----------------------------------------------

/// `Scalars` with its first field behind an `exists` test that always holds:
/// the same wire layout, but no fixed size, so it saves through `save_field`
/// and loads one bounds check a field. The reference for `Scalars`' fast
/// paths (`save_fixed`, `fields_head`).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "scalars", version = 1)]
struct ScalarsByField {
    #[vmstate(exists = ScalarsByField::always)]
    u: u8,
    i: i8,
    w: u16,
    sw: i16,
    d: u32,
    sd: i32,
    q: u64,
    sq: i64,
    flag: bool,
    real: f64,
    mode: Mode,
    signed: Signed,
    irq: Irq,
    pad: Unused<3>,
    grid: [[u16; 2]; 2],
}

impl ScalarsByField {
    #[allow(clippy::unused_self, reason = "the signature of an `exists` test")]
    fn always(&self, _version: u32) -> bool {
        true
    }
}

/// Bytes that load as `Scalars` arrays often but not always: saved elements,
/// then cut, flipped, or with a subsection header spliced in after an element
/// (one that claims `scalars`, or one that does not).
fn scalar_array_bytes() -> impl Strategy<Value = (Vec<Scalars>, Vec<u8>)> {
    (vec(scalars(), 0..6), any::<usize>(), any::<u8>(), 0..7u8).prop_map(
        |(values, at, byte, edit)| {
            let mut bytes: Vec<u8> = values.iter().flat_map(|v| to_vec(v).unwrap()).collect();
            // Edits 5 and 6 go between elements, where the fast path looks
            // for a subsection; the others anywhere.
            let boundary = at % (values.len() + 1) * 57;
            let at = at.checked_rem(bytes.len()).unwrap_or(0);
            match edit {
                5 => drop(bytes.splice(boundary..boundary, *b"\x05\x0cscalars/none\0\0\0\x01")),
                6 => drop(bytes.splice(boundary..boundary, *b"\x05\x05other\0\0\0\x01")),
                0 => bytes.truncate(at),
                1 if !bytes.is_empty() => bytes[at] = byte,
                2 => drop(bytes.splice(at..at, *b"\x05\x0cscalars/none\0\0\0\x01")),
                3 => drop(bytes.splice(at..at, *b"\x05\x05other\0\0\0\x01")),
                _ => {}
            }
            (values, bytes)
        },
    )
}

#[test]
fn fixed_size_struct_arrays_match_loading_one_by_one() {
    check(
        "Scalars arrays",
        cases(512),
        &scalar_array_bytes(),
        |(values, bytes)| {
            let n = values.len();
            // Save: the bytes of the elements saved one by one.
            let mut saved = Vec::new();
            <Scalars as vmstate::VmStateField>::save_slice(&values, &mut saved)
                .map_err(|e| TestCaseError::fail(format!("save: {e}")))?;
            let one_by_one: Vec<u8> = values.iter().flat_map(|v| to_vec(v).unwrap()).collect();
            prop_assert!(
                saved == one_by_one,
                "save_slice differs from one-by-one saves"
            );
            // Load: the same values, errors and end as the field-by-field twin.
            let mut fast = vec![Scalars::default(); n];
            let mut fast_reader = Reader::new(&bytes);
            let fast_result =
                <Scalars as vmstate::VmStateField>::load_slice(&mut fast, &mut fast_reader);
            let mut slow = vec![ScalarsByField::default(); n];
            let mut slow_reader = Reader::new(&bytes);
            let slow_result =
                <ScalarsByField as vmstate::VmStateField>::load_slice(&mut slow, &mut slow_reader);
            prop_assert_eq!(
                fast_result.as_ref().map_err(ToString::to_string),
                slow_result.as_ref().map_err(ToString::to_string)
            );
            // Where a failed load leaves the reader is unspecified; a load that
            // succeeds ends where the one-by-one load does.
            if fast_result.is_ok() {
                prop_assert_eq!(fast_reader.offset(), slow_reader.offset());
            }
            // NaN != NaN: compare the saved forms.
            prop_assert!(
                fast.iter()
                    .map(|v| to_vec(v).unwrap())
                    .eq(slow.iter().map(|v| to_vec(v).unwrap())),
                "different values loaded"
            );
            Ok(())
        },
    );
}
