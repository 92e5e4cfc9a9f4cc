//! `uefi-vars-sysbus`: the host-side UEFI variable store of QEMU 10.0
//! (`hw/uefi/var-service-vmstate.c`, `-device uefi-vars-x64` on x86), whose
//! variables and policies are QEMU tail queues (`VMSTATE_QTAILQ_V`).

use std::collections::VecDeque;

use crate::VmState;

/// QEMU `vmstate_uefi_vars_sysbus` (`uefi-vars-sysbus`, version 0): the
/// section of `uefi-vars-x64`, the store inlined as `state`.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "uefi-vars-sysbus", version = 0)]
pub struct UefiVarsSysbus {
    /// `state` (`VMSTATE_STRUCT`).
    pub state: UefiVars,
}

/// QEMU `vmstate_uefi_vars` (`uefi-vars`, version 0).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "uefi-vars", version = 0)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "the four boot-phase flags of QEMU's uefi_vars_state, one bool field each on the wire"
)]
pub struct UefiVars {
    /// `sts`: the status register.
    pub sts: u16,
    /// `buf_size`: the size of the guest's transfer buffer, and the length of
    /// [`pio_xfer_buffer`](Self::pio_xfer_buffer).
    pub buf_size: u32,
    /// `buf_addr_lo`: the guest address of the transfer buffer, low half.
    pub buf_addr_lo: u32,
    /// `buf_addr_hi`: high half.
    pub buf_addr_hi: u32,
    /// `pio_xfer_offset`: how far a port-I/O transfer has got.
    pub pio_xfer_offset: u32,
    /// `pio_xfer_buffer` (`VMSTATE_VBUFFER_ALLOC_UINT32`, `buf_size` bytes).
    #[vmstate(len = buf_size, info = "buffer")]
    pub pio_xfer_buffer: Vec<u8>,
    /// `end_of_dxe`: the firmware signalled the end of DXE.
    pub end_of_dxe: bool,
    /// `ready_to_boot`.
    pub ready_to_boot: bool,
    /// `exit_boot_service`.
    pub exit_boot_service: bool,
    /// `policy_locked`: variable policies can no longer change.
    pub policy_locked: bool,
    /// `used_storage`: bytes of variable storage in use.
    pub used_storage: u64,
    /// `variables` (`VMSTATE_QTAILQ_V`): the variables, in store order.
    #[vmstate(with = crate::with::qtailq, info = "qtailq")]
    pub variables: VecDeque<UefiVariable>,
    /// `var_policies` (`VMSTATE_QTAILQ_V`): the variable policies.
    #[vmstate(with = crate::with::qtailq, info = "qtailq")]
    pub var_policies: VecDeque<UefiVarPolicy>,
}

/// QEMU `vmstate_uefi_variable` (`uefi-variable`, version 0): one element of
/// [`UefiVars::variables`].
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "uefi-variable", version = 0)]
pub struct UefiVariable {
    /// `guid.data`: the vendor GUID, in EFI byte order.
    #[vmstate(rename = "guid.data")]
    pub guid: [u8; 16],
    /// `name_size`: bytes of [`name`](Self::name).
    pub name_size: u32,
    /// `data_size`: bytes of [`data`](Self::data).
    pub data_size: u32,
    /// `attributes`: `EFI_VARIABLE_*` bits.
    pub attributes: u32,
    /// `name`: UCS-2, little-endian, with its terminating NUL.
    #[vmstate(len = name_size, info = "buffer")]
    pub name: Vec<u8>,
    /// `data`: the value.
    #[vmstate(len = data_size, info = "buffer")]
    pub data: Vec<u8>,
    /// `time`: the timestamp of authenticated variables.
    pub time: UefiTime,
}

impl UefiVariable {
    /// The name, decoded from UCS-2 up to its NUL; `None` when it is not
    /// valid UTF-16.
    #[must_use]
    pub fn name(&self) -> Option<String> {
        let units: Vec<u16> = self
            .name
            .chunks_exact(2)
            .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
            .take_while(|&unit| unit != 0)
            .collect();
        String::from_utf16(&units).ok()
    }
}

/// QEMU `vmstate_uefi_time` (`uefi-time`, version 0): an `EFI_TIME` without
/// its time zone, daylight and padding bytes.
#[derive(VmState, Debug, Default, Clone, Copy, PartialEq, Eq)]
#[vmstate(name = "uefi-time", version = 0)]
pub struct UefiTime {
    /// `year`.
    pub year: u16,
    /// `month`.
    pub month: u8,
    /// `day`.
    pub day: u8,
    /// `hour`.
    pub hour: u8,
    /// `minute`.
    pub minute: u8,
    /// `second`.
    pub second: u8,
    /// `nanosecond`.
    pub nanosecond: u32,
}

/// QEMU `vmstate_uefi_var_policy` (`uefi-var-policy`, version 0): one
/// element of [`UefiVars::var_policies`], the policy entry as the guest
/// registered it. (No fixture has one: the store starts without policies.)
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "uefi-var-policy", version = 0)]
pub struct UefiVarPolicy {
    /// `entry_size`: bytes of [`entry`](Self::entry).
    pub entry_size: u32,
    /// `entry`: the `VARIABLE_POLICY_ENTRY` with its name.
    #[vmstate(len = entry_size, info = "buffer")]
    pub entry: Vec<u8>,
}
