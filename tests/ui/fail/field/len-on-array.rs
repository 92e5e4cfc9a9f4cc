use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "dev", version = 1)]
struct Dev {
    count: u32,
    #[vmstate(len = count)]
    items: [u16; 8],
}

fn main() {}
