//! `PIIX3`: the PIIX3 PCI-to-ISA bridge (`hw/isa/piix.c`).

use crate::VmState;

/// QEMU `PIIX3` (version 3).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "PIIX3", version = 3)]
pub struct Piix3 {
    /// `dev`.
    pub dev: crate::qemu::pci::PciDevice,
    pub pci_irq_levels_vmstate: [i32; 4],
}
