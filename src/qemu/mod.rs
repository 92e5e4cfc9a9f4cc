//! Models of QEMU 7.2 device states, written with `#[derive(VmState)]`, that
//! decode and re-encode the sections of real QEMU migration streams byte for
//! byte. Reuse them to read, check or edit QEMU streams, or as worked examples
//! of the attributes.
//!
//! Field names are QEMU's. A QEMU field path such as `queue.rptr` or
//! `channels[0].irq_disabled` becomes a flat Rust name (`queue_rptr`,
//! `channel0_irq_disabled`) where it is not a whole struct of its own, and the
//! `VMSTATE_UNUSED` gaps are `unused` fields named as in the stream's vmdesc.
//! A QEMU timer (`VMSTATE_TIMER_PTR`) is an `i64`: its expiry in ns, -1 when
//! it is not armed. Fields that QEMU's `needed` predicates read but that are
//! device configuration rather than state are `#[vmstate(skip)]` fields whose
//! `Default` is what a QEMU 7.2 pc machine uses.
//!
//! | section idstr | type |
//! |---|---|
//! | (the `0x07` record) | [`configuration::Configuration`] |
//! | `timer` | [`timer::Timers`] |
//! | `globalstate` | [`globalstate::GlobalState`] |
//! | `mc146818rtc` | [`rtc::Rtc`] |
//! | `i8254` | [`pit::Pit`] |
//! | `i8259` (instances 0 and 1) | [`pic::Pic`] |
//! | `fw_cfg` | [`fw_cfg::FwCfg`] |
//! | `ps2kbd`, `ps2mouse` | [`ps2::Ps2Kbd`], [`ps2::Ps2Mouse`] |
//! | `pckbd` | [`pckbd::Pckbd`] |
//! | `port92` | [`port92::Port92`] |
//! | `pcspk` | [`pcspk::PcSpk`] |
//! | `dma` (instances 0 and 1) | [`dma::Dma`] |
//! | `ioapic` | [`ioapic::IoApic`] |
//! | `hpet` | [`hpet::Hpet`] |
//! | `serial` | [`serial::IsaSerial`] |
//! | `slirp` (old-style, no `guestfwd` sockets) | [`slirp::Slirp`] |
//! | `<pci address>/e1000` | [`e1000::E1000`] |
//! | `cpu_common`, `cpu` | [`cpu::CpuCommon`], [`cpu::X86Cpu`] |
//! | `apic` | [`apic::Apic`] |
//! | `kvm-tpr-opt` | [`vapic::Vapic`] |
//! | `PCIBUS`, `PCIHost` | [`pci_host::PciBus`], [`pci_host::PciHost`] |
//! | `<pci address>/I440FX` | [`i440fx::I440fx`] |
//! | `<pci address>/PIIX3` | [`piix3::Piix3`] |
//! | `<pci address>/ide` | [`ide::PciIde`] |
//! | `<pci address>/piix4_pm` | [`acpi_piix4::Piix4Pm`] (the layout chosen per stream) |
//! | `fdc` | [`fdc::Fdc`] |
//! | `vmmouse` | [`vmmouse::VmMouse`] |
//! | `i2c_bus` | [`i2c::I2cBus`] |
//! | `acpi_build` | [`acpi_build::AcpiBuild`] |
//! | `<pci address>/ICH9LPC`, `<pci address>/ich9_smb` | [`ich9::Ich9Lpc`], [`ich9::Ich9Smb`] |
//! | `<pci address>/mch` | [`mch::Mch`] |
//! | `<pci address>/ich9_ahci` | [`ahci::Ich9Ahci`] |
//! | `<pci address>/virtio-net` | [`virtio::net::VirtioNet`] |
//! | `<pci address>/virtio-blk` | [`virtio::blk::VirtioBlk`] |
//! | `<pci address>/virtio-balloon` | [`virtio::balloon::VirtioBalloon`] |
//! | `<pci address>/virtio-rng` | [`virtio::rng::VirtioRng`] |
//! | `<pci address>/virtio-console` (`virtio-serial-pci`) | [`virtio::serial::VirtioSerial`] |

pub mod acpi_build;
pub mod acpi_piix4;
pub mod ahci;
pub mod apic;
pub mod configuration;
pub mod cpu;
pub mod dma;
pub mod e1000;
pub mod fdc;
pub mod fw_cfg;
pub mod globalstate;
pub mod hpet;
pub mod i2c;
pub mod i440fx;
pub mod ich9;
pub mod ide;
pub mod ioapic;
pub mod mch;
pub mod pci;
pub mod pci_host;
pub mod pckbd;
pub mod pcspk;
pub mod pic;
pub mod piix3;
pub mod pit;
pub mod port92;
pub mod ps2;
pub mod rtc;
pub mod serial;
pub mod slirp;
pub mod timer;
pub mod uefi_vars;
pub mod vapic;
pub mod vga;
pub mod virtio;
pub mod vmmouse;

mod lower;
mod registry;
pub use lower::Lowered;
pub use registry::{Decoded, Lower, MODELS, Model, delimit, model};
