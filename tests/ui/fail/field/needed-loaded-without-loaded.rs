// `needed = loaded` keeps its flag in the field, which must be a `Loaded<T>`.
use vmstate::VmState;

#[derive(VmState, Default)]
#[vmstate(name = "dev/sub", version = 1)]
struct Sub {
    a: u8,
}

#[derive(VmState)]
#[vmstate(name = "dev", version = 1)]
struct Dev {
    a: u32,
    #[subsection(needed = loaded)]
    sub: Sub,
}

fn main() {}
