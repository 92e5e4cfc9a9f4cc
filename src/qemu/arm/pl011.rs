//! `pl011`: the `PrimeCell` UART (`hw/char/pl011.c`), the `virt` machine's
//! serial port.

use crate::{Loaded, VmState};

/// QEMU `vmstate_pl011` (`pl011`, version 2).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "pl011", version = 2)]
pub struct Pl011 {
    /// `readbuff` in QEMU 7.2; QEMU 10.0 writes the same 4 bytes as
    /// `VMSTATE_UNUSED` (named `unused`), the register being gone.
    pub readbuff: u32,
    /// `flags`: the flag register.
    pub flags: u32,
    /// `lcr`: the line control register.
    pub lcr: u32,
    /// `rsr`: the receive status register.
    pub rsr: u32,
    /// `cr`: the control register.
    pub cr: u32,
    /// `dmacr`: the DMA control register.
    pub dmacr: u32,
    /// `int_enabled`: the interrupt mask.
    pub int_enabled: u32,
    /// `int_level`: the raw interrupt status.
    pub int_level: u32,
    /// `read_fifo`: the receive FIFO (`PL011_FIFO_DEPTH` entries).
    pub read_fifo: [u32; 16],
    /// `ilpr`: the `IrDA` low-power counter.
    pub ilpr: u32,
    /// `ibrd`: the integer baud-rate divisor.
    pub ibrd: u32,
    /// `fbrd`: the fractional baud-rate divisor.
    pub fbrd: u32,
    /// `ifl`: the interrupt FIFO level select.
    pub ifl: u32,
    /// `read_pos`: the FIFO's read index.
    pub read_pos: i32,
    /// `read_count`: characters in the FIFO.
    pub read_count: i32,
    /// `read_trigger`: the FIFO level that raises the receive interrupt.
    pub read_trigger: i32,
    /// `pl011/clock`, sent when the device's `migrate-clk` property is on
    /// (machine types from QEMU 5.1 on): configuration, so the model sends
    /// it exactly when it was loaded.
    #[subsection(needed = loaded)]
    pub clock: Loaded<Pl011Clock>,
}

/// QEMU `vmstate_pl011_clock` (`pl011/clock`, version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "pl011/clock", version = 1)]
pub struct Pl011Clock {
    /// `clk` (`VMSTATE_CLOCK`): the UART's input clock.
    pub clk: Clock,
}

/// QEMU `vmstate_clock` (`clock`, version 0, `hw/core/clock-vmstate.c`).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "clock", version = 0)]
pub struct Clock {
    /// `period`: the clock period in units of 2^-32 ns.
    pub period: u64,
    /// `clock/muldiv` (QEMU 8.1 and later), sent when the clock has a
    /// multiplier or divider other than 1.
    #[subsection(needed = Clock::muldiv_needed)]
    pub muldiv: ClockMuldiv,
}

impl Default for Clock {
    /// A stopped clock (period 0) with multiplier and divider 1.
    fn default() -> Self {
        Self {
            period: 0,
            muldiv: ClockMuldiv {
                multiplier: 1,
                divider: 1,
            },
        }
    }
}

impl Clock {
    /// QEMU `muldiv_needed`.
    fn muldiv_needed(&self) -> bool {
        self.muldiv.multiplier != 1 || self.muldiv.divider != 1
    }
}

/// QEMU `vmstate_muldiv` (`clock/muldiv`, version 1).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "clock/muldiv", version = 1)]
pub struct ClockMuldiv {
    /// `multiplier`.
    pub multiplier: u32,
    /// `divider`.
    pub divider: u32,
}
