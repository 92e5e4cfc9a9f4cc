//! `I440FX`: the i440FX host bridge's PCI function (`hw/pci-host/i440fx.c`).

use crate::VmState;

/// QEMU `I440FX` (version 3).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "I440FX", version = 3)]
pub struct I440fx {
    /// `parent_obj`.
    pub parent_obj: crate::qemu::pci::PciDevice,
    pub unused: crate::Unused<1>,
}
