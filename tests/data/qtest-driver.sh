# The qtest driver that the fixture scripts share: QEMU's qtest protocol on a pipe chardev
# ($TMP/qt.in is what QEMU reads, $TMP/qt.out what it writes) runs beside TCG, so a script can
# do the guest's port and memory accesses without guest code. Source it after hmp-driver.sh.
# shellcheck shell=bash

QTEST=(-qtest "pipe:$TMP/qt")

qtest_open() {
  rm -f "$TMP/qt.in" "$TMP/qt.out"; mkfifo "$TMP/qt.in" "$TMP/qt.out"
}

# qtest CMD: send one command, fail unless QEMU answers OK; the answer's value (for reads) is
# left in QT_VALUE
qtest() {
  local reply
  exec 4>"$TMP/qt.in" 5<"$TMP/qt.out"
  printf '%s\n' "$1" >&4
  if ! IFS= read -r -t "$TIMEOUT" reply <&5 || [[ "$reply" != OK* ]]; then
    echo "error: qtest \`$1' answered: ${reply:-nothing}" >&2; exit 1
  fi
  exec 4>&- 5<&-
  QT_VALUE="${reply#OK}"; QT_VALUE="${QT_VALUE# }"
}

# --- PCI configuration space through ports 0xcf8/0xcfc (bus 0) ------------------------------
pci_addr() { printf '0x%x' $(( 0x80000000 | ($1 << 11) | ($2 & 0xfc) )); } # slot, register
pci_read32() { qtest "outl 0xcf8 $(pci_addr "$1" "$2")"; qtest "inl 0xcfc"; echo $((QT_VALUE)); }
pci_read8() { local v; v=$(pci_read32 "$1" "$2"); echo $(( (v >> (($2 & 3) * 8)) & 0xff )); }
pci_write16() { qtest "outl 0xcf8 $(pci_addr "$1" "$2")"; qtest "outw 0xcfc $3"; }

# --- a minimal modern virtio-pci driver: one request queue, one request at a time -----------
# virtio_start SLOT RING FEATURES: the device at PCI slot SLOT of bus 0 (BARs as SeaBIOS
# assigned them) is reset and driven to DRIVER_OK with VERSION_1 and the low feature bits
# FEATURES that it offers, its queue 0 set up with 8 entries in guest RAM at RING (descriptors;
# the avail ring at RING+0x1000, the used ring at +0x2000, the request at +0x3000, the
# response at +0x3800). Sets VIO_DEVICE (the device configuration's address) for the caller.
virtio_start() {
  local slot="$1" ring="$2" want="$3"
  # Memory decoding and bus mastering (the device reads its queue by DMA).
  pci_write16 "$slot" 0x04 0x0006
  local ptr cfg_type bar off bar_lo bar_hi base
  VIO_COMMON="" VIO_NOTIFY="" VIO_DEVICE="" VIO_MULT=0
  # Walk the capability list for the virtio structures (vendor-specific capability 0x09).
  ptr=$(pci_read8 "$slot" 0x34)
  while (( ptr != 0 )); do
    if (( $(pci_read8 "$slot" "$ptr") == 0x09 )); then
      cfg_type=$(pci_read8 "$slot" $((ptr + 3)))
      bar=$(pci_read8 "$slot" $((ptr + 4)))
      off=$(pci_read32 "$slot" $((ptr + 8)))
      bar_lo=$(pci_read32 "$slot" $((0x10 + bar * 4)))
      bar_hi=$(pci_read32 "$slot" $((0x14 + bar * 4)))
      base=$(( (bar_hi << 32) | (bar_lo & ~0xf) ))
      case "$cfg_type" in
        1) VIO_COMMON=$((base + off)) ;;
        2) VIO_NOTIFY=$((base + off)); VIO_MULT=$(pci_read32 "$slot" $((ptr + 16))) ;;
        4) VIO_DEVICE=$((base + off)) ;;
      esac
    fi
    ptr=$(pci_read8 "$slot" $((ptr + 1)))
  done
  [[ -n "$VIO_COMMON" && -n "$VIO_NOTIFY" ]] ||
    { echo "error: no virtio capabilities in slot $slot" >&2; exit 1; }
  (( (VIO_COMMON & 0xffffffff) != 0 )) || { echo "error: slot $slot: BAR not assigned" >&2; exit 1; }
  local c=$VIO_COMMON
  qtest "writeb $((c + 0x14)) 0"                       # reset
  qtest "writeb $((c + 0x14)) 1"                       # ACKNOWLEDGE
  qtest "writeb $((c + 0x14)) 3"                       # DRIVER
  qtest "writel $c 0"; qtest "readl $((c + 0x04))"     # device features 0-31
  local offered=$((QT_VALUE))
  qtest "writel $((c + 0x08)) 0"; qtest "writel $((c + 0x0c)) $((offered & want))"
  qtest "writel $((c + 0x08)) 1"; qtest "writel $((c + 0x0c)) 0x1"   # VERSION_1
  qtest "writeb $((c + 0x14)) 11"                      # FEATURES_OK
  qtest "readb $((c + 0x14))"
  (( (QT_VALUE & 8) != 0 )) || { echo "error: slot $slot: features refused" >&2; exit 1; }
  VIO_RING=$ring VIO_IDX=0
  qtest "writew $((c + 0x16)) 0"                       # queue_select = 0
  qtest "writew $((c + 0x18)) 8"                       # queue_size
  qtest "writeq $((c + 0x20)) $ring"
  qtest "writeq $((c + 0x28)) $((ring + 0x1000))"
  qtest "writeq $((c + 0x30)) $((ring + 0x2000))"
  qtest "readw $((c + 0x1e))"; VIO_NOTIFY=$((VIO_NOTIFY + QT_VALUE * VIO_MULT))
  qtest "write $((ring + 0x1000)) 4 0x00000000"        # avail flags, idx
  qtest "write $((ring + 0x2000)) 4 0x00000000"        # used flags, idx
  qtest "writew $((c + 0x1c)) 1"                       # queue_enable
  qtest "writeb $((c + 0x14)) 15"                      # DRIVER_OK
}

