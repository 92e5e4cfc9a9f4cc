//! The virtio-pci transport's part of a virtio section
//! (`hw/virtio/virtio-pci.c`): what `virtio_pci_save_config` writes before the
//! common device state, the MSI-X table and PBA that `msix_save`
//! (`hw/pci/msix.c`) writes inside it, and the `virtio_pci` extra state that
//! the `virtio/extra_state` subsection carries.

use crate::qemu::pci::PciDevice;
use crate::{Loaded, Unused, VmState};

/// QEMU `VIRTIO_QUEUE_MAX`: the extra state has one entry per possible queue,
/// used or not.
pub const VIRTIO_QUEUE_MAX: usize = 1024;

/// `VIRTIO_NO_VECTOR`: the MSI-X vector of a queue or of configuration
/// changes that has none assigned (what a guest that never enabled MSI-X, such
/// as `SeaBIOS`, leaves).
pub const VIRTIO_NO_VECTOR: u16 = 0xffff;

/// QEMU `virtio_pci_save_config`: the PCI function, its MSI-X state, and the
/// configuration-change vector. Not a QEMU VMSD: the bytes a hand-written
/// function writes first in every virtio-pci device's section.
///
/// Whether MSI-X is present and its number of vectors are device
/// configuration (the `vectors` property), not state: [`Msix::entries_nr`]
/// holds it, and the device models set it to what their QEMU default is.
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "virtio-pci-config", version = 1)]
pub struct VirtioPciConfig {
    /// `pci_dev` (`pci_device_save`): the PCI function. A virtio-pci device on
    /// the root bus of a q35 machine is an integrated endpoint with a
    /// conventional 256-byte configuration space.
    pub pci_dev: PciDevice,
    /// `msix_save`: the MSI-X table and pending-bit array, when MSI-X is
    /// present.
    pub msix: Msix,
    /// `config_vector` (only with MSI-X): the vector for configuration-change
    /// interrupts.
    #[vmstate(exists = VirtioPciConfig::msix_present)]
    pub config_vector: u16,
}

impl VirtioPciConfig {
    /// A transport with `vectors` MSI-X vectors (0: no MSI-X), every one
    /// masked and unassigned, as after reset.
    #[must_use]
    pub fn with_vectors(vectors: u16) -> Self {
        Self {
            pci_dev: PciDevice::default(),
            msix: Msix::with_vectors(vectors),
            config_vector: VIRTIO_NO_VECTOR,
        }
    }

    /// QEMU `msix_present`: the function has an MSI-X capability.
    fn msix_present(&self, _version_id: u32) -> bool {
        self.msix.entries_nr > 0
    }
}

/// QEMU `msix_save`: `entries_nr` table entries of 16 bytes, then the pending
/// bits, one per vector, rounded up to whole bytes. Both are guest memory
/// images, so their multi-byte values are little-endian.
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "msix", version = 1)]
pub struct Msix {
    /// Configuration, not migrated: QEMU `msix_entries_nr`, the number of
    /// vectors (the device's `vectors` property; 0 means no MSI-X, and nothing
    /// of this struct is on the wire).
    #[vmstate(skip)]
    pub entries_nr: u32,
    /// Configuration, not migrated: the PBA's size in bytes,
    /// `DIV_ROUND_UP(entries_nr, 8)`; [`Msix::with_vectors`] keeps it in step.
    #[vmstate(skip)]
    pub pba_len: u32,
    /// `msix_table`: one entry per vector.
    #[vmstate(len = entries_nr)]
    pub table: Vec<MsixEntry>,
    /// `msix_pba`: the pending bits, vector 0 in bit 0 of byte 0.
    #[vmstate(len = pba_len, info = "buffer")]
    pub pba: Vec<u8>,
}

impl Msix {
    /// `vectors` masked, unassigned entries with no pending bit, as
    /// `msix_reset` leaves them.
    #[must_use]
    pub fn with_vectors(vectors: u16) -> Self {
        let entries_nr = u32::from(vectors);
        Self {
            entries_nr,
            pba_len: entries_nr.div_ceil(8),
            table: vec![MsixEntry::MASKED; usize::from(vectors)],
            pba: vec![0; usize::from(vectors).div_ceil(8)],
        }
    }
}

/// One MSI-X table entry (`PCI_MSIX_ENTRY_SIZE`, 16 bytes), as the guest
/// sees it in the table BAR: every word little-endian.
#[derive(VmState, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[vmstate(name = "msix-entry", version = 1)]
pub struct MsixEntry {
    /// `PCI_MSIX_ENTRY_LOWER_ADDR`: message address bits 0-31.
    #[vmstate(info = "buffer")]
    pub lower_addr: [u8; 4],
    /// `PCI_MSIX_ENTRY_UPPER_ADDR`: message address bits 32-63.
    #[vmstate(info = "buffer")]
    pub upper_addr: [u8; 4],
    /// `PCI_MSIX_ENTRY_DATA`: the message data.
    #[vmstate(info = "buffer")]
    pub data: [u8; 4],
    /// `PCI_MSIX_ENTRY_VECTOR_CTRL`: bit 0 masks the vector.
    #[vmstate(info = "buffer")]
    pub vector_ctrl: [u8; 4],
}

