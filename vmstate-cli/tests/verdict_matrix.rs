//! The oracle matrix: for every (stream, destination) pair, `vmstate check
//! STREAM DEST --reference REF` must give the verdict the real destination
//! QEMU gives when it loads the stream.
//!
//! Nothing here is a committed fixture: each source QEMU (7.2 or 10.0.2, a
//! machine type, devices) writes its stream at test time, paused before any
//! guest code ran or after SeaBIOS ran, and each destination writes its own
//! reference stream for the guest configuration it will load. When QEMU
//! refuses, the reason `check` prints must name what QEMU's message names
//! (the section, instance, RAM block, machine type or register).
//!
//! `VMSTATE_MATRIX_REPORT=PATH` writes every pair as a markdown table
//! (docs/verdict-matrix.md is one such table); `VMSTATE_MATRIX_ONLY=TEXT`
//! runs only the pairs whose source or destination names TEXT.

mod support;

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::qemu::{
    Arch, COMMON, COMMON_KVM, E1000_SERIAL, Qemu, Release, USB_HDA, VIRTIO, create_qcow2,
    kvm_usable, qcow2_drive, scratch,
};
use support::vmstate;

/// Pairs run at once: each QEMU is one busy thread, and the machine has few cores.
const WORKERS: usize = 3;

/// How long a source guest runs (SeaBIOS, then option ROMs or a boot loop) before it stops.
const RUN_TIME: Duration = Duration::from_secs(2);

/// Devices beyond the machine's own, with a name for the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Devices {
    name: &'static str,
    args: &'static [&'static str],
}

const BARE: Devices = Devices {
    name: "",
    args: &[],
};
/// NICs with their default option ROMs: each ROM is a RAM block (`*.rom`)
/// whose size must match on the destination.
const NIC_ROMS: Devices = Devices {
    name: "e1000, virtio-net-pci, rtl8139 (default ROMs)",
    args: &[
        "-netdev",
        "user,id=n0",
        "-device",
        "e1000,netdev=n0",
        // No backend for these two: the ROM is the point, a NIC without a
        // peer only makes QEMU warn.
        "-device",
        "virtio-net-pci",
        "-device",
        "rtl8139",
    ],
};
/// Two user-mode network backends: each has a `slirp` section, and the
/// releases number their instances differently.
const TWO_SLIRP: Devices = Devices {
    name: "two -netdev user",
    args: &[
        "-netdev",
        "user,id=n0",
        "-device",
        "e1000,romfile=,netdev=n0",
        "-netdev",
        "user,id=n1",
        "-device",
        "e1000,romfile=,netdev=n1",
    ],
};
/// A CD-ROM drive, which the default configuration has and `-nodefaults`
/// leaves out: once SeaBIOS identified it, its IDE state carries
/// `identify_data`, behind a `field_exists` test that 7.2's dump shows only
/// where AHCI inlines the same drive state.
const IDE_CD: Devices = Devices {
    name: "ide-cd (identified by SeaBIOS)",
    args: &["-device", "ide-cd,bus=ide.1"],
};
/// `isapc`'s own display, the ISA Cirrus VGA, which the common options'
/// `-nodefaults` leaves out: loading its state aborts QEMU 7.2.
const ISA_CIRRUS: Devices = Devices {
    name: "-vga cirrus (ISA)",
    args: &["-vga", "cirrus"],
};
/// An xHCI controller without MSI-X: both releases abort loading its state,
/// their own too (`msix_vector_unuse` fails an assertion, a QEMU bug).
const XHCI_NO_MSIX: Devices = Devices {
    name: "nec-usb-xhci,msix=off",
    args: &["-device", "nec-usb-xhci,msix=off"],
};
/// A SCSI adapter whose nested `esp` state gained a field in 10.0.
const AM53C974: Devices = Devices {
    name: "am53c974",
    args: &["-device", "am53c974"],
};
const SCSI_HBAS: Devices = Devices {
    name: "megasas, pvscsi",
    args: &["-device", "megasas", "-device", "pvscsi"],
};
/// Devices of an older PC: watchdog, AC97, UHCI with a tablet, a serial port.
const PC_MIX: Devices = Devices {
    name: "i6300esb, AC97, piix3-usb-uhci + usb-tablet, isa-serial",
    args: &[
        "-device",
        "i6300esb",
        "-audiodev",
        "none,id=a0",
        "-device",
        "AC97,audiodev=a0",
        "-device",
        "piix3-usb-uhci",
        "-device",
        "usb-tablet",
        "-device",
        "isa-serial,chardev=c0",
        "-chardev",
        "null,id=c0",
    ],
};
/// Devices a q35 guest may carry besides virtio: other NICs, a sound card,
/// EHCI with a keyboard, an ISA sound card behind the LPC bridge.
const Q35_MIX: Devices = Devices {
    name: "e1000e, vmxnet3, ES1370, usb-ehci + usb-kbd, sb16",
    args: &[
        "-device",
        "e1000e,romfile=",
        "-device",
        "vmxnet3,romfile=",
        "-audiodev",
        "none,id=a0",
        "-device",
        "ES1370,audiodev=a0",
        "-device",
        "usb-ehci",
        "-device",
        "usb-kbd",
        "-device",
        "sb16,audiodev=a0",
    ],
};
/// Older PCI and ISA devices a PC guest may carry: SCSI adapters with a
/// disk, NICs without ROMs, a floppy drive, an ISA sound card, a watchdog.
const PC_LEGACY: Devices = Devices {
    name: "lsi53c895a, virtio-scsi-pci + scsi-hd, pcnet, ne2k_pci, i82559er, isa-fdc + floppy, \
           cs4231a, ib700",
    args: &[
        "-device",
        "lsi53c895a",
        "-device",
        "virtio-scsi-pci",
        "-blockdev",
        "driver=null-co,node-name=d0,read-zeroes=on",
        "-device",
        "scsi-hd,drive=d0",
        "-device",
        "pcnet,romfile=",
        "-device",
        "ne2k_pci,romfile=",
        "-device",
        "i82559er,romfile=",
        "-device",
        "isa-fdc,id=f0",
        "-blockdev",
        "driver=null-co,node-name=fd0,read-zeroes=on,size=1474560",
        "-device",
        "floppy,drive=fd0,bus=f0.0",
        "-audiodev",
        "none,id=a0",
        "-device",
        "cs4231a,audiodev=a0",
        "-device",
        "ib700",
    ],
};
/// Devices of a newer q35 guest: an IOMMU, virtio input devices, an SD host
/// controller, the PCI panic device, a VM generation id, a display.
const Q35_PLATFORM: Devices = Devices {
    name: "intel-iommu, virtio-keyboard/tablet-pci, sdhci-pci, pvpanic-pci, vmgenid, \
           bochs-display",
    args: &[
        "-device",
        "intel-iommu",
        "-device",
        "virtio-keyboard-pci",
        "-device",
        "virtio-tablet-pci",
        "-device",
        "sdhci-pci",
        "-device",
        "pvpanic-pci",
        "-device",
        "vmgenid",
        "-device",
        "bochs-display",
    ],
};
const VIRTIO_SET: Devices = Devices {
    name: "virtio net, blk, balloon, rng, serial",
    args: VIRTIO,
};
const USB_HDA_SET: Devices = Devices {
    name: "qemu-xhci + usb-tablet, intel-hda",
    args: USB_HDA,
};
const E1000_SERIAL_SET: Devices = Devices {
    name: "e1000, isa-serial",
    args: E1000_SERIAL,
};
/// `E1000_SERIAL` without the serial port: a destination that lacks a device.
const E1000_ONLY: Devices = Devices {
    name: "e1000",
    args: &[
        "-device",
        "e1000,romfile=,netdev=n0",
        "-netdev",
        "user,id=n0",
    ],
};

/// An `e1000e` as a 10.0 machine type builds it, but with the two compat
/// properties that would make a rename fail earlier set as 7.2 has them
/// (`x-pcie-ext-tag`, PCI Express device capabilities; `migrate-timadj`, a
/// field): what is left is AER's uncorrectable error mask, which 10.0 masks
/// at reset and 7.2 keeps read-only 0.
const E1000E_AER_MASKED: Devices = Devices {
    name: "e1000e (10.0's AER mask; x-pcie-ext-tag=off, migrate-timadj=off)",
    args: &[
        "-device",
        "e1000e,romfile=,x-pcie-ext-tag=off,migrate-timadj=off",
    ],
};
/// The same adapter as 7.2 builds it.
const E1000E: Devices = Devices {
    name: "e1000e",
    args: &["-device", "e1000e,romfile="],
};

