//! `arm_gic`: the `GICv2` interrupt controller's common state
//! (`hw/intc/arm_gic_common.c`), the `virt` machine's default.

use crate::VmState;

/// `GIC_MAXIRQ`: interrupts the model holds state for.
pub const GIC_MAXIRQ: usize = 1020;
/// `GIC_NCPU`: the CPU interfaces the state is sized for.
pub const GIC_NCPU: usize = 8;
/// `GIC_INTERNAL`: SGIs and PPIs, banked per CPU.
pub const GIC_INTERNAL: usize = 32;
/// `GIC_NR_SGIS`: software-generated interrupts.
pub const GIC_NR_SGIS: usize = 16;
/// `GIC_NR_APRS`: active-priority registers per CPU interface.
pub const GIC_NR_APRS: usize = 4;

/// QEMU `vmstate_gic` (`arm_gic`, version 12). QEMU's two-dimensional arrays
/// (`priority1[GIC_INTERNAL][GIC_NCPU]`, ...) are flat here, in QEMU's
/// row-major order, as the vmdesc lists them.
///
/// The `arm_gic/virt_state` subsection (the virtualization extensions,
/// `-M virt,virtualization=on`) is not modelled.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "arm_gic", version = 12)]
pub struct ArmGic {
    /// `ctlr`: the distributor control register.
    pub ctlr: u32,
    /// `cpu_ctlr`: each CPU interface's control register.
    pub cpu_ctlr: [u32; GIC_NCPU],
    /// `irq_state`: each interrupt's state.
    pub irq_state: Box<[GicIrqState; GIC_MAXIRQ]>,
    /// `irq_target`: each interrupt's target CPUs.
    pub irq_target: [u8; GIC_MAXIRQ],
    /// `priority1`: the banked interrupts' priorities, per CPU.
    pub priority1: [u8; GIC_INTERNAL * GIC_NCPU],
    /// `priority2`: the shared interrupts' priorities.
    pub priority2: [u8; GIC_MAXIRQ - GIC_INTERNAL],
    /// `sgi_pending`: per SGI and CPU, the source CPUs.
    pub sgi_pending: [u8; GIC_NR_SGIS * GIC_NCPU],
    /// `priority_mask`: each CPU interface's priority mask.
    pub priority_mask: [u16; GIC_NCPU],
    /// `running_priority`: each CPU interface's running priority.
    pub running_priority: [u16; GIC_NCPU],
    /// `current_pending`: each CPU interface's highest pending interrupt.
    pub current_pending: [u16; GIC_NCPU],
    /// `bpr`: each CPU interface's binary point.
    pub bpr: [u8; GIC_NCPU],
    /// `abpr`: each CPU interface's aliased binary point.
    pub abpr: [u8; GIC_NCPU],
    /// `apr`: the active-priority registers, per register and CPU.
    pub apr: [u32; GIC_NR_APRS * GIC_NCPU],
    /// `nsapr`: the non-secure active-priority registers.
    pub nsapr: [u32; GIC_NR_APRS * GIC_NCPU],
}

impl Default for ArmGic {
    /// All zero: a GIC before reset.
    fn default() -> Self {
        Self {
            ctlr: 0,
            cpu_ctlr: [0; GIC_NCPU],
            irq_state: Box::new([GicIrqState::default(); GIC_MAXIRQ]),
            irq_target: [0; GIC_MAXIRQ],
            priority1: [0; GIC_INTERNAL * GIC_NCPU],
            priority2: [0; GIC_MAXIRQ - GIC_INTERNAL],
            sgi_pending: [0; GIC_NR_SGIS * GIC_NCPU],
            priority_mask: [0; GIC_NCPU],
            running_priority: [0; GIC_NCPU],
            current_pending: [0; GIC_NCPU],
            bpr: [0; GIC_NCPU],
            abpr: [0; GIC_NCPU],
            apr: [0; GIC_NR_APRS * GIC_NCPU],
            nsapr: [0; GIC_NR_APRS * GIC_NCPU],
        }
    }
}

/// QEMU `vmstate_gic_irq_state` (`arm_gic_irq_state`, version 1).
#[derive(VmState, Debug, Clone, Copy, PartialEq, Eq, Default)]
#[vmstate(name = "arm_gic_irq_state", version = 1)]
pub struct GicIrqState {
    /// `enabled`: a bitmap of the CPUs it is enabled for.
    pub enabled: u8,
    /// `pending`: a bitmap of the CPUs it is pending on.
    pub pending: u8,
    /// `active`: a bitmap of the CPUs it is active on.
    pub active: u8,
    /// `level`: a bitmap of the CPUs whose line is high.
    pub level: u8,
    /// `model`: the 1-N model (`VMSTATE_BOOL`).
    pub model: bool,
    /// `edge_trigger`: edge- rather than level-triggered.
    pub edge_trigger: bool,
    /// `group`: a bitmap of the CPUs for which it is group 1.
    pub group: u8,
}
