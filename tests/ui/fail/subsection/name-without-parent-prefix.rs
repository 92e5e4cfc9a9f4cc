use vmstate::VmState;

#[derive(VmState, Default)]
#[vmstate(name = "extra", version = 1)]
struct Extra {
    x: u32,
}

#[derive(VmState)]
#[vmstate(name = "dev", version = 1)]
struct Dev {
    a: u32,
    #[subsection(needed = Dev::extra_needed)]
    extra: Extra,
}

impl Dev {
    fn extra_needed(&self) -> bool {
        self.extra.x != 0
    }
}

fn main() {}
