//! `uhci`: the UHCI USB 1.1 host controllers (`hw/usb/hcd-uhci.c`),
//! `piix3-usb-uhci` and its siblings, which share the section name.

use super::pci::PciDevice;
use crate::VmState;

/// Root-hub ports of a UHCI controller (QEMU `NB_PORTS`).
pub const UHCI_PORTS: usize = 2;

/// QEMU `vmstate_uhci_port` (`uhci port`, version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "uhci port", version = 1)]
pub struct UhciPort {
    /// `ctrl`: the port status and control register.
    pub ctrl: u16,
}

/// QEMU `vmstate_uhci` (`uhci`, version 3, minimum 1). The section idstr has
/// the PCI address in front, e.g. `0000:00:06.0/uhci`.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "uhci", version = 3, minimum_version = 1)]
pub struct Uhci {
    /// `dev`: the PCI function.
    pub dev: PciDevice,
    /// `num_ports_vmstate` (`VMSTATE_UINT8_EQUAL`): the port count, which
    /// must be the receiver's.
    #[vmstate(equal, info = "uint8 equal")]
    pub num_ports_vmstate: u8,
    /// `ports` (`VMSTATE_STRUCT_ARRAY`, version 1).
    #[vmstate(since = 1)]
    pub ports: [UhciPort; UHCI_PORTS],
    /// `cmd`: the USB command register.
    pub cmd: u16,
    /// `status`: the USB status register.
    pub status: u16,
    /// `intr`: the interrupt enable register.
    pub intr: u16,
    /// `frnum`: the frame number.
    pub frnum: u16,
    /// `fl_base_addr`: the frame list's base address.
    pub fl_base_addr: u32,
    /// `sof_timing`: the start-of-frame modify register.
    pub sof_timing: u8,
    /// `status2`: interrupt causes not yet in `status`.
    pub status2: u8,
    /// `frame_timer`: the next frame's expiry in ns, -1 when stopped.
    #[vmstate(info = "timer")]
    pub frame_timer: i64,
    /// `expire_time` (version 2): when the current frame ends.
    #[vmstate(since = 2)]
    pub expire_time: i64,
    /// `pending_int_mask` (version 3): interrupts raised in this frame.
    #[vmstate(since = 3)]
    pub pending_int_mask: u32,
}

impl Default for Uhci {
    fn default() -> Self {
        Self {
            dev: PciDevice::default(),
            num_ports_vmstate: u8::try_from(UHCI_PORTS).unwrap_or(u8::MAX),
            ports: Default::default(),
            cmd: 0,
            status: 0,
            intr: 0,
            frnum: 0,
            fl_base_addr: 0,
            sof_timing: 0,
            status2: 0,
            frame_timer: 0,
            expire_time: 0,
            pending_int_mask: 0,
        }
    }
}
