//! The list of QEMU models, written once. The registry ([`MODELS`](super::MODELS)
//! and its documentation table) and the tests that cover every model are made
//! from it.

/// Calls `$callback! { ... }` with every model of `vmstate::qemu`, one entry
/// per model:
///
/// ```text
/// "idstr" [kind] => module::Type, "note";
/// ```
///
/// `"idstr"` is the section idstr QEMU uses (for PCI devices, the part after
/// the last `/`). The optional `[kind]` says how the model decodes a payload:
/// none for a type loaded from its `Default`, `[virtio]` for a virtio-pci
/// device configured from the payload (`VirtioPci::for_payload`), `[payload]`
/// for another type configured from the payload (`ForPayload`), `[layouts]`
/// for `piix4_pm`, whose layout is chosen per stream, and `[record]` for the
/// configuration record, which is not a section. The path is relative to
/// `vmstate::qemu`, written `first $(:: rest)*` so that a callback can both
/// name the type and spell it in documentation; the optional note says what
/// a reader of the table needs to know.
///
/// ```
/// macro_rules! idstrs {
///     ($($idstr:literal $([$kind:ident])? => $first:ident $(:: $rest:ident)* $(, $note:literal)?;)*) => {
///         [$($idstr),*]
///     };
/// }
/// let idstrs = vmstate::qemu_models!(idstrs);
/// assert!(idstrs.contains(&"mc146818rtc"));
/// ```
#[macro_export]
macro_rules! qemu_models {
    ($callback:ident) => {
        $callback! {
            "configuration" [record] => configuration::Configuration, "the `0x07` record";
            "timer" => timer::Timers;
            "globalstate" => globalstate::GlobalState;
            "mc146818rtc" => rtc::Rtc;
            "i8254" => pit::Pit;
            "i8259" => pic::Pic, "instances 0 and 1";
            "fw_cfg" => fw_cfg::FwCfg;
            "ps2kbd" => ps2::Ps2Kbd;
            "ps2mouse" => ps2::Ps2Mouse;
            "pckbd" => pckbd::Pckbd;
            "port92" => port92::Port92;
            "pcspk" => pcspk::PcSpk;
            "dma" => dma::Dma, "instances 0 and 1";
            "ioapic" => ioapic::IoApic;
            "hpet" => hpet::Hpet;
            "serial" => serial::IsaSerial;
            "e1000" => e1000::E1000;
            "rtl8139" => rtl8139::Rtl8139;
            "i6300esb_wdt" => i6300esb::I6300Esb;
            "ac97" => ac97::Ac97;
            "uhci" => uhci::Uhci, "`piix3-usb-uhci` and the other UHCI controllers";
            "usb-ptr" => usb::UsbPtr, "`usb-tablet`, `usb-mouse`";
            "cpu_common" => cpu::CpuCommon;
            "cpu" => cpu::X86Cpu;
            "apic" => apic::Apic;
            "kvm-tpr-opt" => vapic::Vapic;
            "PCIBUS" => pci_host::PciBus;
            "PCIHost" => pci_host::PciHost;
            "I440FX" => i440fx::I440fx;
            "PIIX3" => piix3::Piix3;
            "ide" => ide::PciIde;
            "fdc" => fdc::Fdc;
            "vmmouse" => vmmouse::VmMouse;
            "i2c_bus" => i2c::I2cBus;
            "acpi_build" => acpi_build::AcpiBuild;
            "ICH9LPC" => ich9::Ich9Lpc;
            "ich9_smb" [payload] => ich9::Ich9Smb, "`SMBus` state from `pc-q35-2.10` on";
            "mch" => mch::Mch;
            "ich9_ahci" => ahci::Ich9Ahci;
            "slirp" => slirp::Slirp, "old-style, no `guestfwd` sockets";
            "uefi-vars-sysbus" => uefi_vars::UefiVarsSysbus, "QTAILQ of variables";
            "vga" => vga::PciVga, "PARTIAL_BUFFER and INT32_POSITIVE_LE";
            "virtio-net" [virtio] => virtio::net::VirtioNet;
            "virtio-blk" [virtio] => virtio::blk::VirtioBlk;
            "virtio-balloon" [virtio] => virtio::balloon::VirtioBalloon;
            "virtio-rng" [virtio] => virtio::rng::VirtioRng;
            "virtio-console" [virtio] => virtio::serial::VirtioSerial, "`virtio-serial-pci`";
            "virtio-iommu" [virtio] => virtio::iommu::VirtioIommu, "GTREE and QLIST";
            "cpu" => arm::cpu::ArmCpu, "Arm, version 22 (x86's is 12)";
            "arm_gic" => arm::gic::ArmGic;
            "arm_gicv3" => arm::gicv3::ArmGicv3, "one vCPU";
            "arm_gicv3_its" => arm::gicv3::ArmGicv3Its;
            "pl011" => arm::pl011::Pl011;
            "pl031" => arm::pl031::Pl031;
            "pl061" => arm::pl061::Pl061;
            "pflash_cfi01" => arm::pflash::PflashCfi01;
            "gpex_root" => arm::misc::GpexRoot;
            "gpio-key" => arm::misc::GpioKey;
            "virt_acpi_build" => arm::misc::VirtAcpiBuild;
            "virtio-mmio/virtio-blk" => arm::virtio_mmio::VirtioMmioBlk, "legacy transport";
            "virtio-mmio/virtio-rng" => arm::virtio_mmio::VirtioMmioRng, "legacy transport";
            "piix4_pm" [layouts] => acpi_piix4::Piix4Pm, "the layout chosen per stream";
        }
    };
}
