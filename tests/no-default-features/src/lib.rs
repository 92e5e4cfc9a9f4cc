//! A device crate that depends on `vmstate` with `default-features = false`:
//! the derive's generated code (save, load, schema, the vmdesc description)
//! must build on the codec core alone.

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

/// A UART with every kind of field the derive generates code for.
#[derive(VmState, Debug, Default, Clone, PartialEq, Eq)]
#[vmstate(name = "minimal-uart", version = 2, minimum_version = 1)]
pub struct Uart {
    /// Divisor latch.
    pub divisor: u16,
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
}

#[cfg(test)]
mod tests {
    use super::{Mode, Timer, Uart};
    use vmstate::VmState;

    fn uart() -> Uart {
        Uart {
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
        // 2 + 2 + 2 + 1 + 1 + 2, then the subsection: 0x05, length, name, version, 8 bytes.
        let name = b"minimal-uart/timer";
        assert_eq!(bytes.len(), 10 + 1 + 1 + name.len() + 4 + 8);
        assert_eq!(&bytes[..4], &[0, 12, 3, 0x60]);
        assert_eq!(bytes[10], 0x05);
        let back: Uart = vmstate::from_slice(&bytes, Uart::VERSION).unwrap();
        assert_eq!(back, uart());
    }

    #[test]
    fn describes_itself_without_the_stream_layer() {
        let desc = uart().describe_state();
        assert_eq!(desc.vmsd_name, "minimal-uart");
        let names: Vec<&str> = desc.fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["divisor", "regs", "_gap", "mode", "count", "fifo"]);
        assert_eq!(desc.subsections.len(), 1);
        assert_eq!(desc.wire_len(), vmstate::to_vec(&uart()).unwrap().len());
        assert_eq!(Uart::SCHEMA.fields.len(), 6);
    }
}
