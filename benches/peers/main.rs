//! vmstate against its peers, on the same values, in one run.
//!
//! `cargo bench --manifest-path benches/Cargo.toml --bench peers` measures W1-W4 (docs/performance.md), saved and loaded, for
//! ours, a hand-written codec that produces the same bytes, versionize 0.2,
//! serde with bitcode, serde with postcard and (W2/W3) `copy_from_slice`, and
//! ends with one summary table: medians, throughput, and each peer's time over
//! ours, then the targets. A second table times every public entry
//! point against the hand-written code for it (`entry.rs`). `cargo bench --manifest-path benches/Cargo.toml --bench peers -- --test` runs
//! every routine once (what CI checks). Criterion's own options work after
//! `--`, e.g. `--measurement-time 5` or a filter like `W1`. `-- --per-device`
//! instead times W1's load one device at a time against the hand-written code
//! (`per_device.rs`).
//!
//! How each peer is driven, so that the comparison is fair:
//! - save: ours, hand and versionize append to one reused `Vec`; postcard
//!   writes into a reused slice; bitcode's serde API returns a new `Vec` (it
//!   has no reusable-buffer entry point for serde).
//! - load: ours and hand load in place into an existing value (their API);
//!   the serde peers and versionize return a new value, dropped each
//!   iteration.
//! - throughput is our payload size over the median, for every peer, so it
//!   reads as "device state per second".

// A benchmark, not library code: narrowing casts of random numbers and
// float conversions for display are intended; QEMU's field names are kept
// as they are (`base_rtc`, `_gap`, `hpet_counter`).
#![allow(
    clippy::cast_possible_truncation,
    clippy::cast_possible_wrap,
    clippy::struct_field_names,
    clippy::used_underscore_binding,
    clippy::too_many_arguments,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    clippy::missing_panics_doc,
    clippy::too_many_lines,
    clippy::large_stack_arrays,
    clippy::large_types_passed_by_value,
    clippy::trivially_copy_pass_by_ref,
    reason = "benchmark harness"
)]

mod arrays;
mod common;
mod entry;
mod per_device;
mod queue;
mod w1;

use std::fmt::Write as _;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, SamplingMode, Throughput};
use versionize::{VersionMap, Versionize};
use vmstate::{Reader, VmState};

use crate::common::Hand;

/// Samples per benchmark unless `--sample-size` says otherwise.
const SAMPLES: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Peer {
    Ours,
    Hand,
    Copy,
    Versionize,
    Bitcode,
    Postcard,
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Self::Ours => "vmstate",
            Self::Hand => "hand-written",
            Self::Copy => "copy_from_slice",
            Self::Versionize => "versionize 0.2",
            Self::Bitcode => "serde+bitcode",
            Self::Postcard => "serde+postcard",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    Save,
    Load,
    ToVec,
    ToVecAt,
    SaveInto,
    FromSlice,
    LoadInto,
}

impl Dir {
    fn name(self) -> &'static str {
        match self {
            Self::Save => "save",
            Self::Load => "load",
            Self::ToVec => "to_vec",
            Self::ToVecAt => "to_vec_at",
            Self::SaveInto => "save_into",
            Self::FromSlice => "from_slice",
            Self::LoadInto => "load_into",
        }
    }
}

struct Row {
    workload: &'static str,
    dir: Dir,
    peer: Peer,
    median: f64,
    bytes: u64,
}

/// One workload's criterion group plus the rows it records.
struct Workload<'a, 'c> {
    name: &'static str,
    bytes: u64,
    group: BenchmarkGroup<'c, WallTime>,
    rows: &'a mut Vec<Row>,
    samples: usize,
}

impl<'a, 'c> Workload<'a, 'c> {
    fn new(
        c: &'c mut Criterion,
        rows: &'a mut Vec<Row>,
        samples: usize,
        name: &'static str,
        bytes: usize,
    ) -> Self {
        let bytes = bytes as u64;
        let mut group = c.benchmark_group(name);
        group
            .throughput(Throughput::Bytes(bytes))
            .sampling_mode(SamplingMode::Flat);
        Self {
            name,
            bytes,
            group,
            rows,
            samples,
        }
    }

