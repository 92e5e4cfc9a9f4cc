# The QEMU options the fixture scripts of both releases share: one guest configuration per
# name, so that a stream of one release can be loaded by the other with the same options
# (vmstate-cli/tests/support/mod.rs repeats the device lists for the tests that load them).
# shellcheck shell=bash
# shellcheck disable=SC2034 # used by the scripts that source this file

COMMON=(-nodefaults -m 16 -display none -accel tcg
        -rtc base=2020-01-01T00:00:00,clock=vm -monitor stdio)
E1000_SERIAL=(-device e1000,romfile=,netdev=n0 -netdev user,id=n0
              -device isa-serial,chardev=c0 -chardev null,id=c0)
VIRTIO=(-device virtio-net-pci,romfile=,netdev=n0 -netdev user,id=n0
        -blockdev driver=null-co,node-name=d0,size=1048576 -device virtio-blk-pci,drive=d0
        -device virtio-balloon-pci -device virtio-rng-pci
        -device virtio-serial-pci -device virtconsole,chardev=c0 -chardev null,id=c0)
# Devices users put on old machine types (pc-i440fx-2.x, pc-q35-2.4): the PCI NICs, the
# watchdog, the AC97 sound card and a UHCI controller with a tablet. The rtl8139 has no
# backend: a second `-netdev user` gets `slirp` instance 1 on QEMU 10.0, which 7.2 refuses
# (it numbers every `slirp` section 0), and these streams are meant to load on both.
OLD_DEVICES=(-device e1000,romfile=,netdev=n0 -netdev user,id=n0
             -device rtl8139,romfile=
             -device i6300esb -audiodev none,id=a0 -device AC97,audiodev=a0
             -device piix3-usb-uhci -device usb-tablet)
USB_HDA=(-device qemu-xhci -device usb-tablet
         -audiodev none,id=a0 -device intel-hda -device hda-duplex,audiodev=a0)
# Devices that use the rarer parts of QEMU's VMState vocabulary (tests/data/vocabulary.md says
# which field uses which macro): virtio-iommu (GTREE, QLIST, MIG_PRI_IOMMU), virtio-mem (BITMAP;
# it needs a maxmem above the boot RAM and a memory backend of its own), VGA (PARTIAL_BUFFER),
# a PCIe root port (MIG_PRI_PCI_BUS); every PCI device carries INT32_POSITIVE_LE and the hpet
# and RTC carry TIMERs. q35 only (the root port is PCIe).
VOCAB=(-m 16M,maxmem=528M -device virtio-iommu-pci -device pcie-root-port,id=rp0,chassis=1
       -object memory-backend-ram,id=vm0,size=128M
       -device virtio-mem-pci,memdev=vm0,block-size=2M,requested-size=4M
       -device VGA,vgamem_mb=1)
# What the fixture scripts' `vocab` mode asks the virtio-iommu (PCI slot 1) over qtest once
# SeaBIOS has run (qtest-driver.sh): domain 1 gets the root port (00:02.0, endpoint 0x10) and
# VGA (00:04.0, 0x20), domain 2 virtio-mem (00:03.0, 0x18), and domain 1 two mappings
# (read-write and read-only): a tree of two domains, a two-element list and a tree of two
# interval keys.
VOCAB_IOMMU_REQUESTS=(1 "attach 1 0x20" "attach 1 0x10" "attach 2 0x18"
                      "map 1 0x1000000 0x1ffffff 0x300000 3"
                      "map 1 0x4000000 0x4000fff 0x400000 1")
# The virtio-mem blocks (PCI slot 3) the `vocab` mode plugs: the first and the last of the
# region's 64, set bits at both ends of the bitmap's one word (4 MiB, the requested size).
VOCAB_MEM_PLUG=(3 0 63)
# QEMU 10.0 only: the UEFI variable store (QTAILQ of variables, preset with the default ones).
VOCAB_10=(-device uefi-vars-x64)
