//! The Arm CPU's coprocessor register list: `cpu` sections of Arm guests carry
//! the index of every register they migrate (`cpreg_vmstate_indexes`, sorted)
//! and its value, and QEMU loads them only when it knows every index.
//!
//! QEMU's rules (target/arm/machine.c): the count `cpreg_vmstate_array_len`
//! is `VMSTATE_INT32_POSITIVE_LE` against the destination's own list length,
//! and `cpu_post_load` walks both sorted lists together, failing at the first
//! incoming index below the destination's next one (a register the
//! destination does not have); registers only the destination has keep their
//! reset value, and incoming ones past the destination's last are not looked
//! at.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::obstacle::Obstacle;

/// `CP_REG_ARCH_MASK` (target/arm/kvm-consts.h): the architecture byte.
const ARCH_MASK: u64 = 0xff00_0000_0000_0000;
/// `CP_REG_ARM64`: an `AArch64` system register.
const ARCH_ARM64: u64 = 0x6000_0000_0000_0000;
/// `CP_REG_ARM`: an `AArch32` coprocessor register.
const ARCH_ARM: u64 = 0x4000_0000_0000_0000;
/// `CP_REG_SIZE_MASK` and the 64-bit size (`CP_REG_SIZE_U64`).
const SIZE_MASK: u64 = 0x00f0_0000_0000_0000;
const SIZE_U64: u64 = 0x0030_0000_0000_0000;
/// `CP_REG_ARM64_SYSREG`: the coprocessor field of `AArch64` system registers.
const ARM64_SYSREG: u64 = 0x0013_0000;

/// One register index of the list, shown with the encoding it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpReg(pub u64);

impl fmt::Display for CpReg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let index = self.0;
        write!(f, "0x{index:016x}")?;
        let field = |shift: u32, bits: u32| (index >> shift) & ((1 << bits) - 1);
        match index & ARCH_MASK {
            // ENCODE_AA64_CP_REG: op0 << 14 | op1 << 11 | CRn << 7 | CRm << 3 | op2.
            ARCH_ARM64 if index & 0xffff_0000 == ARM64_SYSREG => write!(
                f,
                " (AArch64 op0={} op1={} CRn={} CRm={} op2={})",
                field(14, 2),
                field(11, 3),
                field(7, 4),
                field(3, 4),
                field(0, 3)
            ),
            // ENCODE_CP_REG as cpreg_to_kvm_id keeps it: the non-secure
            // bank in bit 29, the coprocessor from bit 16; a 64-bit (MCRR)
            // register has only opc1 and CRm.
            ARCH_ARM => {
                let bank = if field(29, 1) == 1 {
                    ", non-secure"
                } else {
                    ""
                };
                if index & SIZE_MASK == SIZE_U64 {
                    write!(
                        f,
                        " (AArch32 64-bit cp{} opc1={} CRm={}{bank})",
                        field(16, 4),
                        field(3, 4),
                        field(7, 4)
                    )
                } else {
                    write!(
                        f,
                        " (AArch32 cp{} opc1={} CRn={} CRm={} opc2={}{bank})",
                        field(16, 4),
                        field(3, 4),
                        field(11, 4),
                        field(7, 4),
                        field(0, 3)
                    )
                }
            }
            _ => Ok(()),
        }
    }
}

/// Why a register one release migrates and the other lacks may be left out
/// of a stream without the guest being able to tell (QEMU's `target/arm`
/// source, each register found by its encoding; docs/cross-version.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dropping {
    /// An `AArch32` view of a register whose state lives in the `AArch64`
    /// register of this index (the same `CPUARMState` field), which the
    /// stream must carry and DEST must migrate too.
    ViewOf(u64),
    /// A value QEMU computes (`ARM_CP_CONST`, `ARM_CP_NOP`: reads give it,
    /// writes are ignored): the stream's value must be this one.
    Constant(u64),
    /// Guest-writable state that the other release does not have at all:
    /// droppable only while it holds its reset value (nothing was written).
    ResetValue(u64),
    /// A constant QEMU computes from whether the CPU has `AArch64` (RMR's
    /// `AA64` bit): 1 for the `AArch64` CPUs the shipped lists are made for,
    /// 0 for an `AArch32` one (measured: 10.0's `cortex-a15` with EL3).
    /// Either value drops; the value supplied is DEST's where a reference
    /// shows it, else 1.
    Aarch64Flag,
}

/// A register that may be dropped: its index, QEMU's name, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DroppableCpreg {
    /// The register's index (`cpreg_to_kvm_id`).
    pub index: u64,
    /// QEMU's name for it.
    pub name: &'static str,
    /// Why dropping it loses nothing.
    pub why: Dropping,
}

/// The 64-bit `AArch32` PAR (cp15 64-bit opc1=0 CRm=7, non-secure bank:
/// `cp15.par_ns`, the same field as `PAR_EL1`, which both releases list as
/// an alias), whose low half is the 32-bit PAR.
const PAR64: u64 = 0x4030_0000_200f_0380;
/// The 64-bit `AArch32` PAR of the secure bank (`cp15.par_s`).
const PAR64_SECURE: u64 = 0x4030_0000_000f_0380;
/// `RVBAR_EL1` (op0=3 op1=0 CRn=12 CRm=0 op2=1), which holds `AArch32` RVBAR.
const RVBAR_EL1: u64 = 0x6030_0000_0013_c601;
/// `DBGCLAIMCLR_EL1` (op0=2 op1=0 CRn=7 CRm=9 op2=6), `cp15.dbgclaim`.
const DBGCLAIMCLR_EL1: u64 = 0x6030_0000_0013_83ce;

