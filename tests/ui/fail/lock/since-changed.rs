use vmstate::VmState;

// Version 2 is recorded with `irq_mask` since version 2; version 1 is no
// longer loaded, so only the recorded `since` tells the change.
#[derive(VmState, Default)]
#[vmstate(name = "locked-nic", version = 2, minimum_version = 2, lock = "locked.lock")]
struct Nic {
    ctrl: u32,
    status: u16,
    #[vmstate(since = 1)]
    irq_mask: u32,
}

fn main() {}
