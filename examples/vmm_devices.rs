//! Devices as a Rust VMM writes them, with the std types VMMs keep state in
//! and no wire view of their own: a 16550 UART with a `VecDeque<u8>` FIFO, a
//! virtio block device whose queues count with `Wrapping<u16>` (as rust-vmm's
//! virtio-queue does), a PCI function with its config space and MSI-X table,
//! and an IOMMU with a `BTreeMap` of domains (QEMU's direct-key GTREE) and
//! atomics that its worker threads update.
//!
//! Release 1 saves every device; release 2, whose UART gained a transmit
//! FIFO at version 2, loads what release 1 saved and saves it back for a
//! release 1 receiver.
//!
//! Run it with `cargo run --example vmm_devices`.

use std::collections::{BTreeMap, VecDeque};
use std::error::Error;
use std::num::Wrapping;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};

use vmstate::VmState;

/// Devices that both releases have, unchanged.
pub mod devices {
    use super::{AtomicBool, AtomicU32, AtomicU64, BTreeMap, VmState, Wrapping};

    /// One virtqueue as rust-vmm's `virtio-queue` keeps it.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "vmm-virtqueue", version = 1)]
    pub struct Queue {
        /// Queue size, a power of two.
        pub size: u16,
        /// Whether the driver enabled it.
        pub ready: bool,
        /// Guest addresses of the three rings.
        pub desc_table: u64,
        /// Guest address of the available ring.
        pub avail_ring: u64,
        /// Guest address of the used ring.
        pub used_ring: u64,
        /// Next available-ring index to process; wraps at 2^16.
        pub next_avail: Wrapping<u16>,
        /// Next used-ring index to fill; wraps at 2^16.
        pub next_used: Wrapping<u16>,
        /// Whether `VIRTIO_RING_F_EVENT_IDX` was negotiated.
        pub event_idx: bool,
    }

    /// A virtio block device: features and a variable number of queues.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "vmm-virtio-blk", version = 1)]
    pub struct VirtioBlk {
        /// Features the driver acknowledged.
        pub acked_features: u64,
        /// The device status byte.
        pub status: u8,
        /// How many queues follow.
        pub num_queues: u16,
        /// The queues.
        #[vmstate(len = num_queues)]
        pub queues: Vec<Queue>,
    }

    /// One MSI-X table entry, as the guest programs it.
    #[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
    #[vmstate(name = "vmm-msix-entry", version = 1)]
    pub struct MsixEntry {
        /// Message address.
        pub addr: u64,
        /// Message data.
        pub data: u32,
        /// Vector control: bit 0 masks the vector.
        pub vector_control: u32,
    }

    /// A PCI function: its config space and an 8-vector MSI-X table with the
    /// pending-bit array.
    #[derive(VmState, Debug, Clone, PartialEq)]
    #[vmstate(name = "vmm-pci-function", version = 1)]
    pub struct PciFunction {
        /// The 256-byte configuration space, moved with one copy.
        pub config: [u8; 256],
        /// The MSI-X table.
        pub msix_table: [MsixEntry; 8],
        /// The pending-bit array: one bit per vector.
        pub msix_pba: [u64; 1],
        /// Whether MSI-X is enabled and the function masked.
        pub msix_enabled: bool,
        /// The function mask bit.
        pub msix_masked: bool,
    }

    impl Default for PciFunction {
        fn default() -> Self {
            Self {
                config: [0; 256],
                msix_table: [MsixEntry::default(); 8],
                msix_pba: [0],
                msix_enabled: false,
                msix_masked: false,
            }
        }
    }

    /// A translation domain.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "vmm-iommu-domain", version = 1)]
    pub struct Domain {
        /// Whether DMA of the domain's endpoints bypasses translation.
        pub bypass: bool,
        /// Pages mapped.
        pub mapped_pages: u32,
    }

    /// An IOMMU whose worker threads count faults and raise its interrupt
    /// through atomics while the VMM thread owns the domains.
    #[derive(VmState, Debug, Default)]
    #[vmstate(name = "vmm-iommu", version = 1)]
    pub struct Iommu {
        /// Domains by id.
        pub domains: BTreeMap<u32, Domain>,
        /// Faults recorded by the workers.
        pub fault_count: AtomicU64,
        /// The last fault's domain.
        pub last_fault_domain: AtomicU32,
        /// Whether the fault interrupt is raised.
        pub irq_pending: AtomicBool,
    }
}

