//! `mc146818rtc`: the PC real-time clock and its CMOS RAM (`hw/rtc/mc146818rtc.c`).

use crate::{Unused, VmState};

/// QEMU `vmstate_rtc` (`mc146818rtc`, version 3, minimum 1).
///
/// The time of day lives in [`cmos_data`](Self::cmos_data) in the format that
/// register B selects (BCD unless bit 2 is set): seconds at index 0, minutes at
/// 2, hours at 4, day of week at 6, day of month at 7, month at 8, year at 9,
/// registers A to D at 10 to 13, and the century at `0x32`.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "mc146818rtc", version = 3, minimum_version = 1)]
pub struct Rtc {
    /// `cmos_data`: the 128 bytes of CMOS RAM, clock registers included.
    #[vmstate(info = "buffer")]
    pub cmos_data: [u8; 128],
    /// `cmos_index`: the register selected through port 0x70.
    pub cmos_index: u8,
    /// `VMSTATE_UNUSED(7 * 4)`: the broken-down time of old versions.
    #[vmstate(rename = "unused[0]")]
    pub unused0: Unused<28>,
    /// `periodic_timer`: a QEMU timer, its expiry in ns, -1 = not armed.
    #[vmstate(info = "timer")]
    pub periodic_timer: i64,
    /// `next_periodic_time`: virtual-clock ns of the next periodic interrupt.
    pub next_periodic_time: i64,
    /// `VMSTATE_UNUSED(3 * 8)`: the second timer and its times in old versions.
    #[vmstate(rename = "unused[1]")]
    pub unused1: Unused<24>,
    /// `irq_coalesced` (version 2): periodic interrupts not yet delivered.
    #[vmstate(since = 2)]
    pub irq_coalesced: u32,
    /// `period` (version 2): the periodic-interrupt period, in 32 kHz ticks.
    #[vmstate(since = 2)]
    pub period: u32,
    /// `base_rtc` (version 3): the guest time, in seconds since the epoch, at
    /// `last_update`.
    #[vmstate(since = 3)]
    pub base_rtc: u64,
    /// `last_update` (version 3): the RTC-clock ns when `base_rtc` was set.
    #[vmstate(since = 3)]
    pub last_update: u64,
    /// `offset` (version 3): ns into the current second at `last_update`.
    #[vmstate(since = 3)]
    pub offset: i64,
    /// `update_timer` (version 3): a QEMU timer, its expiry in ns, -1 = not
    /// armed.
    #[vmstate(since = 3, info = "timer")]
    pub update_timer: i64,
    /// `next_alarm_time` (version 3): RTC-clock ns of the next alarm check.
    #[vmstate(since = 3)]
    pub next_alarm_time: u64,
    /// `mc146818rtc/irq_reinject_on_ack_count`: sent while interrupts wait to
    /// be reinjected (`lost_tick_policy=slew`).
    #[subsection(needed = Rtc::reinject_needed)]
    pub reinject: RtcReinject,
}

impl Default for Rtc {
    fn default() -> Self {
        Self {
            cmos_data: [0; 128],
            cmos_index: 0,
            unused0: Unused,
            periodic_timer: -1,
            next_periodic_time: 0,
            unused1: Unused,
            irq_coalesced: 0,
            period: 0,
            base_rtc: 0,
            last_update: 0,
            offset: 0,
            update_timer: -1,
            next_alarm_time: 0,
            reinject: RtcReinject::default(),
        }
    }
}

impl Rtc {
    /// CMOS index of register A (divider and periodic rate).
    pub const REG_A: usize = 0x0a;
    /// CMOS index of register B (format and interrupt enables).
    pub const REG_B: usize = 0x0b;
    /// CMOS index of register C (interrupt flags).
    pub const REG_C: usize = 0x0c;
    /// CMOS index of register D (valid RAM and time).
    pub const REG_D: usize = 0x0d;
    /// CMOS index of the century byte (`RTC_IBM_PS2_CENTURY_BYTE` on the PC).
    pub const CENTURY: usize = 0x32;

    /// QEMU `rtc_irq_reinject_on_ack_count_needed`.
    fn reinject_needed(&self) -> bool {
        self.reinject.irq_reinject_on_ack_count != 0
    }
}

/// QEMU `vmstate_rtc_irq_reinject_on_ack_count`
/// (`mc146818rtc/irq_reinject_on_ack_count`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "mc146818rtc/irq_reinject_on_ack_count", version = 1)]
pub struct RtcReinject {
    /// `irq_reinject_on_ack_count`: interrupts reinjected since the guest last
    /// acknowledged one.
    pub irq_reinject_on_ack_count: u16,
}
