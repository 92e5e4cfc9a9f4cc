//! `pckbd`: the i8042 keyboard controller (`hw/input/pckbd.c`), whose only
//! field is a struct that carries its own subsections, one of them named
//! `pckbd_outport` without a `/`.

use crate::{Loaded, VmState};

/// QEMU `vmstate_kbd_isa` (`pckbd`, version 3, minimum 3): the ISA i8042,
/// which wraps the controller state [`Kbd`] (`VMSTATE_STRUCT(kbd, ..)`).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "pckbd", version = 3)]
pub struct Pckbd {
    /// `kbd`: the controller; its subsections are written inside this payload,
    /// right after its four bytes.
    pub kbd: Kbd,
}

/// QEMU `vmstate_kbd` (also named `pckbd`, version 3, minimum 3): the i8042
/// controller registers.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "pckbd", version = 3, post_load = Kbd::post_load)]
pub struct Kbd {
    /// `write_cmd`: the controller command waiting for its data byte.
    pub write_cmd: u8,
    /// `status`: the status register (port 0x64).
    pub status: u8,
    /// `mode`: the command byte (interrupt enables, translation, disables).
    pub mode: u8,
    /// `pending_tmp`: the pending-interrupt sources, as QEMU's `pre_save`
    /// encodes them (`pending`, or the compatible bits without
    /// `extended-state`).
    pub pending_tmp: u8,
    /// `pckbd_outport`: sent when the output port differs from the value the
    /// status register implies ([`Kbd::outport_default`]).
    #[subsection(needed = Kbd::outport_needed, name_without_slash)]
    pub outport: Loaded<KbdOutport>,
    /// `pckbd/extended_state`: sent when the `extended-state` property is on.
    #[subsection(needed = Kbd::extended_state_needed)]
    pub extended: Loaded<KbdExtendedState>,
    /// Configuration, not migrated: QEMU property `extended-state` (true for
    /// machine types since 7.0).
    #[vmstate(skip)]
    pub extended_state: bool,
}

impl Default for Kbd {
    /// Zero registers, the output port QEMU implies for them, and the
    /// configuration of a QEMU 7.2 pc machine.
    fn default() -> Self {
        let mut kbd = Self {
            write_cmd: 0,
            status: 0,
            mode: 0,
            pending_tmp: 0,
            outport: Loaded::default(),
            extended: Loaded::default(),
            extended_state: true,
        };
        kbd.outport.outport = kbd.outport_default();
        kbd
    }
}

impl Kbd {
    /// Output port bit: the CPU is not held in reset.
    pub const OUT_RESET: u8 = 0x01;
    /// Output port bit: the A20 line is enabled.
    pub const OUT_A20: u8 = 0x02;
    /// Output port bit: keyboard output buffer full.
    pub const OUT_OBF: u8 = 0x10;
    /// Output port bit: mouse output buffer full.
    pub const OUT_MOUSE_OBF: u8 = 0x20;
    /// Output port bits that QEMU always reports as set.
    pub const OUT_ONES: u8 = 0xcc;
    /// Status bit: output buffer full.
    pub const STAT_OBF: u8 = 0x01;
    /// Status bit: the output buffer holds mouse data.
    pub const STAT_MOUSE_OBF: u8 = 0x20;

    /// QEMU `kbd_outport_default`: the output port implied by the status
    /// register, which is what the destination assumes when `pckbd_outport`
    /// is absent.
    #[must_use]
    pub fn outport_default(&self) -> u8 {
        let mut outport = Self::OUT_RESET | Self::OUT_A20 | Self::OUT_ONES;
        if self.status & Self::STAT_OBF != 0 {
            outport |= Self::OUT_OBF;
        }
        if self.status & Self::STAT_MOUSE_OBF != 0 {
            outport |= Self::OUT_MOUSE_OBF;
        }
        outport
    }

    /// QEMU `kbd_outport_needed`.
    fn outport_needed(&self) -> bool {
        self.outport.outport != self.outport_default()
    }

    /// QEMU `kbd_extended_state_needed`.
    fn extended_state_needed(&self) -> bool {
        self.extended_state
    }

    /// QEMU `kbd_post_load`: without `pckbd_outport`, the output port is the
    /// default one.
    #[expect(
        clippy::unnecessary_wraps,
        reason = "hooks have the signature the derive calls"
    )]
    fn post_load(&mut self, _version_id: u32) -> Result<(), core::convert::Infallible> {
        if !Loaded::was_loaded(&self.outport) {
            self.outport.outport = self.outport_default();
        }
        // The section does not name its machine type: `pckbd/extended_state`
        // on the wire says `extended-state` was on (machine types since 7.0),
        // its absence that it was off, so that saving again writes the same.
        self.extended_state = Loaded::was_loaded(&self.extended);
        Ok(())
    }
}

/// QEMU `vmstate_kbd_outport` (`pckbd_outport`, version 1): a subsection of
/// `pckbd` whose name has no `/`, accepted by QEMU's prefix match.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "pckbd_outport", version = 1)]
pub struct KbdOutport {
    /// `outport`: the output port (reset, A20, buffer-full lines).
    pub outport: u8,
}

/// QEMU `vmstate_kbd_extended_state` (`pckbd/extended_state`), which has no
/// `version_id`, so version 0.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "pckbd/extended_state", version = 0)]
pub struct KbdExtendedState {
    /// `migration_flags`: bit 0 = the keyboard throttle timer was pending.
    pub migration_flags: u32,
    /// `obsrc`: the source of the byte in the output buffer (1 keyboard,
    /// 2 mouse, 4 controller).
    pub obsrc: u32,
    /// `obdata`: the byte in the output buffer.
    pub obdata: u8,
    /// `cbdata`: the controller's own reply byte waiting to be queued.
    pub cbdata: u8,
}
