use vmstate::VmState;

#[derive(VmState, Default)]
#[vmstate(name = "dev/extra", version = 1)]
struct Extra {
    x: u32,
}

#[derive(VmState)]
#[vmstate(name = "dev", version = 1)]
struct Dev {
    a: u32,
    #[subsection]
    extra: Extra,
}

fn main() {}