    /// Measures `routine` with criterion and keeps the median of the
    /// per-iteration times of its measurement samples (criterion's median).
    fn run(&mut self, dir: Dir, peer: Peer, mut routine: impl FnMut()) {
        let mut times = Vec::new();
        let id = format!("{}/{}", dir.name(), peer.name());
        self.group.bench_function(id, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    routine();
                }
                let elapsed = start.elapsed();
                times.push(elapsed.as_secs_f64() / iters as f64);
                elapsed
            });
        });
        if times.is_empty() {
            return; // filtered out
        }
        // Warm-up calls come first; the last `samples` calls are the samples.
        let mut measured = times.split_off(times.len().saturating_sub(self.samples));
        measured.sort_by(f64::total_cmp);
        let mid = measured.len() / 2;
        let median = if measured.len() % 2 == 0 {
            f64::midpoint(measured[mid - 1], measured[mid])
        } else {
            measured[mid]
        };
        self.rows.push(Row {
            workload: self.name,
            dir,
            peer,
            median,
            bytes: self.bytes,
        });
    }

    /// The versionize, bitcode and postcard save rows: each peer encodes
    /// `value` its own way (into `out`, a new `Vec`, or `slice`).
    fn run_peer_saves<T: Versionize + serde::Serialize>(
        &mut self,
        value: &T,
        out: &mut Vec<u8>,
        slice: &mut [u8],
        vm: &VersionMap,
    ) {
        self.run(Dir::Save, Peer::Versionize, || {
            out.clear();
            Versionize::serialize(black_box(value), out, vm, 1).unwrap();
            black_box(&*out);
        });
        self.run(Dir::Save, Peer::Bitcode, || {
            black_box(bitcode::serialize(black_box(value)).unwrap());
        });
        self.run(Dir::Save, Peer::Postcard, || {
            black_box(postcard::to_slice(black_box(value), &mut *slice).unwrap());
        });
    }

    /// The versionize, bitcode and postcard load rows: each builds a new `V`
    /// from its own encoding, dropped every iteration.
    fn run_peer_loads<V: Versionize + serde::de::DeserializeOwned>(
        &mut self,
        vz: &[u8],
        bc: &[u8],
        pc: &[u8],
        vm: &VersionMap,
    ) {
        self.run(Dir::Load, Peer::Versionize, || {
            black_box(versionize_load::<V>(black_box(vz), vm));
        });
        self.run(Dir::Load, Peer::Bitcode, || {
            black_box(bitcode::deserialize::<V>(black_box(bc)).unwrap());
        });
        self.run(Dir::Load, Peer::Postcard, || {
            black_box(postcard::from_bytes::<V>(black_box(pc)).unwrap());
        });
    }

    fn finish(self) {
        self.group.finish();
    }
}

fn main() {
    // versionize and serde build values on the stack before boxing them: a
    // 16 MiB array needs a large stack (only reserved, not touched).
    std::thread::Builder::new()
        .name("peers".into())
        .stack_size(1 << 30)
        .spawn(run)
        .expect("spawn the bench thread")
        .join()
        .expect("the bench thread panicked");
}

fn run() {
    let args: Vec<String> = std::env::args().collect();
    let test_mode = args.iter().any(|a| a == "--test");
    if args.iter().any(|a| a == "--per-device") {
        let calls = if test_mode { 1 } else { 100_000 };
        per_device::print(&w1::Machine::sample(1).time_each_device(calls));
        return;
    }
    let samples = if test_mode {
        1
    } else {
        args.iter()
            .position(|a| a == "--sample-size")
            .and_then(|i| args.get(i + 1))
            .and_then(|n| n.parse().ok())
            .unwrap_or(SAMPLES)
    };
    let mut c = Criterion::default()
        .sample_size(SAMPLES)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(700))
        .nresamples(10_000)
        .without_plots()
        .configure_from_args();

    let mut rows = Vec::new();
    let mut sizes = Vec::new();
    w1_machine(&mut c, &mut rows, &mut sizes, samples);
    w2_array(&mut c, &mut rows, &mut sizes, samples);
    w2_vec(&mut c, &mut rows, &mut sizes, samples);
    w3_vram(&mut c, &mut rows, &mut sizes, samples);
    w4_queue(&mut c, &mut rows, &mut sizes, samples);
    entry_workloads(&mut c, &mut rows, samples);
    c.final_summary();

    println!("{}", summary(&rows, &sizes, samples, test_mode));
}

