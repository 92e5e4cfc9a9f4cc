//! `port92`: the fast A20 gate and reset at port 0x92 (`hw/i386/port92.c`).

use crate::VmState;

/// QEMU `vmstate_port92_isa` (`port92`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "port92", version = 1)]
pub struct Port92 {
    /// `outport`: the port's value; bit 1 enables A20, bit 0 resets the CPU.
    pub outport: u8,
}
