use std::collections::BTreeMap;

use vmstate::VmState;

// Recorded in tests/ui/locked.lock as a direct-key tree of `uint32` values.
#[derive(VmState, Default)]
#[vmstate(name = "locked-tree", version = 1, lock = "locked.lock")]
struct Tree {
    map: BTreeMap<u64, u64>,
}

fn main() {}
