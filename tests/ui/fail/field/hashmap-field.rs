use std::collections::HashMap;

use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "dev", version = 1)]
struct Dev {
    routes: HashMap<u32, u32>,
}

fn main() {}