/// Encoded sizes: (workload, peer, bytes).
type Sizes = Vec<(&'static str, Peer, usize)>;

const W1: &str = "W1 pc machine";
const W2A: &str = "W2 [u32; 256Ki]";
const W2V: &str = "W2 Vec<u32> len";
const W3: &str = "W3 16 MiB bytes";
const W4: &str = "W4 10k descs";

fn versionize_bytes<T: Versionize>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    Versionize::serialize(value, &mut out, &VersionMap::new(), 1).expect("versionize serializes");
    out
}

fn versionize_load<T: Versionize>(mut bytes: &[u8], vm: &VersionMap) -> T {
    T::deserialize(&mut bytes, vm, 1).expect("versionize deserializes")
}

/// Checks, once, that every peer round-trips the value and that the hand
/// codec writes exactly our bytes. Returns ours, versionize's, bitcode's and
/// postcard's encodings.
fn encodings<T>(
    name: &'static str,
    value: &T,
    ours: Vec<u8>,
    hand: &[u8],
    sizes: &mut Sizes,
) -> [Vec<u8>; 4]
where
    T: Versionize + serde::Serialize + serde::de::DeserializeOwned + PartialEq,
{
    assert!(
        ours == hand,
        "{name}: the hand codec writes different bytes"
    );
    let vz = versionize_bytes(value);
    assert!(versionize_load::<T>(&vz, &VersionMap::new()) == *value);
    let bc = bitcode::serialize(value).expect("bitcode serializes");
    assert!(bitcode::deserialize::<T>(&bc).expect("bitcode deserializes") == *value);
    let pc = postcard::to_stdvec(value).expect("postcard serializes");
    assert!(postcard::from_bytes::<T>(&pc).expect("postcard deserializes") == *value);
    for (peer, len) in [
        (Peer::Ours, ours.len()),
        (Peer::Versionize, vz.len()),
        (Peer::Bitcode, bc.len()),
        (Peer::Postcard, pc.len()),
    ] {
        sizes.push((name, peer, len));
    }
    [ours, vz, bc, pc]
}

fn w1_machine(c: &mut Criterion, rows: &mut Vec<Row>, sizes: &mut Sizes, samples: usize) {
    use w1::Machine;
    let machine = Machine::sample(1);
    let mut ours = Vec::new();
    machine.save_vmstate(&mut ours).expect("save");
    let mut hand = Vec::new();
    machine.save_hand(&mut hand);
    let mut back = Machine::sample(2);
    back.load_vmstate(&ours).expect("load");
    assert!(back == machine, "W1 round trip");
    let mut back = Machine::sample(3);
    back.load_hand(&hand).expect("hand load");
    assert!(back == machine, "W1 hand round trip");
    let [ours, vz, bc, pc] = encodings(W1, &machine, ours, &hand, sizes);

    let vm = VersionMap::new();
    let mut w = Workload::new(c, rows, samples, W1, ours.len());
    let mut out = Vec::with_capacity(ours.len().max(vz.len()));
    let mut dst = Machine::sample(4);
    let mut slice = vec![0; pc.len()];
    w.run(Dir::Save, Peer::Ours, || {
        out.clear();
        black_box(&machine).save_vmstate(&mut out).unwrap();
        black_box(&out);
    });
    w.run(Dir::Save, Peer::Hand, || {
        out.clear();
        black_box(&machine).save_hand(&mut out);
        black_box(&out);
    });
    w.run_peer_saves(&machine, &mut out, &mut slice, &vm);
    w.run(Dir::Load, Peer::Ours, || {
        dst.load_vmstate(black_box(&ours)).unwrap();
        black_box(&dst);
    });
    w.run(Dir::Load, Peer::Hand, || {
        dst.load_hand(black_box(&ours)).unwrap();
        black_box(&dst);
    });
    w.run_peer_loads::<Machine>(&vz, &bc, &pc, &vm);
    w.finish();
}

