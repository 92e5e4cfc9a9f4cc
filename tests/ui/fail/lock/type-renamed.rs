use vmstate::VmState;

// `Timer` is recorded in tests/ui/locked.lock; renamed, its released layout
// would go unchecked.
#[derive(VmState, Default)]
#[vmstate(name = "locked-timer", version = 1, lock = "locked.lock")]
struct Clock {
    counter: u64,
}

fn main() {}