/// A virtio GPU: its hand-written state ends with scanouts whose layout
/// QEMU 10.0 versions by machine type (`x-scanout-vmstate-version`).
const VIRTIO_GPU: Devices = Devices {
    name: "virtio-gpu-pci",
    args: &["-device", "virtio-gpu-pci"],
};
/// A virtio GPU with two outputs: QEMU 10.0.2 reads (and writes) the second
/// scanout at 64 bytes on every machine type, where 7.2 writes and reads 40
/// (a QEMU bug in `scanout_vmstate_after_v2`), so neither release loads the
/// other's stream ("Missing section footer for 0000:00:01.0/virtio-gpu").
const VIRTIO_GPU_2: Devices = Devices {
    name: "virtio-gpu-pci,max_outputs=2",
    args: &["-device", "virtio-gpu-pci,max_outputs=2"],
};
/// A virtio GPU with three outputs: `max_outputs` is a `VMSTATE_UINT32_EQUAL`
/// inside its hand-written state, so a destination started with another
/// number refuses ("3 != 1", DEST's value first).
const VIRTIO_GPU_3: Devices = Devices {
    name: "virtio-gpu-pci,max_outputs=3",
    args: &["-device", "virtio-gpu-pci,max_outputs=3"],
};
/// virtio-serial with a port, and without: the map of active ports is
/// hand-written state that QEMU's `virtio_serial_load_device` requires to
/// be its own device's.
const VIRTIO_SERIAL_PORT: Devices = Devices {
    name: "virtio-serial-pci + virtserialport",
    args: &[
        "-device",
        "virtio-serial-pci",
        "-device",
        "virtserialport,chardev=c0,name=org.test",
        "-chardev",
        "null,id=c0",
    ],
};
const VIRTIO_SERIAL_BARE: Devices = Devices {
    name: "virtio-serial-pci (no port)",
    args: &["-device", "virtio-serial-pci"],
};
/// An HDA controller with a codec of two streams (output and input), of one
/// (output), and of two without the buffer state (`use-timer=off`): a
/// stream's buffer state holds a pointer to its timer, which a codec without
/// that stream never made (QEMU aborts).
const HDA_DUPLEX: Devices = Devices {
    name: "ich9-intel-hda + hda-duplex",
    args: &[
        "-device",
        "ich9-intel-hda",
        "-device",
        "hda-duplex,audiodev=a0",
        "-audiodev",
        "none,id=a0",
    ],
};
const HDA_OUTPUT: Devices = Devices {
    name: "ich9-intel-hda + hda-output",
    args: &[
        "-device",
        "ich9-intel-hda",
        "-device",
        "hda-output,audiodev=a0",
        "-audiodev",
        "none,id=a0",
    ],
};
const HDA_DUPLEX_NO_TIMER: Devices = Devices {
    name: "ich9-intel-hda + hda-duplex,use-timer=off",
    args: &[
        "-device",
        "ich9-intel-hda",
        "-device",
        "hda-duplex,audiodev=a0,use-timer=off",
        "-audiodev",
        "none,id=a0",
    ],
};
/// Memory hotplug slots (the common options' 16 MiB, with room to plug):
/// the ACPI memory hotplug state has one element per slot, a count that is
/// not on the wire.
const MEM_SLOTS_2: Devices = Devices {
    name: "-m 16,slots=2,maxmem=1G",
    args: &["-m", "16,slots=2,maxmem=1G"],
};
/// A virtio-serial device with 64 ports: its map of active ports is two
/// words, where a default device (31 ports) reads one, whatever count the
/// stream gives (`virtio_serial_load_device`).
const VIRTIO_SERIAL_64: Devices = Devices {
    name: "virtio-serial-pci,max_ports=64",
    args: &["-device", "virtio-serial-pci,max_ports=64,vectors=4"],
};
/// The default virtio-serial device with the MSI-X table size of
/// `VIRTIO_SERIAL_64` (its default follows `max_ports`), so that only the
/// ports differ.
const VIRTIO_SERIAL_31: Devices = Devices {
    name: "virtio-serial-pci (31 ports)",
    args: &["-device", "virtio-serial-pci,vectors=4"],
};
/// An HPET with 4 timers (the default is 3) and with 5: QEMU 10.0 loads only
/// its own device's number (`hpet/num_timers must match`), 7.2 any.
const HPET_4: Devices = Devices {
    name: "-global hpet.timers=4",
    args: &["-global", "hpet.timers=4"],
};
const HPET_5: Devices = Devices {
    name: "-global hpet.timers=5",
    args: &["-global", "hpet.timers=5"],
};
/// xHCI controllers with 16 ports, 8 (the default) and 6: the ports array's
/// length is the device's `p2` + `p3`, not on the wire.
const XHCI_16_PORTS: Devices = Devices {
    name: "qemu-xhci,p2=8,p3=8",
    args: &["-device", "qemu-xhci,p2=8,p3=8"],
};
const XHCI_8_PORTS: Devices = Devices {
    name: "qemu-xhci (8 ports)",
    args: &["-device", "qemu-xhci"],
};
const XHCI_6_PORTS: Devices = Devices {
    name: "qemu-xhci,p2=2",
    args: &["-device", "qemu-xhci,p2=2"],
};
/// ramfb, whose `ramfb-dev` section QEMU sends only on machine types 8.2 and
/// later (`x-migrate`), and loads on any machine type of a release that has it.
const RAMFB: Devices = Devices {
    name: "ramfb",
    args: &["-device", "ramfb"],
};
/// virtio-mem, which no model decodes: its PCI configuration space is found
/// in the `virtio` blob all the same (compat properties move its capability
/// list between 7.2's and 10.0's machine types).
const VIRTIO_MEM: Devices = Devices {
    name: "virtio-mem-pci",
    args: &[
        "-m",
        "16,maxmem=512M",
        "-object",
        "memory-backend-ram,id=vm0,size=128M",
        "-device",
        "virtio-mem-pci,memdev=vm0",
    ],
};

/// virtio-rng, then virtio-balloon: each has a 32-byte legacy I/O BAR on
/// `pc-i440fx-5.0` and older, and from 5.1 the balloon's is 64 bytes (its
/// configuration grew by `page-poison`). SeaBIOS puts the balloon's BAR at
/// 0xc020, behind the rng's, so renamed to 5.1 or later the stream is
/// refused: "Bad config data: i=0x10".
const RNG_THEN_BALLOON: Devices = Devices {
    name: "virtio-rng-pci, virtio-balloon-pci",
    args: &[
        "-device",
        "virtio-rng-pci,addr=3",
        "-device",
        "virtio-balloon-pci,addr=4",
    ],
};
/// The same devices with the balloon first: its BAR at 0xc000 fits 64
/// bytes too, so the renamed stream loads.
const BALLOON_THEN_RNG: Devices = Devices {
    name: "virtio-balloon-pci, virtio-rng-pci",
    args: &[
        "-device",
        "virtio-balloon-pci,addr=3",
        "-device",
        "virtio-rng-pci,addr=4",
    ],
};

/// Two modern virtio devices: on `pc-i440fx-2.7` and older their memory BAR
/// 4 is 8 MiB (`page-per-vq=on`: a 4 KiB notification page per queue), from
/// 2.8 on 16 KiB, and SeaBIOS puts the second device's BAR 16 KiB-aligned
/// only, so renamed to 2.7 the stream is refused: "Bad config data: i=0x21".
const RNG_AND_BALLOON: Devices = Devices {
    name: "virtio-rng-pci, virtio-balloon-pci (modern)",
    args: &["-device", "virtio-rng-pci", "-device", "virtio-balloon-pci"],
};

/// A PCI Express root port as QEMU builds it by default (hot-plug capable),
/// and one with `hotplug=off`: its slot capabilities differ, which QEMU
/// compares ("Bad config data: i=0x68").
const ROOT_PORT: Devices = Devices {
    name: "pcie-root-port",
    args: &["-device", "pcie-root-port,id=rp0,chassis=1"],
};
const ROOT_PORT_NO_HOTPLUG: Devices = Devices {
    name: "pcie-root-port,hotplug=off",
    args: &["-device", "pcie-root-port,id=rp0,chassis=1,hotplug=off"],
};

/// Root ports that reserve another window size for the devices behind
/// them: Red Hat's resource reservation capability (32 bytes, vendor
/// specific) says so, and QEMU compares all of it ("Bad config data: i=0xa3").
const ROOT_PORT_MEM64: Devices = Devices {
    name: "pcie-root-port,mem-reserve=64M",
    args: &["-device", "pcie-root-port,id=rp0,chassis=1,mem-reserve=64M"],
};
const ROOT_PORT_MEM32: Devices = Devices {
    name: "pcie-root-port,mem-reserve=32M",
    args: &["-device", "pcie-root-port,id=rp0,chassis=1,mem-reserve=32M"],
};
/// An e1000e with other subsystem ids: the ids sit in the PCI configuration
/// outside what QEMU compares there, and e1000e's own `post_load` refuses
/// them.
const E1000E_SUBSYS: Devices = Devices {
    name: "e1000e,subsys=0x1234,subsys_ven=0x1af4",
    args: &["-device", "e1000e,romfile=,subsys=0x1234,subsys_ven=0x1af4"],
};

/// NICs with the smaller legacy PXE ROMs (128 KiB), and with the default
/// EFI ROMs (256 KiB): SeaBIOS aligns each ROM BAR to its ROM's size, and
/// the e1000's lands on an address that fits no 256 KiB BAR, so even with
/// DEST's image (`convert --reference`) QEMU refuses "Bad config data:
/// i=0x32".
const PXE_ROMS: Devices = Devices {
    name: "e1000, rtl8139 (PXE ROMs)",
    args: &[
        "-device",
        "e1000,romfile=pxe-e1000.rom",
        "-device",
        "rtl8139,romfile=pxe-rtl8139.rom",
    ],
};
const EFI_ROMS: Devices = Devices {
    name: "e1000, rtl8139 (EFI ROMs)",
    args: &["-device", "e1000", "-device", "rtl8139"],
};

/// virtio-net behind a root port (a PCI Express function, with power
/// management), as 7.2 builds it, and as 10.0 does with
/// `x-pcie-pm-no-soft-reset=on`: its power management control/status says
/// `No_Soft_Reset`, a read-only bit QEMU compares ("Bad config data: i=0x80").
const PCIE_VIRTIO_NET: Devices = Devices {
    name: "pcie-root-port + virtio-net-pci",
    args: &[
        "-device",
        "pcie-root-port,id=rp0,chassis=1",
        "-device",
        "virtio-net-pci,romfile=,bus=rp0",
    ],
};
const PCIE_VIRTIO_NET_NO_SOFT_RESET: Devices = Devices {
    name: "pcie-root-port + virtio-net-pci,x-pcie-pm-no-soft-reset=on",
    args: &[
        "-device",
        "pcie-root-port,id=rp0,chassis=1",
        "-device",
        "virtio-net-pci,romfile=,bus=rp0,x-pcie-pm-no-soft-reset=on",
    ],
};

/// virtio-net with Address Translation Services behind a root port: its ATS
/// capability register says "page aligned request" from `pc-q35-5.2` on
/// (`x-ats-page-aligned`), which QEMU compares ("Bad config data: i=0x104").
const PCIE_VIRTIO_NET_ATS: Devices = Devices {
    name: "pcie-root-port + virtio-net-pci,ats=on",
    args: &[
        "-device",
        "pcie-root-port,id=rp0,chassis=1",
        "-device",
        "virtio-net-pci,romfile=,bus=rp0,ats=on",
    ],
};

/// virtio-net with the default MSI-X table (4 vectors), and with 6: a
/// destination started with other `vectors` builds another table size,
/// which QEMU compares ("Bad config data: i=0x9a").
const VIRTIO_NET_4: Devices = Devices {
    name: "virtio-net-pci",
    args: &["-device", "virtio-net-pci,romfile="],
};
const VIRTIO_NET_6: Devices = Devices {
    name: "virtio-net-pci,vectors=6",
    args: &["-device", "virtio-net-pci,romfile=,vectors=6"],
};

