//! `pl061`: the `PrimeCell` GPIO controller (`hw/gpio/pl061.c`), which the
//! `virt` machine wires to the power key.

use crate::VmState;

/// QEMU `vmstate_pl061` (`pl061`, version 4).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "pl061", version = 4)]
pub struct Pl061 {
    /// `locked`: the commit-control lock (Luminary variant).
    pub locked: u32,
    /// `data`: the data register.
    pub data: u32,
    /// `old_out_data`: the outputs last driven.
    pub old_out_data: u32,
    /// `old_in_data`: the inputs last seen.
    pub old_in_data: u32,
    /// `dir`: the direction register.
    pub dir: u32,
    /// `isense`: interrupt sense (level or edge).
    pub isense: u32,
    /// `ibe`: interrupt on both edges.
    pub ibe: u32,
    /// `iev`: interrupt event (rising or falling).
    pub iev: u32,
    /// `im`: the interrupt mask.
    pub im: u32,
    /// `istate`: the raw interrupt state.
    pub istate: u32,
    /// `afsel`: alternate function select.
    pub afsel: u32,
    /// `dr2r`: 2 mA drive select.
    pub dr2r: u32,
    /// `dr4r`: 4 mA drive select.
    pub dr4r: u32,
    /// `dr8r`: 8 mA drive select.
    pub dr8r: u32,
    /// `odr`: open-drain select.
    pub odr: u32,
    /// `pur`: pull-up select.
    pub pur: u32,
    /// `pdr`: pull-down select.
    pub pdr: u32,
    /// `slr`: slew-rate control.
    pub slr: u32,
    /// `den`: digital enable.
    pub den: u32,
    /// `cr`: commit control.
    pub cr: u32,
    /// `amsel`: analog mode select.
    pub amsel: u32,
}
