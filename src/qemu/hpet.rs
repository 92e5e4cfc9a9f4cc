//! `hpet`: the high-precision event timer (`hw/timer/hpet.c`), whose timers
//! are a variable array counted by an earlier byte.

use crate::VmState;

/// QEMU `vmstate_hpet` (`hpet`, version 2, minimum 1).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "hpet", version = 2, minimum_version = 1, post_load = Hpet::post_load)]
pub struct Hpet {
    /// `config`: the general configuration register (bit 0 = enabled, bit 1
    /// = legacy replacement routing).
    pub config: u64,
    /// `isr`: the general interrupt status register.
    pub isr: u64,
    /// `hpet_counter`: the main counter, latched by QEMU's `pre_save`.
    pub hpet_counter: u64,
    /// `num_timers` (version 2): how many comparators follow, 3 to 32.
    #[vmstate(since = 2)]
    pub num_timers: u8,
    /// `timer`: the comparators
    /// (`VMSTATE_STRUCT_VARRAY_UINT8(timer, .., num_timers, ..)`).
    #[vmstate(len = num_timers)]
    pub timer: Vec<HpetTimer>,
    /// `hpet/rtc_irq_level`: sent while the RTC interrupt line is high.
    #[subsection(needed = Hpet::rtc_irq_level_needed)]
    pub rtc_irq_level: HpetRtcIrqLevel,
    /// `hpet/offset`: sent while the HPET is enabled.
    #[subsection(needed = Hpet::offset_needed)]
    pub offset: HpetOffset,
    /// Configuration, not migrated: QEMU property `hpet-offset-saved` (true
    /// for machine types since 4.2).
    #[vmstate(skip)]
    pub hpet_offset_saved: bool,
}

impl Default for Hpet {
    /// A disabled HPET with the three timers QEMU gives a pc machine (`tn`
    /// numbered, nothing armed), and the configuration of a QEMU 7.2 pc
    /// machine.
    fn default() -> Self {
        Self {
            config: 0,
            isr: 0,
            hpet_counter: 0,
            num_timers: 3,
            timer: (0..3)
                .map(|tn| HpetTimer {
                    tn,
                    ..HpetTimer::default()
                })
                .collect(),
            rtc_irq_level: HpetRtcIrqLevel::default(),
            offset: HpetOffset::default(),
            hpet_offset_saved: true,
        }
    }
}

impl Hpet {
    /// Fewest timers an HPET has (QEMU `HPET_MIN_TIMERS`).
    pub const MIN_TIMERS: u8 = 3;
    /// Most timers an HPET has (QEMU `HPET_MAX_TIMERS`).
    pub const MAX_TIMERS: u8 = 32;
    /// `config` bit: the counter runs and timers fire.
    pub const CFG_ENABLE: u64 = 0x1;

    /// QEMU `hpet_rtc_irq_level_needed`.
    fn rtc_irq_level_needed(&self) -> bool {
        self.rtc_irq_level.rtc_irq_level != 0
    }

    /// QEMU `hpet_offset_needed`.
    fn offset_needed(&self) -> bool {
        self.config & Self::CFG_ENABLE != 0 && self.hpet_offset_saved
    }

    /// QEMU's `VMSTATE_VALIDATE("num_timers in range", ..)`, which QEMU
    /// checks before the timers; here it runs after them.
    fn post_load(&mut self, _version_id: u32) -> Result<(), String> {
        if (Self::MIN_TIMERS..=Self::MAX_TIMERS).contains(&self.num_timers) {
            Ok(())
        } else {
            Err(format!(
                "num_timers {} is out of range {}..={}",
                self.num_timers,
                Self::MIN_TIMERS,
                Self::MAX_TIMERS
            ))
        }
    }
}

/// QEMU `vmstate_hpet_timer` ("`hpet_timer`", version 1): one comparator, 42
/// bytes.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "hpet_timer", version = 1)]
pub struct HpetTimer {
    /// `tn`: the timer's index.
    pub tn: u8,
    /// `config`: the timer's configuration and capabilities register.
    pub config: u64,
    /// `cmp`: the comparator value.
    pub cmp: u64,
    /// `fsb`: the FSB (MSI) interrupt route.
    pub fsb: u64,
    /// `period`: the period of a periodic timer, in counter ticks.
    pub period: u64,
    /// `wrap_flag`: a 32-bit comparator will wrap before it fires.
    pub wrap_flag: u8,
    /// `qemu_timer`: a QEMU timer, its expiry in ns, -1 = not armed.
    #[vmstate(info = "timer")]
    pub qemu_timer: i64,
}

impl Default for HpetTimer {
    /// Timer 0, disarmed, with QEMU's reset comparator (all ones).
    fn default() -> Self {
        Self {
            tn: 0,
            config: 0,
            cmp: u64::MAX,
            fsb: 0,
            period: 0,
            wrap_flag: 0,
            qemu_timer: -1,
        }
    }
}

/// QEMU `vmstate_hpet_rtc_irq_level` (`hpet/rtc_irq_level`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "hpet/rtc_irq_level", version = 1)]
pub struct HpetRtcIrqLevel {
    /// `rtc_irq_level`: the level of the RTC interrupt in legacy mode.
    pub rtc_irq_level: u8,
}

/// QEMU `vmstate_hpet_offset` (`hpet/offset`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "hpet/offset", version = 1)]
pub struct HpetOffset {
    /// `hpet_offset`: ns between the virtual clock and the counter's zero.
    pub hpet_offset: u64,
}