/// Release 1's UART.
pub mod release_1 {
    use super::{VecDeque, VmState};

    /// A 16550 UART with its receive FIFO.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "vmm-uart16550", version = 1)]
    pub struct Uart {
        /// The baud-rate divisor latch.
        pub divisor: u16,
        /// Interrupt enable, line control, modem control, line status,
        /// modem status and scratch registers.
        pub regs: [u8; 6],
        /// Bytes in the receive FIFO: saved as `rx_fifo`'s length, so
        /// nothing keeps it in sync by hand.
        #[vmstate(count_of = rx_fifo)]
        pub rx_len: u8,
        /// The receive FIFO, oldest byte first.
        #[vmstate(len = rx_len)]
        pub rx_fifo: VecDeque<u8>,
    }

    impl Uart {
        /// A byte arrives from the host side.
        pub fn receive(&mut self, byte: u8) {
            if self.rx_fifo.len() < 16 {
                self.rx_fifo.push_back(byte);
            }
        }

        /// The guest reads the receive buffer register.
        pub fn read_rbr(&mut self) -> Option<u8> {
            self.rx_fifo.pop_front()
        }
    }
}

/// Release 2's UART: a transmit FIFO, on the wire from version 2 on.
pub mod release_2 {
    use super::{VecDeque, VmState};

    /// A 16550 UART with both FIFOs.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "vmm-uart16550", version = 2, minimum_version = 1)]
    pub struct Uart {
        /// The baud-rate divisor latch.
        pub divisor: u16,
        /// Interrupt enable, line control, modem control, line status,
        /// modem status and scratch registers.
        pub regs: [u8; 6],
        /// Bytes in the receive FIFO: saved as `rx_fifo`'s length, so
        /// nothing keeps it in sync by hand.
        #[vmstate(count_of = rx_fifo)]
        pub rx_len: u8,
        /// The receive FIFO, oldest byte first.
        #[vmstate(len = rx_len)]
        pub rx_fifo: VecDeque<u8>,
        /// Bytes in the transmit FIFO, saved as `tx_fifo`'s length.
        #[vmstate(since = 2, count_of = tx_fifo)]
        pub tx_len: u8,
        /// The transmit FIFO.
        #[vmstate(since = 2, len = tx_len)]
        pub tx_fifo: VecDeque<u8>,
    }
}

fn uart() -> release_1::Uart {
    let mut uart = release_1::Uart {
        divisor: 12,
        regs: [0x01, 0x03, 0x0b, 0x61, 0xb0, 0x5a],
        ..Default::default()
    };
    // Fill and drain so that the FIFO wraps inside its ring buffer.
    for byte in b"hello, guest" {
        uart.receive(*byte);
    }
    for _ in 0..7 {
        uart.read_rbr();
    }
    for byte in b"again" {
        uart.receive(*byte);
    }
    uart
}

fn virtio_blk() -> devices::VirtioBlk {
    let queue = |n: u16| devices::Queue {
        size: 256,
        ready: true,
        desc_table: 0x1_0000 * u64::from(n),
        avail_ring: 0x1_1000 * u64::from(n),
        used_ring: 0x1_2000 * u64::from(n),
        // The indices have wrapped around 2^16 many times.
        next_avail: Wrapping(65_530u16) + Wrapping(9),
        next_used: Wrapping(65_535u16) + Wrapping(n),
        event_idx: true,
    };
    devices::VirtioBlk {
        acked_features: 1 << 32 | 1 << 28,
        status: 0x0f,
        num_queues: 2,
        queues: vec![queue(1), queue(2)],
    }
}

fn pci_function() -> devices::PciFunction {
    let mut function = devices::PciFunction::default();
    function.config[..4].copy_from_slice(&[0xf4, 0x1a, 0x42, 0x10]);
    for (vector, entry) in function.msix_table.iter_mut().enumerate() {
        let vector = u32::try_from(vector).unwrap_or(0);
        *entry = devices::MsixEntry {
            addr: 0xfee0_0000,
            data: 0x4020 + vector,
            vector_control: vector & 1,
        };
    }
    function.msix_pba = [0b1010];
    function.msix_enabled = true;
    function
}

