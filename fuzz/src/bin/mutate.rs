//! A mutation run on stable Rust, without coverage guidance: each kind's
//! seeds (`seeds/KIND/`) are mutated at random (bit flips, QEMU's magic
//! bytes, lengths set to edge values, chunks cut, repeated or moved) and fed
//! to the kind's target for a time budget. A panic or an input that takes
//! over ten seconds saves the input under `out/` and fails the run.
//!
//! Usage: `mutate KIND SECONDS [SEED]` (KIND: stream, mapped-ram, dump). The
//! random seed is printed, so a failing run can be repeated exactly.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How long one input may take before it counts as a hang.
const HANG: Duration = Duration::from_secs(10);

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(kind), Some(seconds)) = (args.get(1), args.get(2).and_then(|s| s.parse().ok()))
    else {
        eprintln!("usage: mutate KIND SECONDS [SEED]");
        std::process::exit(2);
    };
    let Some(&(_, target)) = vmstate_fuzz::KINDS.iter().find(|(name, _)| name == kind) else {
        eprintln!("unknown kind {kind}; kinds: stream, mapped-ram, dump");
        std::process::exit(2);
    };
    let seed = args.get(3).and_then(|s| s.parse().ok()).unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64)
    });
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let seeds = read_seeds(&root.join("seeds").join(kind));
    assert!(!seeds.is_empty(), "no seeds in seeds/{kind}");
    eprintln!(
        "mutate {kind}: {} seeds, {seconds} s, seed {seed}",
        seeds.len()
    );

    let current: Arc<Mutex<Vec<u8>>> = Arc::default();
    let started_at = Arc::new(AtomicU64::new(0));
    let clock = Instant::now();
    watchdog(
        root,
        kind,
        Arc::clone(&current),
        Arc::clone(&started_at),
        clock,
    );
    let crash = {
        let current = Arc::clone(&current);
        let out = root.join("out");
        let kind = kind.clone();
        move || {
            save(
                &out,
                &kind,
                "crash",
                &current.lock().unwrap_or_else(|e| e.into_inner()),
            )
        }
    };
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        previous(info);
        crash();
    }));

    let mut rng = Rng(seed | 1);
    let deadline = clock + Duration::from_secs(seconds);
    let mut runs = 0u64;
    while Instant::now() < deadline {
        let base = &seeds[rng.below(seeds.len())];
        let input = mutate(base, &mut rng);
        *current.lock().unwrap_or_else(|e| e.into_inner()) = input.clone();
        started_at.store(clock.elapsed().as_millis() as u64 + 1, Ordering::SeqCst);
        if std::panic::catch_unwind(|| target(&input)).is_err() {
            std::process::exit(1);
        }
        started_at.store(0, Ordering::SeqCst);
        runs += 1;
    }
    eprintln!("mutate {kind}: {runs} inputs, no panic, no hang");
}

/// The files of `dir`.
fn read_seeds(dir: &Path) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.sort();
    paths.iter().filter_map(|p| std::fs::read(p).ok()).collect()
}

/// Ends the process when one input runs longer than [`HANG`], saving it.
fn watchdog(
    root: &Path,
    kind: &str,
    current: Arc<Mutex<Vec<u8>>>,
    started_at: Arc<AtomicU64>,
    clock: Instant,
) {
    let (out, kind) = (root.join("out"), kind.to_owned());
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(500));
            let started = started_at.load(Ordering::SeqCst);
            if started != 0
                && (clock.elapsed().as_millis() as u64).saturating_sub(started)
                    > HANG.as_millis() as u64
            {
                // The input cannot change while the target runs on it.
                let input = current.lock().unwrap_or_else(|e| e.into_inner()).clone();
                save(&out, &kind, "hang", &input);
                std::process::exit(1);
            }
        }
    });
}

fn save(out: &Path, kind: &str, what: &str, input: &[u8]) {
    let _ = std::fs::create_dir_all(out);
    let path = out.join(format!("{kind}-{what}-{}", std::process::id()));
    let _ = std::fs::write(&path, input);
    eprintln!("mutate {kind}: {what}; the input is {}", path.display());
}

/// xorshift64*: small, fast, and the same sequence for the same seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Values that break lengths, counts and offsets.
const EDGES: &[u64] = &[
    0,
    1,
    0x7f,
    0x80,
    0xff,
    0x100,
    0x7fff_ffff,
    0xffff_ffff,
    u64::MAX,
    1 << 40,
];

/// One to eight mutations of `base`.
fn mutate(base: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut data = base.to_vec();
    for _ in 0..=rng.below(8) {
        if data.is_empty() {
            data.push(0);
        }
        let at = rng.below(data.len());
        match rng.below(8) {
            0 => data[at] ^= 1 << rng.below(8),
            1 => data[at] = EDGES[rng.below(EDGES.len())] as u8,
            2 => {
                // A big-endian word (QEMU's lengths and offsets) set to an edge.
                let width = [2, 4, 8][rng.below(3)];
                let value = EDGES[rng.below(EDGES.len())].to_be_bytes();
                let end = (at + width).min(data.len());
                data[at..end].copy_from_slice(&value[8 - (end - at)..]);
            }
            3 => {
                // A record tag where one is expected: QEMU's section bytes.
                data[at] =
                    [0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x7e][rng.below(10)];
            }
            4 => {
                let len = rng.below(64).min(data.len() - at);
                data.drain(at..at + len);
            }
            5 => {
                let len = rng.below(256).min(data.len() - at);
                let chunk = data[at..at + len].to_vec();
                let to = rng.below(data.len());
                data.splice(to..to, chunk);
            }
            6 => data.truncate(at.max(1)),
            _ => {
                let len = rng.below(16);
                let to = rng.below(data.len());
                data.splice(to..to, (0..len).map(|_| rng.next() as u8));
            }
        }
    }
    data
}
