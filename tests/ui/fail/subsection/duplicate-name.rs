use vmstate::VmState;

#[derive(VmState, Default)]
#[vmstate(name = "dev/extra", version = 1)]
struct Extra {
    x: u32,
}

#[derive(VmState, Default)]
#[vmstate(name = "dev/extra", version = 2)]
struct ExtraV2 {
    x: u32,
    y: u32,
}

#[derive(VmState)]
#[vmstate(name = "dev", version = 1)]
struct Dev {
    a: u32,
    #[subsection(needed = Dev::always)]
    extra: Extra,
    #[subsection(needed = Dev::always)]
    extra_v2: ExtraV2,
}

impl Dev {
    fn always(&self) -> bool {
        true
    }
}

fn main() {}
