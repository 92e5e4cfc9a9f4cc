//! Models of the sections of QEMU's Arm `virt` machine (`hw/arm/virt.c`) with
//! a `cortex-a57` CPU under TCG, QEMU 7.2 and 10.0.2: the CPU
//! (`target/arm/machine.c`), the `GICv2` and `GICv3` interrupt controllers and
//! the `GICv3` ITS, the PL011 UART, PL031 RTC and PL061 GPIO, the two CFI01
//! flash devices, the `PCIe` host's root function, the power key, the ACPI
//! patch flag, and virtio devices on the virtio-mmio transport.
//!
//! Field names are QEMU's, flattened as in the rest of [`crate::qemu`]
//! (`env.regs` is `env_regs`). Where QEMU 10.0 renamed a field with the same
//! bytes (`pl011`'s `readbuff` became `unused`, `cpu`'s `gt_timer[0]` became
//! `gt_timer[GTIMER_PHYS]`), the models keep QEMU 7.2's name.
//!
//! The section idstr `cpu` is shared with the x86 CPU: the registry tells
//! them apart by the section version (x86 `cpu` is at most version 12, Arm's
//! is 22), see [`model_for`](super::registry::model_for).

pub mod cpu;
pub mod gic;
pub mod gicv3;
pub mod misc;
pub mod pflash;
pub mod pl011;
pub mod pl031;
pub mod pl061;
pub mod virtio_mmio;
