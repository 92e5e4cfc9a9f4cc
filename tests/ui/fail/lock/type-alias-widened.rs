use vmstate::VmState;

// `Ticks` was `u32` when version 1 was recorded in tests/ui/locked.lock.
type Ticks = u64;

#[derive(VmState, Default)]
#[vmstate(name = "locked-timer", version = 1, lock = "locked.lock")]
struct Timer {
    counter: Ticks,
}

fn main() {}
