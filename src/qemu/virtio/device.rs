//! `VirtIODevice`: the state every virtio device shares (`hw/virtio/virtio.c`):
//! what `virtio_save` writes after the transport's part, and the subsections of
//! QEMU's `virtio` VMSD that close every virtio section.

use super::pci::{VIRTIO_QUEUE_MAX, VirtioPciExtraState};
use crate::{Loaded, VmState};

/// `VIRTIO_F_VERSION_1`: the device offers the virtio 1.0 interface.
pub const VIRTIO_F_VERSION_1: u32 = 32;
/// `VIRTIO_F_RING_PACKED`: the device offers packed virtqueues.
pub const VIRTIO_F_RING_PACKED: u32 = 34;
/// `VIRTIO_F_RING_RESET`: the device can reset single queues (offered by
/// default since QEMU 7.2, on the legacy virtio-mmio transport too).
pub const VIRTIO_F_RING_RESET: u32 = 40;
/// `VIRTIO_DEVICE_ENDIAN_LITTLE`, the value of `device_endian` that needs no
/// subsection on a little-endian target.
pub const VIRTIO_DEVICE_ENDIAN_LITTLE: u8 = 1;

/// The common state `virtio_save` writes between the transport's
/// configuration and the device's own state: status, interrupt status, the
/// low feature word, the configuration space, and every queue whose size is
/// not zero. Not a QEMU VMSD (QEMU writes it by hand); QEMU's C type is
/// `VirtIODevice`, the parent of every device type, so the device models
/// hold it as `parent_obj`.
///
/// A transport with a variable ring alignment (not virtio-pci) would add a
/// be32 `align` per queue; virtio-pci has none. Whether each queue carries an
/// MSI-X vector is the transport's configuration: [`VirtioDevice::msix`].
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio-device", version = 1)]
pub struct VirtioDevice {
    /// `status`: the device status the driver set (`VIRTIO_CONFIG_S_*`:
    /// 1 acknowledge, 2 driver, 4 driver ok, 8 features ok, 0x80 failed).
    pub status: u8,
    /// `isr`: the interrupt status register.
    pub isr: u8,
    /// `queue_sel`: the queue the driver selected.
    pub queue_sel: u16,
    /// `guest_features` bits 0-31 (QEMU's `guest_features_lo`); the whole
    /// word is in `virtio/64bit_features`.
    pub guest_features_lo: u32,
    /// `config_len`: the size of the device configuration space.
    pub config_len: u32,
    /// `config`: QEMU's copy of the configuration space, as the device last
    /// produced it for a guest read (zero when the guest never read it).
    #[vmstate(len = config_len, info = "buffer")]
    pub config: Vec<u8>,
    /// The number of queues that follow: those before the first of size 0.
    pub num_queues: u32,
    /// `vq`: the queues, with the MSI-X vector virtio-pci's `save_queue`
    /// appends when MSI-X is present.
    #[vmstate(len = num_queues, exists = VirtioDevice::has_msix)]
    pub vq: Vec<VirtQueue>,
    /// `vq` without MSI-X: the same queues with no vector.
    #[vmstate(len = num_queues, exists = VirtioDevice::has_no_msix)]
    pub vq_no_msix: Vec<VirtQueueNoVector>,
    /// Configuration, not migrated: the transport has MSI-X (the virtio-pci
    /// device's `vectors` property is not 0), so each queue carries a vector.
    #[vmstate(skip)]
    pub msix: bool,
}

impl Default for VirtioDevice {
    /// A device that no driver touched, on a transport with MSI-X.
    fn default() -> Self {
        Self {
            status: 0,
            isr: 0,
            queue_sel: 0,
            guest_features_lo: 0,
            config_len: 0,
            config: Vec::new(),
            num_queues: 0,
            vq: Vec::new(),
            vq_no_msix: Vec::new(),
            msix: true,
        }
    }
}

impl VirtioDevice {
    /// Each queue's size (`vring.num`), whichever form the queues have.
    #[must_use]
    pub fn queue_sizes(&self) -> Vec<u32> {
        if self.msix {
            self.vq.iter().map(|vq| vq.num).collect()
        } else {
            self.vq_no_msix.iter().map(|vq| vq.num).collect()
        }
    }

    /// Whether the driver negotiated feature `bit` (0-31; the higher bits are
    /// in [`Virtio64bitFeatures`]).
    #[must_use]
    pub fn has_guest_feature_lo(&self, bit: u32) -> bool {
        bit < 32 && self.guest_features_lo & (1 << bit) != 0
    }

    fn has_msix(&self, _version_id: u32) -> bool {
        self.msix
    }

    fn has_no_msix(&self, _version_id: u32) -> bool {
        !self.msix
    }
}

