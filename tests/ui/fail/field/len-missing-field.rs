use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "dev", version = 1)]
struct Dev {
    count: u32,
    #[vmstate(len = cuont)]
    items: Vec<u16>,
}

fn main() {}
