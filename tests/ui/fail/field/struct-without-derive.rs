use vmstate::VmState;

struct Timer {
    expiry: i64,
}

#[derive(VmState)]
#[vmstate(name = "dev", version = 1)]
struct Dev {
    a: u32,
    timer: Timer,
}

fn main() {}
