use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "dev", version = 2)]
struct Dev {
    a: u32,
    #[vmstate(since = 3)]
    b: u32,
}

fn main() {}
