//! W1: a whole machine's device state. The structs follow the VMState
//! descriptions of QEMU 7.2's `pc` machine (i440FX, PIIX3/4, RTC, PIC, PIT,
//! IOAPIC, two CPUs with their local APICs, HPET, serial, parallel, DMA,
//! floppy, IDE, i8042 with PS/2 keyboard and mouse, VGA, e1000, `fw_cfg`, ...):
//! their scalars, small arrays, nested structs and subsections, with QEMU's
//! names and versions. Each is saved as its own section payload, all into one
//! buffer, and loaded back in the same order.
//!
//! One definition per struct serves all four frameworks (it derives
//! `VmState`, `Versionize` and serde's traits); `device!` keeps it as written
//! and adds the hand codec and fill code from the same field list, so the
//! values are identical by construction.

use serde::{Deserialize, Serialize};
use versionize::{VersionMap, Versionize, VersionizeError, VersionizeResult};
use versionize_derive::Versionize;
use vmstate::{Reader, VmState};

use crate::common::{Fill, Gap, Hand, Rng, device, serde_array, serde_bytes_array};
use crate::per_device::{DeviceTiming, time_device};

/// QEMU `i8254` channel modes 0-5 (a fieldless enum on the wire as a `u8`).
#[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
#[repr(u8)]
pub enum PitMode {
    #[default]
    InterruptOnTerminalCount = 0,
    OneShot = 1,
    RateGenerator = 2,
    SquareWave = 3,
    SoftwareStrobe = 4,
    HardwareStrobe = 5,
}

impl Hand for PitMode {
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        out.push(*self as u8);
    }

    #[inline]
    fn get(&mut self, input: &mut &[u8]) -> Option<()> {
        let (&byte, rest) = input.split_first()?;
        *self = match byte {
            0 => Self::InterruptOnTerminalCount,
            1 => Self::OneShot,
            2 => Self::RateGenerator,
            3 => Self::SquareWave,
            4 => Self::SoftwareStrobe,
            5 => Self::HardwareStrobe,
            _ => return None,
        };
        *input = rest;
        Some(())
    }
}

impl Fill for PitMode {
    fn filled(rng: &mut Rng) -> Self {
        match rng.next_u64() % 6 {
            0 => Self::InterruptOnTerminalCount,
            1 => Self::OneShot,
            2 => Self::RateGenerator,
            3 => Self::SquareWave,
            4 => Self::SoftwareStrobe,
            _ => Self::HardwareStrobe,
        }
    }
}