/// The registers a `cortex-a57` migrates in one of QEMU 7.2 and 10.0.2 and
/// not in the other, each with why it may be dropped. Every one of the 18
/// that differ at EL1 is here, the one more with EL2 (`virtualization=on`)
/// `RMR_EL3` with EL3 (`secure=on`), and 7.2's `DACR32_EL2` and `IFSR32_EL2`
/// for CPUs without `AArch32` at EL1; one missing from this table is refused.
pub const DROPPABLE_CPREGS: &[DroppableCpreg] = &[
    // QEMU 7.2 only: the 32-bit PAR, non-secure bank (cp15.par_ns, the low
    // half of par_el[1]); 10.0 marks it ARM_CP_ALIAS when LPAE exists.
    DroppableCpreg {
        index: 0x4020_0000_200f_3a00,
        name: "PAR",
        why: Dropping::ViewOf(PAR64),
    },
    // QEMU 7.2 only, for AArch32 CPUs with EL3 (`cortex-a7`, `cortex-a15`):
    // the secure bank's 32-bit PAR (cp15.par_s), whose 64-bit view
    // `0x40300000000f0380` both releases migrate.
    DroppableCpreg {
        index: 0x4020_0000_000f_3a00,
        name: "PAR (secure)",
        why: Dropping::ViewOf(PAR64_SECURE),
    },
    // QEMU 10.0 only (debug_helper.c, debug_cp_reginfo and
    // debug_aa32_el1_reginfo; helper.c, el1_reset_regs).
    DroppableCpreg {
        index: 0x4020_0000_200e_0002,
        name: "DBGDTRRXext (OSDTRRX_EL1)",
        why: Dropping::Constant(0),
    },
    DroppableCpreg {
        index: 0x4020_0000_200e_0100,
        name: "DBGDCCINT (MDCCINT_EL1)",
        why: Dropping::Constant(0),
    },
    DroppableCpreg {
        index: 0x4020_0000_200e_0182,
        name: "DBGDTRTXext (OSDTRTX_EL1)",
        why: Dropping::Constant(0),
    },
    DroppableCpreg {
        index: 0x4020_0000_200e_0298,
        name: "DBGDTRRXint/TXint (DBGDTR_EL0)",
        why: Dropping::Constant(0),
    },
    DroppableCpreg {
        index: 0x4020_0000_200e_0302,
        name: "DBGOSECCR (OSECCR_EL1)",
        why: Dropping::Constant(0),
    },
    DroppableCpreg {
        index: 0x4020_0000_200e_0380,
        name: "DBGVCR",
        why: Dropping::Constant(0),
    },
    DroppableCpreg {
        index: 0x4020_0000_200e_3c86,
        name: "DBGCLAIMCLR",
        why: Dropping::ResetValue(0),
    },
    DroppableCpreg {
        index: 0x4020_0000_200f_6001,
        name: "RVBAR",
        why: Dropping::ViewOf(RVBAR_EL1),
    },
    DroppableCpreg {
        index: 0x4020_0000_200f_6002,
        name: "RMR",
        why: Dropping::Aarch64Flag,
    },
    DroppableCpreg {
        index: 0x6030_0000_0013_8002,
        name: "OSDTRRX_EL1",
        why: Dropping::Constant(0),
    },
    DroppableCpreg {
        index: 0x6030_0000_0013_8010,
        name: "MDCCINT_EL1",
        why: Dropping::Constant(0),
    },
    DroppableCpreg {
        index: 0x6030_0000_0013_801a,
        name: "OSDTRTX_EL1",
        why: Dropping::Constant(0),
    },
    DroppableCpreg {
        index: 0x6030_0000_0013_8032,
        name: "OSECCR_EL1",
        why: Dropping::Constant(0),
    },
    DroppableCpreg {
        index: DBGCLAIMCLR_EL1,
        name: "DBGCLAIMCLR_EL1",
        why: Dropping::ResetValue(0),
    },
    DroppableCpreg {
        index: 0x6030_0000_0013_9828,
        name: "DBGDTR_EL0",
        why: Dropping::Constant(0),
    },
    DroppableCpreg {
        index: 0x6030_0000_0013_a038,
        name: "DBGVCR32_EL2",
        why: Dropping::Constant(0),
    },
    DroppableCpreg {
        index: 0x6030_0000_0013_c602,
        name: "RMR_EL1",
        why: Dropping::Constant(1),
    },
    // QEMU 10.0 only, with EL2 and no EL3 (`virtualization=on`): the reset
    // management register of the highest EL is EL2's (el2_reset_regs).
    DroppableCpreg {
        index: 0x6030_0000_0013_e602,
        name: "RMR_EL2",
        why: Dropping::Constant(1),
    },
    // QEMU 7.2 only, for a CPU whose EL1 has no AArch32 (`cortex-a76`,
    // `neoverse-n1`): 10.0 defines the AArch32-EL1 registers only where EL1
    // supports AArch32 (`aa64_aa32_el1`); 7.2 lists them for every v8 CPU.
    // Guest-writable from EL2 only (`cp15.dacr_ns`, `cp15.ifsr_ns`), reset
    // value 0: dropped only while 0 (measured: 0 in 7.2 `cortex-a76` and
    // `neoverse-n1` streams, and 10.0 lists neither).
    DroppableCpreg {
        index: 0x6030_0000_0013_e180,
        name: "DACR32_EL2",
        why: Dropping::ResetValue(0),
    },
    DroppableCpreg {
        index: 0x6030_0000_0013_e281,
        name: "IFSR32_EL2",
        why: Dropping::ResetValue(0),
    },
    // QEMU 10.0 only, with EL3 (`secure=on`): `ARM_CP_CONST`, resetvalue 1
    // (helper.c's EL3 registers). Measured: 10.0 refused a 7.2 `secure=on`
    // guest's stream without it ("error while loading state for instance
    // 0x0 of device 'cpu'"), which `check --reference` called loadable.
    DroppableCpreg {
        index: 0x6030_0000_0013_f602,
        name: "RMR_EL3",
        why: Dropping::Constant(1),
    },
];

/// A register both releases migrate whose value QEMU computes from the CPU
/// model (an ID register, `ARM_CP_CONST`) and computes otherwise in each, in
/// one field: `write_list_to_cpustate` refuses an incoming value that differs
/// from its own, so the destination's value is supplied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReleaseConstant {
    /// The register's index.
    pub index: u64,
    /// QEMU's name for it.
    pub name: &'static str,
    /// The bits of the field that differs.
    pub mask: u64,
    /// The field's bits in QEMU 7.2 (in place, under `mask`).
    pub v7_2: u64,
    /// The field's bits in QEMU 10.0.2.
    pub v10_0: u64,
    /// The CPU model whose value this is, by registers the stream carries
    /// and their values, all of which must match (QEMU does not migrate
    /// `MIDR`, `ARM_CP_NO_RAW`, so the model shows only in the other
    /// constants it computes); empty where the field differs in every CPU
    /// model that has it.
    pub cpu: &'static [(u64, u64)],
    /// Whether QEMU 10.0 refuses 7.2's field too; `false` where 10.0 takes
    /// it as written (guest-writable there) and only 7.2 refuses 10.0's.
    pub both_ways: bool,
}

/// The `AArch32` views of `CTR` (cp15 c0 c0 1) and `ID_MMFR0` (cp15 c0 c1 4),
/// which both releases migrate for every CPU model with `AArch32` (also with
/// `aarch64=off`) and no machine or CPU property changes.
const CTR: u64 = 0x4020_0000_200f_0001;
const ID_MMFR0: u64 = 0x4020_0000_200f_0084;

