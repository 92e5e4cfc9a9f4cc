use vmstate::VmState;

#[derive(VmState, Default)]
#[vmstate(name = "dev", version = 3, minimum_version = 1)]
struct Dev {
    #[vmstate(since = 2, until = 2)]
    old: u8,
}

fn main() {}
