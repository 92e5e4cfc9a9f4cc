//! `i6300esb_wdt`: the Intel 6300ESB watchdog timer (`hw/watchdog/wdt_i6300esb.c`).

use super::pci::PciDevice;
use crate::VmState;

/// QEMU `vmstate_i6300esb` (`i6300esb_wdt`, version 10000; QEMU numbered it
/// so to stay above a version an out-of-tree build once used). The section
/// idstr has the PCI address in front, e.g. `0000:00:04.0/i6300esb_wdt`.
///
/// QEMU's minimum is 1, with the same fields; this model accepts 10000 only,
/// the one version QEMU has sent since 2009, so that the layout lock does not
/// list ten thousand identical versions.
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "i6300esb_wdt", version = 10000)]
pub struct I6300Esb {
    /// `dev`: the PCI function.
    pub dev: PciDevice,
    /// `reboot_enabled`: a second-stage expiry resets the machine.
    pub reboot_enabled: i32,
    /// `clock_scale`: 0 = 1 kHz ticks, 1 = 1 MHz ticks.
    pub clock_scale: i32,
    /// `int_type`: the first-stage interrupt (0 IRQ, 1 SMI, 2 disabled).
    pub int_type: i32,
    /// `free_run`: the timer runs without the first stage.
    pub free_run: i32,
    /// `locked`: the configuration is locked until reset.
    pub locked: i32,
    /// `enabled`: the watchdog is armed.
    pub enabled: i32,
    /// `timer`: the expiry in ns, -1 when not armed.
    #[vmstate(info = "timer")]
    pub timer: i64,
    /// `timer1_preload`: the first stage's count.
    pub timer1_preload: u32,
    /// `timer2_preload`: the second stage's count.
    pub timer2_preload: u32,
    /// `stage`: which stage is counting (1 or 2).
    pub stage: i32,
    /// `unlock_state`: progress of the register unlock sequence.
    pub unlock_state: i32,
    /// `previous_reboot_flag`: the watchdog reset the machine before.
    pub previous_reboot_flag: i32,
}