/// One queue as `virtio_save` writes it, with virtio-pci's MSI-X vector.
#[derive(VmState, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[vmstate(name = "virtqueue", version = 1)]
pub struct VirtQueue {
    /// `vring.num`: the queue size.
    pub num: u32,
    /// `vring.desc`: the descriptor table's guest address (the rings' are in
    /// `virtio/virtqueues`).
    pub desc: u64,
    /// `last_avail_idx`: the next available-ring entry the device will take.
    pub last_avail_idx: u16,
    /// `vector` (virtio-pci `save_queue`): the queue's MSI-X vector,
    /// `0xffff` when none is assigned.
    pub vector: u16,
}

/// One queue as `virtio_save` writes it on a transport without MSI-X.
#[derive(VmState, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[vmstate(name = "virtqueue", version = 1)]
pub struct VirtQueueNoVector {
    /// `vring.num`: the queue size.
    pub num: u32,
    /// `vring.desc`: the descriptor table's guest address.
    pub desc: u64,
    /// `last_avail_idx`: the next available-ring entry the device will take.
    pub last_avail_idx: u16,
}

/// QEMU `vmstate_virtio` (`virtio`, version 1): no fields, only subsections,
/// written after the device's own state. Each subsection's `needed` is
/// QEMU's; where it reads device configuration rather than state, a
/// `#[vmstate(skip)]` field holds that configuration.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio", version = 1, post_load = Virtio::post_load)]
pub struct Virtio {
    /// `virtio/device_endian`: sent when the device's endianness is not
    /// little-endian (the default of an x86 target and of every virtio 1.0
    /// device).
    #[subsection(needed = Virtio::device_endian_needed)]
    pub device_endian: VirtioDeviceEndian,
    /// `virtio/64bit_features`: sent when the device offers a feature above
    /// bit 31.
    #[subsection(needed = Virtio::features_64bit_needed)]
    pub features_64bit: Loaded<Virtio64bitFeatures>,
    /// `virtio/virtqueues`: sent when the device offers virtio 1.0.
    #[subsection(needed = Virtio::virtqueues_needed)]
    pub virtqueues: Loaded<VirtioVirtqueues>,
    /// `virtio/ringsize`: sent when a queue's size differs from its default.
    #[subsection(needed = Virtio::ringsize_needed)]
    pub ringsize: VirtioRingsize,
    /// `virtio/broken`: sent when the device is broken.
    #[subsection(needed = Virtio::broken_needed)]
    pub broken: VirtioBroken,
    /// `virtio/extra_state`: sent when the transport has extra state.
    #[subsection(needed = Virtio::extra_state_needed)]
    pub extra_state: Loaded<VirtioExtraState>,
    /// `virtio/started`: sent when the device is started.
    #[subsection(needed = Virtio::started_needed)]
    pub started: VirtioStarted,
    /// `virtio/packed_virtqueues`: sent when the device offers packed rings.
    #[subsection(needed = Virtio::packed_virtqueues_needed)]
    pub packed_virtqueues: Loaded<VirtioPackedVirtqueues>,
    /// `virtio/disabled`: sent when the device is disabled.
    #[subsection(needed = Virtio::disabled_needed)]
    pub disabled: VirtioDisabled,
    /// Configuration, not migrated: the features the device offers
    /// (`host_features`). The subsections need only bits 32 and up; the
    /// default is [`VIRTIO_F_VERSION_1`] alone, what every virtio-pci device
    /// of QEMU 7.2 and 10.0 offers above bit 31 unless told otherwise
    /// (`packed=on` would add [`VIRTIO_F_RING_PACKED`]).
    #[vmstate(skip)]
    pub host_features: u64,
    /// Configuration, not migrated: the transport migrates extra state
    /// (virtio-pci's `VIRTIO_PCI_FLAG_MIGRATE_EXTRA`, property
    /// `migrate-extra=on`, the default since QEMU 2.5).
    #[vmstate(skip)]
    pub has_extra_state: bool,
}

impl Default for Virtio {
    /// Reset state of a virtio-pci device that offers virtio 1.0.
    fn default() -> Self {
        Self {
            device_endian: VirtioDeviceEndian::default(),
            features_64bit: Loaded::default(),
            virtqueues: Loaded::default(),
            ringsize: VirtioRingsize::default(),
            broken: VirtioBroken::default(),
            extra_state: Loaded::default(),
            started: VirtioStarted::default(),
            packed_virtqueues: Loaded::default(),
            disabled: VirtioDisabled::default(),
            host_features: 1 << VIRTIO_F_VERSION_1,
            has_extra_state: true,
        }
    }
}

