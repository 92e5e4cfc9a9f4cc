//! Models of QEMU's virtio devices on the virtio-pci transport. A virtio
//! device's section has one QEMU field, `virtio` (`VMSTATE_VIRTIO_DEVICE`),
//! which QEMU's hand-written `virtio_save` fills; the models spell it out:
//!
//! 1. the transport's part ([`pci::VirtioPciConfig`]): the PCI function, the
//!    MSI-X table and pending bits, the configuration-change vector;
//! 2. the common device state ([`device::VirtioDevice`]): status, interrupt
//!    status, the low feature word, the configuration space, the queues;
//! 3. the device's own state (its `vdc->vmsd`, or its legacy `save`
//!    function), which holds the common state as `parent_obj`, as QEMU's C
//!    types do, because its `exists`/`needed` tests read negotiated features;
//! 4. the `virtio` VMSD's subsections ([`device::Virtio`]), among them the
//!    transport's extra state ([`pci::VirtioPciExtraState`]).
//!
//! Whether the transport has MSI-X, and with how many vectors, is device
//! configuration that changes the layout. Each model's `Default` is what
//! `-device <name>-pci` gives on a QEMU 10.0 machine type; [`VirtioPci`]
//! configures a model from the MSI-X capability in the payload's own PCI
//! configuration space, which is how the registry decodes any virtio-pci
//! section.

pub mod balloon;
pub mod blk;
pub mod device;
pub mod iommu;
pub mod net;
pub mod pci;
pub mod rng;
pub mod serial;

use super::ForPayload;
use crate::VmState;

/// `PCI_CAP_ID_MSIX`.
const PCI_CAP_ID_MSIX: u8 = 0x11;
/// `PCI_STATUS_CAP_LIST`: bit 4 of the status register.
const PCI_STATUS_CAP_LIST: u8 = 0x10;
/// Where the 256-byte configuration space starts in a virtio-pci payload:
/// after `PCIDevice`'s be32 `version_id`.
const CONFIG_OFFSET: usize = 4;

/// The number of MSI-X vectors a virtio-pci payload's PCI function has, read
/// from the MSI-X capability in the configuration space at the start of the
/// payload: `Some(0)` without the capability, `None` when the payload is too
/// short to hold a configuration space.
#[must_use]
pub fn msix_vectors(payload: &[u8]) -> Option<u16> {
    let config = payload.get(CONFIG_OFFSET..CONFIG_OFFSET + 256)?;
    if config[0x06] & PCI_STATUS_CAP_LIST == 0 {
        return Some(0);
    }
    let mut pointer = usize::from(config[0x34] & !3);
    // A capability takes at least 4 bytes of the 192 after the header, so a
    // longer walk is a loop in hostile bytes.
    for _ in 0..48 {
        if pointer < 0x40 {
            break;
        }
        if config[pointer] == PCI_CAP_ID_MSIX {
            let control = u16::from_le_bytes([config[pointer + 2], config[pointer + 3]]);
            return Some((control & 0x07ff) + 1);
        }
        pointer = usize::from(config[pointer + 1] & !3);
    }
    Some(0)
}

/// A virtio-pci device model whose layout depends on the number of MSI-X
/// vectors. Each is a [`ForPayload`] model: configured as the PCI function at
/// the start of its payload says.
pub trait VirtioPci: VmState + Default {
    /// Reset state of a device with `vectors` MSI-X vectors (0: no MSI-X).
    #[must_use]
    fn with_vectors(vectors: u16) -> Self;
}

/// A virtio-pci model configured by the MSI-X vectors its payload's PCI
/// function declares ([`msix_vectors`]); the default when the payload is too
/// short.
impl<T: VirtioPci> ForPayload for T {
    fn for_payload(payload: &[u8]) -> Self {
        msix_vectors(payload).map_or_else(Self::default, Self::with_vectors)
    }
}

/// `VirtioPci` for models whose transport and common device state are the
/// fields `transport` and `device`: the vectors go to the transport, and the
/// device uses MSI-X when it has any.
macro_rules! virtio_pci_with_device {
    ($($model:ty),*) => {$(
        impl VirtioPci for $model {
            fn with_vectors(vectors: u16) -> Self {
                let mut model = Self {
                    transport: pci::VirtioPciConfig::with_vectors(vectors),
                    ..Self::default()
                };
                model.device.parent_obj.msix = vectors > 0;
                model
            }
        }
    )*};
}

virtio_pci_with_device!(
    net::VirtioNet,
    blk::VirtioBlk,
    serial::VirtioSerial,
    iommu::VirtioIommu
);

impl VirtioPci for balloon::VirtioBalloon {
    fn with_vectors(vectors: u16) -> Self {
        Self::with_vectors(vectors)
    }
}

impl VirtioPci for rng::VirtioRng {
    fn with_vectors(vectors: u16) -> Self {
        let mut model = Self {
            transport: pci::VirtioPciConfig::with_vectors(vectors),
            ..Self::default()
        };
        model.parent_obj.msix = vectors > 0;
        model
    }
}
