//! A device crate that depends on `vmstate` with `default-features = false`:
//! the derive's generated code (save, load, schema, the vmdesc description)
//! must build on the codec core alone. Its `vmstate.lock` is found from the
//! crate's own directory although rustc runs in the workspace's.

#![allow(
    clippy::unnecessary_wraps,
    reason = "hooks and wire views have the signatures that the derive calls"
)]

use vmstate::{Unused, VmState};

/// The FIFO's mode.
#[derive(VmState, Debug, Default, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Mode {
    /// Characters one at a time.
    #[default]
    Byte = 0,
    /// Sixteen-byte FIFO.
    Fifo = 1,
}

/// A receive timer, sent only while armed.
#[derive(VmState, Debug, Clone, PartialEq, Eq)]
#[vmstate(name = "minimal-uart/timer", version = 1)]
pub struct Timer {
    /// Expiry in ns, -1 when not armed.
    pub expiry_ns: i64,
}

impl Default for Timer {
    fn default() -> Self {
        Self { expiry_ns: -1 }
    }
}

/// A UART with every kind of field and hook the derive generates code for.
#[derive(VmState, Debug, Default, Clone, PartialEq, Eq)]
#[vmstate(
    name = "minimal-uart",
    version = 2,
    minimum_version = 1,
    pre_save = Uart::pre_save,
    post_load = Uart::post_load
)]
pub struct Uart {
    /// The FIFO depth this build has, which the stream must match.
    #[vmstate(equal)]
    pub depth: u8,
    /// Set by the load, not migrated.
    #[vmstate(skip)]
    pub loaded: bool,
    /// The interrupt line, in a custom wire view (one byte, 0 or 1).
    #[vmstate(with = irq_view)]
    pub irq: bool,
    /// Divisor latch.
    pub divisor: u16,
    /// The scratch register, on the wire when `divisor` is non-zero.
    #[vmstate(exists = Uart::has_scratch)]
    pub scratch: u8,
    /// Line control and status.
    pub regs: [u8; 2],
    _gap: Unused<2>,
    /// The mode, new in version 2.
    #[vmstate(since = 2)]
    pub mode: Mode,
    /// Bytes waiting in the FIFO.
    pub count: u8,
    /// The FIFO's contents, `count` of them.
    #[vmstate(len = count)]
    pub fifo: Vec<u8>,
    /// The receive timer.
    #[subsection(needed = Uart::timer_needed)]
    pub timer: Timer,
}

impl Uart {
    fn timer_needed(&self) -> bool {
        self.timer.expiry_ns != -1
    }

    fn has_scratch(&self, _version_id: u32) -> bool {
        self.divisor != 0
    }

    fn pre_save(&self) -> Result<(), vmstate::Error> {
        if usize::from(self.count) == self.fifo.len() {
            Ok(())
        } else {
            Err(vmstate::Error::custom("`count` disagrees with the FIFO"))
        }
    }

    fn post_load(&mut self, _version_id: u32) -> Result<(), vmstate::Error> {
        self.loaded = true;
        Ok(())
    }
}

/// The interrupt line as one byte.
mod irq_view {
    use vmstate::{Error, Reader};

    #[expect(
        clippy::trivially_copy_pass_by_ref,
        reason = "the signature the derive calls"
    )]
    pub fn save(value: &bool, out: &mut Vec<u8>) -> Result<(), Error> {
        out.push(u8::from(*value));
        Ok(())
    }

    pub fn load(value: &mut bool, reader: &mut Reader<'_>) -> Result<(), Error> {
        *value = reader.read_u8()? != 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Mode, Timer, Uart};
    use vmstate::VmState;

    fn uart() -> Uart {
        Uart {
            depth: 16,
            scratch: 0x5a,
            irq: true,
            divisor: 12,
            regs: [3, 0x60],
            mode: Mode::Fifo,
            count: 2,
            fifo: vec![b'o', b'k'],
            timer: Timer { expiry_ns: 500 },
            ..Uart::default()
        }
    }

    #[test]
    fn round_trips_with_the_codec_alone() {
        let bytes = vmstate::to_vec(&uart()).unwrap();
        // depth, irq, divisor, scratch, regs, the gap, mode, count and the
        // FIFO (13 bytes), then the subsection: 0x05, length, name, version
        // and 8 bytes.
        let name = b"minimal-uart/timer";
        assert_eq!(bytes.len(), 13 + 1 + 1 + name.len() + 4 + 8);
        assert_eq!(&bytes[..7], &[16, 1, 0, 12, 0x5a, 3, 0x60]);
        assert_eq!(bytes[13], 0x05);
        // `depth` must equal the local value: load into a device that has it.
        let mut back = Uart {
            depth: 16,
            ..Uart::default()
        };
        vmstate::load_into(&mut back, &bytes, Uart::VERSION).unwrap();
        assert!(back.loaded);
        back.loaded = false;
        assert_eq!(back, uart());

        let error = vmstate::from_slice::<Uart>(&bytes, Uart::VERSION).unwrap_err();
        assert_eq!(error.path_string(), "depth");
    }

    #[test]
    fn describes_itself_without_the_stream_layer() {
        let desc = uart().describe_state();
        assert_eq!(desc.vmsd_name, "minimal-uart");
        let names: Vec<&str> = desc.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "depth", "irq", "divisor", "scratch", "regs", "_gap", "mode", "count", "fifo"
            ]
        );
        assert_eq!(desc.subsections.len(), 1);
        assert_eq!(desc.wire_len(), vmstate::to_vec(&uart()).unwrap().len());
        assert_eq!(Uart::SCHEMA.fields.len(), 9);
    }
}
