//! Where a device's section goes in a stream: QEMU's `MigrationPriority`.
//! A stream writer sends sections of a higher priority first, so that a
//! receiver has an IOMMU or an interrupt controller before the devices that
//! use it. The priority is never on the wire itself.
//!
//! It is here, beside the lock format, because the derive checks the names it
//! accepts; `vmstate::Priority` is this type.

/// QEMU's `MigrationPriority` (`include/migration/vmstate.h`), in ascending
/// order: a greater value is saved and loaded earlier. Set it with
/// `#[vmstate(priority = "iommu")]`; [`Priority::name`] is that spelling.
///
/// The numbers behind QEMU's names changed in QEMU 10.1, which inserted
/// `MIG_PRI_LOW` below `MIG_PRI_DEFAULT`, so only the names and the order are
/// kept here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[non_exhaustive]
pub enum Priority {
    /// `MIG_PRI_LOW` (QEMU 10.1 and later): after every default section.
    Low,
    /// `MIG_PRI_DEFAULT`: what a description without a priority has.
    #[default]
    Default,
    /// `MIG_PRI_IOMMU`: before PCI devices.
    Iommu,
    /// `MIG_PRI_PCI_BUS`: before the IOMMU.
    PciBus,
    /// `MIG_PRI_VIRTIO_MEM`: before the IOMMU.
    VirtioMem,
    /// `MIG_PRI_GICV3_ITS`: before PCI devices.
    Gicv3Its,
    /// `MIG_PRI_GICV3`: before the ITS.
    Gicv3,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: &'static [Self] = &[
        Self::Low,
        Self::Default,
        Self::Iommu,
        Self::PciBus,
        Self::VirtioMem,
        Self::Gicv3Its,
        Self::Gicv3,
    ];

    /// The name that `#[vmstate(priority = "...")]` takes: QEMU's without
    /// `MIG_PRI_`, in lower case.
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Default => "default",
            Self::Iommu => "iommu",
            Self::PciBus => "pci_bus",
            Self::VirtioMem => "virtio_mem",
            Self::Gicv3Its => "gicv3_its",
            Self::Gicv3 => "gicv3",
        }
    }

    /// QEMU's name for it, e.g. `MIG_PRI_IOMMU`.
    #[must_use]
    pub const fn qemu_name(self) -> &'static str {
        match self {
            Self::Low => "MIG_PRI_LOW",
            Self::Default => "MIG_PRI_DEFAULT",
            Self::Iommu => "MIG_PRI_IOMMU",
            Self::PciBus => "MIG_PRI_PCI_BUS",
            Self::VirtioMem => "MIG_PRI_VIRTIO_MEM",
            Self::Gicv3Its => "MIG_PRI_GICV3_ITS",
            Self::Gicv3 => "MIG_PRI_GICV3",
        }
    }

    /// The priority that [`name`](Self::name) calls `name`, if any.
    #[must_use]
    pub const fn from_name(name: &str) -> Option<Self> {
        let mut i = 0;
        while i < Self::ALL.len() {
            if crate::str_eq(Self::ALL[i].name(), name) {
                return Some(Self::ALL[i]);
            }
            i += 1;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::Priority;

    #[test]
    fn names_round_trip() {
        for priority in Priority::ALL {
            assert_eq!(Priority::from_name(priority.name()), Some(*priority));
            assert_eq!(
                priority.qemu_name().strip_prefix("MIG_PRI_"),
                Some(priority.name().to_uppercase().as_str())
            );
        }
        assert_eq!(Priority::from_name("IOMMU"), None);
        assert_eq!(Priority::from_name(""), None);
    }

    #[test]
    fn order_is_qemus() {
        assert!(Priority::ALL.windows(2).all(|pair| pair[0] < pair[1]));
        assert!(Priority::Gicv3 > Priority::Gicv3Its);
        assert!(Priority::PciBus > Priority::Iommu);
        assert!(Priority::Default > Priority::Low);
        assert_eq!(Priority::default(), Priority::Default);
    }
}
