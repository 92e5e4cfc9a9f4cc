//! `usb-ptr`: the USB tablet and mouse (`hw/usb/dev-hid.c`), with the
//! generic USB device state (`hw/usb/bus.c`) and the HID pointer queue
//! (`hw/input/hid.c`).

use crate::VmState;

/// QEMU `vmstate_usb_device` (`USBDevice`, version 1), inlined into every
/// USB device (`VMSTATE_USB_DEVICE`).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "USBDevice", version = 1)]
pub struct UsbDevice {
    /// `addr`: the address the host assigned.
    pub addr: u8,
    /// `state`: attached, default, addressed or configured.
    pub state: i32,
    /// `remote_wakeup`: the host allowed remote wakeup.
    pub remote_wakeup: i32,
    /// `setup_state`: where the control transfer is.
    pub setup_state: i32,
    /// `setup_len`: its data length.
    pub setup_len: i32,
    /// `setup_index`: bytes of it transferred.
    pub setup_index: i32,
    /// `setup_buf`: the SETUP packet.
    pub setup_buf: [u8; 8],
}

/// QEMU `vmstate_hid_ptr_queue` (`HIDPointerEventQueue`, version 1): one
/// queued pointer event.
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "HIDPointerEventQueue", version = 1)]
pub struct HidPointerEvent {
    /// `xdx`: the x position or motion.
    pub xdx: i32,
    /// `ydy`: the y position or motion.
    pub ydy: i32,
    /// `dz`: wheel motion.
    pub dz: i32,
    /// `buttons_state`: the buttons held.
    pub buttons_state: i32,
}

/// Pointer events a HID device queues (QEMU `QUEUE_LENGTH`).
pub const HID_QUEUE_LENGTH: usize = 16;

/// QEMU `vmstate_hid_ptr_device` (`HIDPointerDevice`, version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "HIDPointerDevice", version = 1)]
pub struct HidPointerDevice {
    /// QEMU `ptr.queue`: the event ring.
    #[vmstate(rename = "ptr.queue")]
    pub ptr_queue: [HidPointerEvent; HID_QUEUE_LENGTH],
    /// `head`: the ring's first event.
    pub head: u32,
    /// `n`: events queued.
    pub n: u32,
    /// `protocol`: boot or report protocol.
    pub protocol: i32,
    /// `idle`: the idle rate.
    pub idle: u8,
}

/// QEMU `vmstate_usb_ptr` (`usb-ptr`, version 1): `usb-tablet` and
/// `usb-mouse`. The section idstr has the controller's PCI address and the
/// port in front, e.g. `0000:00:06.0/1/usb-ptr`.
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "usb-ptr", version = 1)]
pub struct UsbPtr {
    /// `dev`: the USB device state.
    pub dev: UsbDevice,
    /// `hid`: the pointer's HID state.
    pub hid: HidPointerDevice,
}
