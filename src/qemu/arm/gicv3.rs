//! `arm_gicv3` and `arm_gicv3_its`: the `GICv3` interrupt controller's common
//! state (`hw/intc/arm_gicv3_common.c`) and its interrupt translation
//! service (`hw/intc/arm_gicv3_its_common.c`), with `-M virt,gic-version=3`.

use crate::VmState;

/// `GICV3_MAXIRQ`: interrupts the distributor holds state for.
pub const GICV3_MAXIRQ: usize = 1020;
/// `GICV3_BMP_SIZE`: 32-bit words of a bitmap of `GICV3_MAXIRQ` bits.
pub const GICV3_BMP_SIZE: usize = GICV3_MAXIRQ.div_ceil(32);

/// QEMU `vmstate_gicv3` (`arm_gicv3`, version 1).
///
/// The redistributors (`cpu`, `VMSTATE_STRUCT_VARRAY_POINTER_UINT32` with
/// count `num_cpu`) are one per vCPU; the count is configuration, not on the
/// wire: `num_cpu` says how many to read (1 by default, as the fixtures'
/// machines have).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "arm_gicv3", version = 1, priority = "gicv3")]
pub struct ArmGicv3 {
    /// `gicd_ctlr`: the distributor control register.
    pub gicd_ctlr: u32,
    /// `gicd_statusr`: the status register, per security state.
    pub gicd_statusr: [u32; 2],
    /// `group`: a bitmap of group-1 interrupts.
    pub group: [u32; GICV3_BMP_SIZE],
    /// `grpmod`: the group modifier bitmap.
    pub grpmod: [u32; GICV3_BMP_SIZE],
    /// `enabled`: the enabled bitmap.
    pub enabled: [u32; GICV3_BMP_SIZE],
    /// `pending`: the pending bitmap.
    pub pending: [u32; GICV3_BMP_SIZE],
    /// `active`: the active bitmap.
    pub active: [u32; GICV3_BMP_SIZE],
    /// `level`: the line levels.
    pub level: [u32; GICV3_BMP_SIZE],
    /// `edge_trigger`: the edge-triggered bitmap.
    pub edge_trigger: [u32; GICV3_BMP_SIZE],
    /// `gicd_ipriority`: each interrupt's priority.
    pub gicd_ipriority: [u8; GICV3_MAXIRQ],
    /// `gicd_irouter`: each interrupt's routing (affinity).
    pub gicd_irouter: Box<[u64; GICV3_MAXIRQ]>,
    /// `gicd_nsacr`: non-secure access control, 2 bits per interrupt.
    pub gicd_nsacr: [u32; GICV3_MAXIRQ.div_ceil(16)],
    /// Configuration, not migrated: the number of vCPUs (`num_cpu`), which
    /// sizes `cpu`.
    #[vmstate(skip)]
    pub num_cpu: u32,
    /// `cpu`: one redistributor and CPU interface per vCPU.
    #[vmstate(len = num_cpu)]
    pub cpu: Vec<ArmGicv3Cpu>,
    /// `arm_gicv3/gicd_no_migration_shift_bug`, which QEMU always sends.
    #[subsection(needed = ArmGicv3::no_migration_shift_bug_needed)]
    pub gicd_no_migration_shift_bug: ArmGicv3NoMigrationShiftBug,
}

impl Default for ArmGicv3 {
    /// A `GICv3` before reset, with one vCPU.
    fn default() -> Self {
        Self {
            gicd_ctlr: 0,
            gicd_statusr: [0; 2],
            group: [0; GICV3_BMP_SIZE],
            grpmod: [0; GICV3_BMP_SIZE],
            enabled: [0; GICV3_BMP_SIZE],
            pending: [0; GICV3_BMP_SIZE],
            active: [0; GICV3_BMP_SIZE],
            level: [0; GICV3_BMP_SIZE],
            edge_trigger: [0; GICV3_BMP_SIZE],
            gicd_ipriority: [0; GICV3_MAXIRQ],
            gicd_irouter: Box::new([0; GICV3_MAXIRQ]),
            gicd_nsacr: [0; GICV3_MAXIRQ.div_ceil(16)],
            num_cpu: 1,
            cpu: vec![ArmGicv3Cpu::default()],
            gicd_no_migration_shift_bug: ArmGicv3NoMigrationShiftBug {
                gicd_no_migration_shift_bug: true,
            },
        }
    }
}

impl ArmGicv3 {
    /// QEMU `needed_always`: every QEMU since 2.12 sends it, so that a
    /// receiver can tell their streams from those of QEMUs with the
    /// `gicd_ipriority` shift bug.
    #[expect(clippy::unused_self, reason = "the signature `needed` requires")]
    fn no_migration_shift_bug_needed(&self) -> bool {
        true
    }
}

/// QEMU `vmstate_gicv3_gicd_no_migration_shift_bug`
/// (`arm_gicv3/gicd_no_migration_shift_bug`, version 1).
#[derive(VmState, Debug, Clone, PartialEq, Eq, Default)]
#[vmstate(name = "arm_gicv3/gicd_no_migration_shift_bug", version = 1)]
pub struct ArmGicv3NoMigrationShiftBug {
    /// `gicd_no_migration_shift_bug`: true from every QEMU that has the
    /// subsection.
    pub gicd_no_migration_shift_bug: bool,
}

