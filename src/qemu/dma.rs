//! `dma`: the two i8257 DMA controllers (`hw/dma/i8257.c`).

use crate::VmState;

/// QEMU `vmstate_i8257` (`dma`, version 1): one controller. A PC has two:
/// instance 0 for 8-bit channels 0-3, instance 1 for 16-bit channels 4-7
/// (channel 4 cascades the first controller).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "dma", version = 1)]
pub struct Dma {
    /// `command`: the command register.
    pub command: u8,
    /// `mask`: the channel mask bits.
    pub mask: u8,
    /// `flip_flop`: which byte of a 16-bit register the next access hits.
    pub flip_flop: u8,
    /// `dshift`: 0 for the 8-bit controller, 1 for the 16-bit one.
    pub dshift: i32,
    /// `regs`: the four channels (`VMSTATE_STRUCT_ARRAY(regs, .., 4, 1, ..)`).
    #[vmstate(since = 1)]
    pub regs: [DmaRegs; 4],
}

/// QEMU `vmstate_i8257_regs` ("`dma_regs`", version 1): one channel, 17 bytes.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "dma_regs", version = 1)]
pub struct DmaRegs {
    /// `now`: the current address (0) and count (1) progress.
    pub now: [i32; 2],
    /// `base`: the programmed address (0) and count (1).
    pub base: [u16; 2],
    /// `mode`: the mode register (0xc0 = cascade).
    pub mode: u8,
    /// `page`: the page register (address bits 16-23).
    pub page: u8,
    /// `pageh`: the high page register (address bits 24-31).
    pub pageh: u8,
    /// `dack`: the DACK line level.
    pub dack: u8,
    /// `eop`: the end-of-process line level.
    pub eop: u8,
}