/// A CPU whose TSC runs at a frequency its user set (`tsc-frequency`), and
/// one at another: `cpu_post_load` refuses a migrated frequency other than
/// the one its own user set ("Mismatch between user-specified TSC frequency
/// and migrated TSC frequency"), and loads any where its user set none.
const TSC_1GHZ: Devices = Devices {
    name: "-cpu qemu64,tsc-frequency=1000000000",
    args: &["-cpu", "qemu64,tsc-frequency=1000000000"],
};
const TSC_2GHZ: Devices = Devices {
    name: "-cpu qemu64,tsc-frequency=2000000000",
    args: &["-cpu", "qemu64,tsc-frequency=2000000000"],
};

/// A guest configuration: what both QEMUs are started with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Guest {
    machine: &'static str,
    devices: Devices,
}

/// Whether the source's guest code ran before the save.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Run {
    /// Started with `-S`: the machine as reset left it.
    Paused,
    /// SeaBIOS ran for `RUN_TIME`, then `stop`: devices the firmware programmed.
    Ran,
    /// SeaBIOS ran for `RUN_TIME`, then `savevm suspended` into the guest's
    /// qcow2 image: the stream is that snapshot's state (`IMAGE@suspended`),
    /// and the destination resumes it with `-loadvm`.
    Suspended,
}

/// The snapshot name of [`Run::Suspended`] guests.
const SNAPSHOT: &str = "suspended";

/// A source QEMU and its guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Source {
    release: Release,
    guest: Guest,
    run: Run,
}

/// One pair: a source's stream, loaded by `dest` started with `guest`.
#[derive(Debug, Clone, Copy)]
struct Pair {
    source: Source,
    dest: Release,
    guest: Guest,
}

fn guest(machine: &'static str, devices: Devices) -> Guest {
    Guest { machine, devices }
}

/// A pair whose destination runs the source's guest configuration.
fn same(
    release: Release,
    machine: &'static str,
    devices: Devices,
    run: Run,
    dest: Release,
) -> Pair {
    let guest = guest(machine, devices);
    Pair {
        source: Source {
            release,
            guest,
            run,
        },
        dest,
        guest,
    }
}

/// A pair whose destination runs `dest_guest`.
fn to(release: Release, source: Guest, run: Run, dest: Release, dest_guest: Guest) -> Pair {
    Pair {
        source: Source {
            release,
            guest: source,
            run,
        },
        dest,
        guest: dest_guest,
    }
}

/// The pairs: both directions on machine types both releases run, paused and
/// ran; 10.0's own machine types and old ones without a configuration
/// section; device sets the models do not all know; same-release loads.
fn matrix() -> Vec<Pair> {
    use Release::{V7_2 as OLD, V10_0 as NEW};
    use Run::{Paused, Ran};
    let mut pairs = Vec::new();
    // Forward and backward on the machine types both releases run.
    for (machine, run) in [
        ("pc-i440fx-7.2", Paused),
        ("pc-i440fx-7.2", Ran),
        ("pc-q35-7.2", Ran),
        ("pc-i440fx-2.4", Ran),
        ("pc-i440fx-3.1", Ran),
        ("pc-i440fx-4.2", Paused),
        ("pc-i440fx-5.2", Ran),
        ("pc-i440fx-6.2", Ran),
        ("pc-q35-2.4", Ran),
        ("pc-q35-5.2", Paused),
    ] {
        pairs.push(same(OLD, machine, BARE, run, NEW));
        pairs.push(same(NEW, machine, BARE, run, OLD));
    }
    // Device sets, both ways and within each release.
    for (machine, devices, run) in [
        ("pc-i440fx-7.2", AM53C974, Paused),
        ("pc-i440fx-7.2", TWO_SLIRP, Paused),
        ("pc-i440fx-7.2", NIC_ROMS, Ran),
        ("pc-i440fx-7.2", SCSI_HBAS, Ran),
        ("pc-i440fx-7.2", PC_MIX, Ran),
        ("pc-q35-7.2", VIRTIO_SET, Ran),
        ("pc-q35-7.2", USB_HDA_SET, Ran),
        ("pc-q35-7.2", Q35_MIX, Ran),
        ("microvm", BARE, Ran),
        ("pc-i440fx-7.2", IDE_CD, Ran),
        // Its ISA Cirrus VGA aborts QEMU 7.2's load (a QEMU bug).
        ("isapc", ISA_CIRRUS, Paused),
        ("isapc", ISA_CIRRUS, Ran),
        // Its load aborts both releases (a QEMU bug).
        ("pc-q35-7.2", XHCI_NO_MSIX, Paused),
    ] {
        for (from, dest) in [(OLD, NEW), (NEW, OLD), (OLD, OLD), (NEW, NEW)] {
            pairs.push(same(from, machine, devices, run, dest));
        }
    }
    // Devices no other pair has, across on a machine type both run.
    for (machine, devices) in [("pc-i440fx-7.2", PC_LEGACY), ("pc-q35-7.2", Q35_PLATFORM)] {
        pairs.push(same(OLD, machine, devices, Ran, NEW));
        pairs.push(same(NEW, machine, devices, Ran, OLD));
    }
    // A virtio GPU with two outputs, across on a machine type both run.
    pairs.push(same(OLD, "pc-q35-7.2", VIRTIO_GPU_2, Ran, NEW));
    pairs.push(same(NEW, "pc-q35-7.2", VIRTIO_GPU_2, Ran, OLD));
    // Virtio devices on a machine type whose compat properties make them
    // legacy (transitional) devices.
    pairs.push(same(OLD, "pc-i440fx-2.4", VIRTIO_SET, Ran, NEW));
    pairs.push(same(NEW, "pc-i440fx-2.4", VIRTIO_SET, Ran, OLD));
    // The SCSI adapter after the firmware probed it, across.
    pairs.push(same(OLD, "pc-i440fx-7.2", AM53C974, Ran, NEW));
    pairs.push(same(NEW, "pc-i440fx-7.2", AM53C974, Ran, OLD));
    // A destination that lacks the source's serial port.
    pairs.push(to(
        OLD,
        guest("pc-i440fx-7.2", E1000_SERIAL_SET),
        Ran,
        NEW,
        guest("pc-i440fx-7.2", E1000_ONLY),
    ));
    // A destination with a device the source lacks: QEMU leaves it as reset.
    pairs.push(to(
        OLD,
        guest("pc-i440fx-7.2", BARE),
        Ran,
        NEW,
        guest("pc-i440fx-7.2", E1000_ONLY),
    ));
    // 10.0's own machine types, to 7.2's newest.
    pairs.push(to(
        NEW,
        guest("pc-i440fx-10.0", BARE),
        Ran,
        OLD,
        guest("pc-i440fx-7.2", BARE),
    ));
    pairs.push(to(
        NEW,
        guest("pc-q35-10.0", VIRTIO_SET),
        Ran,
        OLD,
        guest("pc-q35-7.2", VIRTIO_SET),
    ));
    pairs.extend(device_build_pairs());
    // A 7.2 machine type onto 10.0's own: QEMU compares the names.
    pairs.push(to(
        OLD,
        guest("pc-i440fx-7.2", BARE),
        Ran,
        NEW,
        guest("pc-i440fx-10.0", BARE),
    ));
    pairs.extend(suspended_pairs());
    pairs.extend(unconfigured_pairs());
    pairs
}

/// Machine types without a configuration section (2.3 and older): 10.0
/// runs none older than 2.4, and expects the section on every one; 7.2 runs
/// both kinds.
fn unconfigured_pairs() -> Vec<Pair> {
    use Release::{V7_2 as OLD, V10_0 as NEW};
    use Run::{Paused, Ran};
    let mut pairs = Vec::new();
    pairs.push(same(OLD, "pc-i440fx-2.0", BARE, Paused, OLD));
    for machine in ["pc-i440fx-2.0", "pc-i440fx-2.2"] {
        pairs.push(same(OLD, machine, BARE, Ran, OLD));
        pairs.push(to(
            OLD,
            guest(machine, BARE),
            Ran,
            NEW,
            guest("pc-i440fx-2.4", BARE),
        ));
    }
    // The same release across the line: a 2.2 stream into 2.3, which loads
    // it, and into 2.4, which expects a configuration section; a 2.4 stream
    // into 2.3, which takes that section for an unknown one.
    for dest in ["pc-i440fx-2.3", "pc-i440fx-2.4"] {
        pairs.push(to(
            OLD,
            guest("pc-i440fx-2.2", BARE),
            Ran,
            OLD,
            guest(dest, BARE),
        ));
    }
    pairs.push(to(
        OLD,
        guest("pc-i440fx-2.4", BARE),
        Ran,
        OLD,
        guest("pc-i440fx-2.3", BARE),
    ));
    pairs
}

