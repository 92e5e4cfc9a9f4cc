//! Section priority: the order in which QEMU saves device sections.
//!
//! QEMU keeps its savevm handlers in one list and saves the sections in list
//! order. `savevm_state_handler_insert` puts a new handler before the first
//! one of lower priority, so the list is the registration order sorted by
//! `VMStateDescription::priority`, highest first, with equal priorities left
//! in registration order (a stable sort). A stream writer that wants QEMU's
//! order sorts its sections the same way: [`sort_by_priority`].

use core::cmp::Reverse;

/// QEMU's `MigrationPriority`, lowest first. Only the order reaches the
/// stream: QEMU 10.0 renumbered the values (it added `MIG_PRI_UNINITIALIZED`
/// and `MIG_PRI_LOW` below `MIG_PRI_DEFAULT`) without changing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Priority {
    /// `MIG_PRI_LOW` (QEMU 10.0): saved after every default section.
    Low,
    /// `MIG_PRI_DEFAULT`: what a VMSD without `.priority` gets.
    #[default]
    Default,
    /// `MIG_PRI_IOMMU`: before the PCI devices whose DMA it translates
    /// (`virtio-iommu`, `intel-iommu`, `amd-iommu`).
    Iommu,
    /// `MIG_PRI_PCI_BUS`: bridges and root ports, before the IOMMU
    /// (`pcie-root-port`, `ioh3420`, `i82801b11_bridge`).
    PciBus,
    /// `MIG_PRI_VIRTIO_MEM`: virtio-mem, before the IOMMU and the bridges.
    VirtioMem,
    /// `MIG_PRI_GICV3_ITS` (Arm).
    GicV3Its,
    /// `MIG_PRI_GICV3` (Arm): before its ITS.
    GicV3,
}

/// Sorts `sections`, given in registration order, into the order QEMU saves
/// them: highest [`Priority`] first, equal priorities in the given order.
pub fn sort_by_priority<T>(sections: &mut [T], mut priority: impl FnMut(&T) -> Priority) {
    // `sort_by_key` is stable, which keeps registration order among equals
    // as QEMU's insertion does.
    sections.sort_by_key(|section| Reverse(priority(section)));
}
