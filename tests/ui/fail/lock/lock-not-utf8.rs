use vmstate::VmState;

// tests/ui/not-utf8.lock has a byte that is not UTF-8 on line 5.
#[derive(VmState, Default)]
#[vmstate(name = "locked-nic", version = 1, lock = "not-utf8.lock")]
struct Nic {
    ctrl: u32,
    status: u16,
}

fn main() {}