/// W2 and W3 share their shape: one boxed struct holding one big array.
fn big_array<T, E: Copy + Default>(
    c: &mut Criterion,
    rows: &mut Vec<Row>,
    sizes: &mut Sizes,
    samples: usize,
    name: &'static str,
    value: &T,
    mut dst: Box<T>,
    elements: impl Fn(&T) -> &[E],
    elements_mut: impl Fn(&mut T) -> &mut [E],
) where
    T: VmState + Hand + Versionize + serde::Serialize + serde::de::DeserializeOwned + PartialEq,
{
    let ours = vmstate::to_vec(value).expect("save");
    let mut hand = Vec::new();
    value.put(&mut hand);
    load_ours(&mut *dst, &ours);
    assert!(*dst == *value, "{name} round trip");
    let [ours, vz, bc, pc] = encodings(name, value, ours, &hand, sizes);

    let vm = VersionMap::new();
    let mut w = Workload::new(c, rows, samples, name, ours.len());
    let mut out = Vec::with_capacity(ours.len().max(vz.len()));
    let mut slice = vec![0; pc.len()];
    let mut copy = vec![E::default(); elements(value).len()];
    w.run(Dir::Save, Peer::Ours, || {
        out.clear();
        vmstate::save_into(black_box(value), &mut out).unwrap();
        black_box(&out);
    });
    w.run(Dir::Save, Peer::Hand, || {
        out.clear();
        black_box(value).put(&mut out);
        black_box(&out);
    });
    w.run(Dir::Save, Peer::Copy, || {
        copy.copy_from_slice(elements(black_box(value)));
        black_box(&copy);
    });
    w.run_peer_saves(value, &mut out, &mut slice, &vm);
    w.run(Dir::Load, Peer::Ours, || {
        load_ours(&mut *dst, black_box(&ours));
        black_box(&dst);
    });
    w.run(Dir::Load, Peer::Hand, || {
        let mut input = black_box(&ours[..]);
        dst.get(&mut input).unwrap();
        assert!(input.is_empty());
        black_box(&dst);
    });
    w.run(Dir::Load, Peer::Copy, || {
        elements_mut(&mut dst).copy_from_slice(black_box(&copy));
        black_box(&dst);
    });
    w.run_peer_loads::<Box<T>>(&vz, &bc, &pc, &vm);
    w.finish();
}

/// Ours: one payload, loaded in place at the current version, all consumed.
fn load_ours<T: VmState>(dst: &mut T, bytes: &[u8]) {
    let mut reader = Reader::new(bytes);
    dst.load_state(&mut reader, T::VERSION).unwrap();
    reader.finish().unwrap();
}

fn w2_array(c: &mut Criterion, rows: &mut Vec<Row>, sizes: &mut Sizes, samples: usize) {
    let value = arrays::reg_array(5);
    big_array(
        c,
        rows,
        sizes,
        samples,
        W2A,
        &*value,
        arrays::reg_array(6),
        |v| &v.regs[..],
        |v| &mut v.regs[..],
    );
}

fn w2_vec(c: &mut Criterion, rows: &mut Vec<Row>, sizes: &mut Sizes, samples: usize) {
    let value = arrays::reg_vec(7);
    big_array(
        c,
        rows,
        sizes,
        samples,
        W2V,
        &value,
        Box::new(arrays::reg_vec(8)),
        |v| &v.regs[..],
        |v| &mut v.regs[..],
    );
}

fn w3_vram(c: &mut Criterion, rows: &mut Vec<Row>, sizes: &mut Sizes, samples: usize) {
    let value = arrays::vram(9);
    big_array(
        c,
        rows,
        sizes,
        samples,
        W3,
        &*value,
        arrays::vram(10),
        |v| &v.data[..],
        |v| &mut v.data[..],
    );
}