device! {
    // ---- mc146818rtc ----------------------------------------------------
    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "mc146818rtc", version = 3, minimum_version = 1)]
    pub struct Rtc {
        #[serde(with = "serde_bytes_array")]
        pub cmos_data: [u8; 128],
        pub cmos_index: u8,
        pub _gap1: Gap<28>,
        pub periodic_timer: i64,
        pub next_periodic_time: i64,
        pub _gap2: Gap<24>,
        #[vmstate(since = 2)]
        pub irq_coalesced: u32,
        #[vmstate(since = 2)]
        pub period: u32,
        #[vmstate(since = 3)]
        pub base_rtc: u64,
        #[vmstate(since = 3)]
        pub last_update: u64,
        #[vmstate(since = 3)]
        pub offset: i64,
        #[vmstate(since = 3)]
        pub update_timer: i64,
        #[vmstate(since = 3)]
        pub next_alarm_time: u64,
        #[subsection(needed = Rtc::reinject_needed)]
        pub reinject: RtcReinject,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "mc146818rtc/irq_reinject_on_ack_count", version = 1)]
    pub struct RtcReinject {
        pub irq_reinject_on_ack_count: u16,
    }

    // ---- i8259 (two of them) ---------------------------------------------
    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "i8259", version = 1)]
    pub struct Pic {
        pub last_irr: u8,
        pub irr: u8,
        pub imr: u8,
        pub isr: u8,
        pub priority_add: u8,
        pub irq_base: u8,
        pub read_reg_select: u8,
        pub poll: u8,
        pub special_mask: u8,
        pub init_state: u8,
        pub auto_eoi: u8,
        pub rotate_on_auto_eoi: u8,
        pub special_fully_nested_mode: u8,
        pub init4: u8,
        pub single_mode: u8,
        pub elcr: u8,
    }

    // ---- i8254 -------------------------------------------------------------
    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "i8254_channel", version = 2)]
    pub struct PitChannel {
        pub count: i32,
        pub latched_count: u16,
        pub count_latched: u8,
        pub status_latched: u8,
        pub status: u8,
        pub read_state: u8,
        pub write_state: u8,
        pub write_latch: u8,
        pub rw_mode: u8,
        pub mode: PitMode,
        pub bcd: u8,
        pub gate: u8,
        pub count_load_time: i64,
        pub next_transition_time: i64,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "i8254", version = 3, minimum_version = 2)]
    pub struct Pit {
        #[vmstate(since = 3)]
        pub channel0_irq_disabled: u32,
        pub channels: [PitChannel; 3],
        pub channel0_next_transition_time: i64,
    }

    // ---- ioapic --------------------------------------------------------------
    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "ioapic", version = 3, minimum_version = 2)]
    pub struct Ioapic {
        pub id: u8,
        pub ioregsel: u8,
        pub _gap: Gap<8>,
        #[vmstate(since = 3)]
        pub irr: u32,
        pub ioredtbl: [u64; 24],
        #[subsection(needed = Ioapic::version_needed)]
        pub version: IoapicVersion,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "ioapic/version_id", version = 1)]
    pub struct IoapicVersion {
        pub version: u8,
    }

    // ---- apic (one per CPU) --------------------------------------------------
    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "apic", version = 3, minimum_version = 3)]
    pub struct Apic {
        pub apicbase: u32,
        pub id: u8,
        pub arb_id: u8,
        pub tpr: u8,
        pub spurious_vec: u32,
        pub log_dest: u8,
        pub dest_mode: u8,
        pub isr: [u32; 8],
        pub tmr: [u32; 8],
        pub irr: [u32; 8],
        pub lvt: [u32; 6],
        pub esr: u32,
        pub icr: [u32; 2],
        pub divide_conf: u32,
        pub count_shift: i32,
        pub initial_count: u32,
        pub initial_count_load_time: i64,
        pub next_time: i64,
        pub timer: i64,
        #[subsection(needed = Apic::timer_needed)]
        pub timer_expiry: ApicTimer,
        #[subsection(needed = Apic::sipi_needed)]
        pub sipi: ApicSipi,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "apic/timer", version = 1)]
    pub struct ApicTimer {
        pub timer_expiry: i64,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "apic/sipi", version = 1)]
    pub struct ApicSipi {
        pub sipi_vector: u32,
        pub wait_for_sipi: u32,
    }

    // ---- cpu (one per vCPU) --------------------------------------------------
    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "fpreg", version = 1)]
    pub struct FpReg {
        pub mant: u64,
        pub exp: u16,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "seg", version = 1)]
    pub struct Segment {
        pub selector: u32,
        pub base: u64,
        pub limit: u32,
        pub flags: u32,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "xmm_reg", version = 1)]
    pub struct Xmm {
        pub lo: u64,
        pub hi: u64,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "ymmh_reg", version = 1)]
    pub struct Ymmh {
        pub q: [u64; 2],
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "mtrr_var", version = 1)]
    pub struct MtrrVar {
        pub base: u64,
        pub mask: u64,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "cpu", version = 12, minimum_version = 11)]
    pub struct Cpu {
        pub regs: [u64; 16],
        pub eip: u64,
        pub eflags: u64,
        pub hflags: u32,
        pub fpuc: u16,
        pub fpus_vmstate: u16,
        pub fptag_vmstate: u16,
        pub fpregs_format_vmstate: u16,
        pub fpregs: [FpReg; 8],
        pub segs: [Segment; 6],
        pub ldt: Segment,
        pub tr: Segment,
        pub gdt: Segment,
        pub idt: Segment,
        pub sysenter_cs: u32,
        pub sysenter_esp: u64,
        pub sysenter_eip: u64,
        pub cr0: u64,
        pub cr2: u64,
        pub cr3: u64,
        pub cr4: u64,
        pub dr: [u64; 8],
        pub a20_mask: i32,
        pub mxcsr: u32,
        pub xmm_regs: [Xmm; 16],
        pub efer: u64,
        pub star: u64,
        pub lstar: u64,
        pub cstar: u64,
        pub fmask: u64,
        pub kernelgsbase: u64,
        pub smbase: u32,
        pub pat: u64,
        pub hflags2: u32,
        pub halted: u32,
        pub mtrr_fixed: [u64; 11],
        pub mtrr_deftype: u64,
        pub mtrr_var: [MtrrVar; 8],
        pub interrupt_injected: i32,
        pub mp_state: u32,
        pub tsc: u64,
        pub nmi_injected: u8,
        pub nmi_pending: u8,
        pub has_error_code: u8,
        pub sipi_vector: u32,
        pub mcg_cap: u64,
        pub mcg_status: u64,
        pub mcg_ctl: u64,
        #[serde(with = "serde_array")]
        pub mce_banks: [u64; 40],
        pub tsc_aux: u64,
        pub system_time_msr: u64,
        pub wall_clock_msr: u64,
        pub xstate_bv: u64,
        pub ymmh_regs: [Ymmh; 16],
        #[subsection(needed = Cpu::async_pf_needed)]
        pub async_pf: CpuAsyncPf,
        #[subsection(needed = Cpu::fpop_needed)]
        pub fpop: CpuFpop,
        #[subsection(needed = Cpu::tsc_adjust_needed)]
        pub tsc_adjust: CpuTscAdjust,
        #[subsection(needed = Cpu::avx512_needed)]
        pub avx512: CpuAvx512,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "cpu/async_pf_msr", version = 1)]
    pub struct CpuAsyncPf {
        pub async_pf_en_msr: u64,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "cpu/fpop_ip_dp", version = 1)]
    pub struct CpuFpop {
        pub fpop: u16,
        pub fpip: u64,
        pub fpdp: u64,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "cpu/msr_tsc_adjust", version = 1)]
    pub struct CpuTscAdjust {
        pub tsc_adjust: u64,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "cpu/avx512", version = 1)]
    pub struct CpuAvx512 {
        pub opmask_regs: [u64; 8],
        pub zmmh_regs: [Ymmh; 32],
        #[serde(with = "serde_array")]
        pub hi16_zmm_regs: [u64; 128],
    }

    // ---- hpet ------------------------------------------------------------------
    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "hpet_timer", version = 1)]
    pub struct HpetTimer {
        pub tn: u8,
        pub config: u64,
        pub cmp: u64,
        pub fsb: u64,
        pub period: u64,
        pub wrap_flag: u8,
        pub qemu_timer: i64,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "hpet", version = 2, minimum_version = 1)]
    pub struct Hpet {
        pub config: u64,
        pub isr: u64,
        pub hpet_counter: u64,
        #[vmstate(since = 2)]
        pub num_timers: u8,
        pub timers: [HpetTimer; 3],
        #[subsection(needed = Hpet::rtc_irq_level_needed)]
        pub rtc_irq_level: HpetRtcIrq,
        #[subsection(needed = Hpet::offset_needed)]
        pub offset: HpetOffset,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "hpet/rtc_irq_level", version = 1)]
    pub struct HpetRtcIrq {
        pub rtc_irq_level: u8,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "hpet/offset", version = 1)]
    pub struct HpetOffset {
        pub hpet_offset: u64,
    }

    // ---- PCI host bridge, ISA bridge, ACPI -------------------------------------
    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "PCIDevice", version = 2)]
    pub struct PciDevice {
        #[serde(with = "serde_bytes_array")]
        pub config: [u8; 256],
        pub irq_state: [i32; 4],
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "I440FX", version = 3)]
    pub struct I440fx {
        pub dev: PciDevice,
        pub _smm_enabled: Gap<1>,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "PIIX3", version = 3, minimum_version = 2)]
    pub struct Piix3 {
        pub dev: PciDevice,
        pub pci_irq_levels: [i32; 4],
        #[subsection(needed = Piix3::rcr_needed)]
        pub rcr: Piix3Rcr,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "PIIX3/rcr", version = 1)]
    pub struct Piix3Rcr {
        pub rcr: u8,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "piix4_pm", version = 3, minimum_version = 3)]
    pub struct Piix4Pm {
        pub dev: PciDevice,
        pub pmsts: u16,
        pub pmen: u16,
        pub pmcntrl: u16,
        pub apmc: u8,
        pub apms: u8,
        pub tmr_timer: i64,
        pub tmr_overflow_time: i64,
        pub gpe_sts: [u8; 4],
        pub gpe_en: [u8; 4],
        pub pci0_up: u32,
        pub pci0_down: u32,
    }

    // ---- ISA devices -------------------------------------------------------------
    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "fw_cfg", version = 2, minimum_version = 1)]
    pub struct FwCfg {
        pub cur_entry: u16,
        #[vmstate(since = 2)]
        pub cur_offset: u32,
        #[subsection(needed = FwCfg::acpi_mr_needed)]
        pub acpi_mr: FwCfgAcpiMr,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "fw_cfg/acpi_mr", version = 1)]
    pub struct FwCfgAcpiMr {
        pub table_mr_size: u64,
        pub linker_mr_size: u64,
        pub rsdp_mr_size: u64,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "pckbd", version = 3)]
    pub struct I8042 {
        pub write_cmd: u8,
        pub status: u8,
        pub mode: u8,
        pub pending: u8,
        #[subsection(needed = I8042::outport_needed)]
        pub outport: I8042Outport,
        #[subsection(needed = I8042::extended_needed)]
        pub extended: I8042Extended,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "pckbd/outport", version = 1)]
    pub struct I8042Outport {
        pub outport: u8,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "pckbd/extended_state", version = 1)]
    pub struct I8042Extended {
        pub migration_flags: u32,
        pub obsrc: u32,
        pub obdata: u8,
        pub cbdata: u8,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "PS2 Common State", version = 3, minimum_version = 2)]
    pub struct Ps2Common {
        pub write_cmd: i32,
        pub rptr: i32,
        pub wptr: i32,
        pub count: i32,
        #[serde(with = "serde_bytes_array")]
        pub data: [u8; 256],
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "ps2kbd", version = 3, minimum_version = 2)]
    pub struct Ps2Kbd {
        pub common: Ps2Common,
        pub scan_enabled: i32,
        pub translate: i32,
        #[vmstate(since = 3)]
        pub scancode_set: i32,
        #[subsection(needed = Ps2Kbd::ledstate_needed)]
        pub ledstate: Ps2KbdLeds,
        #[subsection(needed = Ps2Kbd::need_high_bit_needed)]
        pub need_high_bit: Ps2KbdHighBit,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "ps2kbd/ledstate", version = 2, minimum_version = 2)]
    pub struct Ps2KbdLeds {
        pub ledstate: i32,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "ps2kbd/need_high_bit", version = 1)]
    pub struct Ps2KbdHighBit {
        pub need_high_bit: bool,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "ps2mouse", version = 2, minimum_version = 2)]
    pub struct Ps2Mouse {
        pub common: Ps2Common,
        pub mouse_status: u8,
        pub mouse_resolution: u8,
        pub mouse_sample_rate: u8,
        pub mouse_wrap: u8,
        pub mouse_type: u8,
        pub mouse_detect_state: u8,
        pub mouse_dx: i32,
        pub mouse_dy: i32,
        pub mouse_dz: i32,
        pub mouse_buttons: u8,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "Fifo8", version = 1)]
    pub struct Fifo8 {
        pub data: [u8; 16],
        pub head: u32,
        pub num: u32,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "serial", version = 3, minimum_version = 2)]
    pub struct Serial {
        pub divider: u16,
        pub rbr: u8,
        pub ier: u8,
        pub iir: u8,
        pub lcr: u8,
        pub mcr: u8,
        pub lsr: u8,
        pub msr: u8,
        pub scr: u8,
        #[vmstate(since = 3)]
        pub fcr_vmstate: u8,
        #[subsection(needed = Serial::thr_ipending_needed)]
        pub thr_ipending: SerialThrIpending,
        #[subsection(needed = Serial::tsr_needed)]
        pub tsr: SerialTsr,
        #[subsection(needed = Serial::recv_fifo_needed)]
        pub recv_fifo: SerialRecvFifo,
        #[subsection(needed = Serial::xmit_fifo_needed)]
        pub xmit_fifo: SerialXmitFifo,
        #[subsection(needed = Serial::poll_needed)]
        pub poll: SerialPoll,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "serial/thr_ipending", version = 1)]
    pub struct SerialThrIpending {
        pub thr_ipending: i32,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "serial/tsr", version = 1)]
    pub struct SerialTsr {
        pub tsr_retry: u32,
        pub thr: u8,
        pub tsr: u8,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "serial/recv_fifo", version = 1)]
    pub struct SerialRecvFifo {
        pub recv_fifo: Fifo8,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "serial/xmit_fifo", version = 1)]
    pub struct SerialXmitFifo {
        pub xmit_fifo: Fifo8,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "serial/poll", version = 1)]
    pub struct SerialPoll {
        pub poll_msl: i32,
        pub modem_status_poll: i64,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "parallel_isa", version = 1)]
    pub struct Parallel {
        pub dataw: u8,
        pub datar: u8,
        pub status: u8,
        pub control: u8,
        pub irq_pending: i32,
        pub epp_timeout: i32,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "dma_regs", version = 1)]
    pub struct DmaReg {
        pub now: [i32; 2],
        pub base: [u16; 2],
        pub mode: u8,
        pub page: u8,
        pub pageh: u8,
        pub dack: u8,
        pub eop: u8,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "dma", version = 1)]
    pub struct Dma {
        pub command: u8,
        pub mask: u8,
        pub flip_flop: u8,
        pub dshift: i32,
        pub regs: [DmaReg; 4],
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "fdrive/media_changed", version = 1)]
    pub struct FdMediaChanged {
        pub media_changed: u8,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "fdrive", version = 1)]
    pub struct FdDrive {
        pub head: u8,
        pub track: u8,
        pub sect: u8,
        #[subsection(needed = FdDrive::media_changed_needed)]
        pub media_changed: FdMediaChanged,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "fdc", version = 2)]
    pub struct Fdc {
        pub sra: u8,
        pub srb: u8,
        pub dor_vmstate: u8,
        pub tdr: u8,
        pub dsr: u8,
        pub msr: u8,
        pub status0: u8,
        pub status1: u8,
        pub status2: u8,
        #[serde(with = "serde_bytes_array")]
        pub fifo: [u8; 512],
        pub data_pos: u32,
        pub data_len: u32,
        pub data_state: u8,
        pub data_dir: u8,
        pub eot: u8,
        pub timer0: u8,
        pub timer1: u8,
        pub precomp_trk: u8,
        pub config: u8,
        pub lock: u8,
        pub pwrd: u32,
        pub num_floppies: u8,
        pub drives: [FdDrive; 2],
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "isa-fdc", version = 2)]
    pub struct IsaFdc {
        pub state: Fdc,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "ide bmdma", version = 3)]
    pub struct BmDma {
        pub cmd: u8,
        pub status: u8,
        pub addr: u32,
        pub retry_unit: u8,
        pub retry_sector_num: i64,
        pub retry_nsector: u32,
        pub compat_status: u8,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "ide_bus", version = 1)]
    pub struct IdeBus {
        pub cmd: u8,
        pub unit: u8,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "ide_drive/pio_state", version = 1)]
    pub struct IdePio {
        pub req_nb_sectors: i32,
        pub io_buffer_offset: i32,
        pub cur_io_buffer_offset: i32,
        pub cur_io_buffer_len: i32,
        pub end_transfer_fn_idx: u8,
        pub elementary_transfer_size: i32,
        pub packet_transfer_size: i32,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "ide_drive", version = 3)]
    pub struct IdeDrive {
        pub mult_sectors: i32,
        pub identify_set: i32,
        pub feature: u8,
        pub error: u8,
        pub nsector: u32,
        pub sector: u8,
        pub lcyl: u8,
        pub hcyl: u8,
        pub hob_feature: u8,
        pub hob_sector: u8,
        pub hob_nsector: u8,
        pub hob_lcyl: u8,
        pub hob_hcyl: u8,
        pub select: u8,
        pub status: u8,
        pub lba48: u8,
        pub sense_key: u8,
        pub asc: u8,
        pub cdrom_changed: u8,
        #[subsection(needed = IdeDrive::pio_needed)]
        pub pio: IdePio,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "ide", version = 3)]
    pub struct Ide {
        pub dev: PciDevice,
        pub bmdma: [BmDma; 2],
        pub bus: [IdeBus; 2],
        pub drives: [IdeDrive; 4],
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "vga", version = 2)]
    pub struct Vga {
        pub latch: u32,
        pub sr_index: u8,
        pub sr: [u8; 8],
        pub gr_index: u8,
        pub gr: [u8; 16],
        pub ar_index: u8,
        pub ar: [u8; 21],
        pub ar_flip_flop: i32,
        pub cr_index: u8,
        #[serde(with = "serde_bytes_array")]
        pub cr: [u8; 256],
        pub msr: u8,
        pub fcr: u8,
        pub st00: u8,
        pub st01: u8,
        pub dac_state: u8,
        pub dac_sub_index: u8,
        pub dac_read_index: u8,
        pub dac_write_index: u8,
        pub dac_cache: [u8; 3],
        #[serde(with = "serde_bytes_array")]
        pub palette: [u8; 768],
        pub bank_offset: i32,
        pub is_vbe_vmstate: u8,
        pub vbe_index: u16,
        pub vbe_regs: [u16; 10],
        pub vbe_start_addr: u32,
        pub vbe_line_offset: u32,
        pub vbe_bank_mask: u32,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "e1000", version = 2, minimum_version = 1)]
    pub struct E1000 {
        pub dev: PciDevice,
        pub _is_version_1: Gap<4>,
        pub rxbuf_size: u32,
        pub rxbuf_min_shift: u32,
        pub eecd_val_in: u32,
        pub eecd_bitnum_in: u16,
        pub eecd_bitnum_out: u16,
        pub eecd_reading: u16,
        pub eecd_old_eecd: u32,
        pub tx_ipcss: u8,
        pub tx_ipcso: u8,
        pub tx_ipcse: u16,
        pub tx_tucss: u8,
        pub tx_tucso: u8,
        pub tx_tucse: u16,
        pub tx_paylen: u32,
        pub tx_hdr_len: u8,
        pub tx_mss: u16,
        pub tx_size: u16,
        pub tx_tso_frames: u16,
        pub tx_sum_needed: u8,
        pub tx_ip: i8,
        pub tx_tcp: i8,
        #[serde(with = "serde_bytes_array")]
        pub tx_header: [u8; 256],
        pub eeprom_data: [u16; 32],
        pub eeprom_data_hi: [u16; 32],
        pub phy_reg: [u16; 32],
        pub mac_reg: [u32; 32],
        pub mac_ra: [u32; 32],
        #[serde(with = "serde_array")]
        pub mac_mta: [u32; 128],
        #[serde(with = "serde_array")]
        pub mac_vfta: [u32; 128],
        #[subsection(needed = E1000::mit_needed)]
        pub mit: E1000Mit,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "e1000/mit_state", version = 1)]
    pub struct E1000Mit {
        pub rdtr: u32,
        pub radv: u32,
        pub tadv: u32,
        pub itr: u32,
        pub mit_irq_level: bool,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "kvmclock", version = 1)]
    pub struct KvmClock {
        pub clock: u64,
        #[subsection(needed = KvmClock::reliable_needed)]
        pub reliable: KvmClockReliable,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "kvmclock/clock_is_reliable", version = 1)]
    pub struct KvmClockReliable {
        pub clock_is_reliable: bool,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "port92", version = 1)]
    pub struct Port92 {
        pub outport: u8,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "pcspk", version = 1)]
    pub struct Pcspk {
        pub data_on: u8,
        pub dummy_refresh_clock: u8,
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "timer", version = 2)]
    pub struct Timer {
        pub cpu_ticks_offset: i64,
        pub _unused: Gap<8>,
        #[vmstate(since = 2)]
        pub cpu_clock_offset: i64,
    }
}