/// The `AArch32` `ID_PFR0` (cp15 c0 c1 0) of the `ARMv7` CPUs `virt` runs
/// (`cortex-a7`, `cortex-a15`): `State3` (`ThumbEE`) 1, which `ARMv8` has not.
const ARMV7: &[(u64, u64)] = &[(0x4020_0000_200f_0080, 0x1131)];

/// A `cortex-a53` (`aarch64_a53_initfn`, target/arm/tcg/cpu64.c): `CTR`
/// 0x84448004 with `ID_MMFR0` 0x10101105, measured on `virt-7.2` to be no
/// other CPU model's both releases run (`cortex-a35` has this `CTR` with
/// `ID_MMFR0` 0x10201105; `-a57`, `-a72`, `-a15`, `max` another `CTR`;
/// `-a7` 0x84448003).
const CORTEX_A53: &[(u64, u64)] = &[(CTR, 0x8444_8004), (ID_MMFR0, 0x1010_1105)];

/// The fields of constants that differ between QEMU 7.2 and 10.0.2:
/// `ID_DFR0`'s `MMapTrc` (bits 19:16), in its `AArch32` and `AArch64`
/// encodings, which 10.0's `arm_cpu_realizefn` clears under TCG since QEMU
/// implements no memory-mapped trace, and 7.2 leaves as the CPU model has
/// it. Measured on `virt-7.2` with every CPU model both releases run there:
/// 7.2 has `MMapTrc` 1 wherever `ID_DFR0` is not 0 (`cortex-a7`, `-a15`:
/// 0x2010505; `-a53`, `-a57`, `-a72`: 0x3010006; `-a76`, `neoverse-n1`:
/// 0x4010008; `max`; `pmu=off`: 0x10006; EL3 (`secure=on`): 0x3010066), 10.0
/// the same values with 0 there; `a64fx` (no `AArch32`) has 0 in both.
///
/// And `REVIDR` of the `cortex-a53`, in both encodings: 0 in 7.2, 0x100 in
/// 10.0.2 (`aarch64_a53_initfn` sets `cpu->revidr`; no other CPU model both
/// releases run on `virt` has a `REVIDR` that differs, measured). Measured:
/// 10.0 refused a 7.2 `-cpu cortex-a53` guest's stream that `convert
/// --to qemu-10.0` had written with 7.2's `REVIDR` ("error while loading
/// state for instance 0x0 of device 'cpu'"), and `check` without a reference
/// called that stream loadable; with a reference `convert` refused it.
pub const RELEASE_CONSTANTS: &[ReleaseConstant] = &[
    ReleaseConstant {
        index: 0x4020_0000_200f_0082,
        name: "ID_DFR0",
        mask: 0x000f_0000,
        v7_2: 0x0001_0000,
        v10_0: 0,
        cpu: &[],
        both_ways: true,
    },
    ReleaseConstant {
        index: 0x6030_0000_0013_c00a,
        name: "ID_DFR0_EL1",
        mask: 0x000f_0000,
        v7_2: 0x0001_0000,
        v10_0: 0,
        cpu: &[],
        both_ways: true,
    },
    ReleaseConstant {
        index: 0x4020_0000_200f_0006,
        name: "REVIDR",
        mask: 0xffff_ffff,
        v7_2: 0,
        v10_0: 0x100,
        cpu: CORTEX_A53,
        both_ways: true,
    },
    ReleaseConstant {
        index: 0x6030_0000_0013_c006,
        name: "REVIDR_EL1",
        mask: 0xffff_ffff,
        v7_2: 0,
        v10_0: 0x100,
        cpu: CORTEX_A53,
        both_ways: true,
    },
    // HCR_EL2 of an ARMv7 CPU with EL2 (`cortex-a7`, `cortex-a15`,
    // `virtualization=on`): 10.0 resets it with RW (bit 31) set, and 7.2's
    // `do_hcr_write` keeps only bits 27:0 for a CPU without
    // ARM_FEATURE_V8, so its `write_list_to_cpustate` refuses 10.0's value
    // (measured: "error while loading state for instance 0x0 of device
    // 'cpu'", which `check --reference` called loadable). RW means nothing
    // without AArch64. 10.0 loads 7.2's 0 (measured).
    ReleaseConstant {
        index: 0x6030_0000_0013_e088,
        name: "HCR_EL2",
        mask: 0x8000_0000,
        v7_2: 0,
        v10_0: 0x8000_0000,
        cpu: ARMV7,
        both_ways: false,
    },
];

/// The bits of register `index` with `value` that the reference's value
/// decides, for the CPU model `stream_value` shows ([`RELEASE_CONSTANTS`]):
/// a field of a guest-writable register that one release computes, where
/// the stream's field is one that release refuses (`both_ways` false: 10.0
/// takes 7.2's field as written, so a stream with it is not compared).
#[must_use]
pub fn release_constant_mask(
    index: u64,
    value: u64,
    stream_value: impl Fn(u64) -> Option<u64>,
) -> Option<u64> {
    RELEASE_CONSTANTS
        .iter()
        .find(|c| {
            c.index == index
                && c.cpu
                    .iter()
                    .all(|&(register, want)| stream_value(register) == Some(want))
        })
        .filter(|c| c.both_ways || value & c.mask != c.v7_2)
        .map(|c| c.mask)
}

/// The value of register `index` in a `cpu` section's lists (`indexes` and
/// `values`, in the same order).
#[must_use]
pub fn register_value(indexes: &[u64], values: &[u64], index: u64) -> Option<u64> {
    let at = indexes.iter().position(|i| *i == index)?;
    values.get(at).copied()
}

/// The value a destination running QEMU `dest_release` (its version, e.g.
/// `7.2.22`) computes for register `index` where the stream carries `value`
/// with the other release's field; `None` when it keeps the stream's value
/// (the field is DEST's already, the register is 0 where the difference is
/// every CPU's: the CPU has none of its features, or the stream's CPU is
/// not the model the difference is of). `stream_value` gives the stream's
/// value of another register of the same section, which identifies the CPU
/// model.
#[must_use]
pub fn dest_constant(
    index: u64,
    value: u64,
    dest_release: &str,
    stream_value: impl Fn(u64) -> Option<u64>,
) -> Option<u64> {
    let entry = RELEASE_CONSTANTS.iter().find(|c| {
        c.index == index
            && c.cpu
                .iter()
                .all(|&(register, want)| stream_value(register) == Some(want))
    })?;
    let field = value & entry.mask;
    let (from, to) = if dest_release.starts_with("7.2") {
        (entry.v10_0, entry.v7_2)
    } else if dest_release.starts_with("10.0") && entry.both_ways {
        (entry.v7_2, entry.v10_0)
    } else {
        return None;
    };
    // A model's own register may be 0 in one release (REVIDR); a field every
    // model has is left alone in a register that is 0 (no such feature).
    let applies = value != 0 || !entry.cpu.is_empty();
    (applies && field == from && from != to).then_some(value & !entry.mask | to)
}