# virtio_call OUT_LEN IN_LEN: hands the device the request at VIO_RING+0x3000 (OUT_LEN bytes,
# written by the caller) and IN_LEN bytes for its response at VIO_RING+0x3800, kicks queue 0 and
# waits until the device has used them.
virtio_call() {
  local req=$((VIO_RING + 0x3000)) resp=$((VIO_RING + 0x3800)) avail=$((VIO_RING + 0x1000))
  # descriptor 0: the request (device reads), chained to 1: the response (device writes)
  qtest "writeq $VIO_RING $req"; qtest "writel $((VIO_RING + 8)) $1"
  qtest "writew $((VIO_RING + 12)) 1"; qtest "writew $((VIO_RING + 14)) 1"
  qtest "writeq $((VIO_RING + 16)) $resp"; qtest "writel $((VIO_RING + 24)) $2"
  qtest "writew $((VIO_RING + 28)) 2"; qtest "writew $((VIO_RING + 30)) 0"
  qtest "writew $((avail + 4 + (VIO_IDX % 8) * 2)) 0"
  VIO_IDX=$((VIO_IDX + 1))
  qtest "writew $((avail + 2)) $VIO_IDX"
  qtest "writew $VIO_NOTIFY 0"
  local deadline=$((SECONDS + TIMEOUT))
  while qtest "readw $((VIO_RING + 0x2002))"; (( QT_VALUE != VIO_IDX )); do
    (( SECONDS > deadline )) && { echo "error: the device did not use request $VIO_IDX" >&2; exit 1; }
    sleep 0.05
  done
}

# virtio_iommu_requests SLOT REQUEST...: a virtio-iommu (MAP_UNMAP negotiated), its ring at
# 0x200000; each REQUEST is "attach DOMAIN ENDPOINT" or "map DOMAIN VIRT_START VIRT_END
# PHYS_START FLAGS" and must be answered VIRTIO_IOMMU_S_OK.
virtio_iommu_requests() {
  local slot="$1" req; shift
  virtio_start "$slot" 0x200000 0x4
  local r=$((VIO_RING + 0x3000)) len
  for req in "$@"; do
    read -r -a f <<<"$req"
    case "${f[0]}" in
      attach) # virtio_iommu_req_attach: head (type 1), domain, endpoint, flags, reserved[8]
        qtest "writel $r 1"; qtest "writel $((r + 4)) ${f[1]}"
        qtest "writel $((r + 8)) ${f[2]}"; qtest "writel $((r + 12)) 0"
        qtest "writeq $((r + 16)) 0"; len=24 ;;
      map) # virtio_iommu_req_map: head (type 3), domain, virt_start, virt_end, phys_start, flags
        qtest "writel $r 3"; qtest "writel $((r + 4)) ${f[1]}"
        qtest "writeq $((r + 8)) ${f[2]}"; qtest "writeq $((r + 16)) ${f[3]}"
        qtest "writeq $((r + 24)) ${f[4]}"; qtest "writel $((r + 32)) ${f[5]}"; len=36 ;;
      *) echo "error: unknown virtio-iommu request $req" >&2; exit 1 ;;
    esac
    qtest "writel $((VIO_RING + 0x3800)) 0xffffffff"
    virtio_call "$len" 4
    qtest "readb $((VIO_RING + 0x3800))"
    (( QT_VALUE == 0 )) ||
      { echo "error: virtio-iommu answered $req with status $((QT_VALUE))" >&2; exit 1; }
  done
}

# virtio_mem_plug SLOT BLOCK...: a virtio-mem (ACPI_PXM and UNPLUGGED_INACCESSIBLE accepted
# when offered: 10.0 refuses a driver without the latter on new machine types, and 7.2 refuses
# to load a stream whose driver took 10.0's PERSISTENT_SUSPEND, which 10.0 offers even on
# pc-q35-7.2), its ring
# at 0x210000, plugs one block at each index BLOCK of its region (VIRTIO_MEM_REQ_PLUG, each
# answered VIRTIO_MEM_RESP_ACK); the device's requested size must allow them.
virtio_mem_plug() {
  local slot="$1" block; shift
  virtio_start "$slot" 0x210000 0x3
  # struct virtio_mem_config: block_size at 0, addr at 16
  qtest "readq $VIO_DEVICE"; local block_size=$((QT_VALUE))
  qtest "readq $((VIO_DEVICE + 16))"; local addr=$((QT_VALUE))
  local r=$((VIO_RING + 0x3000))
  for block in "$@"; do
    # virtio_mem_req: type (0 = PLUG), padding, then plug.addr and plug.nb_blocks
    qtest "writeq $r 0"; qtest "writeq $((r + 8)) $((addr + block * block_size))"
    qtest "writeq $((r + 16)) 1"
    qtest "writel $((VIO_RING + 0x3800)) 0xffffffff"
    virtio_call 24 16
    qtest "readw $((VIO_RING + 0x3800))"
    (( QT_VALUE == 0 )) ||
      { echo "error: virtio-mem answered the plug of block $block with $((QT_VALUE))" >&2; exit 1; }
  done
}
