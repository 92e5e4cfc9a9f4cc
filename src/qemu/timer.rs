//! `timer`: the virtual-clock offsets of `softmmu/cpu-timers.c` (`vmstate_timers`),
//! with the icount subsections that only `-icount` machines send.

use crate::{Unused, VmState};

/// QEMU `vmstate_timers` (`timer`, version 2, minimum 1): the offsets that make
/// the guest's tick counter and virtual clock continue where they stopped.
///
/// A machine that never ran saves all 24 bytes as zeros.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "timer", version = 2, minimum_version = 1)]
pub struct Timers {
    /// `cpu_ticks_offset`: host ticks to add to get the guest's tick count.
    pub cpu_ticks_offset: i64,
    /// `VMSTATE_UNUSED(8)`: once `dummy`, written as zeros.
    pub unused: Unused<8>,
    /// `cpu_clock_offset` (version 2): ns to add to the host clock to get the
    /// guest's virtual clock.
    #[vmstate(since = 2)]
    pub cpu_clock_offset: i64,
    /// `timer/icount`: sent when the machine runs with `-icount`.
    #[subsection(needed = Timers::icount_needed)]
    pub icount: TimersIcount,
    /// Configuration, not migrated: whether `-icount` is on (QEMU
    /// `icount_enabled()`), which decides whether [`icount`](Self::icount) is sent.
    #[vmstate(skip)]
    pub icount_enabled: bool,
}

impl Timers {
    /// QEMU `icount_state_needed`.
    fn icount_needed(&self) -> bool {
        self.icount_enabled
    }
}

/// QEMU `icount_vmstate_timers` (`timer/icount`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "timer/icount", version = 1)]
pub struct TimersIcount {
    /// `qemu_icount_bias`: ns added to the instruction-count clock.
    pub qemu_icount_bias: i64,
    /// `qemu_icount`: instructions executed.
    pub qemu_icount: i64,
    /// `timer/icount/warp_timer`: sent when the warp timer exists.
    #[subsection(needed = TimersIcount::warp_timer_needed)]
    pub warp_timer: TimersIcountWarpTimer,
    /// `timer/icount/timers`: sent when the adaptive-icount timers exist.
    #[subsection(needed = TimersIcount::adaptive_needed)]
    pub timers: TimersIcountTimers,
    /// `timer/icount/shift`: sent with adaptive icount (`-icount shift=auto`).
    #[subsection(needed = TimersIcount::adaptive_needed)]
    pub shift: TimersIcountShift,
    /// Configuration, not migrated: `-icount sleep=on` (the default), under
    /// which QEMU creates `icount_warp_timer` (`warp_timer_state_needed`).
    #[vmstate(skip)]
    pub icount_sleep: bool,
    /// Configuration, not migrated: `-icount shift=auto`, under which QEMU
    /// creates `icount_rt_timer` and `icount_vm_timer`
    /// (`adjust_timers_state_needed`, `icount_shift_state_needed`).
    #[vmstate(skip)]
    pub icount_adaptive: bool,
}

impl TimersIcount {
    /// QEMU `warp_timer_state_needed`.
    fn warp_timer_needed(&self) -> bool {
        self.icount_sleep
    }

    /// QEMU `adjust_timers_state_needed` and `icount_shift_state_needed`.
    fn adaptive_needed(&self) -> bool {
        self.icount_adaptive
    }
}

/// QEMU `icount_vmstate_warp_timer` (`timer/icount/warp_timer`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "timer/icount/warp_timer", version = 1)]
pub struct TimersIcountWarpTimer {
    /// `vm_clock_warp_start`: real-time ns when the current warp began, or -1.
    pub vm_clock_warp_start: i64,
    /// `icount_warp_timer`: a QEMU timer, its expiry in ns, -1 = not armed.
    #[vmstate(info = "timer")]
    pub icount_warp_timer: i64,
}

/// QEMU `icount_vmstate_adjust_timers` (`timer/icount/timers`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "timer/icount/timers", version = 1)]
pub struct TimersIcountTimers {
    /// `icount_rt_timer`: a QEMU timer, its expiry in ns, -1 = not armed.
    #[vmstate(info = "timer")]
    pub icount_rt_timer: i64,
    /// `icount_vm_timer`: a QEMU timer, its expiry in ns, -1 = not armed.
    #[vmstate(info = "timer")]
    pub icount_vm_timer: i64,
}

/// QEMU `icount_vmstate_shift` (`timer/icount/shift`, version 2, minimum 2).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "timer/icount/shift", version = 2)]
pub struct TimersIcountShift {
    /// `icount_time_shift`: ns per instruction as a power of two.
    pub icount_time_shift: i16,
    /// `last_delta`: the last measured difference between the clocks, in ns.
    pub last_delta: i64,
}