/// Whether the table knows register `index` as a value QEMU computes
/// (`ARM_CP_CONST`, `ARM_CP_NOP`): a reference's value of it is DEST's own.
#[must_use]
pub fn is_table_constant(index: u64) -> bool {
    DROPPABLE_CPREGS
        .iter()
        .any(|e| e.index == index && matches!(e.why, Dropping::Constant(_) | Dropping::Aarch64Flag))
}

/// The value to supply for register `index`, which DEST migrates and the
/// stream lacks, from the stream's `registers` (by index): a constant's
/// value, a reset value (the source had no such register to write), or the
/// register it is a view of (its low 32 bits for a 32-bit register). `None`
/// for a register this table does not know: DEST keeps its own value.
#[must_use]
pub fn supplied_value(index: u64, registers: &BTreeMap<u64, u64>) -> Option<u64> {
    let entry = DROPPABLE_CPREGS.iter().find(|e| e.index == index)?;
    match entry.why {
        Dropping::Constant(value) | Dropping::ResetValue(value) => Some(value),
        Dropping::Aarch64Flag => Some(1),
        Dropping::ViewOf(of) => {
            let value = *registers.get(&of)?;
            Some(if index & SIZE_MASK == SIZE_U64 {
                value
            } else {
                value & 0xffff_ffff
            })
        }
    }
}

/// Why the register `index` with `value` cannot be dropped from a stream
/// that carries `stream` (indexes) for a DEST that lacks `unknown` of them,
/// or `None` when it can.
#[must_use]
pub fn why_not_droppable(
    index: u64,
    value: u64,
    stream: &[u64],
    unknown: &[u64],
) -> Option<String> {
    let Some(entry) = DROPPABLE_CPREGS.iter().find(|e| e.index == index) else {
        // An `AArch64` implementation-defined register is a constant of the
        // CPU model in QEMU ([`is_implementation_defined`]): no guest wrote
        // it (measured: QEMU 7.2 loads a 10.0 `neoverse-n1` guest's stream
        // converted without the 18 such registers 7.2 does not list).
        if index & ARCH_MASK == ARCH_ARM64 && is_implementation_defined(index) {
            return None;
        }
        return Some(format!(
            "register {}: not known to carry no state of its own",
            CpReg(index)
        ));
    };
    let name = entry.name;
    match entry.why {
        Dropping::ViewOf(of) if stream.contains(&of) && !unknown.contains(&of) => None,
        Dropping::ViewOf(of) => Some(format!(
            "register {} ({name}): its state lives in {}, which {}",
            CpReg(index),
            CpReg(of),
            if stream.contains(&of) {
                "DEST does not migrate"
            } else {
                "the stream does not carry"
            }
        )),
        Dropping::Constant(want) | Dropping::ResetValue(want) if value == want => None,
        Dropping::Aarch64Flag if value <= 1 => None,
        Dropping::Aarch64Flag => Some(format!(
            "register {} ({name}): QEMU computes it as 0 or 1, the stream has 0x{value:x}",
            CpReg(index)
        )),
        Dropping::Constant(want) => Some(format!(
            "register {} ({name}): QEMU computes it as 0x{want:x}, the stream has 0x{value:x} \
             (another CPU model or configuration)",
            CpReg(index)
        )),
        Dropping::ResetValue(want) => Some(format!(
            "register {} ({name}): the guest wrote 0x{value:x} to it (reset value 0x{want:x}), \
             and DEST's CPU has no such register to hold it",
            CpReg(index)
        )),
    }
}

/// Whether a destination whose CPU migrates the registers `dest` loads a
/// `cpu` section that carries `stream`, as QEMU decides it: `None` when it
/// does, else the reason, naming every register one side has and the other
/// lacks.
#[must_use]
pub fn compare_cpregs(
    idstr: &str,
    instance_id: u32,
    stream: &[u64],
    dest: &[u64],
    model: Option<&str>,
) -> Option<Obstacle> {
    let unknown: Vec<u64> = stream
        .iter()
        .copied()
        .filter(|i| dest.binary_search(i).is_err())
        .collect();
    // A set: the stream's list is as long as its payload allows.
    let sent: BTreeSet<u64> = stream.iter().copied().collect();
    let missing: Vec<u64> = dest.iter().copied().filter(|i| !sent.contains(i)).collect();
    let model = model.map(str::to_owned);
    if stream.len() > dest.len() {
        return Some(Obstacle::CpregCount {
            idstr: idstr.to_owned(),
            instance_id,
            stream: stream.len(),
            dest: dest.len(),
            unknown,
            missing,
            model,
        });
    }
    if refused_by_post_load(stream, dest) {
        return Some(Obstacle::CpregUnknown {
            idstr: idstr.to_owned(),
            instance_id,
            unknown,
            missing,
            model,
        });
    }
    None
}

/// `cpu_post_load`'s walk over both sorted lists: it fails on an incoming
/// index below the destination's current one.
fn refused_by_post_load(stream: &[u64], dest: &[u64]) -> bool {
    let mut incoming = stream.iter().peekable();
    for ours in dest {
        let Some(&&theirs) = incoming.peek() else {
            return false;
        };
        if theirs < *ours {
            return true;
        }
        if theirs == *ours {
            incoming.next();
        }
    }
    false
}

/// The registers of `missing` (DEST migrates them, the stream lacks them)
/// that DEST computes as a constant other than 0, with that constant. QEMU's
/// `cpu_post_load` copies only the incoming registers into its list and
/// `write_list_to_cpustate` then writes the whole list: the slots of the
/// missing ones were never filled before a load (in practice 0), a constant
/// ignores the write, reads back otherwise, and the load is refused. A
/// writable register takes the 0 instead (its state is the reset's then, not
/// a refusal). `dest_value` gives DEST's own value where known (a reference
/// stream's); the table's constants, the ID registers and the
/// implementation-defined registers are the constants.
#[must_use]
pub fn unset_constants(
    missing: &[u64],
    dest_value: impl Fn(u64) -> Option<u64>,
) -> Vec<(u64, u64)> {
    missing
        .iter()
        .filter_map(|&index| {
            let table = DROPPABLE_CPREGS.iter().find(|e| e.index == index);
            let value = match table.map(|e| e.why) {
                Some(Dropping::Constant(value)) => dest_value(index).unwrap_or(value),
                Some(Dropping::Aarch64Flag) => dest_value(index).unwrap_or(1),
                _ if is_id_register(index) || is_implementation_defined(index) => {
                    dest_value(index)?
                }
                _ => return None,
            };
            (value != 0).then_some((index, value))
        })
        .collect()
}

