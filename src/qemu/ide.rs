//! `ide`: the PIIX3/PIIX4 PCI IDE controller (`hw/ide/piix.c`, `hw/ide/pci.c`, `hw/ide/core.c`).

use crate::VmState;

/// QEMU `ide bmdma` (version 3).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ide bmdma", version = 3)]
pub struct PciIdeIdeBmdma {
    pub cmd: u8,
    pub migration_compat_status: u8,
    pub addr: u32,
    pub migration_retry_sector_num: i64,
    pub migration_retry_nsector: u32,
    pub migration_retry_unit: u8,
}

/// QEMU `ide_bus` (version 1), shared by every IDE controller (also ICH9 AHCI).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ide_bus", version = 1)]
pub struct IdeBus {
    pub cmd: u8,
    pub unit: u8,
}

/// QEMU `ide_drive` (version 3), shared by every IDE controller (also ICH9 AHCI).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ide_drive", version = 3)]
pub struct IdeDrive {
    pub mult_sectors: i32,
    pub identify_set: i32,
    pub feature: u8,
    pub error: u8,
    pub nsector: u32,
    pub sector: u8,
    pub lcyl: u8,
    pub hcyl: u8,
    pub hob_feature: u8,
    pub hob_sector: u8,
    pub hob_nsector: u8,
    pub hob_lcyl: u8,
    pub hob_hcyl: u8,
    pub select: u8,
    pub status: u8,
    pub lba48: u8,
    pub sense_key: u8,
    pub asc: u8,
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
