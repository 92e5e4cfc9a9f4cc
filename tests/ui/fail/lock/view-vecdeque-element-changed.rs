use std::collections::VecDeque;

use vmstate::VmState;

// Recorded in tests/ui/locked.lock as a QTAILQ of `uint8` elements.
#[derive(VmState, Default)]
#[vmstate(name = "locked-fifo", version = 1, lock = "locked.lock")]
struct Fifo {
    #[vmstate(with = vmstate::with::qtailq)]
    fifo: VecDeque<u16>,
}

fn main() {}
