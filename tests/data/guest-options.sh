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
USB_HDA=(-device qemu-xhci -device usb-tablet
         -audiodev none,id=a0 -device intel-hda -device hda-duplex,audiodev=a0)