impl Virtio {
    /// QEMU `virtio_device_endian_needed`, on a little-endian target: legacy
    /// devices default to the target's endianness and virtio 1.0 ones are
    /// always little-endian, so anything else is sent.
    fn device_endian_needed(&self) -> bool {
        self.device_endian.device_endian != VIRTIO_DEVICE_ENDIAN_LITTLE
    }

    /// QEMU `virtio_64bit_features_needed`: `host_features >> 32 != 0`.
    fn features_64bit_needed(&self) -> bool {
        self.host_features >> 32 != 0
    }

    /// QEMU `virtio_virtqueue_needed`: the device offers `VIRTIO_F_VERSION_1`.
    fn virtqueues_needed(&self) -> bool {
        self.host_features & (1 << VIRTIO_F_VERSION_1) != 0
    }

    /// QEMU `virtio_ringsize_needed` compares each queue's size with its
    /// default, which is configuration. Here the subsection's array holds the
    /// defaults only when the stream carried them: all zero means it was not
    /// sent.
    fn ringsize_needed(&self) -> bool {
        self.ringsize.vq.iter().any(|vq| vq.num_default != 0)
    }

    /// QEMU `virtio_broken_needed`.
    fn broken_needed(&self) -> bool {
        self.broken.broken
    }

    /// QEMU `virtio_extra_state_needed`: the transport's `has_extra_state`.
    fn extra_state_needed(&self) -> bool {
        self.has_extra_state
    }

    /// QEMU `virtio_started_needed`.
    fn started_needed(&self) -> bool {
        self.started.started
    }

    /// QEMU `virtio_packed_virtqueue_needed`: the device offers
    /// `VIRTIO_F_RING_PACKED`.
    fn packed_virtqueues_needed(&self) -> bool {
        self.host_features & (1 << VIRTIO_F_RING_PACKED) != 0
    }

    /// QEMU `virtio_disabled_needed`.
    fn disabled_needed(&self) -> bool {
        self.disabled.disabled
    }

    /// The section does not say how the device was configured, and QEMU
    /// sends each of these subsections exactly when its configuration says
    /// so (`hw/virtio/virtio.c`, `virtio_virtqueue_needed`,
    /// `virtio_packed_virtqueue_needed`, `virtio_64bit_features_needed`,
    /// `virtio_extra_state_needed`): a subsection on the wire says the
    /// feature or the transport's extra state was there, its absence that it
    /// was not. Machine types before 2.7 make virtio-pci legacy-only
    /// (`disable-modern=on`: no `VIRTIO_F_VERSION_1`, so no
    /// `virtio/virtqueues`) and before 2.5 turn `migrate-extra` off (no
    /// `virtio/extra_state`), so the configuration is taken from what was
    /// loaded, and saving again writes what was loaded.
    #[expect(
        clippy::unnecessary_wraps,
        reason = "hooks have the signature the derive calls"
    )]
    fn post_load(&mut self, _version_id: u32) -> Result<(), core::convert::Infallible> {
        let mut high = 0;
        if Loaded::was_loaded(&self.virtqueues) {
            high |= 1 << VIRTIO_F_VERSION_1;
        }
        if Loaded::was_loaded(&self.packed_virtqueues) {
            high |= 1 << VIRTIO_F_RING_PACKED;
        }
        if Loaded::was_loaded(&self.features_64bit) && high == 0 {
            // Some feature above bit 31 that no other subsection names (a
            // legacy virtio-mmio device's `VIRTIO_F_RING_RESET`, bit 40).
            high |= 1 << VIRTIO_F_RING_RESET;
        }
        if !Loaded::was_loaded(&self.features_64bit) {
            high = 0;
        }
        self.host_features = (self.host_features & 0xffff_ffff) | high;
        self.has_extra_state = Loaded::was_loaded(&self.extra_state);
        Ok(())
    }
}

/// QEMU `vmstate_virtio_device_endian` (`virtio/device_endian`, version 1).
#[derive(VmState, Debug, Clone, PartialEq, Eq)]
#[vmstate(name = "virtio/device_endian", version = 1)]
pub struct VirtioDeviceEndian {
    /// `device_endian`: 1 little-endian, 2 big-endian.
    pub device_endian: u8,
}

impl Default for VirtioDeviceEndian {
    /// Little-endian, what QEMU assumes when the subsection is absent on x86.
    fn default() -> Self {
        Self {
            device_endian: VIRTIO_DEVICE_ENDIAN_LITTLE,
        }
    }
}

/// QEMU `vmstate_virtio_64bit_features` (`virtio/64bit_features`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq, Eq)]
#[vmstate(name = "virtio/64bit_features", version = 1)]
pub struct Virtio64bitFeatures {
    /// `guest_features`: every feature the driver negotiated.
    pub guest_features: u64,
}

