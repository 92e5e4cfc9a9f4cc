//! Zero heap allocations on the hot paths: saving into a reused
//! buffer, and loading fixed-size state in place, for device-shaped structs
//! (W1: scalars, arrays, nested structs, subsections) and a 1 MiB register
//! file (W2). A counting global allocator proves it; the same counter must see
//! the allocations of `to_vec`, so a broken counter fails the test.

// A global allocator is `unsafe impl` by definition. It only counts and then
// forwards every call unchanged to the system allocator.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use vmstate::{Reader, Unused, VmState};

/// Counts allocations made by the current thread, so that tests running in
/// parallel do not disturb each other.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count_one() {
    // `try_with`: the slot may already be gone while the thread exits.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's own arguments,
// so `System` upholds the `GlobalAlloc` contract; the counter is a
// thread-local `Cell` with a const initializer and no destructor, which never
// allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: forwarded unchanged; the caller upholds `alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count_one();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count_one();
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
static GLOBAL: Counting = Counting;

/// Runs `f` and returns how many allocations this thread made meanwhile.
fn allocations<R>(f: impl FnOnce() -> R) -> (usize, R) {
    let before = ALLOCATIONS.with(Cell::get);
    let result = f();
    (ALLOCATIONS.with(Cell::get) - before, result)
}

// ---- W1-like device state -----------------------------------------------

#[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
#[vmstate(name = "seg", version = 1)]
struct Segment {
    selector: u32,
    base: u64,
    limit: u32,
    flags: u32,
}

#[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
#[repr(u8)]
enum Mode {
    #[default]
    Off = 0,
    On = 1,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "cpu", version = 3, minimum_version = 1)]
struct Cpu {
    regs: [u64; 16],
    eip: u64,
    eflags: u64,
    segs: [Segment; 6],
    halted: bool,
    mode: Mode,
    fpregs: [[u16; 5]; 8],
    _gap: Unused<4>,
    #[vmstate(since = 2)]
    tsc: i64,
    #[subsection(needed = Cpu::pending_needed)]
    pending: CpuPending,
    #[subsection(needed = Cpu::xsave_needed)]
    xsave: CpuXsave,
}

impl Cpu {
    fn pending_needed(&self) -> bool {
        self.pending.nmi != 0
    }
    fn xsave_needed(&self) -> bool {
        self.xsave.xcr0 != 0
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "cpu/pending", version = 1)]
struct CpuPending {
    nmi: u8,
    exception: i32,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "cpu/xsave", version = 1)]
struct CpuXsave {
    xcr0: u64,
    ymmh: [u64; 32],
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "mc146818rtc", version = 3, minimum_version = 1)]
struct Rtc {
    cmos_index: u8,
    cmos_data: [u8; 32],
    _gap1: Unused<28>,
    periodic_timer: i64,
    #[vmstate(since = 2)]
    irq_coalesced: u32,
    #[vmstate(since = 3)]
    base_time: u64,
}

fn sample_cpu(seed: u64) -> Cpu {
    let mut cpu = Cpu {
        eip: seed,
        eflags: 0x202,
        halted: true,
        mode: Mode::On,
        tsc: -7,
        ..Cpu::default()
    };
    for (i, r) in cpu.regs.iter_mut().enumerate() {
        *r = seed.wrapping_mul(i as u64 + 1);
    }
    cpu.segs[1].base = 0xffff_0000;
    cpu.fpregs[7] = [1, 2, 3, 4, 5];
    cpu.pending.nmi = 1;
    cpu.pending.exception = -1;
    cpu.xsave.xcr0 = 7;
    cpu.xsave.ymmh[31] = seed;
    cpu
}

fn sample_rtc() -> Rtc {
    Rtc {
        cmos_index: 0x0b,
        cmos_data: [0x26; 32],
        periodic_timer: -1,
        irq_coalesced: 3,
        base_time: 1_577_836_800,
        ..Rtc::default()
    }
}

/// Saves a machine's worth of sections back to back, like a migration does.
fn save_machine(cpus: &[Cpu], rtc: &Rtc, out: &mut Vec<u8>) {
    for cpu in cpus {
        vmstate::save_into(cpu, out).unwrap();
    }
    vmstate::save_into(rtc, out).unwrap();
}

#[test]
fn the_counter_sees_allocations() {
    let cpu = sample_cpu(1);
    let (count, bytes) = allocations(|| vmstate::to_vec(&cpu).unwrap());
    assert!(
        count >= 1,
        "to_vec allocates its buffer, yet counted {count}"
    );
    let (count, _) = allocations(|| vec![0u8; 16]);
    assert_eq!(count, 1);
    assert!(!bytes.is_empty());
}

