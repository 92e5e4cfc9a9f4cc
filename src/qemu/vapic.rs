//! `kvm-tpr-opt`: the TPR-access optimization for Windows guests (`hw/i386/kvmvapic.c`).

use crate::VmState;

/// QEMU `kvmvapic-handlers` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "kvmvapic-handlers", version = 1)]
pub struct VapicKvmvapicHandlers {
    /// `set_tpr` (QEMU type `uint32`).
    pub set_tpr: u32,
    /// `set_tpr_eax` (QEMU type `uint32`).
    pub set_tpr_eax: u32,
    /// `get_tpr` (QEMU type `uint32`).
    pub get_tpr: [u32; 8],
    /// `get_tpr_stack` (QEMU type `uint32`).
    pub get_tpr_stack: u32,
}

/// QEMU `kvmvapic-guest-rom` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "kvmvapic-guest-rom", version = 1)]
pub struct VapicKvmvapicGuestRom {
    /// `unused` (QEMU type `unused_buffer`).
    pub unused: crate::Unused<8>,
    /// `vaddr` (QEMU type `uint32`).
    pub vaddr: u32,
    /// `fixup_start` (QEMU type `uint32`).
    pub fixup_start: u32,
    /// `fixup_end` (QEMU type `uint32`).
    pub fixup_end: u32,
    /// `vapic_vaddr` (QEMU type `uint32`).
    pub vapic_vaddr: u32,
    /// `vapic_size` (QEMU type `uint32`).
    pub vapic_size: u32,
    /// `vcpu_shift` (QEMU type `uint32`).
    pub vcpu_shift: u32,
    /// `real_tpr_addr` (QEMU type `uint32`).
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
    /// `state` (QEMU type `uint32`).
    pub state: u32,
    /// `real_tpr_addr` (QEMU type `uint32`).
    pub real_tpr_addr: u32,
    /// `rom_state_vaddr` (QEMU type `uint32`).
    pub rom_state_vaddr: u32,
    /// `vapic_paddr` (QEMU type `uint32`).
    pub vapic_paddr: u32,
    /// `rom_state_paddr` (QEMU type `uint32`).
    pub rom_state_paddr: u32,
}