/// QEMU `vmstate_virtio_virtqueues` (`virtio/virtqueues`, version 1): the
/// ring addresses of every possible queue.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio/virtqueues", version = 1)]
pub struct VirtioVirtqueues {
    /// `vq`: `VIRTIO_QUEUE_MAX` entries, used or not.
    pub vq: [VirtqueueState; VIRTIO_QUEUE_MAX],
}

impl Default for VirtioVirtqueues {
    fn default() -> Self {
        Self {
            vq: [VirtqueueState::default(); VIRTIO_QUEUE_MAX],
        }
    }
}

/// QEMU `vmstate_virtqueue` (`virtqueue_state`, version 1).
#[derive(VmState, Debug, Default, Clone, Copy, PartialEq, Eq)]
#[vmstate(name = "virtqueue_state", version = 1)]
pub struct VirtqueueState {
    /// `vring.avail`: the available ring's guest address.
    #[vmstate(rename = "vring.avail")]
    pub vring_avail: u64,
    /// `vring.used`: the used ring's guest address.
    #[vmstate(rename = "vring.used")]
    pub vring_used: u64,
}

/// QEMU `vmstate_virtio_ringsize` (`virtio/ringsize`, version 1).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio/ringsize", version = 1)]
pub struct VirtioRingsize {
    /// `vq`: `VIRTIO_QUEUE_MAX` entries.
    pub vq: [RingsizeState; VIRTIO_QUEUE_MAX],
}

impl Default for VirtioRingsize {
    /// All zero: not sent.
    fn default() -> Self {
        Self {
            vq: [RingsizeState::default(); VIRTIO_QUEUE_MAX],
        }
    }
}

/// QEMU `vmstate_ringsize` (`ringsize_state`, version 1).
#[derive(VmState, Debug, Default, Clone, Copy, PartialEq, Eq)]
#[vmstate(name = "ringsize_state", version = 1)]
pub struct RingsizeState {
    /// `vring.num_default`: the queue's size before the guest changed it.
    #[vmstate(rename = "vring.num_default")]
    pub num_default: u32,
}

/// QEMU `vmstate_virtio_broken` (`virtio/broken`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq, Eq)]
#[vmstate(name = "virtio/broken", version = 1)]
pub struct VirtioBroken {
    /// `broken`: the device saw a driver error and stopped.
    pub broken: bool,
}

/// QEMU `vmstate_virtio_extra_state` (`virtio/extra_state`, version 1): one
/// field, the transport's own state.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "virtio/extra_state", version = 1)]
pub struct VirtioExtraState {
    /// `extra_state` (`virtqueue_extra_state`): for virtio-pci, QEMU's
    /// `vmstate_virtio_pci` with its own subsections.
    pub extra_state: VirtioPciExtraState,
}

/// QEMU `vmstate_virtio_started` (`virtio/started`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq, Eq)]
#[vmstate(name = "virtio/started", version = 1)]
pub struct VirtioStarted {
    /// `started`: the driver set `DRIVER_OK` and the device runs.
    pub started: bool,
}

/// QEMU `vmstate_virtio_packed_virtqueues` (`virtio/packed_virtqueues`,
/// version 1).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio/packed_virtqueues", version = 1)]
pub struct VirtioPackedVirtqueues {
    /// `vq`: `VIRTIO_QUEUE_MAX` entries.
    pub vq: [PackedVirtqueueState; VIRTIO_QUEUE_MAX],
}

impl Default for VirtioPackedVirtqueues {
    fn default() -> Self {
        Self {
            vq: [PackedVirtqueueState::default(); VIRTIO_QUEUE_MAX],
        }
    }
}

/// QEMU `vmstate_packed_virtqueue` (`packed_virtqueue_state`, version 1).
#[derive(VmState, Debug, Default, Clone, Copy, PartialEq, Eq)]
#[vmstate(name = "packed_virtqueue_state", version = 1)]
pub struct PackedVirtqueueState {
    /// `last_avail_idx`.
    pub last_avail_idx: u16,
    /// `last_avail_wrap_counter`.
    pub last_avail_wrap_counter: bool,
    /// `used_idx`.
    pub used_idx: u16,
    /// `used_wrap_counter`.
    pub used_wrap_counter: bool,
    /// `inuse`: descriptors taken and not yet returned.
    pub inuse: u32,
}

/// QEMU `vmstate_virtio_disabled` (`virtio/disabled`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq, Eq)]
#[vmstate(name = "virtio/disabled", version = 1)]
pub struct VirtioDisabled {
    /// `disabled`: the device is disabled; virtio-pci disables it while bus
    /// mastering is off in the PCI command register.
    pub disabled: bool,
}
