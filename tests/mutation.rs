//! Deterministic mutation test (a load is total): seeded
//! bit flips, truncations, inserted and deleted bytes and bogus lengths over
//! the real QEMU 7.2 fixtures, fed to every public load entry point.
//!
//! - (a) every modelled section payload of every fixture, through the model's
//!   `decode` fn (`vmstate::qemu::MODELS`), `from_slice` and `load_into`
//!   (which must leave the device unchanged on error);
//! - (b) a small stream cut down from `pc-ran` (a few RAM pages, the device
//!   sections with small descriptions, EOF and a matching vmdesc), read record
//!   by record with and without a model delimiter, every FULL section decoded
//!   against the vmdesc and by its model;
//! - (c) `Vmdesc::parse` on mutated JSON, and every description that parses
//!   decoded against the fixture's payloads.
//!
//! Every input must give `Ok` or `Err`: a panic (caught with `catch_unwind`),
//! any single allocation above [`ALLOC_LIMIT`] (a guarding global allocator),
//! or an input that takes longer than [`SLOW_CASE`] fails the test with the
//! target, the case seed and, for panics and allocations, a minimised input.
//! A watchdog ends the process, naming the case, if one hangs.
//!
//! `VMSTATE_MUTATION_SCALE=N` runs N times as many cases (default 1).

// A global allocator is `unsafe impl` by definition; it only watches sizes and
// forwards every call unchanged to the system allocator.
#![allow(unsafe_code)]

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::fmt::Debug;
use std::io::Cursor;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

use support::fixtures;

use vmstate::qemu::{ForPayload, MODELS};
use vmstate::stream::{
    Record, SectionInfo, SectionKind, StreamReader, StreamWriter, Vmdesc, decode,
};
use vmstate::{VmState, from_slice, load_into};

// ---- Guarding allocator ----------------------------------------------------

/// The largest single allocation any input may cause.
const ALLOC_LIMIT: usize = 64 << 20;
/// Above this, the allocation is refused (the process aborts) rather than
/// made, after the allocator prints the case that asked for it.
const ALLOC_REFUSE: usize = 1 << 30;

struct Guard;

thread_local! {
    /// The largest allocation this thread made since the last reset.
    static LARGEST: Cell<usize> = const { Cell::new(0) };
    /// The case this thread is running: target number and seed.
    static CASE: Cell<(u32, u64)> = const { Cell::new((0, 0)) };
}

/// Records an allocation of `size` bytes; false when it must be refused.
fn admit(size: usize) -> bool {
    // `try_with`: the slots may be gone while the thread exits.
    let _ = LARGEST.try_with(|largest| largest.set(largest.get().max(size)));
    if size <= ALLOC_REFUSE {
        return true;
    }
    let (target, seed) = CASE.try_with(Cell::get).unwrap_or((u32::MAX, 0));
    // `eprintln!` formats straight into the unbuffered stderr: no allocation.
    eprintln!(
        "mutation: refusing an allocation of {size} bytes (target {target}, seed {seed:#018x})"
    );
    false
}

