use vmstate::VmState;

#[derive(VmState)]
#[vmstate(version = 1)]
struct Dev {
    a: u32,
}

fn main() {}
