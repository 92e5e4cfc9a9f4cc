//! `fdc`: the ISA floppy controller (`hw/block/fdc.c`).

use crate::{Loaded, VmState};

/// QEMU `fdrive/media_rate` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "fdrive/media_rate", version = 1)]
pub struct FdcMediaRate {
    pub media_rate: u8,
}

/// QEMU `fdrive` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "fdrive", version = 1)]
pub struct FdcFdrive {
    pub head: u8,
    pub track: u8,
    pub sect: u8,
    /// The `fdrive/media_rate` subsection; sent when it was loaded.
    #[subsection(needed = loaded)]
    pub media_rate: Loaded<FdcMediaRate>,
}

/// QEMU `fdc` (version 2).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "fdc", version = 2)]
pub struct FdcFdc {
    pub sra: u8,
    pub srb: u8,
    pub dor_vmstate: u8,
    pub tdr: u8,
    pub dsr: u8,
    pub msr: u8,
    pub status0: u8,
    pub status1: u8,
    pub status2: u8,
    pub fifo: [u8; 512],
    pub data_pos: u32,
    pub data_len: u32,
    pub data_state: u8,
    pub data_dir: u8,
    pub eot: u8,
    pub timer0: u8,
    pub timer1: u8,
    pub precomp_trk: u8,
    pub config: u8,
    pub lock: u8,
    pub pwrd: u8,
    #[vmstate(info = "uint8 equal")]
    pub num_floppies: u8,
    /// `drives`.
    pub drives: [FdcFdrive; 2],
}

impl Default for FdcFdc {
    fn default() -> Self {
        Self {
            sra: Default::default(),
            srb: Default::default(),
            dor_vmstate: Default::default(),
            tdr: Default::default(),
            dsr: Default::default(),
            msr: Default::default(),
            status0: Default::default(),
            status1: Default::default(),
            status2: Default::default(),
            fifo: [Default::default(); 512],
            data_pos: Default::default(),
            data_len: Default::default(),
            data_state: Default::default(),
            data_dir: Default::default(),
            eot: Default::default(),
            timer0: Default::default(),
            timer1: Default::default(),
            precomp_trk: Default::default(),
            config: Default::default(),
            lock: Default::default(),
            pwrd: Default::default(),
            num_floppies: Default::default(),
            drives: Default::default(),
        }
    }
}

/// QEMU `fdc` (version 2).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "fdc", version = 2)]
pub struct Fdc {
    /// `state`.
    pub state: FdcFdc,
}
