//! `-- --per-device`: W1's load, one device at a time, ours against the
//! hand-written codec, to find which device's generated code costs what.
//!
//! Each device's payload is loaded in place `CALLS` times per batch, and the
//! median of `BATCHES` batches is kept. Not a criterion group: 58 rows at
//! criterion's defaults would double the benchmark's run time for a
//! diagnostic.

use std::hint::black_box;
use std::time::Instant;

use vmstate::{Reader, VmState};

use crate::common::Hand;

const BATCHES: usize = 11;

/// One device's median load time per call, ours and hand-written.
pub struct DeviceTiming {
    pub name: &'static str,
    pub bytes: usize,
    pub ours_ns: f64,
    pub hand_ns: f64,
}

/// Times loading `device`'s own payload into it, ours and hand-written.
pub fn time_device<T: VmState + Hand>(
    name: &'static str,
    device: &mut T,
    calls: u32,
) -> DeviceTiming {
    let payload = vmstate::to_vec(device).expect("save");
    let ours_ns = median_ns(calls, || ours(device, &payload, calls));
    let hand_ns = median_ns(calls, || hand(device, &payload, calls));
    DeviceTiming {
        name,
        bytes: payload.len(),
        ours_ns,
        hand_ns,
    }
}

fn median_ns(calls: u32, mut batch: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            batch();
            start.elapsed().as_secs_f64() * 1e9 / f64::from(calls)
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[BATCHES / 2]
}

/// Out of line, so that each device's load is compiled as a user's call of
/// `load_state` would be, not folded into the timing loop's caller.
#[inline(never)]
fn ours<T: VmState>(device: &mut T, payload: &[u8], calls: u32) {
    for _ in 0..calls {
        let mut reader = Reader::new(black_box(payload));
        black_box(&mut *device)
            .load_state(&mut reader, T::VERSION)
            .expect("load");
    }
}

#[inline(never)]
fn hand<T: Hand>(device: &mut T, payload: &[u8], calls: u32) {
    for _ in 0..calls {
        let mut input = black_box(payload);
        black_box(&mut *device).get(&mut input).expect("load");
    }
}

/// Prints the timings as a table, with their sums.
pub fn print(timings: &[DeviceTiming]) {
    println!("W1 load per device (median of {BATCHES} batches; ratio = ours / hand-written):");
    println!("| device | bytes | vmstate | hand-written | ratio |");
    println!("|---|---:|---:|---:|---:|");
    for t in timings {
        println!(
            "| {} | {} | {:.1} ns | {:.1} ns | {:.2} |",
            t.name,
            t.bytes,
            t.ours_ns,
            t.hand_ns,
            t.ours_ns / t.hand_ns
        );
    }
    let ours: f64 = timings.iter().map(|t| t.ours_ns).sum();
    let hand: f64 = timings.iter().map(|t| t.hand_ns).sum();
    println!(
        "| sum | | {ours:.1} ns | {hand:.1} ns | {:.2} |",
        ours / hand
    );
}
