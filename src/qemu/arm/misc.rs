//! Small sections of the `virt` machine: the `PCIe` host's root function
//! (`hw/pci-host/gpex.c`), the power key (`hw/gpio/gpio_key.c`) and the ACPI
//! patch flag (`hw/arm/virt-acpi-build.c`).

use crate::VmState;
use crate::qemu::pci::PciDevice;

/// QEMU `vmstate_gpex_root` (`gpex_root`, version 1): the host bridge's PCI
/// function, idstr `0000:00:00.0/gpex_root`.
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "gpex_root", version = 1)]
pub struct GpexRoot {
    /// `parent_obj`: the PCI function.
    pub parent_obj: PciDevice,
}

/// QEMU `vmstate_gpio_key` (`gpio-key`, version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "gpio-key", version = 1)]
pub struct GpioKey {
    /// `timer` (`VMSTATE_TIMER_PTR`): when the key press that the power-down
    /// request started ends, -1 when no press is in progress.
    #[vmstate(info = "timer")]
    pub timer: i64,
}

/// QEMU `vmstate_virt_acpi_build` (`virt_acpi_build`, version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "virt_acpi_build", version = 1)]
pub struct VirtAcpiBuild {
    /// `patched`: the guest's firmware has read the ACPI tables, so a reset
    /// must not rebuild them under it.
    pub patched: bool,
}
