use vmstate::VmState;

// Recorded in tests/ui/locked.lock as a direct-key tree of `uint32` values.
// Layouts are compared by meaning: an alias, a full path and a narrower key
// (a direct key is a be64 whatever its width) are the same bytes.
type Map = std::collections::BTreeMap<u32, u32>;

#[derive(VmState, Default)]
#[vmstate(name = "locked-tree", version = 1, lock = "locked.lock")]
struct Tree {
    map: Map,
}

fn main() {}
