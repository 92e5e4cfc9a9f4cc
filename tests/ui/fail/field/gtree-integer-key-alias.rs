use std::collections::BTreeMap;

use vmstate::VmState;

type DomainId = u32;

#[derive(VmState)]
#[vmstate(name = "iommu", version = 1)]
struct Iommu {
    #[vmstate(with = vmstate::with::gtree)]
    domains: BTreeMap<DomainId, u32>,
}

fn main() {}
