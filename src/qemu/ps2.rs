//! `ps2kbd` and `ps2mouse`: the PS/2 keyboard and mouse behind the i8042
//! (`hw/input/ps2.c`).

use crate::VmState;

/// QEMU `vmstate_ps2_common` (`PS2 Common State`, version 3, minimum 2): the
/// command state and output queue shared by keyboard and mouse, 272 bytes.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "PS2 Common State", version = 3, minimum_version = 2)]
pub struct Ps2Common {
    /// `write_cmd`: the command waiting for its argument byte, or -1.
    pub write_cmd: i32,
    /// QEMU `queue.rptr`: read index into `queue_data`.
    #[vmstate(rename = "queue.rptr")]
    pub queue_rptr: i32,
    /// QEMU `queue.wptr`: write index into `queue_data`.
    #[vmstate(rename = "queue.wptr")]
    pub queue_wptr: i32,
    /// QEMU `queue.count`: bytes waiting in the queue.
    #[vmstate(rename = "queue.count")]
    pub queue_count: i32,
    /// QEMU `queue.data`: the circular output queue (`VMSTATE_BUFFER`).
    #[vmstate(info = "buffer", rename = "queue.data")]
    pub queue_data: [u8; 256],
}

impl Default for Ps2Common {
    /// The state after reset: no pending command, empty queue.
    fn default() -> Self {
        Self {
            write_cmd: -1,
            queue_rptr: 0,
            queue_wptr: 0,
            queue_count: 0,
            queue_data: [0; 256],
        }
    }
}

/// QEMU `vmstate_ps2_keyboard` (`ps2kbd`, version 3, minimum 2).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "ps2kbd", version = 3, minimum_version = 2)]
pub struct Ps2Kbd {
    /// `parent_obj`: the common PS/2 state (`VMSTATE_STRUCT`).
    pub parent_obj: Ps2Common,
    /// `scan_enabled`: the keyboard sends scancodes.
    pub scan_enabled: i32,
    /// `translate`: the controller translates set 2 to set 1.
    pub translate: i32,
    /// `scancode_set` (version 3): the scancode set, 1 to 3.
    #[vmstate(since = 3)]
    pub scancode_set: i32,
    /// `ps2kbd/ledstate`: sent when a LED is lit.
    #[subsection(needed = Ps2Kbd::ledstate_needed)]
    pub ledstate: Ps2KbdLedState,
    /// `ps2kbd/need_high_bit`: sent in the middle of a 0xe0-prefixed sequence.
    #[subsection(needed = Ps2Kbd::need_high_bit_needed)]
    pub need_high_bit: Ps2KbdNeedHighBit,
    /// `ps2kbd/command_reply_queue`: sent while command replies are queued.
    #[subsection(needed = Ps2Kbd::command_reply_queue_needed)]
    pub command_reply_queue: Ps2KbdCommandReplyQueue,
}

impl Ps2Kbd {
    /// QEMU `ps2_keyboard_ledstate_needed`.
    fn ledstate_needed(&self) -> bool {
        self.ledstate.ledstate != 0
    }

    /// QEMU `ps2_keyboard_need_high_bit_needed`.
    fn need_high_bit_needed(&self) -> bool {
        self.need_high_bit.need_high_bit
    }

    /// QEMU `ps2_keyboard_cqueue_needed`.
    fn command_reply_queue_needed(&self) -> bool {
        self.command_reply_queue.cwptr != -1
    }
}

/// QEMU `vmstate_ps2_keyboard_ledstate` (`ps2kbd/ledstate`, version 3,
/// minimum 2).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "ps2kbd/ledstate", version = 3, minimum_version = 2)]
pub struct Ps2KbdLedState {
    /// `ledstate`: the LED bits (scroll lock 1, num lock 2, caps lock 4).
    pub ledstate: i32,
}

/// QEMU `vmstate_ps2_keyboard_need_high_bit` (`ps2kbd/need_high_bit`,
/// version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "ps2kbd/need_high_bit", version = 1)]
pub struct Ps2KbdNeedHighBit {
    /// `need_high_bit`: the next translated scancode gets bit 7 set.
    pub need_high_bit: bool,
}

/// QEMU `vmstate_ps2_keyboard_cqueue` (`ps2kbd/command_reply_queue`), which
/// has no `version_id`, so version 0.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "ps2kbd/command_reply_queue", version = 0)]
pub struct Ps2KbdCommandReplyQueue {
    /// QEMU `parent_obj.queue.cwptr`: where command replies end in the queue,
    /// or -1 when there are none.
    #[vmstate(rename = "parent_obj.queue.cwptr")]
    pub cwptr: i32,
}

impl Default for Ps2KbdCommandReplyQueue {
    /// No queued command replies (-1), the state in which QEMU does not send it.
    fn default() -> Self {
        Self { cwptr: -1 }
    }
}

/// QEMU `vmstate_ps2_mouse` (`ps2mouse`, version 2, minimum 2).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "ps2mouse", version = 2)]
pub struct Ps2Mouse {
    /// `parent_obj`: the common PS/2 state (`VMSTATE_STRUCT`).
    pub parent_obj: Ps2Common,
    /// `mouse_status`: the status byte (mode, enable, scaling, buttons).
    pub mouse_status: u8,
    /// `mouse_resolution`: counts per mm, as a power of two.
    pub mouse_resolution: u8,
    /// `mouse_sample_rate`: reports per second.
    pub mouse_sample_rate: u8,
    /// `mouse_wrap`: wrap (echo) mode.
    pub mouse_wrap: u8,
    /// `mouse_type`: 0 = PS/2, 3 = `IntelliMouse`, 4 = `IntelliMouse` Explorer.
    pub mouse_type: u8,
    /// `mouse_detect_state`: progress of the sample-rate knock that switches
    /// `mouse_type`.
    pub mouse_detect_state: u8,
    /// `mouse_dx`: motion not yet reported, horizontal.
    pub mouse_dx: i32,
    /// `mouse_dy`: motion not yet reported, vertical.
    pub mouse_dy: i32,
    /// `mouse_dz`: wheel motion not yet reported.
    pub mouse_dz: i32,
    /// `mouse_buttons`: the button bits.
    pub mouse_buttons: u8,
}
