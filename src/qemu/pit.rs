//! `i8254`: the programmable interval timer (`hw/timer/i8254_common.c`).

use crate::VmState;

/// QEMU `vmstate_pit_common` (`i8254`, version 3, minimum 2): three counters.
///
/// Channel 0 drives IRQ 0, channel 1 was the DRAM refresh and channel 2 feeds
/// the PC speaker; its gate is port 0x61 bit 0.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "i8254", version = 3, minimum_version = 2)]
pub struct Pit {
    /// QEMU `channels[0].irq_disabled` (version 3): channel 0's interrupt is
    /// off (the HPET's legacy mode took IRQ 0 over).
    #[vmstate(since = 3, rename = "channels[0].irq_disabled")]
    pub channel0_irq_disabled: u32,
    /// `channels` (version 2): the three counters
    /// (`VMSTATE_STRUCT_ARRAY(channels, .., 3, 2, vmstate_pit_channel, ..)`).
    #[vmstate(since = 2)]
    pub channels: [PitChannel; 3],
    /// QEMU `channels[0].next_transition_time`, once the `irq_timer`: channel
    /// 0's next output change again, in virtual-clock ns.
    #[vmstate(rename = "channels[0].next_transition_time")]
    pub channel0_next_transition_time: i64,
}

/// QEMU `vmstate_pit_channel` (`pit channel`, version 2, minimum 2): one
/// counter, 32 bytes on the wire.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "pit channel", version = 2)]
pub struct PitChannel {
    /// `count`: the reload value; 0 written by the guest means 0x10000.
    pub count: i32,
    /// `latched_count`: the value captured by a counter-latch command.
    pub latched_count: u16,
    /// `count_latched`: which bytes of `latched_count` remain to be read.
    pub count_latched: u8,
    /// `status_latched`: a read-back command latched `status`.
    pub status_latched: u8,
    /// `status`: the latched status byte.
    pub status: u8,
    /// `read_state`: which byte a read of the counter returns next
    /// (1 LSB, 2 MSB, 3 word LSB first, 4 word MSB next).
    pub read_state: u8,
    /// `write_state`: which byte a write sets next (as `read_state`).
    pub write_state: u8,
    /// `write_latch`: the low byte of a word write in progress.
    pub write_latch: u8,
    /// `rw_mode`: access mode from the control word (1 LSB, 2 MSB, 3 both).
    pub rw_mode: u8,
    /// `mode`: counter mode 0 to 5 (2 = rate generator, 3 = square wave).
    pub mode: u8,
    /// `bcd`: count in BCD.
    pub bcd: u8,
    /// `gate`: the gate input level.
    pub gate: u8,
    /// `count_load_time`: virtual-clock ns when `count` was loaded.
    pub count_load_time: i64,
    /// `next_transition_time`: virtual-clock ns of the next output change.
    pub next_transition_time: i64,
}