/// QEMU `vmstate_gicv3_cpu` (`arm_gicv3_cpu`, version 1): one
/// redistributor and its CPU interface.
///
/// The `arm_gicv3_cpu/virt` (virtualization extensions), `arm_gicv3_cpu/nmi`
/// and `arm_gicv3_cpu/gicv4` subsections (QEMU 10.0) are sent only with
/// configurations that the `virt` machine does not have by default
/// (`virtualization=on`, `FEAT_NMI`, `GICv4`); they are not modelled.
#[derive(VmState, Debug, Clone, PartialEq, Eq)]
#[vmstate(name = "arm_gicv3_cpu", version = 1)]
pub struct ArmGicv3Cpu {
    /// `level`: the private interrupts' line levels.
    pub level: u32,
    /// `gicr_ctlr`.
    pub gicr_ctlr: u32,
    /// `gicr_statusr`, per security state.
    pub gicr_statusr: [u32; 2],
    /// `gicr_waker`.
    pub gicr_waker: u32,
    /// `gicr_propbaser`.
    pub gicr_propbaser: u64,
    /// `gicr_pendbaser`.
    pub gicr_pendbaser: u64,
    /// `gicr_igroupr0`.
    pub gicr_igroupr0: u32,
    /// `gicr_ienabler0`.
    pub gicr_ienabler0: u32,
    /// `gicr_ipendr0`.
    pub gicr_ipendr0: u32,
    /// `gicr_iactiver0`.
    pub gicr_iactiver0: u32,
    /// `edge_trigger`: the private interrupts' trigger modes.
    pub edge_trigger: u32,
    /// `gicr_igrpmodr0`.
    pub gicr_igrpmodr0: u32,
    /// `gicr_nsacr`.
    pub gicr_nsacr: u32,
    /// `gicr_ipriorityr`: the private interrupts' priorities.
    pub gicr_ipriorityr: [u8; 32],
    /// `icc_ctlr_el1`, per security state.
    pub icc_ctlr_el1: [u64; 2],
    /// `icc_pmr_el1`.
    pub icc_pmr_el1: u64,
    /// `icc_bpr`: binary points (group 0, group 1 secure, group 1
    /// non-secure).
    pub icc_bpr: [u64; 3],
    /// `icc_apr[3][4]`: active priorities, per group, flat.
    pub icc_apr: [u64; 12],
    /// `icc_igrpen`: group enables.
    pub icc_igrpen: [u64; 3],
    /// `icc_ctlr_el3`.
    pub icc_ctlr_el3: u64,
    /// `arm_gicv3_cpu/sre_el1`, sent when `icc_sre_el1` is not its reset
    /// value 7.
    #[subsection(needed = ArmGicv3Cpu::sre_el1_needed)]
    pub sre_el1: ArmGicv3CpuSreEl1,
}

impl Default for ArmGicv3Cpu {
    /// A CPU interface before reset, `icc_sre_el1` at 7 so that a stream
    /// without the subsection writes none.
    fn default() -> Self {
        Self {
            level: 0,
            gicr_ctlr: 0,
            gicr_statusr: [0; 2],
            gicr_waker: 0,
            gicr_propbaser: 0,
            gicr_pendbaser: 0,
            gicr_igroupr0: 0,
            gicr_ienabler0: 0,
            gicr_ipendr0: 0,
            gicr_iactiver0: 0,
            edge_trigger: 0,
            gicr_igrpmodr0: 0,
            gicr_nsacr: 0,
            gicr_ipriorityr: [0; 32],
            icc_ctlr_el1: [0; 2],
            icc_pmr_el1: 0,
            icc_bpr: [0; 3],
            icc_apr: [0; 12],
            icc_igrpen: [0; 3],
            icc_ctlr_el3: 0,
            sre_el1: ArmGicv3CpuSreEl1 { icc_sre_el1: 7 },
        }
    }
}

impl ArmGicv3Cpu {
    /// QEMU `icc_sre_el1_reg_needed`: `icc_sre_el1 != 7`.
    fn sre_el1_needed(&self) -> bool {
        self.sre_el1.icc_sre_el1 != 7
    }
}

/// QEMU `vmstate_gicv3_cpu_sre_el1` (`arm_gicv3_cpu/sre_el1`, version 1).
#[derive(VmState, Debug, Clone, PartialEq, Eq)]
#[vmstate(name = "arm_gicv3_cpu/sre_el1", version = 1)]
pub struct ArmGicv3CpuSreEl1 {
    /// `icc_sre_el1`.
    pub icc_sre_el1: u64,
}

/// QEMU `vmstate_its` (`arm_gicv3_its`, version 0): the ITS registers; its
/// tables live in guest memory.
#[derive(VmState, Debug, Clone, PartialEq, Eq, Default)]
#[vmstate(name = "arm_gicv3_its", version = 0, priority = "gicv3_its")]
pub struct ArmGicv3Its {
    /// `ctlr`.
    pub ctlr: u32,
    /// `iidr`.
    pub iidr: u32,
    /// `cbaser`: the command queue's base.
    pub cbaser: u64,
    /// `cwriter`: the command queue's write offset.
    pub cwriter: u64,
    /// `creadr`: the command queue's read offset.
    pub creadr: u64,
    /// `baser`: the table base registers.
    pub baser: [u64; 8],
}
