use vmstate::VmState;

#[derive(VmState)]
struct Pair(u32, u32);

fn main() {}
