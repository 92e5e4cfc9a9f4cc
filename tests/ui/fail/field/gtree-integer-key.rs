use std::collections::BTreeMap;

use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "iommu", version = 1)]
struct Iommu {
    #[vmstate(with = vmstate::with::gtree)]
    domains: BTreeMap<u32, u32>,
}

fn main() {}