/// Devices that DEST builds otherwise than the source did, where neither a
/// dump nor a model shows it: another MSI-X table size, and renames between
/// the releases' own machine types whose compat properties change a PCI
/// Express extended capability, the PCI configuration of a device no model
/// decodes, or a hand-written state's layout.
fn device_build_pairs() -> Vec<Pair> {
    use Release::{V7_2 as OLD, V10_0 as NEW};
    use Run::Ran;
    let mut pairs = Vec::new();
    // A destination whose device has another MSI-X table size.
    pairs.push(to(
        OLD,
        guest("pc-i440fx-7.2", VIRTIO_NET_4),
        Ran,
        NEW,
        guest("pc-i440fx-7.2", VIRTIO_NET_6),
    ));
    // Renamed to 7.2's machine type, a device whose PCI Express extended
    // capability (AER) was built otherwise: `convert` must not write a
    // stream 7.2 refuses ("Bad config data: i=0x10a").
    pairs.push(to(
        NEW,
        guest("pc-q35-10.0", E1000E_AER_MASKED),
        Ran,
        OLD,
        guest("pc-q35-7.2", E1000E),
    ));
    // Renamed between the releases' own machine types: devices whose state
    // or PCI configuration their compat properties change where neither a
    // dump nor a model shows it.
    pairs.push(to(
        NEW,
        guest("pc-q35-10.0", VIRTIO_GPU),
        Ran,
        OLD,
        guest("pc-q35-7.2", VIRTIO_GPU),
    ));
    for devices in [VIRTIO_GPU, VIRTIO_MEM] {
        pairs.push(to(
            OLD,
            guest("pc-q35-7.2", devices),
            Ran,
            NEW,
            guest("pc-q35-10.0", devices),
        ));
    }
    // Renamed to a machine type whose compat properties give a legacy
    // virtio device a larger I/O BAR than the guest aligned its address to.
    for devices in [RNG_THEN_BALLOON, BALLOON_THEN_RNG] {
        pairs.push(to(
            NEW,
            guest("pc-i440fx-4.2", devices),
            Ran,
            OLD,
            guest("pc-i440fx-5.2", devices),
        ));
    }
    // Renamed to a machine type whose compat property (`page-per-vq`) gives
    // modern virtio devices a larger memory BAR.
    pairs.push(to(
        NEW,
        guest("pc-i440fx-2.8", RNG_AND_BALLOON),
        Ran,
        OLD,
        guest("pc-i440fx-2.7", RNG_AND_BALLOON),
    ));
    // virtio-mem renamed across `x-early-migration` (7.2 to 8.0, in 10.0):
    // its sanity checks and bitmap move to a section of their own.
    pairs.push(to(
        NEW,
        guest("pc-q35-7.2", VIRTIO_MEM),
        Ran,
        NEW,
        guest("pc-q35-8.0", VIRTIO_MEM),
    ));
    // e1000e renamed across `migrate-timadj` (7.2 to 8.0, in 10.0).
    pairs.push(to(
        NEW,
        guest("pc-q35-7.2", E1000E),
        Ran,
        NEW,
        guest("pc-q35-8.0", E1000E),
    ));
    // Renamed across `x-migrate-msix` (2.9 to 2.10), both ways: a root
    // port sends its MSI-X state from 2.10 on, a field behind a test of
    // that property ("Missing section footer for 0000:00:01.0/pcie-root-port").
    pairs.push(to(
        OLD,
        guest("pc-q35-2.9", ROOT_PORT),
        Ran,
        NEW,
        guest("pc-q35-2.10", ROOT_PORT),
    ));
    pairs.push(to(
        NEW,
        guest("pc-q35-2.10", ROOT_PORT),
        Ran,
        OLD,
        guest("pc-q35-2.9", ROOT_PORT),
    ));
    // Renamed across `x-ats-page-aligned` (5.1 to 5.2), both ways.
    pairs.push(to(
        OLD,
        guest("pc-q35-5.1", PCIE_VIRTIO_NET_ATS),
        Ran,
        OLD,
        guest("pc-q35-5.2", PCIE_VIRTIO_NET_ATS),
    ));
    pairs.push(to(
        NEW,
        guest("pc-q35-5.2", PCIE_VIRTIO_NET_ATS),
        Ran,
        OLD,
        guest("pc-q35-5.1", PCIE_VIRTIO_NET_ATS),
    ));
    pairs.extend(device_property_pairs());
    pairs.extend(configured_state_pairs());
    pairs
}

/// Destinations started with other device properties than the source, which
/// QEMU compares where neither a dump nor a model shows them: the PCI
/// capabilities (a root port's slot and reservation, ATS), an option ROM's
/// size, power management's `No_Soft_Reset`, and state that devices write
/// by hand or check in code (a GPU's outputs, virtio-serial's ports, the
/// HPET's timers, xHCI's ports, e1000e's subsystem ids, the CPU's TSC
/// frequency).
fn device_property_pairs() -> Vec<Pair> {
    use Release::{V7_2 as OLD, V10_0 as NEW};
    use Run::Ran;
    // Both sides on `pc-q35-7.2`, the source after SeaBIOS ran.
    let q35 = |from, source, into, dest| {
        to(
            from,
            guest("pc-q35-7.2", source),
            Ran,
            into,
            guest("pc-q35-7.2", dest),
        )
    };
    vec![
        // A destination whose root port has another slot (hot-plug off).
        q35(OLD, ROOT_PORT_NO_HOTPLUG, NEW, ROOT_PORT),
        q35(NEW, ROOT_PORT, OLD, ROOT_PORT_NO_HOTPLUG),
        // A destination whose NICs have larger option ROMs than the firmware
        // aligned their ROM BARs to.
        to(
            OLD,
            guest("pc-i440fx-7.2", PXE_ROMS),
            Ran,
            NEW,
            guest("pc-i440fx-7.2", EFI_ROMS),
        ),
        // A destination whose virtio function does not set No_Soft_Reset.
        q35(NEW, PCIE_VIRTIO_NET_NO_SOFT_RESET, OLD, PCIE_VIRTIO_NET),
        // A destination whose virtio GPU has another number of outputs.
        q35(NEW, VIRTIO_GPU, OLD, VIRTIO_GPU_3),
        // A destination whose virtio-serial has other ports.
        q35(OLD, VIRTIO_SERIAL_PORT, NEW, VIRTIO_SERIAL_BARE),
        q35(NEW, VIRTIO_SERIAL_BARE, OLD, VIRTIO_SERIAL_PORT),
        // A destination whose HPET has another number of timers: 10.0
        // refuses, 7.2 takes the stream's.
        q35(OLD, HPET_4, NEW, BARE),
        q35(NEW, BARE, OLD, HPET_5),
        // A destination whose xHCI controller has another number of ports.
        q35(OLD, XHCI_16_PORTS, NEW, XHCI_8_PORTS),
        q35(NEW, XHCI_8_PORTS, OLD, XHCI_6_PORTS),
        // A destination whose e1000e has other subsystem ids.
        q35(OLD, E1000E_SUBSYS, NEW, E1000E),
        q35(NEW, E1000E, OLD, E1000E_SUBSYS),
        // A destination whose virtio-serial has another number of ports:
        // it reads its own number of map words.
        q35(OLD, VIRTIO_SERIAL_64, NEW, VIRTIO_SERIAL_31),
        q35(NEW, VIRTIO_SERIAL_31, OLD, VIRTIO_SERIAL_64),
        // A destination whose function has no ATS (loads: QEMU compares only
        // its own device's capabilities), and one whose function has ATS
        // where the stream's has none ("Bad config data: i=0x100").
        q35(OLD, PCIE_VIRTIO_NET_ATS, NEW, PCIE_VIRTIO_NET),
        q35(NEW, PCIE_VIRTIO_NET, OLD, PCIE_VIRTIO_NET_ATS),
        // A destination whose root port reserves another memory window.
        q35(OLD, ROOT_PORT_MEM64, NEW, ROOT_PORT_MEM32),
        q35(NEW, ROOT_PORT_MEM32, OLD, ROOT_PORT_MEM64),
        // A destination whose user set another TSC frequency (refused), and
        // one whose user set none (loads: a TCG CPU then has none).
        q35(OLD, TSC_1GHZ, NEW, TSC_2GHZ),
        q35(NEW, TSC_2GHZ, OLD, BARE),
    ]
}

/// Destinations whose machine or devices were started with other options
/// than the source's, which decide what of their state DEST reads where no
/// wire byte says it: the memory slots' hotplug state, an HDA codec's
/// streams.
fn configured_state_pairs() -> Vec<Pair> {
    use Release::{V7_2 as OLD, V10_0 as NEW};
    use Run::Ran;
    vec![
        // A destination whose machine has another number of memory slots:
        // the power management function's hotplug state has one element
        // per slot ("Missing section footer for 0000:00:01.3/piix4_pm").
        to(
            OLD,
            guest("pc-i440fx-7.2", MEM_SLOTS_2),
            Ran,
            NEW,
            guest("pc-i440fx-7.2", BARE),
        ),
        to(
            NEW,
            guest("pc-i440fx-7.2", BARE),
            Ran,
            OLD,
            guest("pc-i440fx-7.2", MEM_SLOTS_2),
        ),
        to(
            NEW,
            guest("pc-q35-7.2", MEM_SLOTS_2),
            Ran,
            OLD,
            guest("pc-q35-7.2", BARE),
        ),
        // A destination whose HDA codec has fewer streams: QEMU aborts
        // ("vmstate_load_state: Assertion `first_elem || !n_elems || !size'
        // failed"); one with more, or without the buffer state, loads.
        to(
            OLD,
            guest("pc-q35-7.2", HDA_DUPLEX),
            Ran,
            NEW,
            guest("pc-q35-7.2", HDA_OUTPUT),
        ),
        to(
            NEW,
            guest("pc-q35-7.2", HDA_DUPLEX),
            Ran,
            OLD,
            guest("pc-q35-7.2", HDA_OUTPUT),
        ),
        to(
            NEW,
            guest("pc-q35-7.2", HDA_OUTPUT),
            Ran,
            OLD,
            guest("pc-q35-7.2", HDA_DUPLEX),
        ),
        to(
            NEW,
            guest("pc-q35-7.2", HDA_DUPLEX),
            Ran,
            OLD,
            guest("pc-q35-7.2", HDA_DUPLEX_NO_TIMER),
        ),
    ]
}

/// Guests suspended in their qcow2 images (`savevm`), resumed with
/// `-loadvm`: across on a machine type both run, onto the other release's
/// own machine type, and with PCI devices and their ROMs.
fn suspended_pairs() -> Vec<Pair> {
    use Release::{V7_2 as OLD, V10_0 as NEW};
    use Run::Suspended;
    let mut pairs = Vec::new();
    for (from, dest) in [(OLD, NEW), (NEW, OLD)] {
        pairs.push(same(from, "pc-i440fx-7.2", BARE, Suspended, dest));
        pairs.push(same(from, "pc-i440fx-7.2", NIC_ROMS, Suspended, dest));
    }
    pairs.push(to(
        OLD,
        guest("pc-i440fx-7.2", BARE),
        Suspended,
        NEW,
        guest("pc-i440fx-10.0", BARE),
    ));
    pairs.push(to(
        NEW,
        guest("pc-i440fx-10.0", BARE),
        Suspended,
        OLD,
        guest("pc-i440fx-7.2", BARE),
    ));
    pairs
}

/// The reference for a guest configuration: its destination started paused
/// and saved at once, as `vmstate reference` does.
fn make_reference(release: Release, guest: Guest, path: &Path) {
    let program = release.program().display().to_string();
    let mut args = vec!["reference", "-o"];
    let path = path.display().to_string();
    args.extend([path.as_str(), "--", &program, "-M", guest.machine]);
    args.extend(COMMON);
    args.extend_from_slice(guest.devices.args);
    let (code, _, stderr) = vmstate(&args);
    assert_eq!(
        code, 0,
        "vmstate reference for {guest:?} on {release:?}: {stderr}"
    );
}

