use vmstate::VmState;

// tests/ui/truncated.lock was cut short inside the block of version 1.
#[derive(VmState, Default)]
#[vmstate(name = "locked-nic", version = 1, lock = "truncated.lock")]
struct Nic {
    ctrl: u32,
    status: u16,
}

fn main() {}