fn iommu() -> Result<Arc<devices::Iommu>, Box<dyn Error>> {
    let iommu = Arc::new(devices::Iommu {
        domains: BTreeMap::from([
            (
                3,
                devices::Domain {
                    bypass: false,
                    mapped_pages: 512,
                },
            ),
            (
                1,
                devices::Domain {
                    bypass: true,
                    mapped_pages: 0,
                },
            ),
        ]),
        ..Default::default()
    });
    // Worker threads record faults while the device runs.
    let workers: Vec<_> = (0..4)
        .map(|worker| {
            let iommu = Arc::clone(&iommu);
            std::thread::spawn(move || {
                for _ in 0..1000 {
                    iommu.fault_count.fetch_add(1, Ordering::Release);
                }
                iommu.last_fault_domain.store(3, Ordering::Release);
                if worker == 0 {
                    iommu.irq_pending.store(true, Ordering::Release);
                }
            })
        })
        .collect();
    for worker in workers {
        worker.join().map_err(|_| "a worker thread panicked")?;
    }
    Ok(iommu)
}

fn main() -> Result<(), Box<dyn Error>> {
    // Release 1 saves.
    let uart_1 = uart();
    let blk = virtio_blk();
    let pci = pci_function();
    let iommu = iommu()?;
    let saved = [
        ("uart", vmstate::to_vec(&uart_1)?),
        ("virtio-blk", vmstate::to_vec(&blk)?),
        ("pci", vmstate::to_vec(&pci)?),
        ("iommu", vmstate::to_vec(&*iommu)?),
    ];
    for (device, bytes) in &saved {
        println!("release 1 saved {device}: {} bytes", bytes.len());
    }

    // Release 2 loads them.
    let uart_2: release_2::Uart = vmstate::from_slice(&saved[0].1, release_1::Uart::VERSION)?;
    assert_eq!(uart_2.rx_fifo, uart_1.rx_fifo);
    assert_eq!(uart_2.rx_fifo, VecDeque::from(b"guestagain".to_vec()));
    assert_eq!((uart_2.divisor, uart_2.regs), (uart_1.divisor, uart_1.regs));
    assert!(
        uart_2.tx_fifo.is_empty(),
        "version 1 carries no transmit FIFO"
    );

    let blk_2: devices::VirtioBlk = vmstate::from_slice(&saved[1].1, 1)?;
    assert_eq!(blk_2, blk);
    assert_eq!(blk_2.queues[0].next_avail, Wrapping(3));

    let pci_2: devices::PciFunction = vmstate::from_slice(&saved[2].1, 1)?;
    assert_eq!(pci_2, pci);

    let iommu_2: devices::Iommu = vmstate::from_slice(&saved[3].1, 1)?;
    assert_eq!(iommu_2.domains, iommu.domains);
    assert_eq!(iommu_2.fault_count.load(Ordering::Acquire), 4000);
    assert_eq!(iommu_2.last_fault_domain.load(Ordering::Acquire), 3);
    assert!(iommu_2.irq_pending.load(Ordering::Acquire));
    println!("release 2 loaded all four devices");

    // Release 2 saves its UART for a release 1 receiver: the same bytes.
    let back = vmstate::to_vec_at(&uart_2, 1)?;
    assert_eq!(back, saved[0].1);
    let uart_1_again: release_1::Uart = vmstate::from_slice(&back, 1)?;
    // `rx_len` is the wire's count: loaded from the stream, never kept by
    // hand, so the state to compare is the FIFO and the registers.
    assert_eq!(uart_1_again.rx_fifo, uart_1.rx_fifo);
    assert_eq!(uart_1_again.rx_len, 10);
    assert_eq!(
        (uart_1_again.divisor, uart_1_again.regs),
        (uart_1.divisor, uart_1.regs)
    );
    println!("release 2 saved the UART back at version 1: identical bytes");
    Ok(())
}
