use vmstate::VmState;

// tests/ui/unknown-line.lock has a line the format does not know.
#[derive(VmState, Default)]
#[vmstate(name = "locked-nic", version = 1, lock = "unknown-line.lock")]
struct Nic {
    ctrl: u32,
    status: u16,
}

fn main() {}
