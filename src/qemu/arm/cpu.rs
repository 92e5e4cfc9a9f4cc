//! `cpu`: an Arm CPU's architectural state (`target/arm/machine.c`,
//! `vmstate_arm_cpu`), as QEMU 7.2 and 10.0.2 save an `AArch64` `cortex-a57`
//! under TCG. The generic part is the separate `cpu_common` section
//! ([`CpuCommon`](crate::qemu::cpu::CpuCommon)).
//!
//! The coprocessor registers travel as two parallel variable-length lists,
//! `cpreg_vmstate_indexes` (each register's KVM-style 64-bit id) and
//! `cpreg_vmstate_values`, both counted by `cpreg_vmstate_array_len`: 258
//! registers for a 7.2 `cortex-a57`, 274 for 10.0.2. The lists are what make
//! real QEMU refuse a `virt` guest between those releases; the model reads
//! any length the input holds.
//!
//! Of the many subsections, the models know those a `cortex-a57` sends
//! (`cpu/vfp` with, on 10.0, `cpu/vfp/fpcr_fpsr`; `cpu/irq-line-state`;
//! `cpu/serror`). The M-profile, iWMMXt, `ThumbEE`, PMSA, SVE, SME and `WFxT`
//! subsections belong to other CPU models; a stream that carries one is
//! refused with an error that names it.

use std::collections::BTreeMap;

use crate::models::ModelErrorKind;
use crate::{Error, ErrorKind, Loaded, Reader, Unused, VmState};

/// QEMU `vmstate_arm_cpu` (`cpu`, version 22).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "cpu", version = 22)]
pub struct ArmCpu {
    /// `env.regs`: the `AArch32` general registers.
    #[vmstate(rename = "env.regs")]
    pub env_regs: [u32; 16],
    /// `env.xregs`: the `AArch64` general registers (31 is SP).
    #[vmstate(rename = "env.xregs")]
    pub env_xregs: [u64; 32],
    /// `env.pc`.
    #[vmstate(rename = "env.pc")]
    pub env_pc: u64,
    /// `cpsr` (QEMU's `vmstate_cpsr`, a be32): CPSR, or PSTATE in `AArch64`.
    #[vmstate(info = "cpsr")]
    pub cpsr: u32,
    /// `env.spsr`.
    #[vmstate(rename = "env.spsr")]
    pub env_spsr: u32,
    /// `env.banked_spsr`.
    #[vmstate(rename = "env.banked_spsr")]
    pub env_banked_spsr: [u64; 8],
    /// `env.banked_r13`.
    #[vmstate(rename = "env.banked_r13")]
    pub env_banked_r13: [u32; 8],
    /// `env.banked_r14`.
    #[vmstate(rename = "env.banked_r14")]
    pub env_banked_r14: [u32; 8],
    /// `env.usr_regs`.
    #[vmstate(rename = "env.usr_regs")]
    pub env_usr_regs: [u32; 5],
    /// `env.fiq_regs`.
    #[vmstate(rename = "env.fiq_regs")]
    pub env_fiq_regs: [u32; 5],
    /// `env.elr_el`.
    #[vmstate(rename = "env.elr_el")]
    pub env_elr_el: [u64; 4],
    /// `env.sp_el`.
    #[vmstate(rename = "env.sp_el")]
    pub env_sp_el: [u64; 4],
    /// `cpreg_vmstate_array_len` (`VMSTATE_INT32_POSITIVE_LE`): how many
    /// coprocessor registers follow. QEMU refuses a count above its own
    /// list's; the model, which has no list of its own, reads any count the
    /// input holds, and saves the lists' length.
    #[vmstate(
        count_of = cpreg_vmstate_indexes,
        info = "int32 le",
        validate = ArmCpu::check_cpreg_count
    )]
    pub cpreg_vmstate_array_len: i32,
    /// `cpreg_vmstate_indexes`: each register's id (`cpreg_to_kvm_id`).
    #[vmstate(len = cpreg_vmstate_array_len)]
    pub cpreg_vmstate_indexes: Vec<u64>,
    /// `cpreg_vmstate_values`: each register's value, in the same order.
    #[vmstate(len = cpreg_vmstate_array_len)]
    pub cpreg_vmstate_values: Vec<u64>,
    /// `env.exclusive_addr`: the address of an open load-exclusive.
    #[vmstate(rename = "env.exclusive_addr")]
    pub env_exclusive_addr: u64,
    /// `env.exclusive_val`.
    #[vmstate(rename = "env.exclusive_val")]
    pub env_exclusive_val: u64,
    /// `env.exclusive_high`.
    #[vmstate(rename = "env.exclusive_high")]
    pub env_exclusive_high: u64,
    /// `VMSTATE_UNUSED(sizeof(uint64_t))`: where `env.exclusive_info` was.
    pub unused: Unused<8>,
    /// `env.exception.syndrome`.
    #[vmstate(rename = "env.exception.syndrome")]
    pub env_exception_syndrome: u32,
    /// `env.exception.fsr`.
    #[vmstate(rename = "env.exception.fsr")]
    pub env_exception_fsr: u32,
    /// `env.exception.vaddress`.
    #[vmstate(rename = "env.exception.vaddress")]
    pub env_exception_vaddress: u64,
    /// `gt_timer[GTIMER_PHYS]` (QEMU 7.2 names it `gt_timer[0]`): the
    /// physical generic timer, its expiry in ns, -1 when not armed.
    #[vmstate(rename = "gt_timer[0]", info = "timer")]
    pub gt_timer_phys: i64,
    /// `gt_timer[GTIMER_VIRT]` (`gt_timer[1]` in QEMU 7.2): the virtual
    /// generic timer.
    #[vmstate(rename = "gt_timer[1]", info = "timer")]
    pub gt_timer_virt: i64,
    /// `power_state` (QEMU's `vmstate_powered_off`, one byte): the CPU is
    /// powered off (PSCI `CPU_OFF`, or not started yet).
    #[vmstate(info = "powered_off")]
    pub power_state: bool,
    /// `cpu/vfp`, sent by every CPU with floating point. QEMU's `vfp_needed`
    /// reads `ARM_FEATURE_VFP`, configuration the section does not hold, so
    /// the model sends it exactly when it was loaded.
    #[subsection(needed = loaded)]
    pub vfp: Loaded<ArmCpuVfp>,
    /// `cpu/serror`, sent while an `SError` is pending.
    #[subsection(needed = ArmCpu::serror_needed)]
    pub serror: ArmCpuSerror,
    /// `cpu/irq-line-state`, which QEMU 7.2 and 10.0 always send; the model
    /// sends it exactly when it was loaded, so that a stream of a QEMU
    /// without it (before 4.1) round-trips too.
    #[subsection(needed = loaded)]
    pub irq_line_state: Loaded<ArmCpuIrqLineState>,
}