/// Whether register `index` is an ID register: `AArch64` op0=3, op1=0,
/// CRn=0, or `AArch32` cp15 opc1=0, CRn=0. QEMU computes their values from the
/// CPU model (`ARM_CP_CONST`), and `write_list_to_cpustate` refuses an
/// incoming value that differs from its own, since writing it leaves the
/// register as it was.
#[must_use]
pub fn is_id_register(index: u64) -> bool {
    let field = |shift: u32, bits: u32| (index >> shift) & ((1 << bits) - 1);
    match index & ARCH_MASK {
        ARCH_ARM64 => {
            index & 0xffff_0000 == ARM64_SYSREG
                && field(14, 2) == 3
                && field(11, 3) == 0
                && field(7, 4) == 0
        }
        ARCH_ARM => {
            index & SIZE_MASK != SIZE_U64
                && field(16, 4) == 15
                && field(3, 4) == 0
                && field(11, 4) == 0
        }
        _ => false,
    }
}

/// Whether register `index` lies in the IMPLEMENTATION DEFINED encoding space:
/// `AArch64` op0=3 with CRn=11 or 15, or `AArch32` cp15 CRn=15, CRn=11, and
/// parts of CRn=9 and CRn=10. QEMU models no
/// such state: its CPU models define these registers as constants
/// (`ARM_CP_CONST`, `neoverse_n1_cp_reginfo`'s `CPUCFR_EL1` = 4,
/// `ERXPFGF_EL1`) or with a read function and writes ignored (`L2CTLR_EL1`,
/// the core count), so a write of another value reads back as its own and
/// `write_list_to_cpustate` refuses it. Measured: QEMU 10.0's `neoverse-n1`
/// migrates 18 such registers that 7.2's does not, and refused 7.2's stream
/// converted without them ("error while loading state for instance 0x0 of
/// device 'cpu'"), where `check --reference` called it loadable.
#[must_use]
pub fn is_implementation_defined(index: u64) -> bool {
    let field = |shift: u32, bits: u32| (index >> shift) & ((1 << bits) - 1);
    match index & ARCH_MASK {
        ARCH_ARM64 => {
            index & 0xffff_0000 == ARM64_SYSREG
                && field(14, 2) == 3
                && matches!(field(7, 4), 11 | 15)
        }
        // The ARMv7 space (ARM DDI 0406C B3.18): c9 with CRm c0-c2 and c5-c8
        // (the `cortex-a7`'s and `-a15`'s L2CTLR, c9 opc1=1 c0 2, reads the
        // core count, `a15_l2ctlr_read`), c10's TLB lockdown (c0, c1, c4,
        // c8), c11 and c15.
        ARCH_ARM => {
            index & SIZE_MASK != SIZE_U64
                && field(16, 4) == 15
                && match field(11, 4) {
                    9 => matches!(field(7, 4), 0..=2 | 5..=8),
                    10 => matches!(field(7, 4), 0 | 1 | 4 | 8),
                    11 | 15 => true,
                    _ => false,
                }
        }
        _ => false,
    }
}

/// The registers whose value the destination computes itself and that the
/// stream carries with another value: (index, stream's, destination's).
/// `dest` gives the destination's value of a register, where known.
#[must_use]
pub fn constants_that_differ(
    indexes: &[u64],
    values: &[u64],
    dest: impl Fn(u64, u64) -> Option<u64>,
) -> Vec<(u64, u64, u64)> {
    indexes
        .iter()
        .zip(values)
        .filter_map(|(&index, &value)| {
            let theirs = dest(index, value)?;
            (theirs != value).then_some((index, value, theirs))
        })
        .collect()
}

/// The shipped list (of one CPU model) nearest to a stream's: QEMU's stream
/// does not name the model, so the one that differs least is taken.
#[must_use]
pub fn nearest_model<'a>(
    stream: &[u64],
    models: &'a [(String, Vec<u64>)],
) -> Option<&'a (String, Vec<u64>)> {
    let sent: BTreeSet<u64> = stream.iter().copied().collect();
    models.iter().min_by_key(|(_, list)| {
        let extra = stream
            .iter()
            .filter(|i| list.binary_search(i).is_err())
            .count();
        let lacking = list.iter().filter(|i| !sent.contains(i)).count();
        extra + lacking
    })
}

/// The ID register values of one CPU configuration, by index.
pub type IdValues = BTreeMap<u64, u64>;

/// Parses a shipped ID register table (`scripts/arm-idregs.sh`): a CPU
/// configuration's name on a `# model NAME` line, then `INDEX VALUE` lines,
/// both hexadecimal.
///
/// # Errors
/// A line that is neither, with its number.
pub fn parse_id_values(text: &str) -> Result<Vec<(String, IdValues)>, String> {
    let mut models: Vec<(String, IdValues)> = Vec::new();
    let hex = |word: &str, number: usize| {
        u64::from_str_radix(word.strip_prefix("0x").unwrap_or(word), 16)
            .map_err(|e| format!("line {number}: `{word}`: {e}"))
    };
    for (number, line) in text.lines().enumerate() {
        let number = number + 1;
        let line = line.trim();
        if let Some(name) = line.strip_prefix("# model ") {
            models.push((name.trim().to_owned(), IdValues::new()));
        } else if line.is_empty() || line.starts_with('#') {
        } else {
            let mut words = line.split_whitespace();
            let (Some(index), Some(value), None) = (words.next(), words.next(), words.next())
            else {
                return Err(format!("line {number}: `{line}`: not `INDEX VALUE`"));
            };
            let Some((_, values)) = models.last_mut() else {
                return Err(format!("line {number}: a value before any `# model` line"));
            };
            values.insert(hex(index, number)?, hex(value, number)?);
        }
    }
    Ok(models)
}

