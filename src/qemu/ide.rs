//! `ide`: the PIIX3/PIIX4 PCI IDE controller (`hw/ide/piix.c`, `hw/ide/pci.c`, `hw/ide/core.c`).

use crate::VmState;

/// QEMU `ide bmdma` (version 3).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ide bmdma", version = 3)]
pub struct PciIdeIdeBmdma {
    /// `cmd` (QEMU type `uint8`).
    pub cmd: u8,
    /// `migration_compat_status` (QEMU type `uint8`).
    pub migration_compat_status: u8,
    /// `addr` (QEMU type `uint32`).
    pub addr: u32,
    /// `migration_retry_sector_num` (QEMU type `int64`).
    pub migration_retry_sector_num: i64,
    /// `migration_retry_nsector` (QEMU type `uint32`).
    pub migration_retry_nsector: u32,
    /// `migration_retry_unit` (QEMU type `uint8`).
    pub migration_retry_unit: u8,
}

/// QEMU `ide_bus` (version 1), shared by every IDE controller (also ICH9 AHCI).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ide_bus", version = 1)]
pub struct IdeBus {
    /// `cmd` (QEMU type `uint8`).
    pub cmd: u8,
    /// `unit` (QEMU type `uint8`).
    pub unit: u8,
}

/// QEMU `ide_drive` (version 3), shared by every IDE controller (also ICH9 AHCI).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ide_drive", version = 3)]
pub struct IdeDrive {
    /// `mult_sectors` (QEMU type `int32`).
    pub mult_sectors: i32,
    /// `identify_set` (QEMU type `int32`).
    pub identify_set: i32,
    /// `feature` (QEMU type `uint8`).
    pub feature: u8,
    /// `error` (QEMU type `uint8`).
    pub error: u8,
    /// `nsector` (QEMU type `uint32`).
    pub nsector: u32,
    /// `sector` (QEMU type `uint8`).
    pub sector: u8,
    /// `lcyl` (QEMU type `uint8`).
    pub lcyl: u8,
    /// `hcyl` (QEMU type `uint8`).
    pub hcyl: u8,
    /// `hob_feature` (QEMU type `uint8`).
    pub hob_feature: u8,
    /// `hob_sector` (QEMU type `uint8`).
    pub hob_sector: u8,
    /// `hob_nsector` (QEMU type `uint8`).
    pub hob_nsector: u8,
    /// `hob_lcyl` (QEMU type `uint8`).
    pub hob_lcyl: u8,
    /// `hob_hcyl` (QEMU type `uint8`).
    pub hob_hcyl: u8,
    /// `select` (QEMU type `uint8`).
    pub select: u8,
    /// `status` (QEMU type `uint8`).
    pub status: u8,
    /// `lba48` (QEMU type `uint8`).
    pub lba48: u8,
    /// `sense_key` (QEMU type `uint8`).
    pub sense_key: u8,
    /// `asc` (QEMU type `uint8`).
    pub asc: u8,
    /// `cdrom_changed` (QEMU type `uint8`).
    pub cdrom_changed: u8,
}

/// QEMU `ide` (version 3).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ide", version = 3)]
pub struct PciIde {
    /// `parent_obj`.
    pub parent_obj: crate::qemu::pci::PciDevice,
    /// `bmdma`.
    pub bmdma: [PciIdeIdeBmdma; 2],
    /// `bus`.
    pub bus: [IdeBus; 2],
    /// `bus[0].ifs`.
    #[vmstate(rename = "bus[0].ifs")]
    pub bus0_ifs: [IdeDrive; 2],
    /// `bus[1].ifs`.
    #[vmstate(rename = "bus[1].ifs")]
    pub bus1_ifs: [IdeDrive; 2],
}
