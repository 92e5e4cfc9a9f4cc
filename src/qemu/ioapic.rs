//! `ioapic`: the I/O APIC (`hw/intc/ioapic_common.c`).

use crate::{Unused, VmState};

/// Number of I/O APIC input pins (QEMU `IOAPIC_NUM_PINS`).
pub const IOAPIC_NUM_PINS: usize = 24;

/// QEMU `vmstate_ioapic_common` (`ioapic`, version 3, minimum 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "ioapic", version = 3, minimum_version = 1)]
pub struct IoApic {
    /// `id`: the APIC id.
    pub id: u8,
    /// `ioregsel`: the register selected through the index register.
    pub ioregsel: u8,
    /// `VMSTATE_UNUSED_V(2, 8)`: the old `irr` timestamps, zeros.
    #[vmstate(since = 2)]
    pub unused: Unused<8>,
    /// `irr` (version 2): the pending-interrupt bits, one per pin.
    #[vmstate(since = 2)]
    pub irr: u32,
    /// `ioredtbl`: the redirection table, one 64-bit entry per pin, as `info
    /// pic` prints it (bit 16 = masked).
    pub ioredtbl: [u64; IOAPIC_NUM_PINS],
}
