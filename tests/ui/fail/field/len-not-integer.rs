use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "dev", version = 1)]
struct Dev {
    count: bool,
    #[vmstate(len = count)]
    items: Vec<u16>,
}

fn main() {}