fn w4_queue(c: &mut Criterion, rows: &mut Vec<Row>, sizes: &mut Sizes, samples: usize) {
    use queue::Queue;
    let value = queue::queue(11);
    let ours = vmstate::to_vec(&value).expect("save");
    let mut hand = Vec::new();
    value.put(&mut hand);
    let mut dst = queue::queue(12);
    load_ours(&mut dst, &ours);
    assert!(dst == value, "W4 round trip");
    let [ours, vz, bc, pc] = encodings(W4, &value, ours, &hand, sizes);

    let vm = VersionMap::new();
    let mut w = Workload::new(c, rows, samples, W4, ours.len());
    let mut out = Vec::with_capacity(ours.len().max(vz.len()));
    let mut slice = vec![0; pc.len()];
    w.run(Dir::Save, Peer::Ours, || {
        out.clear();
        vmstate::save_into(black_box(&value), &mut out).unwrap();
        black_box(&out);
    });
    w.run(Dir::Save, Peer::Hand, || {
        out.clear();
        black_box(&value).put(&mut out);
        black_box(&out);
    });
    w.run_peer_saves(&value, &mut out, &mut slice, &vm);
    w.run(Dir::Load, Peer::Ours, || {
        load_ours(&mut dst, black_box(&ours));
        black_box(&dst);
    });
    w.run(Dir::Load, Peer::Hand, || {
        let mut input = black_box(&ours[..]);
        dst.get(&mut input).unwrap();
        assert!(input.is_empty());
        black_box(&dst);
    });
    w.run_peer_loads::<Queue>(&vz, &bc, &pc, &vm);
    w.finish();
}

// ---------------------------------------------------------------------------
// The public entry points, each against its hand-written counterpart
// (`entry.rs`).
// ---------------------------------------------------------------------------

const MID: &str = "mid 447 B";
const W3V: &str = "W3 Vec<u8> len";

/// The workloads of the entry-point table, in order.
const ENTRY_WORKLOADS: [&str; 6] = [MID, W2A, W2V, W3, W3V, W4];

fn entry_workloads(c: &mut Criterion, rows: &mut Vec<Row>, samples: usize) {
    let mut ep = EntryRun { c, rows, samples };
    let mid = Some(from_slice_rows::<entry::Mid> as FromSliceRows);
    ep.run(MID, &entry::mid(13), &mut entry::mid(14), mid, false);
    ep.run(
        W2A,
        &*arrays::reg_array(5),
        &mut *arrays::reg_array(6),
        None,
        false,
    );
    let reg_vec = Some(from_slice_rows::<arrays::RegVec> as FromSliceRows);
    ep.run(
        W2V,
        &arrays::reg_vec(7),
        &mut arrays::reg_vec(8),
        reg_vec,
        false,
    );
    ep.run(W3, &*arrays::vram(9), &mut *arrays::vram(10), None, true);
    let vram_vec = Some(from_slice_rows::<entry::VramVec> as FromSliceRows);
    ep.run(
        W3V,
        &entry::vram_vec(9),
        &mut entry::vram_vec(10),
        vram_vec,
        true,
    );
    let queue = Some(from_slice_rows::<queue::Queue> as FromSliceRows);
    ep.run(W4, &queue::queue(11), &mut queue::queue(12), queue, false);
}

/// The `from_slice` rows of a workload whose type has a `Default`.
type FromSliceRows = fn(&mut Workload<'_, '_>, &[u8]);

struct EntryRun<'a> {
    c: &'a mut Criterion,
    rows: &'a mut Vec<Row>,
    samples: usize,
}

