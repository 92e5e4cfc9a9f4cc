use std::collections::BTreeMap;

use vmstate::VmState;

#[derive(VmState, Default, PartialEq, Eq, PartialOrd, Ord)]
#[vmstate(name = "interval", version = 1)]
struct Interval {
    low: u64,
    high: u64,
}

#[derive(VmState)]
#[vmstate(name = "mappings", version = 1)]
struct Mappings {
    map: BTreeMap<Interval, u32>,
}

fn main() {}
