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

# --- a virtio-iommu driver, just enough to attach endpoints and map ranges -------------------
# The device at PCI slot $1 of bus 0 (modern virtio-pci, BARs as SeaBIOS assigned them): reset,
# negotiate VERSION_1 and MAP_UNMAP, set up the request queue (8 entries) in guest RAM at
# 0x200000, then send the requests given as arguments ("attach DOMAIN ENDPOINT" or
# "map DOMAIN VIRT_START VIRT_END PHYS_START FLAGS"), each answered VIRTIO_IOMMU_S_OK.
VQ_DESC=0x200000 VQ_AVAIL=0x201000 VQ_USED=0x202000 VQ_REQ=0x203000 VQ_TAIL=0x203800 VQ_SIZE=8

virtio_iommu_requests() {
  local slot="$1"; shift
  # Memory decoding and bus mastering (the device reads its queue by DMA).
  pci_write16 "$slot" 0x04 0x0006
  local bar_lo bar_hi ptr cfg_type bar off common="" notify="" mult=0
  # Walk the capability list for the virtio structures (vendor-specific capability 0x09).
  ptr=$(pci_read8 "$slot" 0x34)
  while (( ptr != 0 )); do
    if (( $(pci_read8 "$slot" "$ptr") == 0x09 )); then
      cfg_type=$(pci_read8 "$slot" $((ptr + 3)))
      bar=$(pci_read8 "$slot" $((ptr + 4)))
      off=$(pci_read32 "$slot" $((ptr + 8)))
      bar_lo=$(pci_read32 "$slot" $((0x10 + bar * 4)))
      bar_hi=$(pci_read32 "$slot" $((0x14 + bar * 4)))
      local base=$(( (bar_hi << 32) | (bar_lo & ~0xf) ))
      case "$cfg_type" in
        1) common=$((base + off)) ;;
        2) notify=$((base + off)); mult=$(pci_read32 "$slot" $((ptr + 16))) ;;
      esac
    fi
    ptr=$(pci_read8 "$slot" $((ptr + 1)))
  done
  [[ -n "$common" && -n "$notify" ]] || { echo "error: no virtio capabilities in slot $slot" >&2; exit 1; }
  (( (common >> 32) == 0 && common != 0 )) || { echo "error: BAR not assigned" >&2; exit 1; }
  local c; c=$(printf '0x%x' "$common")
  qtest "writeb $((common + 0x14)) 0"                  # reset
  qtest "writeb $((common + 0x14)) 1"                  # ACKNOWLEDGE
  qtest "writeb $((common + 0x14)) 3"                  # DRIVER
  qtest "writel $((common + 0x08)) 0"; qtest "writel $((common + 0x0c)) 0x4"  # MAP_UNMAP
  qtest "writel $((common + 0x08)) 1"; qtest "writel $((common + 0x0c)) 0x1"  # VERSION_1
  qtest "writeb $((common + 0x14)) 11"                 # FEATURES_OK
  qtest "readb $((common + 0x14))"
  (( (QT_VALUE & 8) != 0 )) || { echo "error: $c: features refused" >&2; exit 1; }
  qtest "writew $((common + 0x16)) 0"                  # queue_select = 0 (requests)
  qtest "writew $((common + 0x18)) $VQ_SIZE"
  qtest "writeq $((common + 0x20)) $VQ_DESC"
  qtest "writeq $((common + 0x28)) $VQ_AVAIL"
  qtest "writeq $((common + 0x30)) $VQ_USED"
  qtest "readw $((common + 0x1e))"; local notify_off=$((QT_VALUE))
  qtest "write $VQ_AVAIL 4 0x00000000"                 # avail flags, idx
  qtest "write $VQ_USED 4 0x00000000"                  # used flags, idx
  qtest "writew $((common + 0x1c)) 1"                  # queue_enable
  qtest "writeb $((common + 0x14)) 15"                 # DRIVER_OK
  local idx=0 req len
  for req in "$@"; do
    read -r -a f <<<"$req"
    case "${f[0]}" in
      attach) # virtio_iommu_req_attach: head (type 1), domain, endpoint, flags, reserved[8]
        qtest "writel $VQ_REQ 1"; qtest "writel $((VQ_REQ + 4)) ${f[1]}"
        qtest "writel $((VQ_REQ + 8)) ${f[2]}"; qtest "writel $((VQ_REQ + 12)) 0"
        qtest "writeq $((VQ_REQ + 16)) 0"; len=24 ;;
      map) # virtio_iommu_req_map: head (type 3), domain, virt_start, virt_end, phys_start, flags
        qtest "writel $VQ_REQ 3"; qtest "writel $((VQ_REQ + 4)) ${f[1]}"
        qtest "writeq $((VQ_REQ + 8)) ${f[2]}"; qtest "writeq $((VQ_REQ + 16)) ${f[3]}"
        qtest "writeq $((VQ_REQ + 24)) ${f[4]}"; qtest "writel $((VQ_REQ + 32)) ${f[5]}"; len=36 ;;
      *) echo "error: unknown request $req" >&2; exit 1 ;;
    esac
    qtest "writel $VQ_TAIL 0xffffffff"
    # descriptor 0: the request (device reads), chained to 1: the tail (device writes)
    qtest "writeq $VQ_DESC $VQ_REQ"; qtest "writel $((VQ_DESC + 8)) $len"
    qtest "writew $((VQ_DESC + 12)) 1"; qtest "writew $((VQ_DESC + 14)) 1"
    qtest "writeq $((VQ_DESC + 16)) $VQ_TAIL"; qtest "writel $((VQ_DESC + 24)) 4"
    qtest "writew $((VQ_DESC + 28)) 2"; qtest "writew $((VQ_DESC + 30)) 0"
    qtest "writew $((VQ_AVAIL + 4 + (idx % VQ_SIZE) * 2)) 0"
    idx=$((idx + 1))
    qtest "writew $((VQ_AVAIL + 2)) $idx"
    qtest "writew $((notify + notify_off * mult)) 0"
    local deadline=$((SECONDS + TIMEOUT))
    while qtest "readw $((VQ_USED + 2))"; (( QT_VALUE != idx )); do
      (( SECONDS > deadline )) && { echo "error: virtio-iommu did not answer $req" >&2; exit 1; }
      sleep 0.05
    done
    qtest "readb $VQ_TAIL"
    (( QT_VALUE == 0 )) || { echo "error: virtio-iommu answered $req with status $((QT_VALUE))" >&2; exit 1; }
  done
}
