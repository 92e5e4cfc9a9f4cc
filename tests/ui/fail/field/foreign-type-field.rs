use std::time::Duration;

use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "dev", version = 1)]
struct Dev {
    period: Duration,
}

fn main() {}
