#![deny(deprecated)]

use std::collections::VecDeque;

use vmstate::VmState;

// Recorded in tests/ui/locked.lock by an older vmstate, as `opaque`: not
// checked, and the build says how to fill it in.
#[derive(VmState, Default)]
#[vmstate(name = "locked-legacy", version = 1, lock = "locked.lock")]
struct Legacy {
    #[vmstate(with = vmstate::with::qtailq)]
    fifo: VecDeque<u8>,
}

fn main() {}
