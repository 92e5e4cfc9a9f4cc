//! `virtio-rng`: the virtio entropy device (`hw/virtio/virtio-rng.c`) on
//! virtio-pci.

use super::device::{Virtio, VirtioDevice};
use super::pci::VirtioPciConfig;
use crate::VmState;

/// QEMU `vmstate_virtio_rng` (`virtio-rng`, version 1): the section of a
/// `virtio-rng-pci` device, idstr `<pci address>/virtio-rng`. The device has
/// no state of its own beyond the common virtio state.
///
/// Configuration defaults are those of `-device virtio-rng-pci` on QEMU 7.2
/// and 10.0: MSI-X with 2 vectors.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio-rng", version = 1)]
pub struct VirtioRng {
    /// The virtio-pci transport's part (`virtio_pci_save_config`).
    pub transport: VirtioPciConfig,
    /// The common virtio state (`virtio_save`); the device adds nothing.
    pub parent_obj: VirtioDevice,
    /// The `virtio` VMSD's subsections.
    pub virtio: Virtio,
}

impl Default for VirtioRng {
    /// Reset state with the configuration of `-device virtio-rng-pci`.
    fn default() -> Self {
        Self {
            transport: VirtioPciConfig::with_vectors(2),
            parent_obj: VirtioDevice::default(),
            virtio: Virtio::default(),
        }
    }
}
