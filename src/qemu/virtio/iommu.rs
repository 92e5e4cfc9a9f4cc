//! `virtio-iommu`: the paravirtual IOMMU (`hw/virtio/virtio-iommu.c`) on
//! virtio-pci. Its domains are a `GLib` tree keyed by domain id
//! (`VMSTATE_GTREE_DIRECT_KEY_V`); each domain holds a tree of mappings keyed
//! by address interval (`VMSTATE_GTREE_V`) and a list of endpoints
//! (`VMSTATE_QLIST_V`).

use std::collections::BTreeMap;

use super::device::{Virtio, VirtioDevice};
use super::pci::VirtioPciConfig;
use crate::VmState;

/// QEMU `vmstate_virtio_iommu` (`virtio-iommu`, version 2, minimum 2, with
/// `MIG_PRI_IOMMU`): the section of a `virtio-iommu-pci` device, idstr
/// `<pci address>/virtio-iommu`.
///
/// Configuration defaults are those of `-device virtio-iommu-pci` on QEMU
/// 7.2 and 10.0 machine types: MSI-X with 2 vectors.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(
    name = "virtio-iommu",
    version = 2,
    minimum_version = 2,
    priority = "iommu"
)]
pub struct VirtioIommu {
    /// The virtio-pci transport's part (`virtio_pci_save_config`).
    pub transport: VirtioPciConfig,
    /// The device: common virtio state and `virtio-iommu-device`.
    pub device: VirtioIommuDevice,
    /// The `virtio` VMSD's subsections.
    pub virtio: Virtio,
}

impl Default for VirtioIommu {
    /// Reset state with the configuration of `-device virtio-iommu-pci`.
    fn default() -> Self {
        let mut device = VirtioIommuDevice::default();
        device.parent_obj.msix = true;
        Self {
            transport: VirtioPciConfig::with_vectors(2),
            device,
            virtio: Virtio::default(),
        }
    }
}

/// QEMU `vmstate_virtio_iommu_device` (`virtio-iommu-device`, version 2,
/// minimum 2), preceded by the common state of its parent `VirtIODevice`.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "virtio-iommu-device", version = 2, minimum_version = 2)]
pub struct VirtioIommuDevice {
    /// The common virtio state (`virtio_save`).
    pub parent_obj: VirtioDevice,
    /// `domains` (`VMSTATE_GTREE_DIRECT_KEY_V`): the domains by id. Empty
    /// until a guest driver attaches an endpoint.
    #[vmstate(info = "gtree")]
    pub domains: BTreeMap<u32, VirtioIommuDomain>,
    /// `bypass` (version 2): whether endpoints outside any domain bypass
    /// translation.
    pub bypass: u8,
}

/// QEMU `vmstate_domain` (`domain`, version 2, minimum 2): one value of
/// [`VirtioIommuDevice::domains`].
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "domain", version = 2, minimum_version = 2)]
pub struct VirtioIommuDomain {
    /// `id`: the domain id (again, as in the tree's key).
    pub id: u32,
    /// `mappings` (`VMSTATE_GTREE_V`): the mapped I/O virtual address ranges.
    #[vmstate(with = crate::with::gtree, info = "gtree")]
    pub mappings: BTreeMap<VirtioIommuInterval, VirtioIommuMapping>,
    /// `endpoint_list` (`VMSTATE_QLIST_V`): the endpoints attached.
    #[vmstate(with = crate::with::qlist, info = "qlist")]
    pub endpoint_list: Vec<VirtioIommuEndpoint>,
    /// `bypass` (version 2): the domain lets DMA through untranslated.
    #[vmstate(since = 2)]
    pub bypass: bool,
}

/// QEMU `vmstate_interval_mapping[0]` (`interval`, version 1): the key of
/// [`VirtioIommuDomain::mappings`], an inclusive range of I/O virtual
/// addresses.
#[derive(VmState, Debug, Default, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[vmstate(name = "interval", version = 1)]
pub struct VirtioIommuInterval {
    /// `low`: the first address.
    pub low: u64,
    /// `high`: the last address.
    pub high: u64,
}

/// QEMU `vmstate_interval_mapping[1]` (`virtio-iommu-mapping`, version 1):
/// where an interval goes.
#[derive(VmState, Debug, Default, Clone, Copy, PartialEq, Eq)]
#[vmstate(name = "virtio-iommu-mapping", version = 1)]
pub struct VirtioIommuMapping {
    /// `phys_addr`: the guest physical address of the interval's start.
    pub phys_addr: u64,
    /// `flags`: `VIRTIO_IOMMU_MAP_F_*` (read, write, MMIO).
    pub flags: u32,
}

/// QEMU `vmstate_endpoint` (`endpoint`, version 1): one element of
/// [`VirtioIommuDomain::endpoint_list`].
#[derive(VmState, Debug, Default, Clone, Copy, PartialEq, Eq)]
#[vmstate(name = "endpoint", version = 1)]
pub struct VirtioIommuEndpoint {
    /// `id`: the endpoint id (the PCI requester id, BDF).
    pub id: u32,
}
