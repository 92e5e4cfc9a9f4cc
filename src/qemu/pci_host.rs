//! `PCIHost`: a PCI host bridge's configuration address register (`hw/pci/pci_host.c`),
//! and `PCIBUS`: a PCI bus's interrupt counts (`hw/pci/pci.c`).

use crate::VmState;

/// QEMU `PCIHost` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "PCIHost", version = 1)]
pub struct PciHost {
    pub config_reg: u32,
}

/// QEMU `vmstate_pcibus` (`PCIBUS`, version 1): the number of interrupt lines
/// of the bus and how many devices assert each.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "PCIBUS", version = 1)]
pub struct PciBus {
    /// `nirq` (`VMSTATE_INT32_EQUAL`): 4 on the i440FX bus, 8 on q35's.
    #[vmstate(info = "int32 equal")]
    pub nirq: i32,
    /// `irq_count` (`VMSTATE_VARRAY_INT32`): one count per line, `nirq` of them.
    #[vmstate(len = nirq)]
    pub irq_count: Vec<i32>,
}
