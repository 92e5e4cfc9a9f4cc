//! `ac97`: the Intel 82801AA AC'97 audio controller (`hw/audio/ac97.c`).

use super::pci::PciDevice;
use crate::{Unused, VmState};

/// QEMU `vmstate_ac97_bm_regs` (`ac97_bm_regs`, version 1): one bus-master
/// channel (PCM in, PCM out, microphone in).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ac97_bm_regs", version = 1)]
pub struct Ac97BmRegs {
    /// `bdbar`: the buffer descriptor list's base address.
    pub bdbar: u32,
    /// `civ`: the current index value.
    pub civ: u8,
    /// `lvi`: the last valid index.
    pub lvi: u8,
    /// `sr`: the status register.
    pub sr: u16,
    /// `picb`: samples left in the current buffer.
    pub picb: u16,
    /// `piv`: the prefetched index value.
    pub piv: u8,
    /// `cr`: the control register.
    pub cr: u8,
    /// `bd_valid`: the current buffer descriptor was fetched.
    pub bd_valid: u32,
    /// QEMU `bd.addr`: the current buffer's address.
    #[vmstate(rename = "bd.addr")]
    pub bd_addr: u32,
    /// QEMU `bd.ctl_len`: its control bits and length.
    #[vmstate(rename = "bd.ctl_len")]
    pub bd_ctl_len: u32,
}

/// QEMU `vmstate_ac97` (`ac97`, version 3, minimum 2). The section idstr has
/// the PCI address in front, e.g. `0000:00:05.0/ac97`.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "ac97", version = 3, minimum_version = 2)]
pub struct Ac97 {
    /// `dev`: the PCI function.
    pub dev: PciDevice,
    /// `glob_cnt`: the global control register.
    pub glob_cnt: u32,
    /// `glob_sta`: the global status register.
    pub glob_sta: u32,
    /// `cas`: the codec access semaphore.
    pub cas: u32,
    /// `bm_regs` (`VMSTATE_STRUCT_ARRAY`, version 1): the three bus-master
    /// channels.
    #[vmstate(since = 1)]
    pub bm_regs: [Ac97BmRegs; 3],
    /// `mixer_data`: the codec's mixer registers.
    #[vmstate(info = "buffer")]
    pub mixer_data: [u8; 256],
    /// `VMSTATE_UNUSED_TEST(is_version_2, 3)`: the active-voice flags that
    /// version 2 sent.
    #[vmstate(exists = is_version_2)]
    pub unused: Unused<3>,
}

impl Default for Ac97 {
    fn default() -> Self {
        Self {
            dev: PciDevice::default(),
            glob_cnt: 0,
            glob_sta: 0,
            cas: 0,
            bm_regs: Default::default(),
            mixer_data: [0; 256],
            unused: Unused,
        }
    }
}

/// QEMU `is_version_2`.
fn is_version_2(_: &Ac97, version_id: u32) -> bool {
    version_id == 2
}