/// Whether DEST's release computes a `cpu` section's ID registers (`indexes`
/// and `values`) as the stream has them, each taken at the value DEST
/// computes where the releases' constants differ ([`dest_constant`]): its
/// nearest shipped CPU configuration, of DEST's release (`dest_models`) or
/// of the other one (`other_models`), must be one both releases compute
/// alike (then a property or EL the table lacks changes the same fields in
/// both; measured: `cortex-a72` with EL3, `cortex-a53` with EL2), and the
/// configuration's name is returned. ID registers are constants of the CPU
/// model that `write_list_to_cpustate` refuses to see changed; `max` gains
/// features with each release (7.2's and 10.0's differ in 18 of them,
/// measured), and no other CPU model both releases run on `virt` differs
/// but for the release constants.
///
/// # Errors
/// The nearest configuration is computed otherwise by DEST's release, or no
/// table is shipped, in words that name the registers.
pub fn known_id_registers<'a>(
    indexes: &[u64],
    values: &[u64],
    dest_release: &str,
    dest_models: &'a [(String, IdValues)],
    other_models: &[(String, IdValues)],
) -> Result<&'a str, String> {
    // A table's values as DEST computes them: the other release's constants
    // taken at DEST's value.
    let at_dest = |table: &IdValues| -> IdValues {
        let (indexes, values): (Vec<u64>, Vec<u64>) = table.iter().map(|(i, v)| (*i, *v)).unzip();
        table
            .iter()
            .map(|(&index, &value)| {
                let other = |register| register_value(&indexes, &values, register);
                (
                    index,
                    dest_constant(index, value, dest_release, other).unwrap_or(value),
                )
            })
            .collect()
    };
    let ours = at_dest(
        &indexes
            .iter()
            .zip(values)
            .filter(|(index, _)| is_id_register(**index))
            .map(|(&index, &value)| (index, value))
            .collect(),
    );
    let differing = |a: &IdValues, b: &IdValues| -> Vec<u64> {
        let mut all: BTreeSet<u64> = a.keys().copied().collect();
        all.extend(b.keys());
        all.into_iter()
            .filter(|index| a.get(index) != b.get(index))
            .collect()
    };
    let Some((name, _)) = dest_models
        .iter()
        .chain(other_models)
        .min_by_key(|(_, table)| differing(&ours, &at_dest(table)).len())
    else {
        return Err("no ID registers are shipped for DEST's release".to_owned());
    };
    let (Some((dest_name, dest_table)), Some((_, other_table))) = (
        dest_models.iter().find(|(n, _)| n == name),
        other_models.iter().find(|(n, _)| n == name),
    ) else {
        return Err(format!(
            "its ID registers are nearest `{name}`, which only one release's table holds"
        ));
    };
    let changed = differing(&at_dest(dest_table), &at_dest(other_table));
    if changed.is_empty() {
        return Ok(dest_name);
    }
    let show = |value: Option<&u64>| value.map_or("none".to_owned(), |v| format!("0x{v:x}"));
    let listed: Vec<String> = changed
        .iter()
        .map(|index| {
            format!(
                "{} is {} in the stream, {} on DEST",
                CpReg(*index),
                show(ours.get(index)),
                show(dest_table.get(index))
            )
        })
        .collect();
    Err(format!(
        "its ID registers are nearest `{name}`'s, which the releases compute otherwise: {}",
        listed.join("; ")
    ))
}

/// The `virt` machine types up to which QEMU builds every CPU without a PMU
/// (`virt_machine_2_6_options` sets `no_pmu`): their ID registers
/// (`ID_DFR0`, `ID_AA64DFR0`) and register lists differ from the same CPU's
/// on later machine types, which `write_list_to_cpustate` and
/// `cpu_post_load` refuse (measured with 7.2: a `cortex-a57` guest renamed
/// between `virt-2.6` and `virt-2.7`, either way).
const VIRT_NO_PMU_UNTIL: (u32, u32) = (2, 6);

/// Why renaming an Arm guest's `virt` machine type `from` to `to` changes
/// what QEMU builds for its CPU whatever the CPU model, or `None`: a rename
/// without a reference has nothing else to compare the CPU with.
#[must_use]
pub fn virt_rename_changes_cpu(from: &str, to: &str) -> Option<String> {
    let version = |name: &str| -> Option<(u32, u32)> {
        let (major, minor) = name.strip_prefix("virt-")?.split_once('.')?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    };
    // `virt` alone is the newest machine type: it has a PMU.
    let no_pmu = |name: &str| version(name).is_some_and(|v| v <= VIRT_NO_PMU_UNTIL);
    if !(from == "virt" || from.starts_with("virt-")) || !(to == "virt" || to.starts_with("virt-"))
    {
        return None;
    }
    (no_pmu(from) != no_pmu(to)).then(|| {
        format!(
            "QEMU builds the CPU of `virt-2.6` and older without a PMU (`no_pmu`), so the CPU's \
             ID registers and PMU registers differ between `{from}` and `{to}` (QEMU: \
             \"error while loading state for instance 0x0 of device 'cpu'\")"
        )
    })
}

