use vmstate::VmState;

#[derive(VmState, Default)]
#[vmstate(name = "dev", version = 3, minimum_version = 2)]
struct Dev {
    #[vmstate(until = 2)]
    gone: u8,
}

fn main() {}
