use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "fifo", version = 1)]
struct Fifo {
    #[vmstate(count_of = buf)]
    n: u8,
    buf: [u8; 4],
}

fn main() {}