/// The source's stream: a stream file, or for a suspended guest its qcow2
/// image with the snapshot.
fn make_stream(source: Source, path: &Path) {
    let mut args = Vec::new();
    if source.run == Run::Paused {
        args.push("-S");
    }
    args.extend_from_slice(source.guest.devices.args);
    if source.run == Run::Suspended {
        let image = image_of(path).unwrap();
        create_qcow2(&image, "");
        let drive = qcow2_drive(&image);
        let mut args = args.clone();
        args.extend(["-drive", drive.as_str()]);
        let mut qemu = Qemu::start(source.release, source.guest.machine, &args);
        std::thread::sleep(RUN_TIME);
        let said = qemu.human(&format!("savevm {SNAPSHOT}"));
        assert!(!said.contains("rror"), "savevm in {source:?}: {said}");
        qemu.quit();
        return;
    }
    let mut qemu = Qemu::start(source.release, source.guest.machine, &args);
    if source.run == Run::Ran {
        std::thread::sleep(RUN_TIME);
        qemu.human("stop");
    }
    qemu.save(path);
    qemu.quit();
}

/// What `vmstate check` said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// Exit status 0.
    Loads,
    /// Exit status 1, the reasons printed.
    Refuses,
    /// Exit status 2: unreadable input or bad arguments.
    Undecided,
}

/// One run of `vmstate check`.
struct CheckRun {
    /// The verdict its summary line prints, else the one its exit status means.
    verdict: Verdict,
    /// An exit status outside 0 (loads), 1 (refuses), 2 (no verdict), or one
    /// that says otherwise than the summary line.
    status_problem: Option<String>,
    /// One line per reason.
    reasons: Vec<String>,
    stdout: String,
    stderr: String,
}

fn run_check(stream: &Path, dest: Release, reference: Option<&Path>) -> CheckRun {
    let stream = stream.display().to_string();
    let mut args = vec!["check", &stream, dest.dump_name()];
    let reference = reference.map(|r| r.display().to_string());
    if let Some(reference) = &reference {
        args.extend(["--reference", reference]);
    }
    let (code, stdout, stderr) = vmstate(&args);
    let by_status = match code {
        0 => Some(Verdict::Loads),
        1 => Some(Verdict::Refuses),
        2 => Some(Verdict::Undecided),
        _ => None,
    };
    // The summary line ends the output: "N reasons: DEST refuses STREAM".
    let lines: Vec<&str> = stdout.lines().filter(|l| !l.starts_with("note:")).collect();
    let summary = lines.last().and_then(|last| {
        let words: Vec<&str> = last.split_whitespace().collect();
        if words.contains(&"refuses") {
            Some(Verdict::Refuses)
        } else if words.contains(&"loads") {
            Some(Verdict::Loads)
        } else {
            None
        }
    });
    let reasons: Vec<String> = match summary {
        Some(_) => lines[..lines.len() - 1]
            .iter()
            .map(|l| (*l).to_owned())
            .collect(),
        None => Vec::new(),
    };
    // The printed verdict is what a user reads; the exit status must say the
    // same, and a refusal must name its reasons.
    let verdict = summary.or(by_status).unwrap_or(Verdict::Undecided);
    let status_problem = match (by_status, summary) {
        (None, _) => Some(format!("exit status {code} is not 0, 1 or 2")),
        (Some(Verdict::Refuses), None) => Some(format!(
            "exit status 1 (refuses) without a verdict or a reason: {}",
            stderr.trim()
        )),
        (Some(status), Some(printed)) if status != printed => Some(format!(
            "exit status {code} means {status:?}, the summary line says {printed:?}"
        )),
        _ => None,
    };
    CheckRun {
        verdict,
        status_problem,
        reasons,
        stdout,
        stderr,
    }
}

/// What QEMU puts before each of its messages.
const QEMU_PREFIX: &str = "qemu-system-x86_64: ";

/// What the real destination did with the stream.
struct Outcome {
    loaded: bool,
    /// QEMU's error output, without its program-name prefixes.
    message: String,
}

/// The image of `IMAGE@suspended`, or `None` for a stream file.
fn image_of(stream: &Path) -> Option<PathBuf> {
    let text = stream.to_str()?;
    text.strip_suffix(&format!("@{SNAPSHOT}"))
        .map(PathBuf::from)
}

/// Starts `dest` resuming snapshot [`SNAPSHOT`] of a copy of `image` (QEMU
/// changes the image it resumes from).
fn resume(dest: Release, guest: Guest, image: &Path) -> Result<Qemu, String> {
    let copy = image.with_extension(format!("{}.qcow2", COPIES.fetch_add(1, Ordering::Relaxed)));
    std::fs::copy(image, &copy).unwrap();
    let drive = qcow2_drive(&copy);
    let mut args = vec!["-S", "-drive", drive.as_str(), "-loadvm", SNAPSHOT];
    args.extend_from_slice(guest.devices.args);
    Qemu::try_start(dest, guest.machine, &args)
}

/// Copies made by [`resume`], numbered.
static COPIES: AtomicUsize = AtomicUsize::new(0);

fn load(dest: Release, guest: Guest, stream: &Path) -> Outcome {
    let started = match image_of(stream) {
        Some(image) => resume(dest, guest, &image),
        None => Qemu::load(dest, guest.machine, guest.devices.args, stream),
    };
    match started {
        Ok(qemu) => {
            qemu.quit();
            Outcome {
                loaded: true,
                message: String::new(),
            }
        }
        Err(stderr) => Outcome {
            loaded: false,
            // The support module says how it noticed the exit before QEMU's own words.
            message: stderr[stderr.find(QEMU_PREFIX).unwrap_or(0)..]
                .lines()
                .map(|l| l.trim_start_matches(QEMU_PREFIX))
                .filter(|l| !l.trim().is_empty())
                .collect::<Vec<_>>()
                .join("\n"),
        },
    }
}

/// The text between the first `open` after `after` and the next `close`.
fn between<'a>(text: &'a str, after: &str, open: char, close: char) -> Option<&'a str> {
    let rest = &text[text.find(after)? + after.len()..];
    let start = rest.find(open)? + open.len_utf8();
    let len = rest[start..].find(close)?;
    Some(&rest[start..start + len])
}

/// What QEMU's refusal names, as words one reason line of `check` must all
/// contain; `None` for a message this test does not know yet.
fn qemu_key(message: &str) -> Option<Vec<String>> {
    for line in message.lines() {
        if let Some(machine) = between(line, "Machine type received is", '\'', '\'') {
            return Some(vec![machine.to_owned()]);
        }
        // An abort (`file.c:LINE: function: Assertion `...' failed.`): the
        // reason must quote the function and the assertion.
        if let Some((before, assertion)) = line.split_once(": Assertion ") {
            let function = before.rsplit(": ").next()?;
            let assertion = assertion.trim_end_matches('.');
            return Some(vec![function.to_owned(), format!("Assertion {assertion}")]);
        }
        if line.contains("Configuration section missing")
            || line.contains("Unknown savevm section type 7")
        {
            return Some(vec!["configuration section".to_owned()]);
        }
        if let Some(idstr) = between(line, "Unknown savevm section or instance", '\'', '\'') {
            let instance = line.rsplit('\'').next()?.split_whitespace().next()?;
            let instance = instance.trim_end_matches('.');
            return Some(vec![idstr.to_owned(), format!("instance {instance}")]);
        }
        if let Some(rest) = line.split("Missing section footer for ").nth(1) {
            return Some(vec![rest.trim().to_owned()]);
        }
        for prefix in ["Size mismatch: ", "Length mismatch: "] {
            if let Some(rest) = line.split(prefix).nth(1) {
                return Some(vec![rest.split(':').next()?.trim().to_owned()]);
            }
        }
        if let Some(block) = between(line, "Unknown ramblock", '"', '"') {
            return Some(vec![block.to_owned()]);
        }
        if line.contains("device properties (subsys/subsys_ven) differ") {
            let idstr = between(line, "error while loading state for instance", '\'', '\'')?;
            return Some(vec![
                "device properties (subsys/subsys_ven) differ".to_owned(),
                idstr.to_owned(),
            ]);
        }
        if let Some(idstr) = between(line, "error while loading state for instance", '\'', '\'') {
            return Some(vec![idstr.to_owned()]);
        }
        if let Some(idstr) = between(line, "error while loading state section id", '(', ')') {
            return Some(vec![idstr.to_owned()]);
        }
        if let Some(idstr) = between(line, "savevm: unsupported version", '\'', '\'') {
            return Some(vec![idstr.to_owned()]);
        }
        if let Some(rest) = line.split("MIG_CMD ").nth(1) {
            return Some(vec![rest.split_whitespace().next()?.to_owned()]);
        }
        if let Some(rest) = line.split("Bad config data: ").nth(1) {
            return Some(vec![rest.split_whitespace().next()?.to_owned()]);
        }
        if let Some(rest) = line.split("Received unknown capability ").nth(1) {
            return Some(vec![rest.trim().to_owned()]);
        }
    }
    None
}

/// Everything measured for one pair.
struct Row {
    pair: Pair,
    check: CheckRun,
    /// `check` without `--reference`: it may call a stream loadable that
    /// QEMU refuses only for what a dump cannot show.
    check_alone: CheckRun,
    outcome: Outcome,
    /// For a stream QEMU refuses: what `vmstate convert --to DEST --machine
    /// DEST's --reference REF` did, and, when it wrote a stream, what the
    /// real QEMU did with that.
    converted: Option<Converted>,
}

/// `convert` on a refused stream.
struct Converted {
    /// Its refusal (exit status 1), one obstacle a line; empty when it wrote.
    obstacles: Vec<String>,
    /// The real destination loading the converted stream.
    outcome: Option<Outcome>,
}

/// Runs `convert` on a stream the destination refused, and loads what it wrote.
fn convert(pair: &Pair, stream: &Path, reference: &Path, out: &Path) -> Converted {
    let (code, _, stderr) = vmstate(&[
        "convert",
        &stream.display().to_string(),
        "--to",
        pair.dest.dump_name(),
        "--machine",
        pair.guest.machine,
        "--reference",
        &reference.display().to_string(),
        "-o",
        &out.display().to_string(),
    ]);
    let obstacles: Vec<String> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("vmstate: cannot convert: "))
        .map(str::to_owned)
        .collect();
    match code {
        0 => Converted {
            obstacles: Vec::new(),
            outcome: Some(load(pair.dest, pair.guest, out)),
        },
        _ => Converted {
            obstacles: if obstacles.is_empty() {
                vec![format!("exit {code}: {}", stderr.trim())]
            } else {
                obstacles
            },
            outcome: None,
        },
    }
}

