//! `apic`: the local APIC (`hw/intc/apic_common.c`).

use crate::VmState;

/// QEMU `apic` (version 3).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "apic", version = 3)]
pub struct Apic {
    /// `apicbase` (QEMU type `uint32`).
    pub apicbase: u32,
    /// `id` (QEMU type `uint8`).
    pub id: u8,
    /// `arb_id` (QEMU type `uint8`).
    pub arb_id: u8,
    /// `tpr` (QEMU type `uint8`).
    pub tpr: u8,
    /// `spurious_vec` (QEMU type `uint32`).
    pub spurious_vec: u32,
    /// `log_dest` (QEMU type `uint8`).
    pub log_dest: u8,
    /// `dest_mode` (QEMU type `uint8`).
    pub dest_mode: u8,
    /// `isr` (QEMU type `uint32`).
    pub isr: [u32; 8],
    /// `tmr` (QEMU type `uint32`).
    pub tmr: [u32; 8],
    /// `irr` (QEMU type `uint32`).
    pub irr: [u32; 8],
    /// `lvt` (QEMU type `uint32`).
    pub lvt: [u32; 6],
    /// `esr` (QEMU type `uint32`).
    pub esr: u32,
    /// `icr` (QEMU type `uint32`).
    pub icr: [u32; 2],
    /// `divide_conf` (QEMU type `uint32`).
    pub divide_conf: u32,
    /// `count_shift` (QEMU type `int32`).
    pub count_shift: i32,
    /// `initial_count` (QEMU type `uint32`).
    pub initial_count: u32,
    /// `initial_count_load_time` (QEMU type `int64`).
    pub initial_count_load_time: i64,
    /// `next_time` (QEMU type `int64`).
    pub next_time: i64,
    /// `timer_expiry` (QEMU type `int64`).
    pub timer_expiry: i64,
}
