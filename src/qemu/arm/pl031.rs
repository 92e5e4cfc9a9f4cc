//! `pl031`: the `PrimeCell` real-time clock (`hw/rtc/pl031.c`).

use crate::{Loaded, VmState};

/// QEMU `vmstate_pl031` (`pl031`, version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "pl031", version = 1)]
pub struct Pl031 {
    /// `tick_offset_vmstate`: the tick offset, adjusted by `pre_save` for
    /// receivers that lack the `pl031/tick-offset` subsection.
    pub tick_offset_vmstate: u32,
    /// `mr`: the match register.
    pub mr: u32,
    /// `lr`: the load register.
    pub lr: u32,
    /// `cr`: the control register.
    pub cr: u32,
    /// `im`: the interrupt mask.
    pub im: u32,
    /// `is`: the raw interrupt status.
    pub is: u32,
    /// `pl031/tick-offset`, sent when the device's `migrate-tick-offset`
    /// property is on (every machine type from QEMU 4.1 on, `virt-7.2`
    /// included): configuration, so the model sends it exactly when it was
    /// loaded.
    #[subsection(needed = loaded)]
    pub tick_offset: Loaded<Pl031TickOffset>,
}

/// QEMU `vmstate_pl031_tick_offset` (`pl031/tick-offset`, version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "pl031/tick-offset", version = 1)]
pub struct Pl031TickOffset {
    /// `tick_offset`: the offset between the host's RTC and the guest's.
    pub tick_offset: u32,
}