#[test]
fn saving_device_state_into_a_reused_buffer_allocates_nothing() {
    let cpus = [sample_cpu(1), sample_cpu(2)];
    let rtc = sample_rtc();
    let mut out = Vec::new();
    save_machine(&cpus, &rtc, &mut out); // grows the buffer once
    let first = out.clone();
    let (count, ()) = allocations(|| {
        for _ in 0..3 {
            out.clear();
            save_machine(&cpus, &rtc, &mut out);
        }
    });
    assert_eq!(count, 0, "saving into a reused buffer allocated");
    assert_eq!(out, first);
}

#[test]
fn loading_device_state_in_place_allocates_nothing() {
    let cpus = [sample_cpu(1), sample_cpu(2)];
    let rtc = sample_rtc();
    let mut bytes = Vec::new();
    save_machine(&cpus, &rtc, &mut bytes);
    let mut loaded = [Cpu::default(), Cpu::default()];
    let mut loaded_rtc = Rtc::default();
    let (count, ()) = allocations(|| {
        let mut reader = Reader::new(&bytes);
        for cpu in &mut loaded {
            cpu.load_state(&mut reader, Cpu::VERSION).unwrap();
        }
        loaded_rtc.load_state(&mut reader, Rtc::VERSION).unwrap();
        reader.finish().unwrap();
    });
    assert_eq!(count, 0, "loading in place allocated");
    assert_eq!(loaded, cpus);
    assert_eq!(loaded_rtc, rtc);
}

#[test]
fn loading_an_older_version_in_place_allocates_nothing() {
    // Version 1 of the RTC: without the `since = 2` and `since = 3` fields.
    let mut bytes = vec![0x0b];
    bytes.extend([0x26; 32]);
    bytes.extend([0; 28]);
    bytes.extend((-1i64).to_be_bytes());
    let mut rtc = Rtc::default();
    let (count, ()) = allocations(|| {
        let mut reader = Reader::new(&bytes);
        rtc.load_state(&mut reader, 1).unwrap();
        reader.finish().unwrap();
    });
    assert_eq!(count, 0);
    assert_eq!(rtc.periodic_timer, -1);
}

// ---- W2: a 1 MiB register file ---------------------------------------------

const REGS: usize = (1 << 20) / 4;
const REGS_U32: u32 = (1 << 20) / 4;

#[derive(VmState, Clone, PartialEq)]
#[vmstate(name = "regfile", version = 1)]
struct RegFile {
    regs: [u32; REGS],
}

#[derive(VmState, Clone, PartialEq, Debug, Default)]
#[vmstate(name = "regfile", version = 1)]
struct RegVec {
    count: u32,
    #[vmstate(len = count)]
    regs: Vec<u32>,
}

/// The 1 MiB array is built on the stack by `Box::new` (a boxed struct
/// cannot be made on the heap without `unsafe`); give the test a thread whose
/// stack is large enough for that in a debug build.
fn with_big_stack(f: impl FnOnce() + Send + 'static) {
    std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap();
}

#[test]
fn register_file_array_saves_and_loads_without_allocating() {
    with_big_stack(|| {
        #[allow(clippy::large_stack_arrays, reason = "on a 64 MiB stack")]
        let mut regs = Box::new(RegFile { regs: [0; REGS] });
        for (r, i) in regs.regs.iter_mut().zip(0u32..) {
            *r = i.wrapping_mul(0x9e37_79b9);
        }
        let mut out = Vec::new();
        vmstate::save_into(&*regs, &mut out).unwrap();
        let (count, ()) = allocations(|| {
            out.clear();
            vmstate::save_into(&*regs, &mut out).unwrap();
        });
        assert_eq!(count, 0, "saving the register file allocated");
        assert_eq!(out.len(), 1 << 20);

        #[allow(clippy::large_stack_arrays, reason = "on a 64 MiB stack")]
        let mut loaded = Box::new(RegFile { regs: [0; REGS] });
        let (count, ()) = allocations(|| {
            let mut reader = Reader::new(&out);
            loaded.load_state(&mut reader, RegFile::VERSION).unwrap();
            reader.finish().unwrap();
        });
        assert_eq!(count, 0, "loading the register file in place allocated");
        assert!(loaded == regs);
    });
}