// The `needed` predicates, written the way QEMU's are: "differs from the
// default". The sample machine below has most of them true, some false.
impl Rtc {
    fn reinject_needed(&self) -> bool {
        self.reinject.irq_reinject_on_ack_count != 0
    }
}
impl Ioapic {
    fn version_needed(&self) -> bool {
        self.version.version != 0x20
    }
}
impl Apic {
    fn timer_needed(&self) -> bool {
        self.timer_expiry.timer_expiry != -1
    }
    fn sipi_needed(&self) -> bool {
        self.sipi.wait_for_sipi != 0
    }
}
impl Cpu {
    fn async_pf_needed(&self) -> bool {
        self.async_pf.async_pf_en_msr != 0
    }
    fn fpop_needed(&self) -> bool {
        self.fpop.fpop != 0 || self.fpop.fpip != 0 || self.fpop.fpdp != 0
    }
    fn tsc_adjust_needed(&self) -> bool {
        self.tsc_adjust.tsc_adjust != 0
    }
    fn avx512_needed(&self) -> bool {
        self.avx512.opmask_regs.iter().any(|r| *r != 0)
    }
}
impl Hpet {
    fn rtc_irq_level_needed(&self) -> bool {
        self.rtc_irq_level.rtc_irq_level != 0
    }
    fn offset_needed(&self) -> bool {
        self.offset.hpet_offset != 0
    }
}
impl Piix3 {
    fn rcr_needed(&self) -> bool {
        self.rcr.rcr != 0
    }
}
impl FwCfg {
    fn acpi_mr_needed(&self) -> bool {
        self.acpi_mr.table_mr_size != 0
    }
}
impl I8042 {
    fn outport_needed(&self) -> bool {
        self.outport.outport != 0xcf
    }
    fn extended_needed(&self) -> bool {
        self.extended.migration_flags != 0
    }
}
impl Ps2Kbd {
    fn ledstate_needed(&self) -> bool {
        self.ledstate.ledstate != 0
    }
    fn need_high_bit_needed(&self) -> bool {
        self.need_high_bit.need_high_bit
    }
}
impl Serial {
    fn thr_ipending_needed(&self) -> bool {
        self.thr_ipending.thr_ipending != 0
    }
    fn tsr_needed(&self) -> bool {
        self.tsr.tsr_retry != 0
    }
    fn recv_fifo_needed(&self) -> bool {
        self.recv_fifo.recv_fifo.num != 0
    }
    fn xmit_fifo_needed(&self) -> bool {
        self.xmit_fifo.xmit_fifo.num != 0
    }
    fn poll_needed(&self) -> bool {
        self.poll.poll_msl != 0
    }
}
impl FdDrive {
    fn media_changed_needed(&self) -> bool {
        self.media_changed.media_changed != 0
    }
}
impl IdeDrive {
    fn pio_needed(&self) -> bool {
        self.pio.req_nb_sectors != 0
    }
}
impl E1000 {
    fn mit_needed(&self) -> bool {
        self.mit.itr != 0
    }
}
impl KvmClock {
    fn reliable_needed(&self) -> bool {
        self.reliable.clock_is_reliable
    }
}