// SAFETY: every method forwards to `System` with the caller's own arguments,
// or returns null (allowed: it reports allocation failure); the bookkeeping
// uses const-initialised thread-local `Cell`s without destructors, which never
// allocate.
unsafe impl GlobalAlloc for Guard {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if !admit(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if !admit(layout.size()) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if !admit(new_size) {
            return std::ptr::null_mut();
        }
        // SAFETY: as above; `ptr` and `layout` come from this allocator,
        // which is `System`'s.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Guard = Guard;

// ---- Deterministic randomness ----------------------------------------------

/// xorshift64*: small, fast and good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        // splitmix64 of the seed, so that neighbouring seeds diverge at once.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Self((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap_or(0)
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    fn byte(&mut self) -> u8 {
        self.next().to_le_bytes()[0]
    }
}

// ---- Mutations -------------------------------------------------------------

/// Values that make lengths and counts lie.
const BOGUS_32: [u32; 10] = [
    u32::MAX,
    0x7fff_ffff,
    0x8000_0000,
    0x0100_0000,
    0x0001_0000,
    0xffff,
    0x1000,
    256,
    0,
    1,
];
const BOGUS_64: [u64; 7] = [u64::MAX, 1 << 63, 1 << 40, 1 << 32, 0xffff_f000, 0, 0x1000];
const BOGUS_8: [u8; 8] = [0xff, 0x80, 0x7f, 0x00, 0x01, 0x05, 0x7e, 0x20];

/// Applies one to three random mutations to `input`. `hot` are offsets where
/// lengths, counts and record types live (may be empty): half the mutations
/// land near one of them.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, hot: &[usize]) {
    let rounds = 1 + rng.below(3);
    for _ in 0..rounds {
        let len = input.len();
        let pos = if !hot.is_empty() && rng.chance(2) {
            (rng.pick(hot) + rng.below(14)).min(len)
        } else {
            rng.below(len + 1)
        };
        match rng.below(10) {
            // Bit flips.
            0 | 1 => {
                for _ in 0..=rng.below(4) {
                    if !input.is_empty() {
                        let at = if rng.chance(2) {
                            pos.min(len - 1)
                        } else {
                            rng.below(len)
                        };
                        input[at] ^= 1 << rng.below(8);
                    }
                }
            }
            // A byte set to an interesting or random value.
            2 => {
                if pos < len {
                    input[pos] = if rng.chance(2) {
                        rng.pick(&BOGUS_8)
                    } else {
                        rng.byte()
                    };
                }
            }
            // Truncation.
            3 => input.truncate(pos),
            // Inserted bytes.
            4 => {
                let most = if rng.chance(4) { 64 } else { 8 };
                let count = 1 + rng.below(most);
                let bytes: Vec<u8> = (0..count)
                    .map(|_| {
                        if rng.chance(2) {
                            rng.pick(&BOGUS_8)
                        } else {
                            rng.byte()
                        }
                    })
                    .collect();
                input.splice(pos..pos, bytes);
            }
            // Deleted bytes.
            5 => {
                let most = if rng.chance(4) { 64 } else { 8 };
                let count = 1 + rng.below(most);
                input.drain(pos..(pos + count).min(len));
            }
            // Bogus be32 length or count.
            6 | 7 => {
                let value = if rng.chance(4) {
                    u32::try_from(len.saturating_add(rng.below(3)).saturating_sub(1))
                        .unwrap_or(u32::MAX)
                } else {
                    rng.pick(&BOGUS_32)
                };
                overwrite(input, pos, &value.to_be_bytes());
            }
            // Bogus u8 or be16 length or count.
            8 => {
                if rng.chance(2) {
                    overwrite(input, pos, &[rng.pick(&BOGUS_8)]);
                } else {
                    let value = rng.pick(&[u16::MAX, 0x8000, 0x0100, 0]);
                    overwrite(input, pos, &value.to_be_bytes());
                }
            }
            // Bogus be64, or a duplicated chunk (a repeated subsection).
            _ => {
                if rng.chance(2) {
                    overwrite(input, pos, &rng.pick(&BOGUS_64).to_be_bytes());
                } else if pos < len {
                    let count = 1 + rng.below(32);
                    let chunk = input[pos..(pos + count).min(len)].to_vec();
                    let at = rng.below(len + 1);
                    input.splice(at..at, chunk);
                }
            }
        }
    }
}

/// Overwrites from `pos`, as far as `input` reaches.
fn overwrite(input: &mut [u8], pos: usize, bytes: &[u8]) {
    for (slot, byte) in input.iter_mut().skip(pos).zip(bytes) {
        *slot = *byte;
    }
}

// ---- Running cases ---------------------------------------------------------

/// An input that takes longer than this is a failure (a hang in the making).
const SLOW_CASE: Duration = Duration::from_secs(2);
/// How long a failing input is minimised at most.
const MINIMISE_FOR: Duration = Duration::from_secs(10);
/// A case that runs this long makes the watchdog end the process.
const HUNG_CASE: Duration = Duration::from_secs(30);

/// How many times the default number of cases to run.
fn scale() -> usize {
    std::env::var("VMSTATE_MUTATION_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
}

/// What one case of a target found.
enum Outcome {
    Fine,
    Panicked(String),
    Allocated(usize),
}

/// Runs `check` on `input` with the allocation watch on, catching panics.
fn run_case(input: &[u8], seed: u64, check: &Check) -> Outcome {
    LARGEST.with(|largest| largest.set(0));
    let result = catch_unwind(AssertUnwindSafe(|| check(input, seed)));
    let largest = LARGEST.with(Cell::get);
    match result {
        Err(payload) => Outcome::Panicked(panic_message(&*payload)),
        Ok(()) if largest > ALLOC_LIMIT => Outcome::Allocated(largest),
        Ok(()) => Outcome::Fine,
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(non-text panic)".to_owned())
}

/// Silences the panic hook while failing inputs are minimised, so that the
/// report is not buried under hundreds of panic messages.
static QUIET: AtomicU64 = AtomicU64::new(0);
static HOOK: Once = Once::new();

fn install_hook() {
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.load(Ordering::Relaxed) == 0 {
                default(info);
            }
        }));
    });
}

