use vmstate::VmState;

#[derive(VmState, Default)]
#[vmstate(name = "dev/extra", version = 1)]
struct Extra {
    x: u32,
}

#[derive(VmState)]
#[vmstate(name = "dev", version = 2)]
struct Dev {
    a: u32,
    #[subsection(needed = Dev::extra_needed)]
    #[vmstate(since = 2)]
    extra: Extra,
}

impl Dev {
    fn extra_needed(&self) -> bool {
        self.extra.x != 0
    }
}

fn main() {}
