//! `vmmouse`: the `VMware` absolute-pointer backdoor (`hw/i386/vmmouse.c`).

use crate::VmState;

/// QEMU `vmmouse` (version 0).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "vmmouse", version = 0)]
pub struct VmMouse {
    #[vmstate(info = "int32 equal")]
    pub queue_size: i32,
    pub queue: [u32; 1024],
    pub nb_queue: u16,
    pub status: u16,
    pub absolute: u8,
}

impl Default for VmMouse {
    fn default() -> Self {
        Self {
            queue_size: Default::default(),
            queue: [Default::default(); 1024],
            nb_queue: Default::default(),
            status: Default::default(),
            absolute: Default::default(),
        }
    }
}