impl Default for ArmCpu {
    /// All zero, with no coprocessor registers and no subsection.
    fn default() -> Self {
        Self {
            env_regs: [0; 16],
            env_xregs: [0; 32],
            env_pc: 0,
            cpsr: 0,
            env_spsr: 0,
            env_banked_spsr: [0; 8],
            env_banked_r13: [0; 8],
            env_banked_r14: [0; 8],
            env_usr_regs: [0; 5],
            env_fiq_regs: [0; 5],
            env_elr_el: [0; 4],
            env_sp_el: [0; 4],
            cpreg_vmstate_array_len: 0,
            cpreg_vmstate_indexes: Vec::new(),
            cpreg_vmstate_values: Vec::new(),
            env_exclusive_addr: 0,
            env_exclusive_val: 0,
            env_exclusive_high: 0,
            unused: Unused,
            env_exception_syndrome: 0,
            env_exception_fsr: 0,
            env_exception_vaddress: 0,
            gt_timer_phys: -1,
            gt_timer_virt: -1,
            power_state: false,
            vfp: Loaded::default(),
            serror: ArmCpuSerror::default(),
            irq_line_state: Loaded::default(),
        }
    }
}

impl ArmCpu {
    /// QEMU's `get_int32_le` refuses a negative count; a count larger than
    /// the input makes the lists' load fail without allocating it.
    fn check_cpreg_count(&self) -> Result<(), Error> {
        if self.cpreg_vmstate_array_len < 0 {
            return Err(Error::new(ErrorKind::OutOfRange {
                what: "cpreg_vmstate_array_len",
                value: i128::from(self.cpreg_vmstate_array_len),
                minimum: 0,
                maximum: i128::from(i32::MAX),
                note: None,
            }));
        }
        Ok(())
    }

    /// QEMU `serror_needed`: `env.serror.pending`.
    fn serror_needed(&self) -> bool {
        self.serror.env_serror_pending != 0
    }
}

/// How [`rewrite_cpregs`] finds the value of a register it adds: from its
/// index and the payload's registers, by index.
pub type SupplyValue = dyn Fn(u64, &BTreeMap<u64, u64>) -> Option<u64>;