/// Whether QEMU refused for what only a stream of the destination's own
/// guest shows (docs/cross-version.md): its RAM blocks, its PCI devices as
/// compat properties built them, its section instances, its machine type
/// where the release runs the stream's too.
fn needs_reference(message: &str) -> bool {
    [
        "Size mismatch",
        "Unknown ramblock",
        "Bad config data",
        "Unknown savevm section or instance",
        "Machine type received",
        // Which machine type DEST runs, where a stream has no configuration
        // section to name it and the release runs some that expect one.
        "Configuration section missing",
        "Unknown savevm section type 7",
        // virtio-serial's hand-written state, which no dump describes: its
        // ports are the destination's own device's.
        "Failed to load virtio-console:virtio",
        // The HPET's number of timers, a property of DEST's device.
        "hpet/num_timers must match",
        // e1000e's subsystem ids, properties of DEST's device.
        "device properties (subsys/subsys_ven) differ",
        // The TSC frequency DEST's user set (`-cpu ...,tsc-frequency=`).
        "Mismatch between user-specified TSC frequency",
        // A pointer of DEST's device left NULL where its configuration has
        // no such part (an HDA codec stream's timer): QEMU aborts.
        "Assertion `first_elem || !n_elems || !size' failed",
    ]
    .iter()
    .any(|class| message.contains(class))
        || message.lines().any(is_equal_mismatch)
}

/// A reason of `check --reference` for a layout that DEST's device
/// configuration decides (an array whose length is not on the wire): QEMU
/// says only "Missing section footer", and only the reference shows it.
fn configured_layout(reason: &str) -> bool {
    // xHCI's ports (the count is not on the wire), virtio-serial's map of
    // active ports (the count on the wire is not used): DEST reads as many
    // as its own device has.
    reason.contains("(the count is not on the wire)")
        || reason.contains("(the count on the wire is not used)")
}

/// QEMU's message for a `VMSTATE_*_EQUAL` field that differs from its own
/// value: "3 != 1" (its own first, in hex).
fn is_equal_mismatch(line: &str) -> bool {
    let text = line.rsplit(": ").next().unwrap_or(line).trim();
    text.split_once(" != ").is_some_and(|(a, b)| {
        [a, b]
            .iter()
            .all(|v| !v.is_empty() && v.bytes().all(|c| c.is_ascii_hexdigit()))
    })
}

/// Pairs where QEMU loads a stream into other fields than wrote them, which
/// `check` refuses: 10.0's `esp` ends with `lun`, `drq_state` where 7.2's has
/// `ti_cmd`, `lun` behind tests of `esp.mig_version_id`, so 7.2 takes 10.0's
/// `lun` for `ti_cmd` and `drq_state` for `lun`. Loading garbles the
/// adapter's state; a test that a dump does not show decides it.
fn loads_into_other_fields(pair: &Pair, reasons: &[String]) -> bool {
    pair.guest.devices == AM53C974
        && pair.source.release == Release::V10_0
        && pair.dest == Release::V7_2
        && reasons.len() == 1
        && reasons[0].contains("field `esp.drq_state`")
}

impl Row {
    /// A stream QEMU loads into other fields than wrote them, which `check`
    /// refuses ([`loads_into_other_fields`]).
    fn by_design(&self) -> bool {
        self.check.verdict == Verdict::Refuses
            && self.outcome.loaded
            && loads_into_other_fields(&self.pair, &self.check.reasons)
    }

    /// Why this row fails, if it does.
    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        let predicted = self.check.verdict;
        if let Some(converted) = &self.converted
            && let Some(outcome) = &converted.outcome
            && !outcome.loaded
        {
            out.push(format!(
                "convert wrote a stream QEMU refuses: {}",
                outcome.message
            ));
        }
        match (self.check_alone.verdict, self.outcome.loaded) {
            (Verdict::Loads, false)
                if !needs_reference(&self.outcome.message)
                    && !self.check.reasons.iter().any(|r| configured_layout(r)) =>
            {
                out.push(format!(
                    "without --reference check says loads, and QEMU's refusal is one a dump \
                     shows: {}",
                    self.outcome.message
                ));
            }
            (Verdict::Refuses, true)
                if !loads_into_other_fields(&self.pair, &self.check_alone.reasons) =>
            {
                out.push("without --reference check refuses what QEMU loads".to_owned());
            }
            (Verdict::Undecided, _) => out.push(format!(
                "without --reference check gives no verdict: {}",
                self.check_alone.stderr.trim()
            )),
            _ => {}
        }
        if self.by_design() {
            return out;
        }
        match (predicted, self.outcome.loaded) {
            (Verdict::Loads, true) | (Verdict::Refuses, false) => {}
            (verdict, loaded) => out.push(format!(
                "check says {verdict:?}, QEMU {}",
                if loaded { "loads" } else { "refuses" }
            )),
        }
        if self.outcome.loaded && !self.check.reasons.is_empty() {
            out.push("QEMU loads it, yet check prints reasons".to_owned());
        }
        if let Some(problem) = &self.check.status_problem {
            out.push(problem.clone());
        }
        if !self.outcome.loaded && predicted == Verdict::Refuses {
            match qemu_key(&self.outcome.message) {
                None => out.push("QEMU's message names nothing this test knows".to_owned()),
                Some(key) => {
                    let named = self
                        .check
                        .reasons
                        .iter()
                        .any(|reason| key.iter().all(|word| reason.contains(word.as_str())));
                    if !named {
                        out.push(format!(
                            "no reason of check's names {key:?}, which QEMU's message names"
                        ));
                    }
                }
            }
        }
        out
    }
}

fn release_name(release: Release) -> &'static str {
    match release {
        Release::V7_2 => "7.2",
        Release::V10_0 => "10.0",
    }
}

fn describe_guest(guest: Guest) -> String {
    if guest.devices.name.is_empty() {
        format!("`{}`", guest.machine)
    } else {
        format!("`{}` + {}", guest.machine, guest.devices.name)
    }
}

fn describe_source(source: Source) -> String {
    format!(
        "{} {}, {}",
        release_name(source.release),
        describe_guest(source.guest),
        match source.run {
            Run::Paused => "paused",
            Run::Ran => "ran",
            Run::Suspended => "ran, `savevm` into its qcow2 image",
        }
    )
}

fn describe_dest(pair: &Pair) -> String {
    format!("{} {}", release_name(pair.dest), describe_guest(pair.guest))
}

/// A markdown table cell: one line, no column separators.
fn cell(text: &str) -> String {
    text.lines()
        .collect::<Vec<_>>()
        .join("<br>")
        .replace('|', "\\|")
}

fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| # | stream | loaded by | `vmstate check` | real QEMU | agree | without `--reference` | \
         `vmstate convert` |\n|---|---|---|---|---|---|---|---|\n",
    );
    for (i, row) in rows.iter().enumerate() {
        let verdict = match row.check.verdict {
            Verdict::Loads => "loads".to_owned(),
            Verdict::Refuses if row.check.reasons.is_empty() => {
                format!("refuses, no reason printed: {}", row.check.stderr.trim())
            }
            Verdict::Refuses => format!("refuses: {}", row.check.reasons.join("\n")),
            Verdict::Undecided => format!("no verdict: {}", row.check.stderr.trim()),
        };
        // QEMU's words verbatim: one code span per line, since a table cell
        // holds no line breaks and a code span no `<br>`.
        let real = if row.outcome.loaded {
            "loads".to_owned()
        } else {
            let quoted: Vec<String> = row
                .outcome
                .message
                .lines()
                .map(|l| format!("`{l}`"))
                .collect();
            format!("refuses: {}", quoted.join("\n"))
        };
        let problems = row.problems();
        let converted = match &row.converted {
            None => String::new(),
            Some(Converted {
                outcome: Some(outcome),
                ..
            }) if outcome.loaded => "wrote a stream QEMU loads".to_owned(),
            Some(Converted {
                outcome: Some(outcome),
                ..
            }) => format!("wrote a stream QEMU refuses: `{}`", outcome.message),
            Some(Converted { obstacles, .. }) => format!("refuses: {}", obstacles.join("\n")),
        };
        let alone = match row.check_alone.verdict {
            Verdict::Loads => "loads",
            Verdict::Refuses => "refuses",
            Verdict::Undecided => "no verdict",
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            i + 1,
            describe_source(row.pair.source),
            describe_dest(&row.pair),
            cell(&verdict),
            cell(&real),
            if row.by_design() {
                "refused by design: QEMU loads the bytes into other fields".to_owned()
            } else if problems.is_empty() {
                "yes".to_owned()
            } else {
                cell(&format!("**no**: {}", problems.join("; ")))
            },
            alone,
            cell(&converted),
        );
    }
    out
}

/// Runs `job(i)` for every `i < count` on `WORKERS` threads.
fn in_parallel(count: usize, job: impl Fn(usize) + Sync) {
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    job(i);
                }
            });
        }
    });
}

