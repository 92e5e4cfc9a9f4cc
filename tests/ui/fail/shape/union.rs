use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "regs", version = 1)]
union Regs {
    word: u32,
    bytes: [u8; 4],
}

fn main() {}