/// What [`rewrite_cpregs`] did to a `cpu` payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CpregRewrite {
    /// The payload saved again.
    pub payload: Vec<u8>,
    /// How many registers it lists.
    pub count: usize,
    /// Each register left out: index and value, in list order.
    pub dropped: Vec<(u64, u64)>,
    /// Each register given another value: index, old value, new value.
    pub replaced: Vec<(u64, u64, u64)>,
    /// Each register added: index and value.
    pub supplied: Vec<(u64, u64)>,
}

/// The bytes of the fields before `cpreg_vmstate_array_len` at version 22
/// (QEMU 7.2 and 10.0.2 both save `cpu` at 22): `env.regs` to `env.sp_el`,
/// 64 + 256 + 8 + 4 + 4 + 64 + 32 + 32 + 20 + 20 + 32 + 32. The lists are
/// spliced there and every byte after them (the other fields and every
/// subsection, `cpu/thumb2ee` or `cpu/sve` too) kept as it came: a CPU model
/// whose subsections [`ArmCpu`] does not describe still has its lists
/// rewritten.
const CPREG_LISTS_AT: usize = 568;

/// Whether [`ArmCpu`] reads the whole `cpu` payload and saves it back byte
/// for byte (it does not for CPU models with subsections it lacks).
///
/// # Errors
/// Why it does not: the model's load error, or a lossy round trip.
pub fn read_whole(payload: &[u8], version_id: u32) -> Result<ArmCpu, Error> {
    let mut cpu = ArmCpu::default();
    let mut reader = Reader::new(payload);
    cpu.load_state(&mut reader, version_id)?;
    if reader.remaining() != 0 || crate::to_vec_at(&cpu, version_id)? != payload {
        return Err(Error::new(ModelErrorKind::Lossy { model: "Arm cpu" }));
    }
    Ok(cpu)
}

/// The coprocessor register lists of a `cpu` payload at `version_id`, and
/// the byte offset where what follows them starts.
fn read_lists(payload: &[u8], version_id: u32) -> Result<(Vec<u64>, Vec<u64>, usize), Error> {
    if version_id != ArmCpu::VERSION {
        // Another layout before the lists: only the model may read it.
        let cpu = read_whole(payload, version_id)?;
        return Ok((cpu.cpreg_vmstate_indexes, cpu.cpreg_vmstate_values, 0));
    }
    let mut reader = Reader::new(payload);
    reader.skip(CPREG_LISTS_AT)?;
    let count = reader.read_be_i32()?;
    let count = usize::try_from(count).map_err(|_| {
        Error::new(ErrorKind::OutOfRange {
            what: "cpreg_vmstate_array_len",
            value: i128::from(count),
            minimum: 0,
            maximum: i128::from(i32::MAX),
            note: None,
        })
    })?;
    // Both lists must be in the input before anything is allocated.
    if reader.remaining() / 16 < count {
        return Err(reader.eof(count.saturating_mul(16)));
    }
    let mut indexes = Vec::with_capacity(count);
    for _ in 0..count {
        indexes.push(reader.read_be64()?);
    }
    let mut values = Vec::with_capacity(count);
    for _ in 0..count {
        values.push(reader.read_be64()?);
    }
    Ok((indexes, values, payload.len() - reader.remaining()))
}

