//! `cpu_common` and `cpu`: an x86 CPU's generic and architectural state (`cpu-target.c`,
//! `target/i386/machine.c`). Field names are QEMU's (`env.regs` is `env_regs`).
//!
//! The `cpu` section has many subsections, each sent when its state differs from reset.
//! These models know the ones that the fixtures of both QEMU releases carry; each is sent
//! again exactly when it was loaded.

use crate::{Loaded, VmState};

/// QEMU `cpu_common` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "cpu_common", version = 1)]
pub struct CpuCommon {
    pub halted: u32,
    pub interrupt_request: u32,
}

/// QEMU `fpreg_tmp` (version 0).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "fpreg_tmp", version = 0)]
pub struct X86CpuFpregTmp {
    pub tmp_mant: u64,
    pub tmp_exp: u16,
}

/// QEMU `fpreg` (version 0).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "fpreg", version = 0)]
pub struct X86CpuFpreg {
    pub tmp: X86CpuFpregTmp,
}

/// QEMU `segment` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "segment", version = 1)]
pub struct X86CpuSegment {
    pub selector: u32,
    pub base: u64,
    pub limit: u32,
    pub flags: u32,
}

/// QEMU `xmm_reg` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "xmm_reg", version = 1)]
pub struct X86CpuXmmReg {
    #[vmstate(rename = "_q_ZMMReg[0]")]
    pub q_zmmreg0: u64,
    #[vmstate(rename = "_q_ZMMReg[1]")]
    pub q_zmmreg1: u64,
}

/// QEMU `mtrr_var` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "mtrr_var", version = 1)]
pub struct X86CpuMtrrVar {
    pub base: u64,
    pub mask: u64,
}

/// QEMU `ymmh_reg` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ymmh_reg", version = 1)]
pub struct X86CpuYmmhReg {
    #[vmstate(rename = "_q_ZMMReg[2]")]
    pub q_zmmreg2: u64,
    #[vmstate(rename = "_q_ZMMReg[3]")]
    pub q_zmmreg3: u64,
}

/// QEMU `cpu/poll_control_msr` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "cpu/poll_control_msr", version = 1)]
pub struct X86CpuPollControlMsr {
    #[vmstate(rename = "env.poll_control_msr")]
    pub env_poll_control_msr: u64,
}

/// QEMU `cpu/msr_smi_count` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "cpu/msr_smi_count", version = 1)]
pub struct X86CpuMsrSmiCount {
    #[vmstate(rename = "env.msr_smi_count")]
    pub env_msr_smi_count: u64,
}

