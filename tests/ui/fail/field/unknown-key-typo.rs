use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "dev", version = 2)]
struct Dev {
    a: u32,
    #[vmstate(sinse = 2)]
    b: u32,
}

fn main() {}
