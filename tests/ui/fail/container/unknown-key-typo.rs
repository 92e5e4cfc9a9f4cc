use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "dev", verison = 1)]
struct Dev {
    a: u32,
}

fn main() {}
