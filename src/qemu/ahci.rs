//! `ich9_ahci`: the q35 machine's AHCI controller (`hw/ide/ich.c`, `hw/ide/ahci.c`).

use super::ide::{IdeBus, IdeDrive};
use crate::VmState;

/// QEMU `ncq state` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ncq state", version = 1)]
pub struct Ich9AhciNcqState {
    pub sector_count: u32,
    pub lba: u64,
    pub tag: u8,
    pub cmd: u8,
    pub slot: u8,
    pub used: bool,
    pub halt: bool,
}

/// QEMU `ahci port` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ahci port", version = 1)]
pub struct Ich9AhciAhciPort {
    /// `port`.
    pub port: IdeBus,
    /// `port.ifs[0]`.
    #[vmstate(rename = "port.ifs[0]")]
    pub port_ifs0: IdeDrive,
    pub port_state: u32,
    pub finished: u32,
    #[vmstate(rename = "port_regs.lst_addr")]
    pub port_regs_lst_addr: u32,
    #[vmstate(rename = "port_regs.lst_addr_hi")]
    pub port_regs_lst_addr_hi: u32,
    #[vmstate(rename = "port_regs.fis_addr")]
    pub port_regs_fis_addr: u32,
    #[vmstate(rename = "port_regs.fis_addr_hi")]
    pub port_regs_fis_addr_hi: u32,
    #[vmstate(rename = "port_regs.irq_stat")]
    pub port_regs_irq_stat: u32,
    #[vmstate(rename = "port_regs.irq_mask")]
    pub port_regs_irq_mask: u32,
    #[vmstate(rename = "port_regs.cmd")]
    pub port_regs_cmd: u32,
    #[vmstate(rename = "port_regs.tfdata")]
    pub port_regs_tfdata: u32,
    #[vmstate(rename = "port_regs.sig")]
    pub port_regs_sig: u32,
    #[vmstate(rename = "port_regs.scr_stat")]
    pub port_regs_scr_stat: u32,
    #[vmstate(rename = "port_regs.scr_ctl")]
    pub port_regs_scr_ctl: u32,
    #[vmstate(rename = "port_regs.scr_err")]
    pub port_regs_scr_err: u32,
    #[vmstate(rename = "port_regs.scr_act")]
    pub port_regs_scr_act: u32,
    #[vmstate(rename = "port_regs.cmd_issue")]
    pub port_regs_cmd_issue: u32,
    pub done_first_drq: bool,
    pub busy_slot: i32,
    pub init_d2h_sent: bool,
    /// `ncq_tfs`.
    pub ncq_tfs: [Ich9AhciNcqState; 32],
}

/// QEMU `ahci` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ahci", version = 1)]
pub struct Ich9AhciAhci {
    /// `dev`.
    pub dev: [Ich9AhciAhciPort; 6],
    #[vmstate(rename = "control_regs.cap")]
    pub control_regs_cap: u32,
    #[vmstate(rename = "control_regs.ghc")]
    pub control_regs_ghc: u32,
    #[vmstate(rename = "control_regs.irqstatus")]
    pub control_regs_irqstatus: u32,
    #[vmstate(rename = "control_regs.impl")]
    pub control_regs_impl: u32,
    #[vmstate(rename = "control_regs.version")]
    pub control_regs_version: u32,
    pub idp_index: u32,
    #[vmstate(info = "uint32 equal")]
    pub ports: u32,
}

/// QEMU `ich9_ahci` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ich9_ahci", version = 1)]
pub struct Ich9Ahci {
    /// `parent_obj`.
    pub parent_obj: crate::qemu::pci::PciDevice,
    /// `ahci`.
    pub ahci: Ich9AhciAhci,
}
