use vmstate::VmState;

// A copy of release 1 kept for tests under another name is still checked
// against the type recorded with its VMSD name (`crate::Nic` in
// tests/ui/locked.lock).
#[derive(VmState, Default)]
#[vmstate(name = "locked-nic", version = 1, frozen, lock = "locked.lock")]
struct NicV1 {
    ctrl: u32,
    status: u32,
}

fn main() {}
