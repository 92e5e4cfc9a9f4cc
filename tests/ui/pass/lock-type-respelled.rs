use vmstate::VmState;

// Version 1 is recorded in tests/ui/locked.lock as `counter uint32 4`.
type Ticks = ::core::primitive::u32;

#[derive(VmState, Default)]
#[vmstate(name = "locked-timer", version = 1, lock = "locked.lock")]
struct Timer {
    counter: Ticks,
}

fn main() {}