impl EntryRun<'_> {
    /// Every entry point on `value` (saves) and its payload (loads into
    /// `dst`), ours then hand-written; `copy_bytes` adds `copy_from_slice`
    /// of the payload's byte buffer.
    fn run<T: VmState + Hand + Clone + PartialEq>(
        &mut self,
        name: &'static str,
        value: &T,
        dst: &mut T,
        from_slice: Option<FromSliceRows>,
        copy_bytes: bool,
    ) {
        let ours = vmstate::to_vec(value).expect("save");
        let mut hand = Vec::new();
        value.put(&mut hand);
        assert!(
            ours == hand,
            "{name}: the hand codec writes different bytes"
        );
        vmstate::load_into(dst, &ours, T::VERSION).expect("load_into");
        assert!(*dst == *value, "{name}: load_into round trip");

        let size = ours.len();
        let mut w = Workload::new(self.c, self.rows, self.samples, name, size);
        let mut out = Vec::with_capacity(size);
        w.run(Dir::ToVec, Peer::Ours, || {
            black_box(vmstate::to_vec(black_box(value)).unwrap());
        });
        w.run(Dir::ToVec, Peer::Hand, || {
            black_box(hand_to_vec(black_box(value), size));
        });
        w.run(Dir::ToVecAt, Peer::Ours, || {
            black_box(vmstate::to_vec_at(black_box(value), T::VERSION).unwrap());
        });
        w.run(Dir::ToVecAt, Peer::Hand, || {
            black_box(hand_to_vec(black_box(value), size));
        });
        w.run(Dir::SaveInto, Peer::Ours, || {
            out.clear();
            vmstate::save_into(black_box(value), &mut out).unwrap();
            black_box(&out);
        });
        w.run(Dir::SaveInto, Peer::Hand, || {
            out.clear();
            black_box(value).put(&mut out);
            black_box(&out);
        });
        if let Some(rows) = from_slice {
            rows(&mut w, &ours);
        }
        w.run(Dir::LoadInto, Peer::Ours, || {
            vmstate::load_into(&mut *dst, black_box(&ours), T::VERSION).unwrap();
            black_box(&*dst);
        });
        w.run(Dir::LoadInto, Peer::Hand, || {
            let mut input = black_box(&ours[..]);
            dst.get(&mut input).unwrap();
            assert!(input.is_empty());
            black_box(&*dst);
        });
        if copy_bytes {
            let src = &ours[size - arrays::VRAM..];
            let mut copy = vec![0u8; src.len()];
            w.run(Dir::LoadInto, Peer::Copy, || {
                copy.copy_from_slice(black_box(src));
                black_box(&copy);
            });
        }
        w.finish();
    }
}

/// What a careful `to_vec` does by hand: reserve the exact size once.
fn hand_to_vec<T: Hand>(value: &T, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size);
    value.put(&mut out);
    out
}

fn from_slice_rows<T: VmState + Hand + Default + PartialEq>(
    w: &mut Workload<'_, '_>,
    bytes: &[u8],
) {
    let back: T = vmstate::from_slice(bytes, T::VERSION).expect("from_slice");
    let mut hand = T::default();
    hand.get(&mut &bytes[..]).expect("hand load");
    assert!(
        back == hand,
        "{}: from_slice differs from the hand load",
        w.name
    );
    w.run(Dir::FromSlice, Peer::Ours, || {
        black_box(vmstate::from_slice::<T>(black_box(bytes), T::VERSION).unwrap());
    });
    w.run(Dir::FromSlice, Peer::Hand, || {
        let mut input = black_box(bytes);
        let mut value = T::default();
        value.get(&mut input).unwrap();
        assert!(input.is_empty());
        black_box(value);
    });
}

// ---------------------------------------------------------------------------
// The summary table and the performance targets.
// ---------------------------------------------------------------------------

fn fmt_time(secs: f64) -> String {
    if secs < 1e-6 {
        format!("{:.1} ns", secs * 1e9)
    } else if secs < 1e-3 {
        format!("{:.2} µs", secs * 1e6)
    } else if secs < 1.0 {
        format!("{:.2} ms", secs * 1e3)
    } else {
        format!("{secs:.2} s")
    }
}

fn fmt_rate(bytes_per_sec: f64) -> String {
    let gib = bytes_per_sec / f64::from(1u32 << 30);
    if gib >= 1.0 {
        format!("{gib:.2} GiB/s")
    } else {
        format!("{:.1} MiB/s", bytes_per_sec / f64::from(1u32 << 20))
    }
}