/// QEMU `cpu` (version 12).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "cpu", version = 12)]
pub struct X86Cpu {
    #[vmstate(rename = "env.regs")]
    pub env_regs: [u64; 16],
    #[vmstate(rename = "env.eip")]
    pub env_eip: u64,
    #[vmstate(rename = "env.eflags")]
    pub env_eflags: u64,
    #[vmstate(rename = "env.hflags")]
    pub env_hflags: u32,
    #[vmstate(rename = "env.fpuc")]
    pub env_fpuc: u16,
    #[vmstate(rename = "env.fpus_vmstate")]
    pub env_fpus_vmstate: u16,
    #[vmstate(rename = "env.fptag_vmstate")]
    pub env_fptag_vmstate: u16,
    #[vmstate(rename = "env.fpregs_format_vmstate")]
    pub env_fpregs_format_vmstate: u16,
    /// `env.fpregs`.
    #[vmstate(rename = "env.fpregs")]
    pub env_fpregs: [X86CpuFpreg; 8],
    /// `env.segs`.
    #[vmstate(rename = "env.segs")]
    pub env_segs: [X86CpuSegment; 6],
    /// `env.ldt`.
    #[vmstate(rename = "env.ldt")]
    pub env_ldt: X86CpuSegment,
    /// `env.tr`.
    #[vmstate(rename = "env.tr")]
    pub env_tr: X86CpuSegment,
    /// `env.gdt`.
    #[vmstate(rename = "env.gdt")]
    pub env_gdt: X86CpuSegment,
    /// `env.idt`.
    #[vmstate(rename = "env.idt")]
    pub env_idt: X86CpuSegment,
    #[vmstate(rename = "env.sysenter_cs")]
    pub env_sysenter_cs: u32,
    #[vmstate(rename = "env.sysenter_esp")]
    pub env_sysenter_esp: u64,
    #[vmstate(rename = "env.sysenter_eip")]
    pub env_sysenter_eip: u64,
    #[vmstate(rename = "env.cr[0]")]
    pub env_cr0: u64,
    #[vmstate(rename = "env.cr[2]")]
    pub env_cr2: u64,
    #[vmstate(rename = "env.cr[3]")]
    pub env_cr3: u64,
    #[vmstate(rename = "env.cr[4]")]
    pub env_cr4: u64,
    #[vmstate(rename = "env.dr")]
    pub env_dr: [u64; 8],
    #[vmstate(rename = "env.a20_mask")]
    pub env_a20_mask: i32,
    #[vmstate(rename = "env.mxcsr")]
    pub env_mxcsr: u32,
    /// `env.xmm_regs[0]`.
    #[vmstate(rename = "env.xmm_regs[0]")]
    pub env_xmm_regs0: [X86CpuXmmReg; 16],
    #[vmstate(rename = "env.efer")]
    pub env_efer: u64,
    #[vmstate(rename = "env.star")]
    pub env_star: u64,
    #[vmstate(rename = "env.lstar")]
    pub env_lstar: u64,
    #[vmstate(rename = "env.cstar")]
    pub env_cstar: u64,
    #[vmstate(rename = "env.fmask")]
    pub env_fmask: u64,
    #[vmstate(rename = "env.kernelgsbase")]
    pub env_kernelgsbase: u64,
    #[vmstate(rename = "env.smbase")]
    pub env_smbase: u32,
    #[vmstate(rename = "env.pat")]
    pub env_pat: u64,
    #[vmstate(rename = "env.hflags2")]
    pub env_hflags2: u32,
    #[vmstate(rename = "env.vm_hsave")]
    pub env_vm_hsave: u64,
    #[vmstate(rename = "env.vm_vmcb")]
    pub env_vm_vmcb: u64,
    #[vmstate(rename = "env.tsc_offset")]
    pub env_tsc_offset: u64,
    #[vmstate(rename = "env.intercept")]
    pub env_intercept: u64,
    #[vmstate(rename = "env.intercept_cr_read")]
    pub env_intercept_cr_read: u16,
    #[vmstate(rename = "env.intercept_cr_write")]
    pub env_intercept_cr_write: u16,
    #[vmstate(rename = "env.intercept_dr_read")]
    pub env_intercept_dr_read: u16,
    #[vmstate(rename = "env.intercept_dr_write")]
    pub env_intercept_dr_write: u16,
    #[vmstate(rename = "env.intercept_exceptions")]
    pub env_intercept_exceptions: u32,
    #[vmstate(rename = "env.v_tpr")]
    pub env_v_tpr: u8,
    #[vmstate(rename = "env.mtrr_fixed")]
    pub env_mtrr_fixed: [u64; 11],
    #[vmstate(rename = "env.mtrr_deftype")]
    pub env_mtrr_deftype: u64,
    /// `env.mtrr_var`.
    #[vmstate(rename = "env.mtrr_var")]
    pub env_mtrr_var: [X86CpuMtrrVar; 8],
    #[vmstate(rename = "env.interrupt_injected")]
    pub env_interrupt_injected: i32,
    #[vmstate(rename = "env.mp_state")]
    pub env_mp_state: u32,
    #[vmstate(rename = "env.tsc")]
    pub env_tsc: u64,
    #[vmstate(rename = "env.exception_nr")]
    pub env_exception_nr: i32,
    #[vmstate(rename = "env.soft_interrupt")]
    pub env_soft_interrupt: u8,
    #[vmstate(rename = "env.nmi_injected")]
    pub env_nmi_injected: u8,
    #[vmstate(rename = "env.nmi_pending")]
    pub env_nmi_pending: u8,
    #[vmstate(rename = "env.has_error_code")]
    pub env_has_error_code: u8,
    #[vmstate(rename = "env.sipi_vector")]
    pub env_sipi_vector: u32,
    #[vmstate(rename = "env.mcg_cap")]
    pub env_mcg_cap: u64,
    #[vmstate(rename = "env.mcg_status")]
    pub env_mcg_status: u64,
    #[vmstate(rename = "env.mcg_ctl")]
    pub env_mcg_ctl: u64,
    #[vmstate(rename = "env.mce_banks")]
    pub env_mce_banks: [u64; 40],
    #[vmstate(rename = "env.tsc_aux")]
    pub env_tsc_aux: u64,
    #[vmstate(rename = "env.system_time_msr")]
    pub env_system_time_msr: u64,
    #[vmstate(rename = "env.wall_clock_msr")]
    pub env_wall_clock_msr: u64,
    #[vmstate(rename = "env.xcr0")]
    pub env_xcr0: u64,
    #[vmstate(rename = "env.xstate_bv")]
    pub env_xstate_bv: u64,
    /// `env.xmm_regs[1]`.
    #[vmstate(rename = "env.xmm_regs[1]")]
    pub env_xmm_regs1: [X86CpuYmmhReg; 16],
    /// The `cpu/poll_control_msr` subsection; sent when it was loaded.
    #[subsection(needed = loaded)]
    pub poll_control_msr: Loaded<X86CpuPollControlMsr>,
    /// The `cpu/msr_smi_count` subsection; sent when it was loaded.
    #[subsection(needed = loaded)]
    pub msr_smi_count: Loaded<X86CpuMsrSmiCount>,
}

