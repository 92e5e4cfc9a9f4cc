//! `pcspk`: the PC speaker (`hw/audio/pcspk.c`).

use crate::VmState;

/// QEMU `vmstate_spk` (`pcspk`, version 1). QEMU sends the section only when
/// the `migrate` property is on (the default).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "pcspk", version = 1)]
pub struct PcSpk {
    /// `data_on`: port 0x61 bit 1, the speaker data enable.
    pub data_on: u8,
    /// `dummy_refresh_clock`: the toggling refresh bit that port 0x61 reads.
    pub dummy_refresh_clock: u8,
}
