use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "dev", version = 1)]
struct Dev {
    serial: String,
}

fn main() {}
