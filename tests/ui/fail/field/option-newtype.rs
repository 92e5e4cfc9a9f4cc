use vmstate::VmState;

#[derive(VmState)]
struct PendingIrq(Option<u32>);

fn main() {}
