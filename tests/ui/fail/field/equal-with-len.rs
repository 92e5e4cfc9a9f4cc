use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "dev", version = 1)]
struct Dev {
    count: u32,
    #[vmstate(equal, len = count)]
    items: Vec<u16>,
}

fn main() {}
