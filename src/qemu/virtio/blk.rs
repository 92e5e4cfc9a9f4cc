//! `virtio-blk`: the virtio block device (`hw/block/virtio-blk.c`) on
//! virtio-pci.

use super::device::{Virtio, VirtioDevice};
use super::pci::VirtioPciConfig;
use crate::models::ModelErrorKind;
use crate::{Error, ErrorKind, VmState};

/// QEMU `vmstate_virtio_blk` (`virtio-blk`, version 2): the section of a
/// `virtio-blk-pci` device, idstr `<pci address>/virtio-blk`.
///
/// Configuration defaults are those of `-device virtio-blk-pci` with one
/// vCPU on QEMU 7.2 and 10.0: one queue, MSI-X with 2 vectors.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio-blk", version = 2)]
pub struct VirtioBlk {
    /// The virtio-pci transport's part (`virtio_pci_save_config`).
    pub transport: VirtioPciConfig,
    /// The device: common virtio state and `virtio_blk_save_device`.
    pub device: VirtioBlkDevice,
    /// The `virtio` VMSD's subsections.
    pub virtio: Virtio,
}

impl Default for VirtioBlk {
    /// Reset state with the configuration of `-device virtio-blk-pci`.
    fn default() -> Self {
        Self {
            transport: VirtioPciConfig::with_vectors(2),
            device: VirtioBlkDevice::default(),
            virtio: Virtio::default(),
        }
    }
}

/// The common virtio state followed by QEMU's legacy `virtio_blk_save_device`
/// (no VMSD): the requests in flight, each announced by a byte 1, then a
/// byte 0.
///
/// A request in flight carries a `VirtQueueElement` saved as a raw 49 KiB
/// host-memory image, which is not modelled: a stream with one (a guest
/// stopped with I/O pending that QEMU could not drain) is refused, with an
/// error at that byte.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "virtio-blk-device", version = 2)]
pub struct VirtioBlkDevice {
    /// The common virtio state (`virtio_save`).
    pub parent_obj: VirtioDevice,
    /// The `qemu_put_sbyte(f, 0)` that ends the list of requests in flight
    /// (`rq`).
    #[vmstate(validate = VirtioBlkDevice::check_no_request)]
    pub rq_end: i8,
}

impl VirtioBlkDevice {
    /// Only the end of an empty request list is modelled.
    fn check_no_request(&self) -> Result<(), Error> {
        request_list_end(self.rq_end)
    }
}

/// The end of virtio-blk's request list (`virtio_blk_save_device`): 0 ends
/// it; 1 starts a request in flight, which no model holds.
pub(crate) fn request_list_end(marker: i8) -> Result<(), Error> {
    match marker {
        0 => Ok(()),
        1 => Err(Error::new(ModelErrorKind::UnmodelledElement {
            holder: "a virtio-blk request in flight",
        })),
        other => Err(Error::new(ErrorKind::OutOfRange {
            what: "request list marker",
            value: i128::from(other),
            minimum: 0,
            maximum: 1,
            note: Some("0 ends the list, 1 starts a request"),
        })),
    }
}
