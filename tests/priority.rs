//! `#[vmstate(priority = "...")]`: QEMU's `MigrationPriority` by name, read as
//! `T::PRIORITY`; the default when not given.

use vmstate::{Priority, VmState};

#[derive(VmState, Default)]
#[vmstate(name = "prio-iommu", version = 1, priority = "iommu")]
struct Iommu {
    enabled: bool,
}

#[derive(VmState, Default)]
#[vmstate(name = "prio-gic", version = 1, priority = "gicv3")]
struct Gic {
    ctlr: u32,
}

#[derive(VmState, Default)]
#[vmstate(name = "prio-plain", version = 1)]
struct Plain {
    x: u8,
}

#[test]
fn the_named_priority_is_the_consts() {
    assert_eq!(Iommu::PRIORITY, Priority::Iommu);
    assert_eq!(Gic::PRIORITY, Priority::Gicv3);
    assert_eq!(Plain::PRIORITY, Priority::Default);
}

#[test]
fn higher_priorities_go_first() {
    let mut order = [Plain::PRIORITY, Gic::PRIORITY, Iommu::PRIORITY];
    order.sort_by(|a, b| b.cmp(a));
    assert_eq!(order, [Priority::Gicv3, Priority::Iommu, Priority::Default]);
    assert_eq!(Iommu::PRIORITY.qemu_name(), "MIG_PRI_IOMMU");
}

#[test]
fn the_priority_is_not_on_the_wire() {
    let bytes = vmstate::to_vec(&Iommu { enabled: true }).unwrap();
    assert_eq!(bytes, [1]);
}