/// Every device of the machine, each an instance of a section, saved in this
/// order. The same struct, with versionize's and serde's derives, is what the
/// peers save: one value holding all of them.
macro_rules! machine {
    ($( $field:ident : $ty:ident, )*) => {
        #[derive(Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
        pub struct Machine {
            $( pub $field: $ty, )*
        }

        impl Machine {
            /// How many device instances (sections) the machine has.
            pub const SECTIONS: usize = [$( stringify!($field), )*].len();

            fn filled(rng: &mut Rng) -> Self {
                Self { $( $field: Fill::filled(rng), )* }
            }

            /// Each device's load timed on its own (`-- --per-device`).
            pub fn time_each_device(&mut self, calls: u32) -> Vec<DeviceTiming> {
                vec![$( time_device(stringify!($field), &mut self.$field, calls), )*]
            }

            /// Ours: each device's payload with `vmstate::save_into`.
            #[inline]
            pub fn save_vmstate(&self, out: &mut Vec<u8>) -> Result<(), vmstate::Error> {
                $( vmstate::save_into(&self.$field, out)?; )*
                Ok(())
            }

            /// Ours: each device loaded in place at its current version.
            #[inline]
            pub fn load_vmstate(&mut self, bytes: &[u8]) -> Result<(), vmstate::Error> {
                let mut reader = Reader::new(bytes);
                $(
                    VmState::load_state(&mut self.$field, &mut reader, <$ty as VmState>::VERSION)
                        .map_err(|e| e.in_section(<$ty as VmState>::NAME, None))?;
                )*
                reader.finish()
            }

            /// The hand-written codec.
            #[inline]
            pub fn save_hand(&self, out: &mut Vec<u8>) {
                $( self.$field.put(out); )*
            }

            #[inline]
            pub fn load_hand(&mut self, mut input: &[u8]) -> Option<()> {
                $( self.$field.get(&mut input)?; )*
                input.is_empty().then_some(())
            }
        }
    };
}