/// A `cpu` payload (written at `version_id`) with the coprocessor registers
/// `drop` removed from both lists, `cpreg_vmstate_array_len` counting what
/// is left, and each register for which `value_for(index, value)` says so
/// given that value, and each register of `supply` the payload lacks added
/// in its sorted place with the value `supply_value(index, registers)` gives
/// (from the payload's `registers`, by index; `None` leaves it out);
/// everything else is kept byte for byte.
///
/// # Errors
/// The payload is too short for its lists, or, at a version other than
/// 22, does not load with this model or does not come back byte for byte
/// when saved again (then the model would change more than the lists, and
/// nothing is rewritten).
pub fn rewrite_cpregs(
    payload: &[u8],
    version_id: u32,
    drop: &[u64],
    value_for: &dyn Fn(u64, u64) -> Option<u64>,
    supply: &[u64],
    supply_value: &SupplyValue,
) -> Result<CpregRewrite, Error> {
    let (old_indexes, old_values, tail_at) = read_lists(payload, version_id)?;
    let (mut dropped, mut replaced) = (Vec::new(), Vec::new());
    let (mut indexes, mut values) = (Vec::new(), Vec::new());
    for (&index, &value) in old_indexes.iter().zip(&old_values) {
        if drop.contains(&index) {
            dropped.push((index, value));
            continue;
        }
        indexes.push(index);
        match value_for(index, value) {
            Some(new) if new != value => {
                replaced.push((index, value, new));
                values.push(new);
            }
            _ => values.push(value),
        }
    }
    let registers: BTreeMap<u64, u64> = indexes
        .iter()
        .copied()
        .zip(values.iter().copied())
        .collect();
    let mut supplied = Vec::new();
    for &index in supply {
        if registers.contains_key(&index) {
            continue;
        }
        if let Some(value) = supply_value(index, &registers) {
            supplied.push((index, value));
        }
    }
    if !supplied.is_empty() {
        // QEMU walks both lists sorted (cpu_post_load): keep them sorted.
        let mut all: Vec<(u64, u64)> = indexes.into_iter().zip(values).collect();
        all.extend(supplied.iter().copied());
        all.sort_unstable_by_key(|&(index, _)| index);
        (indexes, values) = all.into_iter().unzip();
    }
    let count = indexes.len();
    let count_field = i32::try_from(count).map_err(|_| {
        Error::new(ErrorKind::CountOverflow {
            array_field: "cpreg_vmstate_indexes",
            actual: count,
            max: i32::MAX.cast_unsigned().into(),
        })
        .in_field("cpreg_vmstate_array_len")
    })?;
    let payload = if tail_at == 0 {
        // Read whole by the model (another version): saved by it.
        let mut cpu = read_whole(payload, version_id)?;
        cpu.cpreg_vmstate_array_len = count_field;
        cpu.cpreg_vmstate_indexes = indexes;
        cpu.cpreg_vmstate_values = values;
        crate::to_vec_at(&cpu, version_id)?
    } else {
        let mut out = Vec::with_capacity(payload.len() + 16 * count);
        out.extend_from_slice(&payload[..CPREG_LISTS_AT]);
        out.extend_from_slice(&count_field.to_be_bytes());
        for index in &indexes {
            out.extend_from_slice(&index.to_be_bytes());
        }
        for value in &values {
            out.extend_from_slice(&value.to_be_bytes());
        }
        out.extend_from_slice(&payload[tail_at..]);
        out
    };
    Ok(CpregRewrite {
        payload,
        count,
        dropped,
        replaced,
        supplied,
    })
}

