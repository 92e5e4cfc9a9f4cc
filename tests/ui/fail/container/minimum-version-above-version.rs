use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "dev", version = 2, minimum_version = 3)]
struct Dev {
    a: u32,
}

fn main() {}
