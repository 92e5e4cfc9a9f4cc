use vmstate::VmState;

// Version 3 is recorded in tests/ui/locked.lock; `version` is already 4.
#[derive(VmState, Default)]
#[vmstate(name = "locked-bumped", version = 4, minimum_version = 3, lock = "locked.lock")]
struct Bumped {
    a: u32,
    #[vmstate(since = 3)]
    b: u32,
}

fn main() {}
