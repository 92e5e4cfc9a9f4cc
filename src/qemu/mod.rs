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
//! `Default` is what a QEMU 7.2 pc machine uses. A subsection whose
//! `needed` reads such configuration is a `Loaded<T>` field, sent again
//! exactly when it was loaded (`needed = loaded`), or read by the parent's
//! `post_load` to recover the configuration.
//!
//! [`MODELS`] lists every model by section idstr, from the one list that
//! [`qemu_models!`](crate::qemu_models) holds.

pub mod ac97;
pub mod acpi_build;
pub mod acpi_piix4;
pub mod ahci;
pub mod apic;
pub mod arm;
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
pub mod i6300esb;
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
pub mod rtl8139;
pub mod serial;
pub mod slirp;
pub mod timer;
pub mod uefi_vars;
pub mod uhci;
pub mod usb;
pub mod vapic;
pub mod vga;
pub mod virtio;
pub mod vmmouse;

mod models;
pub(crate) mod registry;
pub use crate::models::{Lower, Lowered, Model, ModelOutput};
pub use registry::{ForPayload, MODELS, delimit, model, model_for};
