//! `pflash_cfi01`: the CFI type 1 parallel flash (`hw/block/pflash_cfi01.c`),
//! which the `virt` machine instantiates twice (firmware and variables).

use crate::VmState;

/// QEMU `vmstate_pflash` (`pflash_cfi01`, version 1): the command state
/// machine. The flash contents migrate as RAM blocks (`virt.flash0`,
/// `virt.flash1`).
///
/// QEMU 10.0 also has a `pflash_cfi01_blk_write` subsection, sent only while
/// a buffered write is in progress; it is not modelled (a stream that holds
/// one is refused, naming it).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "pflash_cfi01", version = 1)]
pub struct PflashCfi01 {
    /// `wcycle`: the write cycle of the current command.
    pub wcycle: u8,
    /// `cmd`: the current command.
    pub cmd: u8,
    /// `status`: the status register.
    pub status: u8,
    /// `counter`: bytes left in a buffered write.
    pub counter: u64,
}
