use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "dev", version = 1)]
struct Dev {
    #[vmstate(len = count)]
    items: Vec<u16>,
    count: u32,
}

fn main() {}