/// `vmstate check` predicts, for every pair, what the real destination QEMU
/// does with the stream, and names what QEMU names when it refuses.
#[test]
fn check_agrees_with_real_qemu_on_every_pair() {
    let started = Instant::now();
    let dir = scratch("verdict-matrix");
    // `VMSTATE_MATRIX_ONLY=TEXT` runs the pairs whose source or destination
    // names TEXT (while working on one case; the full matrix is the test).
    let only = std::env::var("VMSTATE_MATRIX_ONLY").ok();
    let pairs: Vec<Pair> = matrix()
        .into_iter()
        .filter(|pair| {
            only.as_deref().is_none_or(|text| {
                describe_source(pair.source).contains(text) || describe_dest(pair).contains(text)
            })
        })
        .collect();

    // Each stream and each reference is made once, for every pair that uses it.
    let mut sources: Vec<Source> = Vec::new();
    let mut references: Vec<(Release, Guest)> = Vec::new();
    for pair in &pairs {
        if !sources.contains(&pair.source) {
            sources.push(pair.source);
        }
        if !references.contains(&(pair.dest, pair.guest)) {
            references.push((pair.dest, pair.guest));
        }
    }
    let stream_path = |source: &Source| -> PathBuf {
        let i = sources.iter().position(|s| s == source).unwrap();
        if source.run == Run::Suspended {
            dir.join(format!("guest-{i}.qcow2@{SNAPSHOT}"))
        } else {
            dir.join(format!("stream-{i}.mig"))
        }
    };
    let reference_path = |release: Release, guest: Guest| -> PathBuf {
        let i = references
            .iter()
            .position(|r| *r == (release, guest))
            .unwrap();
        dir.join(format!("reference-{i}.mig"))
    };
    in_parallel(sources.len() + references.len(), |i| {
        if let Some(source) = sources.get(i) {
            make_stream(*source, &stream_path(source));
        } else {
            let (release, guest) = references[i - sources.len()];
            make_reference(release, guest, &reference_path(release, guest));
        }
    });

    let rows: Mutex<HashMap<usize, Row>> = Mutex::new(HashMap::new());
    in_parallel(pairs.len(), |i| {
        let pair = pairs[i];
        let stream = stream_path(&pair.source);
        let reference = reference_path(pair.dest, pair.guest);
        let check = run_check(&stream, pair.dest, Some(&reference));
        let check_alone = run_check(&stream, pair.dest, None);
        let outcome = load(pair.dest, pair.guest, &stream);
        let converted = (!outcome.loaded).then(|| {
            // A suspended guest is converted into a new image, a copy of
            // its own with the new state.
            let out = if pair.source.run == Run::Suspended {
                dir.join(format!("converted-{i}.qcow2@{SNAPSHOT}"))
            } else {
                dir.join(format!("converted-{i}.mig"))
            };
            convert(&pair, &stream, &reference, &out)
        });
        rows.lock().unwrap().insert(
            i,
            Row {
                pair,
                check,
                check_alone,
                outcome,
                converted,
            },
        );
    });
    let mut rows = rows.into_inner().unwrap();
    let rows: Vec<Row> = (0..pairs.len()).map(|i| rows.remove(&i).unwrap()).collect();

    let elapsed = started.elapsed();
    if let Ok(path) = std::env::var("VMSTATE_MATRIX_REPORT") {
        write_report(&path, &rows, elapsed);
    }
    let failures = failures(&rows);
    eprintln!("{} pairs in {elapsed:.1?}", rows.len());
    assert!(
        failures.is_empty(),
        "check and real QEMU disagree (streams and references kept in {}):\n\n{failures}",
        dir.display()
    );
    if only.is_none() {
        assert!(rows.len() >= 40, "the matrix has {} pairs", rows.len());
    }
    std::fs::remove_dir_all(&dir).ok();
}

/// Writes every pair as a markdown document (docs/verdict-matrix.md is one).
fn write_report(path: &str, rows: &[Row], elapsed: Duration) {
    let report = format!(
        "# `vmstate check` against real QEMU, pair by pair\n\n\
         Generated by `VMSTATE_MATRIX_REPORT=docs/verdict-matrix.md cargo test -p vmstate-cli \
         --test verdict_matrix` (`vmstate-cli/tests/verdict_matrix.rs`); do not edit by hand.\n\n\
         Each row: a stream that the named QEMU wrote at test time (\"paused\": started with \
         `-S`; \"ran\": SeaBIOS ran for {} s, then `stop`; \"`savevm` into its qcow2 image\": \
         SeaBIOS ran, then `savevm suspended` stored the stream in the guest's own image, \
         checked as `IMAGE@suspended` and resumed with `-loadvm suspended`, and converted \
         into a copy of the image), the QEMU that loaded it with \
         `-incoming` and the guest configuration it was started with, the verdict of \
         `vmstate check STREAM DEST --reference REF` (REF: `vmstate reference` on that \
         destination with the same configuration), and what the real QEMU did. A refusal \
         agrees only when one of check's reasons names what QEMU's message names. For a \
         stream QEMU refused, the last column is what `vmstate convert --to DEST --machine \
         M --reference REF` did, and what the real QEMU did with the stream it wrote.\n\n\
         {}\n{} pairs: {} agree, {} refused by design; measured in {:.0} s.\n",
        RUN_TIME.as_secs(),
        table(rows),
        rows.len(),
        rows.iter()
            .filter(|r| r.problems().is_empty() && !r.by_design())
            .count(),
        rows.iter().filter(|r| r.by_design()).count(),
        elapsed.as_secs_f64()
    );
    std::fs::write(path, report).unwrap_or_else(|e| panic!("cannot write {path}: {e}"));
}

/// One paragraph per pair where check and QEMU disagree.
fn failures(rows: &[Row]) -> String {
    let mut failures = String::new();
    for (i, row) in rows.iter().enumerate() {
        let problems = row.problems();
        if problems.is_empty() {
            continue;
        }
        let _ = writeln!(
            failures,
            "#{} {} -> {}:\n  {}\n  check (stdout):\n    {}\n  check (stderr): {}\n  QEMU: {}\n",
            i + 1,
            describe_source(row.pair.source),
            describe_dest(&row.pair),
            problems.join("\n  "),
            row.check.stdout.trim_end().replace('\n', "\n    "),
            row.check.stderr.trim(),
            if row.outcome.loaded {
                "loaded".to_owned()
            } else {
                row.outcome.message.replace('\n', "\n    ")
            },
        );
    }
    failures
}

/// A boot sector that sets HWCR.TscFreqSel (bit 24 of AMD's MSR 0xc0010015,
/// which KVM lets a guest write) and halts: `cli; mov ecx, 0xc0010015;
/// rdmsr; or eax, 0x01000000; wrmsr; 1: hlt; jmp 1b`.
const HWCR_BOOT_SECTOR: &[u8] = &[
    0xfa, 0x66, 0xb9, 0x15, 0x00, 0x01, 0xc0, 0x0f, 0x32, 0x66, 0x0d, 0x00, 0x00, 0x00, 0x01, 0x0f,
    0x30, 0xf4, 0xeb, 0xfd,
];

/// Where the boot sector's `hlt` loop sits once SeaBIOS ran it.
const HWCR_HALTED: &str = "EIP=00007c12";

