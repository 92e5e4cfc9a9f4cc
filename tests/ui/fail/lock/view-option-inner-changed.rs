use vmstate::VmState;

// Recorded in tests/ui/locked.lock as an option of a `uint64`.
#[derive(VmState, Default)]
#[vmstate(name = "locked-pending", version = 1, lock = "locked.lock")]
struct Pending {
    #[vmstate(with = vmstate::with::option)]
    irq: Option<u32>,
}

fn main() {}