impl MsixEntry {
    /// The entry `msix_reset` writes: zero address and data, masked.
    pub const MASKED: Self = Self {
        lower_addr: [0; 4],
        upper_addr: [0; 4],
        data: [0; 4],
        vector_ctrl: [1, 0, 0, 0],
    };

    /// The message address.
    #[must_use]
    pub fn address(&self) -> u64 {
        u64::from(u32::from_le_bytes(self.upper_addr)) << 32
            | u64::from(u32::from_le_bytes(self.lower_addr))
    }

    /// The message data.
    #[must_use]
    pub fn message_data(&self) -> u32 {
        u32::from_le_bytes(self.data)
    }

    /// The vector is masked (`PCI_MSIX_ENTRY_CTRL_MASKBIT`).
    #[must_use]
    pub fn is_masked(&self) -> bool {
        self.vector_ctrl[0] & 1 != 0
    }
}

/// QEMU `vmstate_virtio_pci` (`virtio_pci`, version 1): the transport's extra
/// state, written by `virtio_pci_save_extra_state` inside the
/// `virtio/extra_state` subsection. It has no fields of its own.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio_pci", version = 1, post_load = VirtioPciExtraState::post_load)]
pub struct VirtioPciExtraState {
    /// `virtio_pci/modern_state`: sent when the virtio 1.0 interface is on.
    #[subsection(needed = VirtioPciExtraState::modern_state_needed)]
    pub modern_state: Loaded<VirtioPciModernState>,
    /// Configuration, not migrated: the virtio 1.0 ("modern") interface is on
    /// (QEMU `virtio_pci_modern`, property `disable-modern=off`, the default
    /// of every machine type since 2.7).
    #[vmstate(skip)]
    pub modern: bool,
}

impl Default for VirtioPciExtraState {
    /// Reset state of a transitional device, modern interface on.
    fn default() -> Self {
        Self {
            modern_state: Loaded::default(),
            modern: true,
        }
    }
}

impl VirtioPciExtraState {
    /// QEMU `virtio_pci_modern_state_needed`.
    fn modern_state_needed(&self) -> bool {
        self.modern
    }

    /// QEMU sends `virtio_pci/modern_state` exactly when the modern interface
    /// is on (`hw/virtio/virtio-pci.c`, `virtio_pci_modern_state_needed`),
    /// which machine types before 2.7 turn off (`disable-modern=on`): the
    /// section does not say which, so the subsection's presence does.
    #[expect(
        clippy::unnecessary_wraps,
        reason = "hooks have the signature the derive calls"
    )]
    fn post_load(&mut self, _version_id: u32) -> Result<(), core::convert::Infallible> {
        self.modern = Loaded::was_loaded(&self.modern_state);
        Ok(())
    }
}

/// QEMU `vmstate_virtio_pci_modern_state_sub` (`virtio_pci/modern_state`,
/// version 1): the feature-select registers, the features the guest wrote
/// through the modern interface, and every queue's modern registers.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio_pci/modern_state", version = 1)]
pub struct VirtioPciModernState {
    /// `dfselect`: the device-feature word the guest selected.
    pub dfselect: u32,
    /// `gfselect`: the driver-feature word the guest selected.
    pub gfselect: u32,
    /// `guest_features`: the driver features written, low word first.
    pub guest_features: [u32; 2],
    /// `vqs`: every possible queue's modern registers.
    pub vqs: [VirtioPciQueue; VIRTIO_QUEUE_MAX],
}

impl Default for VirtioPciModernState {
    #[expect(
        clippy::large_stack_arrays,
        reason = "QEMU's state is this big; the array literal builds it in place"
    )]
    /// No queue touched, no feature selected.
    fn default() -> Self {
        Self {
            dfselect: 0,
            gfselect: 0,
            guest_features: [0; 2],
            vqs: [VirtioPciQueue::RESET; VIRTIO_QUEUE_MAX],
        }
    }
}

/// QEMU `vmstate_virtio_pci_modern_queue_state`
/// (`virtio_pci/modern_queue_state`): one queue's registers of the modern
/// interface, 28 bytes.
#[derive(VmState, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[vmstate(name = "virtio_pci/modern_queue_state", version = 1)]
pub struct VirtioPciQueue {
    /// `num`: the queue size the guest wrote.
    pub num: u16,
    /// `VMSTATE_UNUSED(1)`: `enabled` was once a be16.
    pub unused: Unused<1>,
    /// `enabled`: the guest enabled the queue.
    pub enabled: bool,
    /// `desc`: the descriptor table address, low word first.
    pub desc: [u32; 2],
    /// `avail`: the available ring address, low word first.
    pub avail: [u32; 2],
    /// `used`: the used ring address, low word first.
    pub used: [u32; 2],
}

impl VirtioPciQueue {
    /// A queue the guest never touched.
    pub const RESET: Self = Self {
        num: 0,
        unused: Unused,
        enabled: false,
        desc: [0; 2],
        avail: [0; 2],
        used: [0; 2],
    };

    /// The descriptor table address.
    #[must_use]
    pub fn desc_addr(&self) -> u64 {
        u64::from(self.desc[1]) << 32 | u64::from(self.desc[0])
    }
}