/// QEMU `vmstate_vfp` (`cpu/vfp`, version 3): the SIMD and floating-point
/// registers. QEMU saves the low 128 bits of each SVE `zregs` element as a
/// `VMSTATE_UINT64_SUB_ARRAY`, and splits `env.vfp.xregs` around FPSCR
/// (`xregs[1]`), which has its own accessor.
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "cpu/vfp", version = 3)]
pub struct ArmCpuVfp {
    /// `env.vfp.zregs[0].d[0..2]`: the low 128 bits of Z0 (V0).
    #[vmstate(rename = "env.vfp.zregs[0].d")]
    pub env_vfp_zregs0_d: [u64; 2],
    /// `env.vfp.zregs[1].d[0..2]`: the low 128 bits of Z1 (V1).
    #[vmstate(rename = "env.vfp.zregs[1].d")]
    pub env_vfp_zregs1_d: [u64; 2],
    /// `env.vfp.zregs[2].d[0..2]`: the low 128 bits of Z2 (V2).
    #[vmstate(rename = "env.vfp.zregs[2].d")]
    pub env_vfp_zregs2_d: [u64; 2],
    /// `env.vfp.zregs[3].d[0..2]`: the low 128 bits of Z3 (V3).
    #[vmstate(rename = "env.vfp.zregs[3].d")]
    pub env_vfp_zregs3_d: [u64; 2],
    /// `env.vfp.zregs[4].d[0..2]`: the low 128 bits of Z4 (V4).
    #[vmstate(rename = "env.vfp.zregs[4].d")]
    pub env_vfp_zregs4_d: [u64; 2],
    /// `env.vfp.zregs[5].d[0..2]`: the low 128 bits of Z5 (V5).
    #[vmstate(rename = "env.vfp.zregs[5].d")]
    pub env_vfp_zregs5_d: [u64; 2],
    /// `env.vfp.zregs[6].d[0..2]`: the low 128 bits of Z6 (V6).
    #[vmstate(rename = "env.vfp.zregs[6].d")]
    pub env_vfp_zregs6_d: [u64; 2],
    /// `env.vfp.zregs[7].d[0..2]`: the low 128 bits of Z7 (V7).
    #[vmstate(rename = "env.vfp.zregs[7].d")]
    pub env_vfp_zregs7_d: [u64; 2],
    /// `env.vfp.zregs[8].d[0..2]`: the low 128 bits of Z8 (V8).
    #[vmstate(rename = "env.vfp.zregs[8].d")]
    pub env_vfp_zregs8_d: [u64; 2],
    /// `env.vfp.zregs[9].d[0..2]`: the low 128 bits of Z9 (V9).
    #[vmstate(rename = "env.vfp.zregs[9].d")]
    pub env_vfp_zregs9_d: [u64; 2],
    /// `env.vfp.zregs[10].d[0..2]`: the low 128 bits of Z10 (V10).
    #[vmstate(rename = "env.vfp.zregs[10].d")]
    pub env_vfp_zregs10_d: [u64; 2],
    /// `env.vfp.zregs[11].d[0..2]`: the low 128 bits of Z11 (V11).
    #[vmstate(rename = "env.vfp.zregs[11].d")]
    pub env_vfp_zregs11_d: [u64; 2],
    /// `env.vfp.zregs[12].d[0..2]`: the low 128 bits of Z12 (V12).
    #[vmstate(rename = "env.vfp.zregs[12].d")]
    pub env_vfp_zregs12_d: [u64; 2],
    /// `env.vfp.zregs[13].d[0..2]`: the low 128 bits of Z13 (V13).
    #[vmstate(rename = "env.vfp.zregs[13].d")]
    pub env_vfp_zregs13_d: [u64; 2],
    /// `env.vfp.zregs[14].d[0..2]`: the low 128 bits of Z14 (V14).
    #[vmstate(rename = "env.vfp.zregs[14].d")]
    pub env_vfp_zregs14_d: [u64; 2],
    /// `env.vfp.zregs[15].d[0..2]`: the low 128 bits of Z15 (V15).
    #[vmstate(rename = "env.vfp.zregs[15].d")]
    pub env_vfp_zregs15_d: [u64; 2],
    /// `env.vfp.zregs[16].d[0..2]`: the low 128 bits of Z16 (V16).
    #[vmstate(rename = "env.vfp.zregs[16].d")]
    pub env_vfp_zregs16_d: [u64; 2],
    /// `env.vfp.zregs[17].d[0..2]`: the low 128 bits of Z17 (V17).
    #[vmstate(rename = "env.vfp.zregs[17].d")]
    pub env_vfp_zregs17_d: [u64; 2],
    /// `env.vfp.zregs[18].d[0..2]`: the low 128 bits of Z18 (V18).
    #[vmstate(rename = "env.vfp.zregs[18].d")]
    pub env_vfp_zregs18_d: [u64; 2],
    /// `env.vfp.zregs[19].d[0..2]`: the low 128 bits of Z19 (V19).
    #[vmstate(rename = "env.vfp.zregs[19].d")]
    pub env_vfp_zregs19_d: [u64; 2],
    /// `env.vfp.zregs[20].d[0..2]`: the low 128 bits of Z20 (V20).
    #[vmstate(rename = "env.vfp.zregs[20].d")]
    pub env_vfp_zregs20_d: [u64; 2],
    /// `env.vfp.zregs[21].d[0..2]`: the low 128 bits of Z21 (V21).
    #[vmstate(rename = "env.vfp.zregs[21].d")]
    pub env_vfp_zregs21_d: [u64; 2],
    /// `env.vfp.zregs[22].d[0..2]`: the low 128 bits of Z22 (V22).
    #[vmstate(rename = "env.vfp.zregs[22].d")]
    pub env_vfp_zregs22_d: [u64; 2],
    /// `env.vfp.zregs[23].d[0..2]`: the low 128 bits of Z23 (V23).
    #[vmstate(rename = "env.vfp.zregs[23].d")]
    pub env_vfp_zregs23_d: [u64; 2],
    /// `env.vfp.zregs[24].d[0..2]`: the low 128 bits of Z24 (V24).
    #[vmstate(rename = "env.vfp.zregs[24].d")]
    pub env_vfp_zregs24_d: [u64; 2],
    /// `env.vfp.zregs[25].d[0..2]`: the low 128 bits of Z25 (V25).
    #[vmstate(rename = "env.vfp.zregs[25].d")]
    pub env_vfp_zregs25_d: [u64; 2],
    /// `env.vfp.zregs[26].d[0..2]`: the low 128 bits of Z26 (V26).
    #[vmstate(rename = "env.vfp.zregs[26].d")]
    pub env_vfp_zregs26_d: [u64; 2],
    /// `env.vfp.zregs[27].d[0..2]`: the low 128 bits of Z27 (V27).
    #[vmstate(rename = "env.vfp.zregs[27].d")]
    pub env_vfp_zregs27_d: [u64; 2],
    /// `env.vfp.zregs[28].d[0..2]`: the low 128 bits of Z28 (V28).
    #[vmstate(rename = "env.vfp.zregs[28].d")]
    pub env_vfp_zregs28_d: [u64; 2],
    /// `env.vfp.zregs[29].d[0..2]`: the low 128 bits of Z29 (V29).
    #[vmstate(rename = "env.vfp.zregs[29].d")]
    pub env_vfp_zregs29_d: [u64; 2],
    /// `env.vfp.zregs[30].d[0..2]`: the low 128 bits of Z30 (V30).
    #[vmstate(rename = "env.vfp.zregs[30].d")]
    pub env_vfp_zregs30_d: [u64; 2],
    /// `env.vfp.zregs[31].d[0..2]`: the low 128 bits of Z31 (V31).
    #[vmstate(rename = "env.vfp.zregs[31].d")]
    pub env_vfp_zregs31_d: [u64; 2],
    /// `env.vfp.xregs[0]`: FPSID.
    #[vmstate(rename = "env.vfp.xregs[0]")]
    pub env_vfp_xregs0: u32,
    /// `env.vfp.xregs[2..16]` (`VMSTATE_UINT32_SUB_ARRAY`): the other VFP
    /// system registers.
    #[vmstate(rename = "env.vfp.xregs")]
    pub env_vfp_xregs: [u32; 14],
    /// `fpscr` (QEMU's `vmstate_fpscr`, a be32 built from FPCR and FPSR).
    #[vmstate(info = "fpscr")]
    pub fpscr: u32,
    /// `cpu/vfp/fpcr_fpsr` (QEMU 10.0), sent when FPCR or FPSR has bits
    /// that FPSCR cannot hold. QEMU's `fpcr_fpsr_needed` reads registers the
    /// section holds only as `fpscr`, so the model sends it exactly when it
    /// was loaded.
    #[subsection(needed = loaded)]
    pub fpcr_fpsr: Loaded<ArmCpuVfpFpcrFpsr>,
}

