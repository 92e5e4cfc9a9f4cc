//! A device saved by an older build (version 2) and loaded by a newer one
//! (version 3), shown as bytes and as values.
//!
//! Run it with `cargo run --example quickstart`.

use vmstate::VmState;

/// The device as release 1.0 of a monitor shipped it.
pub mod release_1_0 {
    use vmstate::VmState;

    /// The UART's registers.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "acme-uart", version = 2, minimum_version = 1)]
    pub struct Uart {
        /// Baud-rate divisor.
        pub divisor: u16,
        /// Receive buffer.
        pub rbr: u8,
        /// Interrupt enable.
        pub ier: u8,
        /// Line control.
        pub lcr: u8,
        /// Receive FIFO, new in version 2.
        #[vmstate(since = 2)]
        pub fifo: [u8; 4],
    }
}

/// The same device in release 2.0: a new field at version 3, and a subsection
/// that is sent only when the new timeout feature is in use, so that 1.0 can
/// still load 2.0's state whenever the feature is off.
pub mod release_2_0 {
    use vmstate::VmState;

    /// The UART's registers.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "acme-uart", version = 3, minimum_version = 1)]
    pub struct Uart {
        /// Baud-rate divisor.
        pub divisor: u16,
        /// Receive buffer.
        pub rbr: u8,
        /// Interrupt enable.
        pub ier: u8,
        /// Line control.
        pub lcr: u8,
        /// Receive FIFO, new in version 2.
        #[vmstate(since = 2)]
        pub fifo: [u8; 4],
        /// Scratch register, new in version 3.
        #[vmstate(since = 3)]
        pub scratch: u8,
        /// The receive timeout, sent only while armed.
        #[subsection(needed = Uart::timeout_needed)]
        pub timeout: UartTimeout,
    }

    impl Uart {
        fn timeout_needed(&self) -> bool {
            self.timeout.expiry_ns != -1
        }
    }

    /// The receive timeout.
    #[derive(VmState, Debug, Clone, PartialEq)]
    #[vmstate(name = "acme-uart/timeout", version = 1)]
    pub struct UartTimeout {
        /// A QEMU-style timer: expiry in ns, -1 when not armed.
        pub expiry_ns: i64,
    }

    impl Default for UartTimeout {
        fn default() -> Self {
            Self { expiry_ns: -1 }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() -> Result<(), vmstate::Error> {
    let old = release_1_0::Uart {
        divisor: 12,
        rbr: 0x41,
        ier: 0x05,
        lcr: 0x03,
        fifo: *b"hi!\n",
    };
    let bytes = vmstate::to_vec(&old)?;
    println!(
        "release 1.0 saves `{}` at version {}: {} bytes",
        release_1_0::Uart::NAME,
        release_1_0::Uart::VERSION,
        bytes.len()
    );
    println!("  {}", hex(&bytes));

    let new: release_2_0::Uart = vmstate::from_slice(&bytes, release_1_0::Uart::VERSION)?;
    println!(
        "release 2.0 (version {}) loads it as:\n  {new:?}",
        release_2_0::Uart::VERSION
    );

    let mut armed = new.clone();
    armed.scratch = 0x5a;
    armed.timeout.expiry_ns = 1_000_000;
    let bytes = vmstate::to_vec(&armed)?;
    println!(
        "release 2.0 saves it with the timeout armed: {} bytes",
        bytes.len()
    );
    println!("  {}", hex(&bytes));

    let err = vmstate::from_slice::<release_1_0::Uart>(&bytes, release_2_0::Uart::VERSION)
        .expect_err("version 3 is too new for release 1.0");
    println!("release 1.0 refuses it, as it must:\n  {err}");

    let cut = &bytes[..bytes.len() - 3];
    let err = vmstate::from_slice::<release_2_0::Uart>(cut, 3).expect_err("truncated");
    println!("a truncated payload names the field and byte:\n  {err}");
    Ok(())
}
