//! `acpi_build`: whether the guest has read the ACPI tables (`hw/i386/acpi-build.c`).

use crate::VmState;

/// QEMU `acpi_build` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "acpi_build", version = 1)]
pub struct AcpiBuild {
    pub patched: u8,
}
