//! `virtio-balloon`: the virtio memory balloon (`hw/virtio/virtio-balloon.c`)
//! on virtio-pci.

use super::device::{Virtio, VirtioDevice};
use super::pci::VirtioPciConfig;
use crate::VmState;

/// `VIRTIO_BALLOON_F_FREE_PAGE_HINT`.
pub const VIRTIO_BALLOON_F_FREE_PAGE_HINT: u32 = 3;
/// `VIRTIO_BALLOON_F_PAGE_POISON`.
pub const VIRTIO_BALLOON_F_PAGE_POISON: u32 = 4;

/// QEMU `vmstate_virtio_balloon` (`virtio-balloon`, version 1): the section
/// of a `virtio-balloon-pci` device, idstr `<pci address>/virtio-balloon`.
///
/// Configuration defaults are those of `-device virtio-balloon-pci` on a
/// QEMU 10.0 machine type: MSI-X with 2 vectors. Machine types of QEMU 7.2
/// and before give it no MSI-X: use [`VirtioBalloon::with_vectors`]`(0)`.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio-balloon", version = 1)]
pub struct VirtioBalloon {
    /// The virtio-pci transport's part (`virtio_pci_save_config`).
    pub transport: VirtioPciConfig,
    /// The device: common virtio state and `virtio-balloon-device`.
    pub device: VirtioBalloonDevice,
    /// The `virtio` VMSD's subsections.
    pub virtio: Virtio,
}

impl Default for VirtioBalloon {
    /// Reset state with the configuration of `-device virtio-balloon-pci` on
    /// a QEMU 10.0 machine type.
    fn default() -> Self {
        Self::with_vectors(2)
    }
}

impl VirtioBalloon {
    /// Reset state of a device with `vectors` MSI-X vectors (0: no MSI-X).
    #[must_use]
    pub fn with_vectors(vectors: u16) -> Self {
        let mut device = VirtioBalloonDevice::default();
        device.parent_obj.msix = vectors > 0;
        Self {
            transport: VirtioPciConfig::with_vectors(vectors),
            device,
            virtio: Virtio::default(),
        }
    }
}

/// QEMU `vmstate_virtio_balloon_device` (`virtio-balloon-device`, version
/// 1), preceded by the common state of its parent `VirtIODevice`, whose
/// negotiated features decide which subsections are sent.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "virtio-balloon-device", version = 1)]
pub struct VirtioBalloonDevice {
    /// The common virtio state (`virtio_save`).
    pub parent_obj: VirtioDevice,
    /// `num_pages`: the balloon size the host asked for, in 4 KiB pages.
    pub num_pages: u32,
    /// `actual`: the balloon size the guest reported.
    pub actual: u32,
    /// `virtio-balloon-device/free-page-report`: sent when the guest
    /// negotiated free page hinting.
    #[subsection(needed = VirtioBalloonDevice::free_page_hint_needed)]
    pub free_page_hint: VirtioBalloonFreePageHint,
    /// `virtio-balloon-device/page-poison`: sent when the guest negotiated
    /// page poisoning.
    #[subsection(needed = VirtioBalloonDevice::page_poison_needed)]
    pub page_poison: VirtioBalloonPagePoison,
}

impl VirtioBalloonDevice {
    /// QEMU `virtio_balloon_free_page_support`.
    fn free_page_hint_needed(&self) -> bool {
        self.parent_obj
            .has_guest_feature_lo(VIRTIO_BALLOON_F_FREE_PAGE_HINT)
    }

    /// QEMU `virtio_balloon_page_poison_support`.
    fn page_poison_needed(&self) -> bool {
        self.parent_obj
            .has_guest_feature_lo(VIRTIO_BALLOON_F_PAGE_POISON)
    }
}

/// QEMU `vmstate_virtio_balloon_free_page_hint`
/// (`virtio-balloon-device/free-page-report`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq, Eq)]
#[vmstate(name = "virtio-balloon-device/free-page-report", version = 1)]
pub struct VirtioBalloonFreePageHint {
    /// `free_page_hint_cmd_id`: the current hinting round.
    pub free_page_hint_cmd_id: u32,
    /// `free_page_hint_status`.
    pub free_page_hint_status: u32,
}

/// QEMU `vmstate_virtio_balloon_page_poison`
/// (`virtio-balloon-device/page-poison`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq, Eq)]
#[vmstate(name = "virtio-balloon-device/page-poison", version = 1)]
pub struct VirtioBalloonPagePoison {
    /// `poison_val`: the value the guest fills freed pages with.
    pub poison_val: u32,
}
