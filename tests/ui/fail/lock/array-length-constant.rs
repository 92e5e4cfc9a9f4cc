use vmstate::VmState;

// `REGS` was 3 when version 1 was recorded in tests/ui/locked.lock.
const REGS: usize = 4;

#[derive(VmState, Default)]
#[vmstate(name = "locked-regs", version = 1, lock = "locked.lock")]
struct Regs {
    regs: [u32; REGS],
}

fn main() {}