/// Parses a shipped register list: a CPU model name on a `# model NAME` line,
/// then its indexes, one hexadecimal number a line, sorted.
///
/// # Errors
/// A line that is neither, with its number.
pub fn parse_cpreg_lists(text: &str) -> Result<Vec<(String, Vec<u64>)>, String> {
    let mut models: Vec<(String, Vec<u64>)> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("# model ") {
            models.push((name.trim().to_owned(), Vec::new()));
        } else if line.is_empty() || line.starts_with('#') {
        } else {
            let digits = line.strip_prefix("0x").unwrap_or(line);
            let index = u64::from_str_radix(digits, 16)
                .map_err(|e| format!("line {}: `{line}`: {e}", number + 1))?;
            let Some((_, list)) = models.last_mut() else {
                return Err(format!(
                    "line {}: an index before any `# model` line",
                    number + 1
                ));
            };
            list.push(index);
        }
    }
    for (_, list) in &mut models {
        // QEMU keeps its lists sorted; a hand-edited file need not be.
        list.sort_unstable();
        list.dedup();
    }
    Ok(models)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indexes_decode_to_their_encoding() {
        // CNTV_CTL_EL0 is op0=3 op1=3 CRn=14 CRm=3 op2=1.
        let cntv_ctl = 0x6030_0000_0013_0000 | 3 << 14 | 3 << 11 | 14 << 7 | 3 << 3 | 1;
        assert_eq!(
            CpReg(cntv_ctl).to_string(),
            "0x603000000013df19 (AArch64 op0=3 op1=3 CRn=14 CRm=3 op2=1)"
        );
        // PAR (cp15, c7, c4, 0), non-secure bank, as QEMU 7.2 lists it.
        assert_eq!(
            CpReg(0x4020_0000_200f_3a00).to_string(),
            "0x40200000200f3a00 (AArch32 cp15 opc1=0 CRn=7 CRm=4 opc2=0, non-secure)"
        );
        assert_eq!(CpReg(7).to_string(), "0x0000000000000007");
    }

    #[test]
    fn qemu_refuses_a_longer_list_and_an_unknown_index_only() {
        let dest = [10, 20, 30];
        assert!(matches!(
            compare_cpregs("cpu", 0, &[10, 20, 30, 40], &dest, None),
            Some(Obstacle::CpregCount {
                stream: 4,
                dest: 3,
                ..
            })
        ));
        let Some(Obstacle::CpregUnknown {
            unknown, missing, ..
        }) = compare_cpregs("cpu", 0, &[10, 15, 30], &dest, None)
        else {
            panic!("15 is unknown");
        };
        assert_eq!((unknown, missing), (vec![15], vec![20]));
        // Registers only the destination has are not an unknown index (a
        // constant among them is `unset_constants`' business).
        assert_eq!(compare_cpregs("cpu", 0, &[10, 30], &dest, None), None);
        // Past the destination's last index, QEMU stops looking.
        assert_eq!(compare_cpregs("cpu", 0, &[10, 20, 40], &dest, None), None);
    }

    #[test]
    fn missing_constants_other_than_zero_are_unset() {
        const RMR_EL2: u64 = 0x6030_0000_0013_e602;
        const OSDTRRX_EL1: u64 = 0x6030_0000_0013_8002;
        const MIDR_EL1: u64 = 0x6030_0000_0013_c000;
        const SCTLR_EL1: u64 = 0x6030_0000_0013_c080;
        // The table's constant 1 reads back otherwise than the unset 0; its
        // constant 0 does not; a writable register takes the 0.
        let missing = [OSDTRRX_EL1, RMR_EL2, SCTLR_EL1];
        assert_eq!(unset_constants(&missing, |_| None), [(RMR_EL2, 1)]);
        // An ID register is a constant whose value only DEST's own stream
        // shows.
        assert!(unset_constants(&[MIDR_EL1], |_| None).is_empty());
        assert_eq!(
            unset_constants(&[MIDR_EL1, SCTLR_EL1], |_| Some(0x411f_d070)),
            [(MIDR_EL1, 0x411f_d070)]
        );
        // DEST's own value wins over the table's.
        assert!(unset_constants(&[RMR_EL2], |_| Some(0)).is_empty());
    }

    #[test]
    fn lists_parse_and_the_nearest_model_is_taken() {
        let models = parse_cpreg_lists("# model a\n0x1\n0x2\n# model b\n3\n1\n").unwrap();
        assert_eq!(models[1], ("b".to_owned(), vec![1, 3]));
        assert_eq!(
            nearest_model(&[1, 3], &models).map(|m| m.0.as_str()),
            Some("b")
        );
        assert!(parse_cpreg_lists("0x1\n").is_err());
        assert!(parse_cpreg_lists("# model a\nzz\n").is_err());
    }

    #[test]
    fn only_views_constants_and_unwritten_state_are_dropped() {
        let par = 0x4020_0000_200f_3a00;
        // PAR goes when its 64-bit view travels and DEST migrates it.
        assert_eq!(why_not_droppable(par, 5, &[par, PAR64], &[par]), None);
        assert!(why_not_droppable(par, 5, &[par], &[par]).is_some());
        // RMR_EL1 is the constant 1; another value is another CPU.
        assert_eq!(why_not_droppable(0x6030_0000_0013_c602, 1, &[], &[]), None);
        assert!(why_not_droppable(0x6030_0000_0013_c602, 0, &[], &[]).is_some());
        // Claim tags the guest set are state DEST has no register for.
        assert_eq!(why_not_droppable(DBGCLAIMCLR_EL1, 0, &[], &[]), None);
        let why = why_not_droppable(DBGCLAIMCLR_EL1, 3, &[], &[]).unwrap();
        assert!(why.contains("0x60300000001383ce"), "{why}");
        // A register the table does not know is refused, named.
        let why = why_not_droppable(0x6030_0000_0013_c000, 0, &[], &[]).unwrap();
        assert!(why.contains("0x603000000013c000"), "{why}");
        // Supplied: constants, reset values, and a view from its register.
        let registers = BTreeMap::from([(RVBAR_EL1, 0x1_2345_6789)]);
        assert_eq!(
            supplied_value(0x4020_0000_200f_6001, &registers),
            Some(0x2345_6789)
        );
        assert_eq!(supplied_value(0x6030_0000_0013_c602, &registers), Some(1));
        assert_eq!(supplied_value(0x6030_0000_0013_c000, &registers), None);
        // ID_DFR0 takes DEST's value only where it has the other release's.
        assert_eq!(
            dest_constant(0x6030_0000_0013_c00a, 0x0300_0006, "7.2.22", |_| None),
            Some(0x0301_0006)
        );
        assert_eq!(
            dest_constant(0x6030_0000_0013_c00a, 0x0301_0006, "10.0.2", |_| None),
            Some(0x0300_0006)
        );
        assert_eq!(
            dest_constant(0x6030_0000_0013_c00a, 0x0301_0006, "7.2.22", |_| None),
            None
        );
        // Whatever the other fields hold (EL3, `pmu=off`), and never for a
        // CPU without the register's features.
        assert_eq!(
            dest_constant(0x4020_0000_200f_0082, 0x0301_0066, "10.0.2", |_| None),
            Some(0x0300_0066)
        );
        assert_eq!(
            dest_constant(0x4020_0000_200f_0082, 0x0000_0006, "7.2.22", |_| None),
            Some(0x0001_0006)
        );
        assert_eq!(
            dest_constant(0x4020_0000_200f_0082, 0, "7.2.22", |_| None),
            None
        );
        // CPUCFR_EL1 (op0=3 op1=0 CRn=15 CRm=0 op2=0) and L2CTLR_EL1 (op1=1
        // CRn=11) are implementation defined; SCTLR_EL1 (CRn=1) is not.
        assert!(is_implementation_defined(0x6030_0000_0013_c780));
        assert!(is_implementation_defined(0x6030_0000_0013_cd82));
        assert!(!is_implementation_defined(0x6030_0000_0013_c080));
        // AArch32 L2CTLR (c9 opc1=1 c0 2) is; PMCR (c9 c12 0) and MAIR0
        // (c10 c2 0) are not.
        assert!(is_implementation_defined(0x4020_0000_200f_480a));
        assert!(!is_implementation_defined(0x4020_0000_200f_4e00));
        assert!(!is_implementation_defined(0x4020_0000_200f_5100));
        let unset = unset_constants(&[0x6030_0000_0013_c780, 0x6030_0000_0013_c788], |i| {
            Some(if i == 0x6030_0000_0013_c780 { 4 } else { 0 })
        });
        assert_eq!(unset, [(0x6030_0000_0013_c780, 4)]);
        assert_eq!(
            dest_constant(0x4020_0000_200f_0082, 0x0300_0006, "10.0.2", |_| None),
            None
        );
    }

    #[test]
    fn a_rename_across_virt_2_6_changes_the_cpu() {
        assert!(virt_rename_changes_cpu("virt-2.6", "virt-2.7").is_some());
        assert!(virt_rename_changes_cpu("virt-2.12", "virt-2.6").is_some());
        assert!(virt_rename_changes_cpu("virt-2.6", "virt").is_some());
        assert_eq!(virt_rename_changes_cpu("virt-2.7", "virt-7.2"), None);
        assert_eq!(virt_rename_changes_cpu("virt-2.5", "virt-2.6"), None);
        assert_eq!(
            virt_rename_changes_cpu("pc-i440fx-2.6", "pc-i440fx-2.7"),
            None
        );
    }

    #[test]
    fn an_armv7_hcr_el2_loses_rw_for_7_2_only() {
        const HCR_EL2: u64 = 0x6030_0000_0013_e088;
        const RMR: u64 = 0x4020_0000_200f_6002;
        let armv7 = |i| (i == 0x4020_0000_200f_0080).then_some(0x1131);
        let armv8 = |i| (i == 0x4020_0000_200f_0080).then_some(0x131);
        assert_eq!(
            dest_constant(HCR_EL2, 0x8000_0002, "7.2.22", armv7),
            Some(2)
        );
        assert_eq!(dest_constant(HCR_EL2, 0x8000_0002, "7.2.22", armv8), None);
        assert_eq!(dest_constant(HCR_EL2, 2, "10.0.2", armv7), None);
        // With a reference, RW is DEST's where the stream has 10.0's; 7.2's
        // clear bit is left to the guest (10.0 loads it).
        assert_eq!(
            release_constant_mask(HCR_EL2, 0x8000_0002, armv7),
            Some(0x8000_0000)
        );
        assert_eq!(release_constant_mask(HCR_EL2, 2, armv7), None);
        assert_eq!(release_constant_mask(HCR_EL2, 0x8000_0002, armv8), None);
        // RMR is the AArch64 flag: 0 or 1 drops, the reference's value is
        // supplied, 1 without one.
        assert!(is_table_constant(RMR));
        assert_eq!(why_not_droppable(RMR, 0, &[], &[]), None);
        assert!(why_not_droppable(RMR, 2, &[], &[]).is_some());
        assert_eq!(supplied_value(RMR, &BTreeMap::new()), Some(1));
        assert!(unset_constants(&[RMR], |_| Some(0)).is_empty());
        assert_eq!(unset_constants(&[RMR], |_| None), [(RMR, 1)]);
    }

    #[test]
    fn a_release_constant_of_one_cpu_model_needs_that_model() {
        // REVIDR differs for the cortex-a53 alone, known by its CTR and
        // ID_MMFR0; 0 is its value in 7.2, so it is not "no feature".
        let a53 = |i| match i {
            CTR => Some(0x8444_8004),
            ID_MMFR0 => Some(0x1010_1105),
            _ => None,
        };
        assert_eq!(
            dest_constant(0x6030_0000_0013_c006, 0, "10.0.2", a53),
            Some(0x100)
        );
        assert_eq!(
            dest_constant(0x4020_0000_200f_0006, 0x100, "7.2.22", a53),
            Some(0)
        );
        assert_eq!(dest_constant(0x6030_0000_0013_c006, 0, "7.2.22", a53), None);
        // A cortex-a35 shares the CTR, not the ID_MMFR0: its REVIDR stays.
        let a35 = |i| match i {
            CTR => Some(0x8444_8004),
            ID_MMFR0 => Some(0x1020_1105),
            _ => None,
        };
        assert_eq!(dest_constant(0x6030_0000_0013_c006, 0, "10.0.2", a35), None);
        assert_eq!(
            dest_constant(0x6030_0000_0013_c006, 0, "10.0.2", |_| None),
            None
        );
        assert_eq!(register_value(&[CTR, ID_MMFR0], &[1, 2], ID_MMFR0), Some(2));
    }

    #[test]
    fn id_registers_are_known_where_both_releases_compute_them_alike() {
        // The shipped ID registers: a cortex-a53 of 7.2 is 10.0's once its
        // REVIDR takes 10.0's value, and one whose other ID registers a
        // property changed is still a cortex-a53 (both releases compute it
        // alike); a CPU the releases compute otherwise (`max`) is refused.
        const REVIDR_EL1: u64 = 0x6030_0000_0013_c006;
        const AA64MMFR0: u64 = 0x6030_0000_0013_c038;
        let a53 = |revidr: u64| {
            format!(
                "# model cortex-a53\n0x{CTR:x} 0x84448004\n0x{ID_MMFR0:x} 0x10101105\n\
                 0x{REVIDR_EL1:x} 0x{revidr:x}\n0x{AA64MMFR0:x} 0x1122\n"
            )
        };
        let ten = parse_id_values(&(a53(0x100) + "# model max\n0x603000000013c030 0x5\n")).unwrap();
        let seven = parse_id_values(&(a53(0) + "# model max\n0x603000000013c030 0x4\n")).unwrap();
        let indexes = [CTR, ID_MMFR0, REVIDR_EL1, AA64MMFR0, 0x6030_0000_0013_c080];
        let mut values = [0x8444_8004, 0x1010_1105, 0, 0x1122, 7];
        assert_eq!(
            known_id_registers(&indexes, &values, "10.0.2", &ten, &seven),
            Ok("cortex-a53")
        );
        values[3] = 0x1124;
        assert_eq!(
            known_id_registers(&indexes, &values, "10.0.2", &ten, &seven),
            Ok("cortex-a53")
        );
        let why =
            known_id_registers(&[0x6030_0000_0013_c030], &[4], "10.0.2", &ten, &seven).unwrap_err();
        assert!(
            why.contains("`max`") && why.contains("0x4 in the stream, 0x5 on DEST"),
            "{why}"
        );
        assert!(known_id_registers(&indexes, &values, "10.0.2", &[], &[]).is_err());
        assert!(parse_id_values("0x1 0x2\n").is_err());
        assert!(parse_id_values("# model a\n0x1\n").is_err());
        assert!(parse_id_values("# model a\nzz 1\n").is_err());
    }
}