machine! {
    i440fx: I440fx,
    piix3: Piix3,
    piix4_pm: Piix4Pm,
    timer: Timer,
    cpu0: Cpu,
    apic0: Apic,
    cpu1: Cpu,
    apic1: Apic,
    kvmclock: KvmClock,
    rtc: Rtc,
    pic_master: Pic,
    pic_slave: Pic,
    ioapic: Ioapic,
    pit: Pit,
    hpet: Hpet,
    pcspk: Pcspk,
    port92: Port92,
    fw_cfg: FwCfg,
    i8042: I8042,
    ps2kbd: Ps2Kbd,
    ps2mouse: Ps2Mouse,
    serial0: Serial,
    parallel0: Parallel,
    dma0: Dma,
    dma1: Dma,
    fdc: IsaFdc,
    ide: Ide,
    vga: Vga,
    e1000: E1000,
}

impl Machine {
    /// A machine in a plausible running state: every field set, most
    /// subsections needed, a few not (their `needed` predicate is false).
    pub fn sample(seed: u64) -> Self {
        let mut m = Self::filled(&mut Rng::new(seed));
        // Not needed, so not sent: hold the default, so that loading into a
        // machine made from another seed gives back an equal machine.
        m.cpu1.avx512 = CpuAvx512 {
            opmask_regs: [0; 8],
            zmmh_regs: [Ymmh::default(); 32],
            hi16_zmm_regs: [0; 128],
        };
        m.cpu1.tsc_adjust = CpuTscAdjust { tsc_adjust: 0 };
        m.serial0.poll = SerialPoll {
            poll_msl: 0,
            modem_status_poll: 0,
        };
        m.ps2kbd.need_high_bit = Ps2KbdHighBit {
            need_high_bit: false,
        };
        m.fdc.state.drives[1].media_changed = FdMediaChanged::default();
        // Needed.
        m.kvmclock.reliable.clock_is_reliable = true;
        m.hpet.num_timers = 3;
        m
    }
}