/// A subsection of a section QEMU's dump does not describe (`cpu`), which the
/// destination release does not know: QEMU 10.0 sends `cpu/msr_hwcr` for a
/// KVM guest once the guest set a bit of HWCR, QEMU 7.2 refuses it ("error
/// while loading state for instance 0x0 of device 'cpu'"), and neither the
/// dump nor 7.2's reference (which had no need to send it) shows it. Found by
/// probing KVM guests; `check` said "loads" and `convert` wrote a stream 7.2
/// refused. Needs `/dev/kvm` (and a host KVM that migrates HWCR, Linux 6.6
/// on): skipped, saying so, where there is none.
#[test]
fn a_cpu_subsection_newer_than_dest_is_refused() {
    if !kvm_usable() {
        eprintln!("skipped: no usable /dev/kvm");
        return;
    }
    let dir = scratch("matrix-hwcr");
    let image = dir.join("boot.img");
    let mut sector = vec![0u8; 1 << 20];
    sector[..HWCR_BOOT_SECTOR.len()].copy_from_slice(HWCR_BOOT_SECTOR);
    sector[510..512].copy_from_slice(&[0x55, 0xaa]);
    std::fs::write(&image, &sector).unwrap();
    let drive = format!("file={},format=raw,if=ide,snapshot=on", image.display());
    let devices = ["-drive", drive.as_str()];
    let machine = "pc-i440fx-7.2";
    let stream = dir.join("hwcr.mig");
    let mut qemu = Qemu::start_with(Release::V10_0, &COMMON_KVM, machine, &devices);
    let deadline = Instant::now() + Duration::from_mins(1);
    while !qemu.human("info registers").contains(HWCR_HALTED) {
        assert!(Instant::now() < deadline, "the boot sector did not run");
        std::thread::sleep(Duration::from_millis(200));
    }
    qemu.human("stop");
    qemu.save(&stream);
    qemu.quit();
    let bytes = std::fs::read(&stream).unwrap();
    if !bytes.windows(12).any(|w| w == b"cpu/msr_hwcr") {
        eprintln!("skipped: this host's KVM does not migrate HWCR");
        return;
    }
    let reference = dir.join("ref-7.2.mig");
    let program = Release::V7_2.program().display().to_string();
    let reference_arg = reference.display().to_string();
    let mut args = vec![
        "reference",
        "-o",
        &reference_arg,
        "--",
        &program,
        "-M",
        machine,
    ];
    args.extend(COMMON_KVM);
    args.extend(devices);
    let (code, _, stderr) = vmstate(&args);
    assert_eq!(code, 0, "vmstate reference: {stderr}");

    let refused = match Qemu::load_with(
        Release::V7_2,
        Arch::X86_64,
        &COMMON_KVM,
        machine,
        &devices,
        &stream,
    ) {
        Ok(qemu) => {
            qemu.quit();
            panic!("QEMU 7.2 loaded a stream with cpu/msr_hwcr");
        }
        Err(stderr) => stderr,
    };
    assert!(
        refused.contains("error while loading state for instance 0x0 of device 'cpu'"),
        "{refused}"
    );
    for reference in [Some(reference.as_path()), None] {
        let check = run_check(&stream, Release::V7_2, reference);
        assert_eq!(check.verdict, Verdict::Refuses, "{}", check.stdout);
        assert!(
            check.reasons.iter().any(|r| r.contains("`cpu/msr_hwcr`")
                && r.contains("instance 0x0 of device 'cpu'")),
            "{}",
            check.stdout
        );
    }
    let out = dir.join("converted.mig");
    let (code, _, stderr) = vmstate(&[
        "convert",
        &stream.display().to_string(),
        "--to",
        "qemu-7.2",
        "--reference",
        &reference_arg,
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(code, 1, "convert: {stderr}");
    assert!(
        stderr.contains("`cpu/msr_hwcr`") && !out.exists(),
        "{stderr}"
    );
    // The release that sent it knows it: no false refusal there.
    let check = run_check(&stream, Release::V10_0, None);
    assert_eq!(check.verdict, Verdict::Loads, "{}", check.stdout);
}

/// A stream of `source`; the same stream renamed to `dest`'s machine type
/// by an edit of the configuration section (the names must be of one
/// length), so that QEMU itself shows what it does with the renamed
/// stream; and `release`'s reference for `dest`. In that order, in `dir`.
fn renamed_by_hand(
    dir: &Path,
    source: Source,
    release: Release,
    dest: Guest,
) -> (PathBuf, PathBuf, PathBuf) {
    let (from, to) = (source.guest.machine, dest.machine);
    let stream = dir.join("stream.mig");
    let reference = dir.join("reference.mig");
    make_stream(source, &stream);
    make_reference(release, dest, &reference);
    let bytes = std::fs::read(&stream).unwrap();
    let renamed = dir.join("renamed.mig");
    std::fs::write(&renamed, support::renamed_by_hand(&bytes, from, to)).unwrap();
    (stream, renamed, reference)
}

/// A machine type renamed to one whose compat properties give a legacy
/// virtio device a larger I/O BAR (virtio-balloon: 32 bytes on
/// `pc-i440fx-4.2`, 64 on 5.2) than the address the guest's firmware gave
/// it is aligned to: QEMU 7.2 refuses the stream ("Bad config data:
/// i=0x10"), and `check --reference` names that byte. Found by probing: a
/// paused reference's BARs are unprogrammed, so the BAR's size is read from
/// the devices' configuration length in each stream's `virtio` blob. The
/// rename here is a same-length edit of the configuration section, so that
/// QEMU itself shows what it does with the renamed stream.
#[test]
fn a_legacy_virtio_bar_that_grew_with_the_machine_type_is_refused() {
    let dir = scratch("virtio-bar");
    let source = Source {
        release: Release::V10_0,
        guest: guest("pc-i440fx-4.2", RNG_THEN_BALLOON),
        run: Run::Ran,
    };
    let dest = guest("pc-i440fx-5.2", RNG_THEN_BALLOON);
    let (stream, renamed, reference) = renamed_by_hand(&dir, source, Release::V7_2, dest);

    let outcome = load(Release::V7_2, dest, &renamed);
    assert!(!outcome.loaded, "QEMU 7.2 loaded the renamed stream");
    assert!(
        outcome.message.contains("Bad config data: i=0x10 "),
        "{}",
        outcome.message
    );
    let check = run_check(&renamed, Release::V7_2, Some(&reference));
    assert_eq!(check.verdict, Verdict::Refuses, "{}", check.stdout);
    assert!(
        check
            .reasons
            .iter()
            .any(|r| r.contains("`0000:00:04.0/virtio-balloon`")
                && r.contains("byte 0x10 (BAR 0")
                && r.contains("\"Bad config data: i=0x10 read: 21 device: 1\"")),
        "{}",
        check.stdout
    );
    // The same guest's own machine type loads: no false refusal.
    let check = run_check(&stream, Release::V7_2, None);
    assert_eq!(check.verdict, Verdict::Loads, "{}", check.stdout);
    std::fs::remove_dir_all(&dir).ok();
}

/// A stream renamed to a machine type whose compat property gives a modern
/// virtio device a larger memory BAR (`page-per-vq=on` up to
/// `pc-i440fx-2.7`: BAR 4 is 8 MiB, 16 KiB from 2.8) than the address the
/// firmware gave it is aligned to: QEMU 7.2 compares the BAR's bits below
/// DEST's size and names that byte ("Bad config data: i=0x21") before the
/// capability that says why (the notification multiplier, 0x7d), and `check
/// --reference` must name the same byte. Found by probing: `check` named
/// 0x7d. DEST's size comes from its device's own virtio capabilities.
#[test]
fn a_modern_virtio_bar_that_grew_with_the_machine_type_is_named() {
    let dir = scratch("virtio-modern-bar");
    let source = Source {
        release: Release::V7_2,
        guest: guest("pc-i440fx-2.8", RNG_AND_BALLOON),
        run: Run::Ran,
    };
    let dest = guest("pc-i440fx-2.7", RNG_AND_BALLOON);
    let (stream, renamed, reference) = renamed_by_hand(&dir, source, Release::V7_2, dest);

    let outcome = load(Release::V7_2, dest, &renamed);
    assert!(!outcome.loaded, "QEMU 7.2 loaded the renamed stream");
    let named = between(&outcome.message, "Bad config data: ", 'i', ' ')
        .map(|offset| format!("i{offset}"))
        .expect("QEMU refuses a PCI configuration byte");
    assert_eq!(named, "i=0x21", "{}", outcome.message);
    let check = run_check(&renamed, Release::V7_2, Some(&reference));
    assert_eq!(check.verdict, Verdict::Refuses, "{}", check.stdout);
    assert!(
        check
            .reasons
            .iter()
            .any(|r| r.contains("byte 0x21 (BAR 4")
                && r.contains("\"Bad config data: i=0x21 read: ")),
        "{}",
        check.stdout
    );
    // The guest's own machine type loads: no false refusal.
    let own = dir.join("own.mig");
    make_reference(Release::V7_2, source.guest, &own);
    let check = run_check(&stream, Release::V7_2, Some(&own));
    assert_eq!(check.verdict, Verdict::Loads, "{}", check.stdout);
    std::fs::remove_dir_all(&dir).ok();
}

/// A 10.0 `pc-q35-8.2` guest with `ramfb` sends `ramfb-dev` (its
/// `migrate_needed`: `x-migrate`, off on 8.1 and older); renamed
/// `pc-q35-8.1`, QEMU 10.0 loads it, since the section is registered
/// whatever the property says, while its paused 8.1 reference has none.
/// `check --reference` called that a device the guest lacks, and `convert`
/// refused; QEMU 7.2, which has no `ramfb-dev` at all, still refuses.
/// Found by probing. The rename is a same-length edit of the
/// configuration section.
#[test]
fn a_section_sent_when_needed_by_a_newer_release_loads_renamed() {
    let dir = scratch("ramfb-dev");
    let source = Source {
        release: Release::V10_0,
        guest: guest("pc-q35-8.2", RAMFB),
        run: Run::Ran,
    };
    let dest = guest("pc-q35-8.1", RAMFB);
    let (_, renamed, reference) = renamed_by_hand(&dir, source, Release::V10_0, dest);

    let outcome = load(Release::V10_0, dest, &renamed);
    assert!(outcome.loaded, "QEMU 10.0 refused: {}", outcome.message);
    let check = run_check(&renamed, Release::V10_0, Some(&reference));
    assert_eq!(check.verdict, Verdict::Loads, "{}", check.stdout);
    std::fs::remove_dir_all(&dir).ok();
}

/// A boot sector that switches the PIIX4 power management function's CPU
/// hotplug to its modern interface, as a guest's ACPI tables do at boot (a
/// 0 written at the start of the legacy CPU bitmap, port 0xaf00), and
/// halts: `cli; mov dx, 0xaf00; mov al, 0; out dx, al; 1: hlt; jmp 1b`.
const CPUHP_BOOT_SECTOR: &[u8] = &[0xfa, 0xba, 0x00, 0xaf, 0xb0, 0x00, 0xee, 0xf4, 0xeb, 0xfd];

/// Where that boot sector's `hlt` loop sits once SeaBIOS ran it.
const CPUHP_HALTED: &str = "EIP=00007c08";

/// A guest that ran `CPUHP_BOOT_SECTOR`, then stopped, saved to `stream`.
fn save_after_cpuhp_switch(release: Release, machine: &str, devices: &[&str], stream: &Path) {
    let mut qemu = Qemu::start(release, machine, devices);
    let deadline = Instant::now() + Duration::from_mins(1);
    while !qemu.human("info registers").contains(CPUHP_HALTED) {
        assert!(Instant::now() < deadline, "the boot sector did not run");
        std::thread::sleep(Duration::from_millis(200));
    }
    qemu.human("stop");
    qemu.save(stream);
    qemu.quit();
}

/// The CPU hotplug state has one element per possible CPU (`maxcpus`), a
/// count not on the wire, sent once the guest switched to the modern
/// interface: a 7.2 guest with `-smp 1,maxcpus=2` is refused by 10.0 with
/// `-smp 1` ("Missing section footer for `0000:00:01.3/piix4_pm`"). A
/// reference that DEST's guest saved after the same switch shows DEST's
/// count; a paused reference (`vmstate reference`) does not have the state,
/// and its ACPI tables (their MADT) show how many CPUs are possible. `check`
/// refuses with either, naming the array. Found by probing; `check
/// --reference` said "loads" with either.
#[test]
fn cpu_hotplug_slots_are_compared_where_the_reference_shows_them() {
    let dir = scratch("matrix-cpuhp");
    let image = dir.join("boot.img");
    let mut sector = vec![0u8; 1 << 20];
    sector[..CPUHP_BOOT_SECTOR.len()].copy_from_slice(CPUHP_BOOT_SECTOR);
    sector[510..512].copy_from_slice(&[0x55, 0xaa]);
    std::fs::write(&image, &sector).unwrap();
    let drive = format!("file={},format=raw,if=ide,snapshot=on", image.display());
    let machine = "pc-i440fx-7.2";
    let source = ["-drive", drive.as_str(), "-smp", "1,maxcpus=2"];
    let dest = ["-drive", drive.as_str(), "-smp", "1"];
    let stream = dir.join("cpuhp.mig");
    save_after_cpuhp_switch(Release::V7_2, machine, &source, &stream);
    let ran = dir.join("ref-ran.mig");
    save_after_cpuhp_switch(Release::V10_0, machine, &dest, &ran);
    let paused = dir.join("ref-paused.mig");
    let program = Release::V10_0.program().display().to_string();
    let paused_arg = paused.display().to_string();
    let mut args = vec![
        "reference",
        "-o",
        &paused_arg,
        "--",
        &program,
        "-M",
        machine,
    ];
    args.extend(COMMON);
    args.extend(dest);
    let (code, _, stderr) = vmstate(&args);
    assert_eq!(code, 0, "vmstate reference: {stderr}");

    let refused = match Qemu::load(Release::V10_0, machine, &dest, &stream) {
        Ok(qemu) => {
            qemu.quit();
            panic!("QEMU 10.0 loaded a stream with another number of possible CPUs");
        }
        Err(stderr) => stderr,
    };
    assert!(
        refused.contains("Missing section footer for 0000:00:01.3/piix4_pm"),
        "{refused}"
    );
    // DEST's own count: where its guest sent the state, and from the ACPI
    // tables of a paused reference, which has none (their MADT lists every
    // possible CPU).
    for reference in [&ran, &paused] {
        let check = run_check(&stream, Release::V10_0, Some(reference));
        assert_eq!(check.verdict, Verdict::Refuses, "{}", check.stdout);
        assert!(
            check
                .reasons
                .iter()
                .any(|r| r.contains("0000:00:01.3/piix4_pm")
                    && r.contains(
                        "`piix4_pm/cpuhp.cpuhp_state.devs`: the stream has 2 elements, DEST reads 1"
                    )),
            "{}",
            check.stdout
        );
    }
    std::fs::remove_dir_all(&dir).ok();
}