impl Default for X86Cpu {
    fn default() -> Self {
        Self {
            env_regs: Default::default(),
            env_eip: Default::default(),
            env_eflags: Default::default(),
            env_hflags: Default::default(),
            env_fpuc: Default::default(),
            env_fpus_vmstate: Default::default(),
            env_fptag_vmstate: Default::default(),
            env_fpregs_format_vmstate: Default::default(),
            env_fpregs: Default::default(),
            env_segs: Default::default(),
            env_ldt: X86CpuSegment::default(),
            env_tr: X86CpuSegment::default(),
            env_gdt: X86CpuSegment::default(),
            env_idt: X86CpuSegment::default(),
            env_sysenter_cs: Default::default(),
            env_sysenter_esp: Default::default(),
            env_sysenter_eip: Default::default(),
            env_cr0: Default::default(),
            env_cr2: Default::default(),
            env_cr3: Default::default(),
            env_cr4: Default::default(),
            env_dr: Default::default(),
            env_a20_mask: Default::default(),
            env_mxcsr: Default::default(),
            env_xmm_regs0: Default::default(),
            env_efer: Default::default(),
            env_star: Default::default(),
            env_lstar: Default::default(),
            env_cstar: Default::default(),
            env_fmask: Default::default(),
            env_kernelgsbase: Default::default(),
            env_smbase: Default::default(),
            env_pat: Default::default(),
            env_hflags2: Default::default(),
            env_vm_hsave: Default::default(),
            env_vm_vmcb: Default::default(),
            env_tsc_offset: Default::default(),
            env_intercept: Default::default(),
            env_intercept_cr_read: Default::default(),
            env_intercept_cr_write: Default::default(),
            env_intercept_dr_read: Default::default(),
            env_intercept_dr_write: Default::default(),
            env_intercept_exceptions: Default::default(),
            env_v_tpr: Default::default(),
            env_mtrr_fixed: Default::default(),
            env_mtrr_deftype: Default::default(),
            env_mtrr_var: Default::default(),
            env_interrupt_injected: Default::default(),
            env_mp_state: Default::default(),
            env_tsc: Default::default(),
            env_exception_nr: Default::default(),
            env_soft_interrupt: Default::default(),
            env_nmi_injected: Default::default(),
            env_nmi_pending: Default::default(),
            env_has_error_code: Default::default(),
            env_sipi_vector: Default::default(),
            env_mcg_cap: Default::default(),
            env_mcg_status: Default::default(),
            env_mcg_ctl: Default::default(),
            env_mce_banks: [Default::default(); 40],
            env_tsc_aux: Default::default(),
            env_system_time_msr: Default::default(),
            env_wall_clock_msr: Default::default(),
            env_xcr0: Default::default(),
            env_xstate_bv: Default::default(),
            env_xmm_regs1: Default::default(),
            poll_control_msr: Loaded::default(),
            msr_smi_count: Loaded::default(),
        }
    }
}
