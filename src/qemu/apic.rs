//! `apic`: the local APIC (`hw/intc/apic_common.c`).

use crate::VmState;

/// QEMU `apic` (version 3).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "apic", version = 3)]
pub struct Apic {
    pub apicbase: u32,
    pub id: u8,
    pub arb_id: u8,
    pub tpr: u8,
    pub spurious_vec: u32,
    pub log_dest: u8,
    pub dest_mode: u8,
    pub isr: [u32; 8],
    pub tmr: [u32; 8],
    pub irr: [u32; 8],
    pub lvt: [u32; 6],
    pub esr: u32,
    pub icr: [u32; 2],
    pub divide_conf: u32,
    pub count_shift: i32,
    pub initial_count: u32,
    pub initial_count_load_time: i64,
    pub next_time: i64,
    pub timer_expiry: i64,
}
