//! `i8259`: the two cascaded interrupt controllers (`hw/intc/i8259_common.c`).

use crate::VmState;

/// QEMU `vmstate_pic_common` (`i8259`, version 1): one 8259A. A PC has two:
/// instance 0 is the master (ports 0x20, IRQ 0-7), instance 1 the slave (ports
/// 0xa0, IRQ 8-15). `info pic` prints `irr`, `imr`, `isr`, `hprio`
/// (`priority_add`), `irq_base`, `rr_sel` (`read_reg_select`), `elcr` and `fnm`
/// (`special_fully_nested_mode`).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "i8259", version = 1)]
pub struct Pic {
    /// `last_irr`: the input levels seen last, for edge detection.
    pub last_irr: u8,
    /// `irr`: interrupt request register.
    pub irr: u8,
    /// `imr`: interrupt mask register.
    pub imr: u8,
    /// `isr`: in-service register.
    pub isr: u8,
    /// `priority_add`: the rotation of priorities (the highest-priority IRQ).
    pub priority_add: u8,
    /// `irq_base`: the vector of IRQ 0 of this controller (ICW2).
    pub irq_base: u8,
    /// `read_reg_select`: OCW3 selects the ISR (1) or IRR (0) for reads.
    pub read_reg_select: u8,
    /// `poll`: poll mode (OCW3).
    pub poll: u8,
    /// `special_mask`: special mask mode (OCW3).
    pub special_mask: u8,
    /// `init_state`: the initialization word expected next (0 = initialized).
    pub init_state: u8,
    /// `auto_eoi`: automatic end of interrupt (ICW4).
    pub auto_eoi: u8,
    /// `rotate_on_auto_eoi`: rotate priorities on automatic EOI.
    pub rotate_on_auto_eoi: u8,
    /// `special_fully_nested_mode`: special fully nested mode (ICW4).
    pub special_fully_nested_mode: u8,
    /// `init4`: ICW4 is expected during initialization.
    pub init4: u8,
    /// `single_mode`: no cascade (ICW1).
    pub single_mode: u8,
    /// `elcr`: edge/level control register (port 0x4d0/0x4d1), 1 = level.
    pub elcr: u8,
    /// `i8259/ltim` (QEMU 8.1 and later): sent when ICW1 chose level-triggered
    /// mode for every input; QEMU 7.2 does not know it and refuses the stream.
    #[subsection(needed = Pic::ltim_needed)]
    pub ltim: PicLtim,
}

impl Pic {
    /// QEMU `ltim_state_needed`: the LTIM bit of ICW1 is set.
    fn ltim_needed(&self) -> bool {
        self.ltim.ltim != 0
    }
}

/// QEMU `vmstate_pic_ltim` (`i8259/ltim`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "i8259/ltim", version = 1)]
pub struct PicLtim {
    /// `ltim`: ICW1's LTIM bit as QEMU keeps it (`val & 0x08`, so 0 or 8):
    /// every input is level triggered, whatever `elcr` says.
    pub ltim: u8,
}
