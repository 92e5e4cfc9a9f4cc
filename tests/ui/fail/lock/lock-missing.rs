use vmstate::VmState;

// A configured lock that does not exist fails the build: it never turns the
// checks off.
#[derive(VmState, Default)]
#[vmstate(name = "locked-nic", version = 1, lock = "missing.lock")]
struct Nic {
    ctrl: u32,
}

fn main() {}
