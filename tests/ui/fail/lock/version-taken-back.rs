use vmstate::VmState;

// Versions 1 and 2 are recorded in tests/ui/locked.lock.
#[derive(VmState, Default)]
#[vmstate(name = "locked-nic", version = 1, lock = "locked.lock")]
struct Nic {
    ctrl: u32,
    status: u16,
}

fn main() {}