/// Removes chunks of `input` while `check` still fails the same way.
/// Gives up after [`MINIMISE_FOR`], keeping the watchdog quiet meanwhile.
fn minimise(input: &[u8], seed: u64, check: &Check, slot: usize) -> Vec<u8> {
    let fails = |candidate: &[u8]| !matches!(run_case(candidate, seed, check), Outcome::Fine);
    let deadline = Instant::now() + MINIMISE_FOR;
    QUIET.fetch_add(1, Ordering::Relaxed);
    let mut best = input.to_vec();
    let mut chunk = best.len().div_ceil(2).max(1);
    while Instant::now() < deadline {
        let mut start = 0;
        let mut removed = false;
        while start < best.len() && Instant::now() < deadline {
            beat(slot, "minimising", seed);
            let mut candidate = best.clone();
            candidate.drain(start..(start + chunk).min(best.len()));
            if fails(&candidate) {
                best = candidate;
                removed = true;
            } else {
                start += chunk;
            }
        }
        if !removed {
            if chunk == 1 {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
    }
    QUIET.fetch_sub(1, Ordering::Relaxed);
    best
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// One heartbeat slot per running target, watched by the watchdog thread.
struct Beat {
    target: String,
    seed: u64,
    since: Instant,
}

static BEATS: Mutex<Vec<Option<Beat>>> = Mutex::new(Vec::new());
static WATCHDOG: Once = Once::new();

fn start_watchdog() {
    WATCHDOG.call_once(|| {
        std::thread::spawn(|| {
            loop {
                std::thread::sleep(Duration::from_millis(500));
                let beats = BEATS
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                for beat in beats.iter().flatten() {
                    if beat.since.elapsed() > HUNG_CASE {
                        eprintln!(
                            "mutation: `{}` seed {:#018x} has run for {:?}: hung",
                            beat.target,
                            beat.seed,
                            beat.since.elapsed()
                        );
                        std::process::exit(101);
                    }
                }
            }
        });
    });
}

fn beat(slot: usize, target: &str, seed: u64) {
    let mut beats = BEATS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    beats[slot] = Some(Beat {
        target: target.to_owned(),
        seed,
        since: Instant::now(),
    });
}

/// What a target does with one mutated input; the case seed lets it make
/// further random choices (a version, say) that the seed reproduces.
type Check = dyn Fn(&[u8], u64) + Sync;

/// How a target mutates its seed input.
type Mutator = fn(&mut Rng, &mut Vec<u8>, &[usize]);

/// A set of inputs and what to do with each.
struct Target {
    name: String,
    seed_input: Vec<u8>,
    hot: Vec<usize>,
    cases: usize,
    mutate: Mutator,
    check: Box<Check>,
}

/// Runs every target's cases, then fails with a report of every finding.
/// Returns how many inputs were run.
fn run_targets(group: u32, targets: &[Target]) -> usize {
    install_hook();
    start_watchdog();
    let slot = {
        let mut beats = BEATS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        beats.push(None);
        beats.len() - 1
    };
    let mut findings = Vec::new();
    let mut total = 0;
    for (index, target) in targets.iter().enumerate() {
        let started = Instant::now();
        let target_id = group << 16 | u32::try_from(index).unwrap_or(0xffff);
        for case in 0..target.cases {
            let seed = u64::from(target_id) << 32 | case as u64;
            CASE.with(|c| c.set((target_id, seed)));
            beat(slot, &target.name, seed);
            let mut rng = Rng::new(seed);
            let mut input = target.seed_input.clone();
            (target.mutate)(&mut rng, &mut input, &target.hot);
            let start = Instant::now();
            let outcome = run_case(&input, seed, &*target.check);
            let took = start.elapsed();
            total += 1;
            let finding = match outcome {
                Outcome::Fine if took > SLOW_CASE => Some(format!("took {took:?}")),
                Outcome::Fine => None,
                Outcome::Panicked(message) => Some(format!("panicked: {message}")),
                Outcome::Allocated(size) => Some(format!("allocated {size} bytes at once")),
            };
            if let Some(what) = finding {
                let shown = if took > SLOW_CASE {
                    String::new()
                } else {
                    let small = minimise(&input, seed, &*target.check, slot);
                    format!(
                        "; minimised to {} bytes: {}",
                        small.len(),
                        hex(&small[..small.len().min(512)])
                    )
                };
                findings.push(format!(
                    "`{}` seed {seed:#018x} ({} bytes): {what}{shown}",
                    target.name,
                    input.len()
                ));
                if findings.len() >= 10 {
                    break;
                }
            }
        }
        if std::env::var_os("VMSTATE_MUTATION_VERBOSE").is_some() {
            eprintln!(
                "mutation: {} inputs of `{}` in {:?}",
                target.cases,
                target.name,
                started.elapsed()
            );
        }
    }
    BEATS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)[slot] = None;
    assert!(
        findings.is_empty(),
        "{} finding(s):\n{}",
        findings.len(),
        findings.join("\n")
    );
    total
}

// ---- Fixtures --------------------------------------------------------------

/// The streams whose payloads are mutated: every committed fixture but the
/// mapped-ram files (their RAM is outside the records; their devices are
/// `pc-ran`'s) and the streams without a vmdesc (read record by record, they
/// need the models to delimit them), by name and bytes. A payload seen
/// before is mutated once.
fn payload_fixtures() -> Vec<(String, Vec<u8>)> {
    fixtures::all()
        .into_iter()
        .filter(|f| !f.is_mapped_ram() && !f.is_pre_vmdesc())
        .map(|f| (f.id.clone(), f.bytes()))
        .collect()
}

/// Every record of an unmodified stream.
fn records(bytes: &[u8]) -> Vec<Record> {
    let mut reader = StreamReader::new(Cursor::new(bytes)).expect("fixture opens");
    let mut records = Vec::new();
    while let Some(record) = reader.next_record().expect("fixture reads") {
        records.push(record);
    }
    records
}

/// A FULL section of a fixture.
struct Payload {
    info: SectionInfo,
    bytes: Vec<u8>,
}

/// Every FULL section of `stream`, in stream order.
fn payloads(stream: &[u8]) -> Vec<Payload> {
    let mut current = None;
    let mut found = Vec::new();
    for record in records(stream) {
        match record {
            Record::Section(header) if header.kind == SectionKind::Full => current = header.info,
            Record::State { payload, .. } => found.push(Payload {
                info: current.take().expect("a FULL header before each payload"),
                bytes: payload,
            }),
            _ => {}
        }
    }
    found
}

// ---- (a) Payloads ----------------------------------------------------------

/// `from_slice` and `load_into` of `T` on mutated payloads; `load_into` starts
/// from the fixture's own value and must leave it as it was on error.
fn typed_check<T>(original: &[u8], version: u32) -> Box<TypedLoad>
where
    T: VmState + Default + Clone + PartialEq + Debug + Sync + 'static,
{
    let base: T = from_slice(original, version).expect("the fixture payload loads");
    Box::new(move |input, version| {
        let _ = from_slice::<T>(input, version);
        let mut device = base.clone();
        if load_into(&mut device, input, version).is_err() {
            assert!(device == base, "load_into changed the device on error");
        }
    })
}

/// As [`typed_check`], for a model configured from the payload's bytes
/// (`ForPayload`: virtio-pci models by their MSI-X vectors), as the registry
/// does.
fn typed_check_payload<T>(original: &[u8], version: u32) -> Box<TypedLoad>
where
    T: ForPayload + Clone + PartialEq + Debug + Sync + 'static,
{
    let mut base = T::for_payload(original);
    load_into(&mut base, original, version).expect("the fixture payload loads");
    Box::new(move |input, version| {
        let mut device = T::for_payload(input);
        let _ = load_into(&mut device, input, version);
        let mut device = base.clone();
        if load_into(&mut device, input, version).is_err() {
            assert!(device == base, "load_into changed the device on error");
        }
    })
}

/// As [`typed_check`], for `piix4_pm`, whose layout is the one of
/// [`Piix4Pm::LAYOUTS`](vmstate::qemu::acpi_piix4::Piix4Pm::LAYOUTS) that
/// loads the fixture payload, as the registry picks it.
fn typed_check_piix4(original: &[u8], version: u32) -> Box<TypedLoad> {
    use vmstate::qemu::acpi_piix4::Piix4Pm;
    let base = Piix4Pm::LAYOUTS
        .iter()
        .find_map(|&layout| {
            let mut value = Piix4Pm::with_layout(layout);
            load_into(&mut value, original, version)
                .ok()
                .map(|()| value)
        })
        .expect("a piix4_pm layout loads the fixture payload");
    Box::new(move |input, version| {
        let mut device = base.clone();
        if load_into(&mut device, input, version).is_err() {
            assert!(device == base, "load_into changed the device on error");
        }
    })
}

/// Loads a mutated payload at a version, through `from_slice` and `load_into`.
type TypedLoad = dyn Fn(&[u8], u32) + Sync;

type TypedCheck = fn(&[u8], u32) -> Box<TypedLoad>;

macro_rules! typed_models {
    (@check [] $ty:ty) => { typed_check::<$ty> };
    (@check [record] $ty:ty) => { typed_check::<$ty> };
    (@check [virtio] $ty:ty) => { typed_check_payload::<$ty> };
    (@check [payload] $ty:ty) => { typed_check_payload::<$ty> };
    (@check [layouts] $ty:ty) => { typed_check_piix4 };
    ($($idstr:literal $([$kind:ident])? => $($path:ident)::+ $(, $note:literal)?;)*) => {
        /// Every model of the list: its idstr, the versions it loads (two
        /// models share `cpu`: x86's and Arm's), and its typed check.
        const TYPED: &[(&str, std::ops::RangeInclusive<u32>, TypedCheck)] = &[$((
            $idstr,
            <vmstate::qemu::$($path)::+ as VmState>::MINIMUM_VERSION
                ..=<vmstate::qemu::$($path)::+ as VmState>::VERSION,
            typed_models!(@check [$($kind)?] vmstate::qemu::$($path)::+),
        ),)*];
    };
}

/// The typed check of the model registered as `idstr` that loads `version`.
fn typed(idstr: &str, version: u32) -> Option<TypedCheck> {
    TYPED
        .iter()
        .find(|(name, versions, _)| *name == idstr && versions.contains(&version))
        .map(|(_, _, check)| *check)
}

vmstate::qemu_models!(typed_models);

/// Cases for a payload of `len` bytes: small payloads are cheap and dense
/// with lengths and subsections, so they get more.
fn payload_cases(len: usize) -> usize {
    (2_000_000 / (len + 500)).clamp(80, 2_800) * scale()
}

/// Offsets of what look like subsection headers (`0x05`, a length, a printable
/// name with a `/`), where names, lengths and versions are worth breaking.
fn subsection_headers(payload: &[u8]) -> Vec<usize> {
    (0..payload.len())
        .filter(|&at| {
            let len = payload.get(at + 1).map_or(0, |len| usize::from(*len));
            payload[at] == 0x05
                && len > 0
                && payload.get(at + 2..at + 2 + len).is_some_and(|name| {
                    name.iter().all(u8::is_ascii_graphic) && name.contains(&b'/')
                })
        })
        .collect()
}

/// A version to load at: mostly the section's own, sometimes any other.
fn pick_version(rng: &mut Rng, version: u32) -> u32 {
    if rng.chance(6) {
        rng.pick(&[
            0,
            1,
            2,
            3,
            4,
            version.wrapping_sub(1),
            version + 1,
            u32::MAX,
        ])
    } else {
        version
    }
}

fn payload_targets() -> Vec<Target> {
    let mut targets: Vec<Target> = Vec::new();
    let mut seen: Vec<(String, Vec<u8>)> = Vec::new();
    for (name, stream) in payload_fixtures() {
        let mut sections = payloads(&stream);
        // The configuration record, as a payload of its model.
        for record in records(&stream) {
            if let Record::Configuration(configuration) = record {
                sections.push(Payload {
                    info: SectionInfo {
                        idstr: "configuration".into(),
                        instance_id: 0,
                        version_id: 1,
                    },
                    bytes: configuration.payload,
                });
            }
        }
        for section in sections {
            let version = section.info.version_id;
            // The registry's own lookup: `virtio-mmio@.../virtio-blk` is
            // `virtio-mmio/virtio-blk`, and `cpu` is x86's or Arm's by version.
            let model = vmstate::qemu::model_for(&section.info.idstr, version);
            let short = match model {
                Some(model) => model.idstr,
                // The configuration record is no section: its model is not
                // in the registry.
                None if section.info.idstr == "configuration" => "configuration",
                None => continue,
            };
            let Some(typed) = typed(short, version) else {
                continue;
            };
            let key = (short.to_owned(), section.bytes.clone());
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let typed = typed(&section.bytes, version);
            let decode_fn = model.map(|m| m.decode);
            targets.push(Target {
                name: format!(
                    "{name}: payload `{}` (model `{short}` v{version})",
                    section.info.idstr
                ),
                cases: payload_cases(section.bytes.len()),
                hot: subsection_headers(&section.bytes),
                seed_input: section.bytes,
                mutate,
                check: Box::new(move |input, seed| {
                    let mut rng = Rng::new(!seed);
                    let version = pick_version(&mut rng, version);
                    if let Some(decode_fn) = decode_fn {
                        let _ = decode_fn(input, version);
                    }
                    typed(input, version);
                }),
            });
        }
    }
    targets
}

#[test]
fn mutated_payloads_load_or_fail_cleanly() {
    let targets = payload_targets();
    for model in MODELS {
        let idstr = model.idstr;
        assert!(
            TYPED
                .iter()
                .any(|(name, versions, _)| *name == idstr && *versions == model.versions),
            "model `{idstr}` has no typed check"
        );
        assert!(
            targets.iter().any(|t| {
                t.name
                    .split_once(&format!("(model `{idstr}` v"))
                    .and_then(|(_, version)| version.trim_end_matches(')').parse().ok())
                    .is_some_and(|version| model.versions.contains(&version))
            }),
            "no fixture payload for model `{idstr}` (versions {:?})",
            model.versions
        );
    }
    let total = run_targets(1, &targets);
    eprintln!(
        "mutation: {total} payload inputs over {} payloads",
        targets.len()
    );
    assert!(total >= 50_000 * scale(), "{total} payload inputs");
}

// ---- (b) A small stream ----------------------------------------------------

/// The sections of the described small stream: a mix of modelled and
/// unmodelled devices, with structs, struct arrays, subsections, timers and
/// buffers, whose descriptions stay small (the vmdesc is parsed for every
/// input, and that dominates the cost of a case in a debug build).
const DESCRIBED: [(&str, u32); 14] = [
    ("timer", 0),
    ("fw_cfg", 0),
    ("PCIHost", 0),
    ("0000:00:01.0/PIIX3", 0),
    ("i8259", 0),
    ("ioapic", 0),
    ("hpet", 0),
    ("mc146818rtc", 0),
    ("i8254", 0),
    ("pcspk", 0),
    ("ps2kbd", 0),
    ("pckbd", 0),
    ("vmmouse", 0),
    ("globalstate", 0),
];
/// RAM records kept per RAM section part (block list and EOS included).
const RAM_RECORDS: usize = 4;

/// The top-level objects of the JSON array that starts at `json[open]`, as
/// byte ranges. QEMU's JSON has no escapes that matter here, but strings are
/// skipped properly anyway.
fn array_items(json: &[u8], open: usize) -> Vec<std::ops::Range<usize>> {
    let mut items = Vec::new();
    let (mut depth, mut in_string, mut escaped, mut start) = (0usize, false, false, 0);
    for (at, &byte) in json.iter().enumerate().skip(open) {
        if in_string {
            match (escaped, byte) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                if depth == 1 {
                    start = at;
                }
                depth += 1;
            }
            b'}' | b']' => {
                depth -= 1;
                if depth == 1 {
                    items.push(start..at + 1);
                }
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    items
}

/// The vmdesc JSON with only the devices for which `keep` is true.
fn reduced_vmdesc(json: &[u8], keep: impl Fn(&str, u32) -> bool) -> Vec<u8> {
    let key = b"\"devices\": [";
    let open = json
        .windows(key.len())
        .position(|w| w == key)
        .expect("a devices array")
        + key.len()
        - 1;
    let mut out = json[..=open].to_vec();
    let mut first = true;
    for item in array_items(json, open) {
        let object = &json[item];
        let mut single = b"{\"devices\": [".to_vec();
        single.extend_from_slice(object);
        single.extend_from_slice(b"]}");
        let device = &Vmdesc::parse(&single).expect("one device parses").devices[0];
        if keep(&device.name, device.instance_id) {
            if !first {
                out.extend_from_slice(b", ");
            }
            out.extend_from_slice(object);
            first = false;
        }
    }
    out.extend_from_slice(b"]}");
    out
}

/// A small stream from `pc-ran`, with the offsets of its records (where the
/// record types and lengths are).
struct SmallStream {
    bytes: Vec<u8>,
    hot: Vec<usize>,
    vmdesc: Vec<u8>,
}

/// `pc-ran` with a few RAM pages and the FULL sections that `keep` chooses;
/// with a vmdesc that describes exactly those, or with none.
fn small_stream(keep: &dyn Fn(&str, u32) -> bool, with_vmdesc: bool) -> SmallStream {
    let stream = fixtures::bytes("qemu-7.2/pc-ran");
    let all = records(&stream);
    let full_vmdesc = all
        .iter()
        .find_map(|r| match r {
            Record::Vmdesc { json } => Some(json.clone()),
            _ => None,
        })
        .expect("pc-ran has a vmdesc");
    let vmdesc = reduced_vmdesc(&full_vmdesc, keep);
    let mut bytes = StreamWriter::new(Vec::new())
        .expect("writes")
        .finish()
        .expect("flushes");
    let mut hot = vec![0, 4];
    let mut skipping = false;
    let mut ram_records = 0;
    for record in all {
        match &record {
            Record::Section(header) => {
                skipping = header.info.as_ref().is_some_and(|info| {
                    info.idstr != "ram" && !keep(&info.idstr, info.instance_id)
                });
                ram_records = 0;
            }
            Record::Ram(_) => {
                ram_records += 1;
                let eos = matches!(record, Record::Ram(vmstate::stream::RamRecord::Eos));
                if ram_records > RAM_RECORDS && !eos {
                    continue;
                }
            }
            Record::Eof | Record::Configuration(_) => skipping = false,
            Record::Vmdesc { .. } if !with_vmdesc => continue,
            _ => {}
        }
        if skipping {
            continue;
        }
        let record = match record {
            Record::Vmdesc { .. } => Record::Vmdesc {
                json: vmdesc.clone(),
            },
            other => other,
        };
        hot.push(bytes.len());
        let mut writer = StreamWriter::new(Vec::new()).expect("writes");
        writer.write(&record).expect("writes");
        let written = writer.finish().expect("flushes");
        bytes.extend_from_slice(&written[8..]);
    }
    SmallStream { bytes, hot, vmdesc }
}

fn described_stream() -> SmallStream {
    small_stream(
        &|name, instance| DESCRIBED.contains(&(name, instance)),
        true,
    )
}

fn modelled_stream() -> SmallStream {
    small_stream(&|name, _| vmstate::qemu::model(name).is_some(), false)
}

/// Reads every record, with or without the models as delimiter (which decode
/// the sections that the vmdesc does not describe); decodes every FULL
/// payload against the vmdesc. Errors are fine; panics are not.
fn read_stream(input: &[u8], delimit: bool) {
    let reader = StreamReader::new(Cursor::new(input));
    let Ok(reader) = reader else { return };
    let mut reader = if delimit {
        reader.with_delimiter(vmstate::qemu::delimit)
    } else {
        reader
    };
    let vmdesc = reader.vmdesc().cloned();
    let mut current: Option<SectionInfo> = None;
    // Bounded: every record consumes input, and the input is finite.
    for _ in 0..=input.len() {
        let Ok(Some(record)) = reader.next_record() else {
            return;
        };
        match record {
            Record::Section(header) => current = header.info,
            Record::State { payload, offset } => {
                let Some(info) = current.take() else { continue };
                if let Some(device) = vmdesc
                    .as_ref()
                    .and_then(|d| d.device(&info.idstr, info.instance_id))
                {
                    let _ = decode(&device.state, &payload, offset);
                }
            }
            _ => {}
        }
    }
    panic!("the reader returned more records than the input has bytes");
}

/// Reads an unmodified small stream: every record, every payload decoded by
/// the vmdesc (when there is one) and by its model.
fn read_clean(small: &SmallStream) -> (usize, usize) {
    let mut reader = StreamReader::new(Cursor::new(&small.bytes))
        .expect("opens")
        .with_delimiter(vmstate::qemu::delimit);
    let vmdesc = reader.vmdesc().cloned();
    let (mut current, mut sections, mut described) = (None, 0, 0);
    while let Some(record) = reader.next_record().expect("reads") {
        match record {
            Record::Section(header) => current = header.info,
            Record::State { payload, offset } => {
                let info: SectionInfo = current.take().expect("header");
                if let Some(vmdesc) = &vmdesc {
                    let device = vmdesc
                        .device(&info.idstr, info.instance_id)
                        .expect("described");
                    decode(&device.state, &payload, offset).expect("decodes");
                    described += 1;
                }
                sections += 1;
            }
            _ => {}
        }
    }
    (sections, described)
}

#[test]
fn small_streams_are_complete_and_decode() {
    let described = described_stream();
    let (sections, decoded) = read_clean(&described);
    assert_eq!(sections, DESCRIBED.len());
    assert_eq!(decoded, DESCRIBED.len());
    assert!(
        described.bytes.len() < 32 << 10,
        "{} bytes",
        described.bytes.len()
    );
    let modelled = modelled_stream();
    let (sections, decoded) = read_clean(&modelled);
    assert!(sections >= 14, "{sections} modelled sections");
    assert_eq!(decoded, 0, "no vmdesc");
}

#[test]
fn mutated_streams_read_or_fail_cleanly() {
    let described = described_stream();
    let modelled = modelled_stream();
    let targets = vec![
        Target {
            name: "small described pc-ran stream".into(),
            seed_input: described.bytes,
            hot: described.hot,
            cases: 6_000 * scale(),
            mutate,
            // Half the inputs with the models as delimiter, as `vmstate
            // inspect` reads streams.
            check: Box::new(|input, seed| read_stream(input, seed % 2 == 0)),
        },
        Target {
            name: "small pc-ran stream of modelled sections, no vmdesc".into(),
            seed_input: modelled.bytes,
            hot: modelled.hot,
            cases: 10_000 * scale(),
            mutate,
            check: Box::new(|input, _| read_stream(input, true)),
        },
    ];
    let total = run_targets(2, &targets);
    eprintln!("mutation: {total} stream inputs");
    assert!(total >= 16_000 * scale());
}

// ---- (c) vmdesc JSON -------------------------------------------------------

/// JSON-aware mutations on top of the byte-level ones: numbers replaced with
/// extreme values, keys added, values swapped, deep nesting.
fn mutate_json(rng: &mut Rng, json: &mut Vec<u8>) {
    const NUMBERS: [&str; 12] = [
        "0",
        "1",
        "-1",
        "255",
        "4294967295",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
        "1e308",
        "0.5",
        "1000000000000",
        "65536",
    ];
    const VALUES: [&str; 8] = [
        "null",
        "[]",
        "{}",
        "\"\"",
        "true",
        "\"struct\"",
        "[{}]",
        "0",
    ];
    const KEYS: [&str; 8] = [
        "\"array_len\": ",
        "\"size\": ",
        "\"index\": ",
        "\"version\": ",
        "\"instance_id\": ",
        "\"page_size\": ",
        "\"fields\": ",
        "\"subsections\": ",
    ];
    let find = |json: &[u8], rng: &mut Rng, pred: &dyn Fn(u8) -> bool| -> Option<usize> {
        let start = rng.below(json.len() + 1);
        (start..json.len())
            .chain(0..start)
            .find(|&at| pred(json[at]))
    };
    match rng.below(6) {
        // A number replaced.
        0 | 1 => {
            if let Some(at) = find(json, rng, &|b| b.is_ascii_digit()) {
                let end = (at..json.len())
                    .find(|&i| !json[i].is_ascii_digit())
                    .unwrap_or(json.len());
                let number = rng.pick(&NUMBERS);
                json.splice(at..end, number.bytes());
            }
        }
        // A key with an extreme or odd value added to an object.
        2 | 3 => {
            if let Some(at) = find(json, rng, &|b| b == b'{') {
                let value = if rng.chance(3) {
                    rng.pick(&VALUES)
                } else {
                    rng.pick(&NUMBERS)
                };
                let text = format!("{}{value}, ", rng.pick(&KEYS));
                json.splice(at + 1..=at, text.bytes());
            }
        }
        // A value after a colon replaced.
        4 => {
            if let Some(at) = find(json, rng, &|b| b == b':') {
                let end = (at + 1..json.len())
                    .find(|&i| matches!(json[i], b',' | b'}'))
                    .unwrap_or(json.len());
                json.splice(at + 1..end, rng.pick(&VALUES).bytes());
            }
        }
        // Nesting: an object repeated inside itself, or deep brackets.
        _ => {
            if rng.chance(2) {
                let depth = rng.pick(&[70, 200, 5000]);
                let at = rng.below(json.len() + 1);
                let deep = "[".repeat(depth) + &"]".repeat(depth);
                json.splice(at..at, deep.bytes());
            } else if let Some(at) = find(json, rng, &|b| b == b'{') {
                let depth = rng.pick(&[3, 66, 130]);
                let mut wrapped = String::new();
                for _ in 0..depth {
                    wrapped.push_str(
                        "{\"name\": \"n\", \"type\": \"struct\", \"size\": 0, \"array_len\": 65536, \"struct\": {\"fields\": [",
                    );
                }
                wrapped.push_str("{\"name\": \"x\", \"type\": \"uint8\", \"size\": 0}");
                for _ in 0..depth {
                    wrapped.push_str("]}}");
                }
                wrapped.push_str(", ");
                // Into the first "fields": [ after the object start.
                let key = b"\"fields\": [";
                if let Some(rel) = json[at..].windows(key.len()).position(|w| w == key) {
                    let insert = at + rel + key.len();
                    json.splice(insert..insert, wrapped.bytes());
                }
            }
        }
    }
}

/// Parses a description; decodes every device it describes against that
/// device's payload from the fixture.
fn check_vmdesc(input: &[u8], payloads: &[Payload]) {
    let Ok(vmdesc) = Vmdesc::parse(input) else {
        return;
    };
    for device in &vmdesc.devices {
        let _ = device.state.wire_len();
        for payload in payloads {
            if payload.info.idstr == device.name && payload.info.instance_id == device.instance_id {
                let _ = decode(&device.state, &payload.bytes, 0);
            }
        }
    }
}

#[test]
fn mutated_vmdesc_parses_or_fails_cleanly() {
    let small = described_stream();
    let payloads: Vec<Payload> = payloads(&small.bytes);
    let json = small.vmdesc;
    // Hot spots: every key, where the JSON-aware mutations act anyway.
    let hot: Vec<usize> = json
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'"' || **b == b'{')
        .map(|(at, _)| at)
        .collect();
    let payloads = std::sync::Arc::new(payloads);
    let (bytes_payloads, json_payloads) = (payloads.clone(), payloads);
    let targets = vec![
        Target {
            name: "vmdesc JSON, byte mutations".into(),
            seed_input: json.clone(),
            hot: hot.clone(),
            cases: 1_500 * scale(),
            mutate,
            check: Box::new(move |input, _| check_vmdesc(input, &bytes_payloads)),
        },
        Target {
            name: "vmdesc JSON, JSON-aware mutations".into(),
            seed_input: json,
            hot: Vec::new(),
            cases: 4_500 * scale(),
            mutate: |rng, json, _| {
                for _ in 0..=rng.below(3) {
                    mutate_json(rng, json);
                }
            },
            check: Box::new(move |input, _| check_vmdesc(input, &json_payloads)),
        },
    ];
    let total = run_targets(3, &targets);
    eprintln!("mutation: {total} vmdesc inputs");
    assert!(total >= 6_000 * scale());
}