#[test]
fn register_file_vec_of_the_same_length_reloads_without_allocating() {
    let regs: Vec<u32> = (0..REGS_U32).map(|i| i ^ 0xa5a5_a5a5).collect();
    let value = RegVec {
        count: REGS_U32,
        regs,
    };
    let mut out = Vec::new();
    vmstate::save_into(&value, &mut out).unwrap();
    let (count, ()) = allocations(|| {
        out.clear();
        vmstate::save_into(&value, &mut out).unwrap();
    });
    assert_eq!(count, 0, "saving the variable array allocated");

    // Loading into a device whose array already has the length.
    let mut loaded = RegVec {
        count: REGS_U32,
        regs: vec![0; REGS],
    };
    let (count, ()) = allocations(|| {
        let mut reader = Reader::new(&out);
        loaded.load_state(&mut reader, RegVec::VERSION).unwrap();
        reader.finish().unwrap();
    });
    assert_eq!(count, 0, "reloading a same-length variable array allocated");
    assert_eq!(loaded, value);
}

#[test]
fn to_vec_of_a_fixed_size_struct_allocates_only_its_result() {
    let rtc = sample_rtc();
    let (count, bytes) = allocations(|| vmstate::to_vec(&rtc).unwrap());
    assert_eq!(count, 1, "to_vec of the RTC allocated more than its result");
    assert_eq!(bytes.capacity(), bytes.len());
    assert_eq!(bytes, {
        let mut out = Vec::new();
        vmstate::save_into(&rtc, &mut out).unwrap();
        out
    });
    let (count, _) = allocations(|| vmstate::to_vec_at(&rtc, Rtc::VERSION).unwrap());
    assert_eq!(
        count, 1,
        "to_vec_at of the RTC allocated more than its result"
    );

    with_big_stack(|| {
        #[allow(clippy::large_stack_arrays, reason = "on a 64 MiB stack")]
        let regs = Box::new(RegFile { regs: [7; REGS] });
        let (count, bytes) = allocations(|| vmstate::to_vec(&*regs).unwrap());
        assert_eq!(
            count, 1,
            "to_vec of the register file allocated more than its result"
        );
        assert_eq!(bytes.len(), 1 << 20);
    });
}

#[derive(VmState, Clone, PartialEq, Debug, Default)]
#[vmstate(name = "vram", version = 1)]
struct VramVec {
    len: u32,
    #[vmstate(len = len)]
    data: Vec<u8>,
}

#[test]
fn from_slice_of_a_byte_buffer_allocates_only_the_buffer() {
    let value = VramVec {
        len: 1 << 20,
        data: (0..1u32 << 20).map(|i| i.to_le_bytes()[0]).collect(),
    };
    let bytes = vmstate::to_vec(&value).unwrap();
    let (count, back) = allocations(|| vmstate::from_slice::<VramVec>(&bytes, 1).unwrap());
    assert_eq!(
        count, 1,
        "from_slice of a byte buffer allocated more than the buffer"
    );
    assert_eq!(back, value);
}

/// `to_vec` and `to_vec_at` of `value` allocate once, exactly the payload.
fn exactly_once<T: VmState>(what: &str, value: &T) {
    let (count, bytes) = allocations(|| vmstate::to_vec(value).unwrap());
    assert_eq!(count, 1, "to_vec of {what} allocated more than its result");
    assert_eq!(
        bytes.capacity(),
        bytes.len(),
        "{what}: capacity is not the payload's size"
    );
    let (count, _) = allocations(|| vmstate::to_vec_at(value, T::VERSION).unwrap());
    assert_eq!(
        count, 1,
        "to_vec_at of {what} allocated more than its result"
    );
}

#[test]
fn to_vec_of_variable_arrays_and_subsections_allocates_only_its_result() {
    let vram = VramVec {
        len: 1 << 20,
        data: vec![0x5a; 1 << 20],
    };
    let regs = RegVec {
        count: 1000,
        regs: (0..1000).collect(),
    };
    // Both subsections needed, then neither.
    let mut cpu = sample_cpu(3);
    cpu.pending.nmi = 1;
    cpu.xsave.xcr0 = 7;
    let quiet = Cpu {
        pending: CpuPending::default(),
        xsave: CpuXsave::default(),
        ..cpu.clone()
    };
    exactly_once("a 1 MiB byte buffer", &vram);
    exactly_once("an integer variable array", &regs);
    exactly_once("a CPU with both subsections", &cpu);
    exactly_once("a CPU with none", &quiet);
}
