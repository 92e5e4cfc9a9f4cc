use vmstate::VmState;

// Versions 1 and 2 are recorded in tests/ui/locked.lock with `status`; the
// payload does not name fields; the build warns that vmdesc names it anew.
#[derive(VmState, Default)]
#[vmstate(name = "locked-nic", version = 2, minimum_version = 1, lock = "locked.lock")]
struct Nic {
    ctrl: u32,
    link_status: u16,
    #[vmstate(since = 2)]
    irq_mask: u32,
}

fn main() {}
