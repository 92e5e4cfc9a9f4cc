use vmstate::VmState;

// Version 1 of `Outer` is recorded in tests/ui/locked.lock with `Inner`
// inlined as it was then: `a` only.
#[derive(VmState, Default)]
#[vmstate(name = "locked-inner", version = 1)]
struct Inner {
    a: u16,
    b: u16,
}

#[derive(VmState, Default)]
#[vmstate(name = "locked-outer", version = 1, lock = "locked.lock")]
struct Outer {
    head: u8,
    inner: Inner,
}

fn main() {}