fn median_of(rows: &[Row], workload: &str, dir: Dir, peer: Peer) -> Option<f64> {
    rows.iter()
        .find(|r| r.workload == workload && r.dir == dir && r.peer == peer)
        .map(|r| r.median)
}

fn summary(rows: &[Row], sizes: &Sizes, samples: usize, test_mode: bool) -> String {
    let mut s = String::new();
    let _ = writeln!(s);
    if test_mode {
        let _ = writeln!(
            s,
            "== vmstate vs peers (TEST MODE: one iteration each, not a measurement) =="
        );
    } else {
        let _ = writeln!(
            s,
            "== vmstate vs peers: median of {samples} samples; throughput = our payload bytes / median; \
             ratio = peer time / vmstate time (> 1: vmstate is faster) =="
        );
    }
    let _ = writeln!(
        s,
        "| {:<17} | {:<4} | {:<15} | {:>10} | {:>12} | {:>9} |",
        "workload", "dir", "peer", "median", "throughput", "peer/ours"
    );
    let _ = writeln!(
        s,
        "|{:-<19}|{:-<6}|{:-<17}|{:->12}|{:->14}|{:->11}|",
        "", "", "", ":", ":", ":"
    );
    for row in rows
        .iter()
        .filter(|r| matches!(r.dir, Dir::Save | Dir::Load))
    {
        let ours = median_of(rows, row.workload, row.dir, Peer::Ours);
        let ratio = ours.map_or_else(|| "-".to_owned(), |o| format!("{:.2}", row.median / o));
        let _ = writeln!(
            s,
            "| {:<17} | {:<4} | {:<15} | {:>10} | {:>12} | {:>9} |",
            row.workload,
            row.dir.name(),
            row.peer.name(),
            fmt_time(row.median),
            fmt_rate(row.bytes as f64 / row.median),
            ratio
        );
    }

    let _ = writeln!(s);
    let _ = writeln!(s, "Encoded sizes (bytes):");
    let mut workloads: Vec<&str> = sizes.iter().map(|(w, _, _)| *w).collect();
    workloads.dedup();
    for w in workloads {
        let line: Vec<String> = sizes
            .iter()
            .filter(|(name, _, _)| *name == w)
            .map(|(_, p, n)| format!("{} {n}", p.name()))
            .collect();
        let _ = writeln!(s, "  {w:<17} {}", line.join(", "));
    }

    let _ = writeln!(s);
    let _ = writeln!(s, "Targets (docs/performance.md), both directions:");
    let mut check = |label: String, value: Option<f64>, ok: &dyn Fn(f64) -> bool, goal: &str| {
        if let Some(v) = value {
            let verdict = if ok(v) { "met" } else { "MISSED" };
            let _ = writeln!(s, "  {verdict:<6} {label:<44} {v:>7.2}  (target {goal})");
        }
    };
    for dir in [Dir::Save, Dir::Load] {
        for w in [W1, W2A, W2V, W3, W4] {
            let ratio = median_of(rows, w, dir, Peer::Ours)
                .zip(median_of(rows, w, dir, Peer::Hand))
                .map(|(o, h)| o / h);
            check(
                format!("ours / hand-written, {w} {}", dir.name()),
                ratio,
                &|r| r <= 1.10,
                "<= 1.10",
            );
        }
        for w in [W1, W2A, W2V, W4] {
            for (peer, goal, min) in [
                (Peer::Versionize, ">= 3", 3.0),
                (Peer::Bitcode, ">= 1.0", 1.0),
            ] {
                let ratio = median_of(rows, w, dir, peer)
                    .zip(median_of(rows, w, dir, Peer::Ours))
                    .map(|(p, o)| p / o);
                check(
                    format!("{} / ours, {w} {}", peer.name(), dir.name()),
                    ratio,
                    &move |r| r >= min,
                    goal,
                );
            }
        }
        for (w, goal, min) in [
            (W3, ">= 0.8", 0.8),
            (W2A, ">= 0.5", 0.5),
            (W2V, ">= 0.5", 0.5),
        ] {
            let ratio = median_of(rows, w, dir, Peer::Copy)
                .zip(median_of(rows, w, dir, Peer::Ours))
                .map(|(copy, o)| copy / o);
            check(
                format!("ours bandwidth / copy_from_slice, {w} {}", dir.name()),
                ratio,
                &move |r| r >= min,
                goal,
            );
        }
    }
    entry_summary(&mut s, rows);
    let _ = writeln!(
        s,
        "W1 = {} device sections ({} bytes of payload)",
        w1::Machine::SECTIONS,
        sizes
            .iter()
            .find(|(w, p, _)| *w == W1 && *p == Peer::Ours)
            .map_or(0, |(_, _, n)| *n)
    );
    s
}

