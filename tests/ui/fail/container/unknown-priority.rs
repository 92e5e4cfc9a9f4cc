use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "iommu", version = 1, priority = "MIG_PRI_IOMMU")]
struct Iommu {
    enabled: bool,
}

fn main() {}