/// QEMU `vmstate_vfp_fpcr_fpsr` (`cpu/vfp/fpcr_fpsr`, version 1, QEMU 9.2
/// and later).
#[derive(VmState, Debug, Clone, PartialEq, Eq, Default)]
#[vmstate(name = "cpu/vfp/fpcr_fpsr", version = 1)]
pub struct ArmCpuVfpFpcrFpsr {
    /// `fpcr` (QEMU's `vmstate_fpcr`, a be32).
    #[vmstate(info = "fpcr")]
    pub fpcr: u32,
    /// `fpsr` (QEMU's `vmstate_fpsr`, a be32).
    #[vmstate(info = "fpsr")]
    pub fpsr: u32,
}

/// QEMU `vmstate_serror` (`cpu/serror`, version 1).
#[derive(VmState, Debug, Clone, PartialEq, Eq, Default)]
#[vmstate(name = "cpu/serror", version = 1)]
pub struct ArmCpuSerror {
    /// `env.serror.pending`.
    #[vmstate(rename = "env.serror.pending")]
    pub env_serror_pending: u8,
    /// `env.serror.has_esr`.
    #[vmstate(rename = "env.serror.has_esr")]
    pub env_serror_has_esr: u8,
    /// `env.serror.esr`.
    #[vmstate(rename = "env.serror.esr")]
    pub env_serror_esr: u64,
}

/// QEMU `vmstate_irq_line_state` (`cpu/irq-line-state`, version 1).
#[derive(VmState, Debug, Clone, PartialEq, Eq, Default)]
#[vmstate(name = "cpu/irq-line-state", version = 1)]
pub struct ArmCpuIrqLineState {
    /// `env.irq_line_state`: the levels of the CPU's interrupt inputs
    /// (`CPU_INTERRUPT_HARD`, `FIQ`, `VIRQ`, `VFIQ`).
    #[vmstate(rename = "env.irq_line_state")]
    pub env_irq_line_state: u32,
}
