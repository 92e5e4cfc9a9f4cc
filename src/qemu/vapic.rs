//! `kvm-tpr-opt`: the TPR-access optimization for Windows guests (`hw/i386/kvmvapic.c`).

use crate::VmState;

/// QEMU `kvmvapic-handlers` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "kvmvapic-handlers", version = 1)]
pub struct VapicKvmvapicHandlers {
    pub set_tpr: u32,
    pub set_tpr_eax: u32,
    pub get_tpr: [u32; 8],
    pub get_tpr_stack: u32,
}

/// QEMU `kvmvapic-guest-rom` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "kvmvapic-guest-rom", version = 1)]
pub struct VapicKvmvapicGuestRom {
    pub unused: crate::Unused<8>,
    pub vaddr: u32,
    pub fixup_start: u32,
    pub fixup_end: u32,
    pub vapic_vaddr: u32,
    pub vapic_size: u32,
    pub vcpu_shift: u32,
    pub real_tpr_addr: u32,
    /// `up`.
    pub up: VapicKvmvapicHandlers,
    /// `mp`.
    pub mp: VapicKvmvapicHandlers,
}

/// QEMU `kvm-tpr-opt` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "kvm-tpr-opt", version = 1)]
pub struct Vapic {
    /// `rom_state`.
    pub rom_state: VapicKvmvapicGuestRom,
    pub state: u32,
    pub real_tpr_addr: u32,
    pub rom_state_vaddr: u32,
    pub vapic_paddr: u32,
    pub rom_state_paddr: u32,
}
