use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "uart", version = 1)]
struct Uart {
    lcr: u8,
    deadline: Option<u64>,
}

fn main() {}
