//! Virtio devices on the virtio-mmio transport (`hw/virtio/virtio-mmio.c`),
//! as the `virt` machine's `-device virtio-*-device` options place them:
//! section idstr `virtio-mmio@<base address>/<device>`.
//!
//! The `virtio` field that QEMU's `virtio_save` writes differs from
//! virtio-pci's in the transport's parts: `virtio_mmio_save_config` writes
//! three be32 ([`VirtioMmioConfig`]) where virtio-pci writes its PCI function,
//! and because the transport has a variable ring alignment
//! (`has_variable_vring_alignment`) each queue carries its `align` and no
//! MSI-X vector ([`VirtQueueMmio`]). The transport's `vmstate_virtio_mmio`
//! travels in the `virtio/extra_state` subsection only for a non-legacy
//! transport; QEMU 7.2 and 10.0 default to the legacy one
//! (`force-legacy=on`), and these models are for that default: a stream of a
//! `force-legacy=off` device is refused by them and decoded from its vmdesc.

use crate::qemu::virtio::device::Virtio;
use crate::{Error, VmState};

/// The features above bit 31 that a device on the legacy virtio-mmio
/// transport offers, as far as the `virtio` VMSD's `needed` tests read them.
/// QEMU 7.2 and 10.0 send `virtio/64bit_features` for such a device (some
/// feature above bit 31 is offered: presumably `VIRTIO_F_RING_RESET`, bit 40,
/// which the common `queue_reset` property offers by default) but not
/// `virtio/virtqueues` or `virtio/packed_virtqueues` (neither
/// `VIRTIO_F_VERSION_1`, bit 32, which only a non-legacy transport adds, nor
/// `VIRTIO_F_RING_PACKED`, bit 34).
const LEGACY_MMIO_HIGH_FEATURES: u64 = 1 << 40;

/// The `virtio` VMSD's subsections for a legacy virtio-mmio transport: no
/// extra transport state.
fn legacy_virtio() -> Virtio {
    Virtio {
        host_features: LEGACY_MMIO_HIGH_FEATURES,
        has_extra_state: false,
        ..Virtio::default()
    }
}

/// QEMU `virtio_mmio_save_config`: the transport's registers that select
/// feature words and the legacy page size. Not a QEMU VMSD.
#[derive(VmState, Debug, Clone, PartialEq, Eq, Default)]
#[vmstate(name = "virtio-mmio-config", version = 1)]
pub struct VirtioMmioConfig {
    /// `host_features_sel`: which 32-bit word of the device features the
    /// driver reads.
    pub host_features_sel: u32,
    /// `guest_features_sel`: which word of the driver features it writes.
    pub guest_features_sel: u32,
    /// `guest_page_shift`: the legacy guest page size's shift (0 until the
    /// driver sets it).
    pub guest_page_shift: u32,
}

/// The common state `virtio_save` writes on virtio-mmio (see
/// [`VirtioDevice`](crate::qemu::virtio::device::VirtioDevice) for
/// virtio-pci's): status, interrupt status, the low feature word, the
/// configuration space, and every queue whose size is not zero.
#[derive(VmState, Debug, Clone, PartialEq, Eq, Default)]
#[vmstate(name = "virtio-device", version = 1)]
pub struct VirtioMmioDevice {
    /// `status`: the device status the driver set.
    pub status: u8,
    /// `isr`: the interrupt status register.
    pub isr: u8,
    /// `queue_sel`: the queue the driver selected.
    pub queue_sel: u16,
    /// `guest_features` bits 0-31 (QEMU's `guest_features_lo`).
    pub guest_features_lo: u32,
    /// `config_len`: the size of the device configuration space.
    pub config_len: u32,
    /// `config`: QEMU's copy of the configuration space.
    #[vmstate(len = config_len, info = "buffer")]
    pub config: Vec<u8>,
    /// The number of queues that follow: those before the first of size 0.
    pub num_queues: u32,
    /// `vq`: the queues.
    #[vmstate(len = num_queues)]
    pub vq: Vec<VirtQueueMmio>,
}

/// One queue as `virtio_save` writes it on a transport with a variable ring
/// alignment.
#[derive(VmState, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[vmstate(name = "virtqueue", version = 1)]
pub struct VirtQueueMmio {
    /// `vring.num`: the queue size.
    pub num: u32,
    /// `vring.align`: the legacy ring alignment the driver set.
    pub align: u32,
    /// `vring.desc`: the descriptor table's guest address.
    pub desc: u64,
    /// `last_avail_idx`: the next available-ring entry the device will take.
    pub last_avail_idx: u16,
}

/// QEMU `vmstate_virtio_blk` (`virtio-blk`, version 2) on virtio-mmio, idstr
/// `virtio-mmio@<base>/virtio-blk` (`-device virtio-blk-device`).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio-blk", version = 2)]
pub struct VirtioMmioBlk {
    /// The transport's part (`virtio_mmio_save_config`).
    pub transport: VirtioMmioConfig,
    /// The common virtio state (`virtio_save`).
    pub parent_obj: VirtioMmioDevice,
    /// The `qemu_put_sbyte(f, 0)` that ends `virtio_blk_save_device`'s list
    /// of requests in flight; a request (a raw host-memory image of a
    /// `VirtQueueElement`) is not modelled, as on virtio-pci.
    #[vmstate(validate = VirtioMmioBlk::check_no_request)]
    pub rq_end: i8,
    /// The `virtio` VMSD's subsections.
    pub virtio: Virtio,
}

impl Default for VirtioMmioBlk {
    /// Reset state of `-device virtio-blk-device` on a legacy transport.
    fn default() -> Self {
        Self {
            transport: VirtioMmioConfig::default(),
            parent_obj: VirtioMmioDevice::default(),
            rq_end: 0,
            virtio: legacy_virtio(),
        }
    }
}

impl VirtioMmioBlk {
    /// Only the end of an empty request list is modelled.
    fn check_no_request(&self) -> Result<(), Error> {
        crate::qemu::virtio::blk::request_list_end(self.rq_end)
    }
}

/// QEMU `vmstate_virtio_rng` (`virtio-rng`, version 1) on virtio-mmio, idstr
/// `virtio-mmio@<base>/virtio-rng` (`-device virtio-rng-device`).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio-rng", version = 1)]
pub struct VirtioMmioRng {
    /// The transport's part (`virtio_mmio_save_config`).
    pub transport: VirtioMmioConfig,
    /// The common virtio state (`virtio_save`); the device adds nothing.
    pub parent_obj: VirtioMmioDevice,
    /// The `virtio` VMSD's subsections.
    pub virtio: Virtio,
}

impl Default for VirtioMmioRng {
    /// Reset state of `-device virtio-rng-device` on a legacy transport.
    fn default() -> Self {
        Self {
            transport: VirtioMmioConfig::default(),
            parent_obj: VirtioMmioDevice::default(),
            virtio: legacy_virtio(),
        }
    }
}
