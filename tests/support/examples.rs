//! Device types that several tests exercise: every scalar kind (from
//! `field_types.rs`), nested subsections (from `subsections.rs`) and version
//! gates (from `versions.rs`).

#![allow(dead_code, reason = "each test crate uses a part of these")]

use vmstate::{Unused, VmState};

#[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
#[repr(u8)]
pub enum Mode {
    #[default]
    Off = 0,
    On = 1,
    Auto = 7,
}

#[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
#[repr(i16)]
pub enum Signed {
    #[default]
    Minus = -2,
    Plus = 300,
}

#[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
pub struct Irq(pub u32);

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "scalars", version = 1)]
pub struct Scalars {
    pub u: u8,
    pub i: i8,
    pub w: u16,
    pub sw: i16,
    pub d: u32,
    pub sd: i32,
    pub q: u64,
    pub sq: i64,
    pub flag: bool,
    pub real: f64,
    pub mode: Mode,
    pub signed: Signed,
    pub irq: Irq,
    pub pad: Unused<3>,
    pub grid: [[u16; 2]; 2],
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "card", version = 1)]
pub struct Card {
    pub reg: u8,
    #[subsection(needed = Card::irq_needed)]
    pub irq: CardIrq,
    #[subsection(needed = Card::dma_needed)]
    pub dma: CardDma,
}

impl Card {
    pub fn irq_needed(&self) -> bool {
        self.irq.level != 0
    }
    pub fn dma_needed(&self) -> bool {
        self.dma.addr != 0 || self.dma.extra.flags != 0
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "card/irq", version = 2)]
pub struct CardIrq {
    pub level: u8,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "card/dma", version = 1)]
pub struct CardDma {
    pub addr: u32,
    #[subsection(needed = CardDma::extra_needed)]
    pub extra: CardDmaExtra,
}

impl CardDma {
    pub fn extra_needed(&self) -> bool {
        self.extra.flags != 0
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "card/dma/extra", version = 1)]
pub struct CardDmaExtra {
    pub flags: u16,
}

/// `since`, `exists` and `skip` across three versions (from `versions.rs`).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "dev", version = 3, minimum_version = 1)]
pub struct Dev {
    pub a: u8,
    #[vmstate(since = 2)]
    pub b: u16,
    #[vmstate(since = 3)]
    pub c: u32,
    #[vmstate(exists = Dev::has_d)]
    pub d: u8,
    #[vmstate(skip)]
    pub host_only: u64,
}

impl Dev {
    /// `d` is on the wire when `a` (loaded before it) is odd.
    pub fn has_d(&self, _version_id: u32) -> bool {
        self.a % 2 == 1
    }
}
