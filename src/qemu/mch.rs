//! `mch`: the q35 memory controller hub's PCI function (`hw/pci-host/q35.c`).

use crate::VmState;

/// QEMU `mch` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "mch", version = 1)]
pub struct Mch {
    /// `parent_obj`.
    pub parent_obj: crate::qemu::pci::PciDevice,
    pub unused: crate::Unused<1>,
}