const ENTRIES: [Dir; 5] = [
    Dir::ToVec,
    Dir::ToVecAt,
    Dir::SaveInto,
    Dir::FromSlice,
    Dir::LoadInto,
];

/// The entry-point table (ours and hand-written per entry point) and its
/// targets.
fn entry_summary(s: &mut String, rows: &[Row]) {
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "Entry points, each against the hand-written code for it (ratio = ours / hand, < 1: ours is faster):"
    );
    let _ = writeln!(
        s,
        "| {:<17} | {:<10} | {:>10} | {:>10} | {:>10} |",
        "workload", "entry", "vmstate", "hand", "ours/hand"
    );
    let _ = writeln!(
        s,
        "|{:-<19}|{:-<12}|{:->12}|{:->12}|{:->12}|",
        "", "", ":", ":", ":"
    );
    let ratio = |w: &str, dir: Dir, num: Peer, den: Peer| {
        median_of(rows, w, dir, num)
            .zip(median_of(rows, w, dir, den))
            .map(|(n, d)| n / d)
    };
    for w in ENTRY_WORKLOADS {
        for dir in ENTRIES {
            let (Some(o), Some(h)) = (
                median_of(rows, w, dir, Peer::Ours),
                median_of(rows, w, dir, Peer::Hand),
            ) else {
                continue;
            };
            let _ = writeln!(
                s,
                "| {w:<17} | {:<10} | {:>10} | {:>10} | {:>10.2} |",
                dir.name(),
                fmt_time(o),
                fmt_time(h),
                o / h
            );
        }
        if let Some(copy) = median_of(rows, w, Dir::LoadInto, Peer::Copy) {
            let _ = writeln!(
                s,
                "| {w:<17} | {:<10} | {:>10} | {:>10} | {:>10} |",
                "memcpy",
                "-",
                fmt_time(copy),
                "-"
            );
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "Entry-point targets:");
    let mut check = |label: String, value: Option<f64>, ok: bool, goal: &str| {
        if let Some(v) = value {
            let verdict = if ok { "met" } else { "MISSED" };
            let _ = writeln!(s, "  {verdict:<6} {label:<52} {v:>7.2}  (target {goal})");
        }
    };
    for w in ENTRY_WORKLOADS {
        for dir in ENTRIES {
            let r = ratio(w, dir, Peer::Ours, Peer::Hand);
            check(
                format!("ours / hand-written, {w} {}", dir.name()),
                r,
                r.is_some_and(|r| r <= 1.10),
                "<= 1.10",
            );
        }
    }
    for w in [W3, W3V] {
        for dir in [Dir::FromSlice, Dir::LoadInto] {
            let copy = median_of(rows, w, Dir::LoadInto, Peer::Copy);
            let r = copy
                .zip(median_of(rows, w, dir, Peer::Ours))
                .map(|(c, o)| c / o);
            check(
                format!("copy_from_slice / ours, {w} {}", dir.name()),
                r,
                r.is_some_and(|r| r >= 0.8),
                ">= 0.8",
            );
        }
    }
    for w in [W2V, W3V, W4] {
        let r = median_of(rows, w, Dir::LoadInto, Peer::Ours)
            .zip(median_of(rows, w, Dir::FromSlice, Peer::Ours))
            .map(|(l, f)| l / f);
        check(
            format!("load_into / from_slice, {w}"),
            r,
            r.is_some_and(|r| r <= 1.15),
            "<= 1.15",
        );
    }
}
