# The aarch64 fixtures that both releases' tests/data/qemu-*-aarch64/make-fixtures.sh write:
# source it after setting DIR (where to write), QEMU (the emulator), WANT_VERSION (a pattern
# `QEMU --version` must match) and NEWEST_VIRT (the release's newest `virt` machine type).
# shellcheck shell=bash
# shellcheck disable=SC2034 # used by the scripts that source this file

RUN_SECONDS="${RUN_SECONDS:-1}"
TIMEOUT=60   # seconds to wait for any single monitor command

version="$("$QEMU" --version | head -n1)"
case "$version" in
  *"version $WANT_VERSION"*) ;;
  *) echo "error: need QEMU $WANT_VERSION, found: $version" >&2; exit 1 ;;
esac

COMMON=(-cpu cortex-a57 -accel tcg -m 64 -nodefaults -display none -monitor stdio)
# A tiny guest: an AArch64 `b .` (0x14000000) and the PC set to it. Not at the start of RAM as
# first planned: with no kernel, `virt` puts its device tree there (1 MiB) over the loop, so
# the loop sits 2 MiB in.
GUEST=(-device loader,addr=0x40200000,data=0x14000000,data-len=4
       -device loader,addr=0x40200000,cpu-num=0)
# virtio over PCI (a NIC) and over virtio-mmio (a disk and an RNG).
DEVICES=(-netdev user,id=n0 -device virtio-net-pci,romfile=,netdev=n0
         -blockdev driver=null-co,node-name=d0,size=1048576 -device virtio-blk-device,drive=d0
         -device virtio-rng-device)

# shellcheck source=hmp-driver.sh
source "$DIR/../hmp-driver.sh"

# make_fixture NAME MODE(paused|ran) [qemu args...]
make_fixture() {
  local name="$1" mode="$2"; shift 2
  local dest="$TMP/$name.mig"
  if [[ "$mode" == paused ]]; then
    start_qemu "$@" "${COMMON[@]}" -S
  else
    start_qemu "$@" "${COMMON[@]}" "${GUEST[@]}"
    sleep "$RUN_SECONDS"
    hmp "stop"
  fi
  hmp "info registers"
  { printf '(qemu) info registers\n'; cat "$TMP/last.txt"; } >"$TMP/$name.registers.txt"
  migrate_to "$dest"
  stop_qemu
  [[ "$(head -c 4 "$dest")" == QEVM && "$(tail -c 1 "$dest" | od -An -tx1 | tr -d ' ')" == 7d ]] ||
    { echo "error: $dest is not a complete migration stream" >&2; exit 1; }
  if [[ "$mode" == ran ]] && ! grep -q 'PC=0000000040200000' "$TMP/$name.registers.txt"; then
    echo "error: $name: the guest is not in its loop:" >&2; cat "$TMP/$name.registers.txt" >&2
    exit 1
  fi
  mv "$dest" "$DIR/$name.mig"
  echo "wrote $DIR/$name.mig ($(stat -c %s "$DIR/$name.mig") bytes)"
}

SELECTED=("$@")

want virt72-paused  && make_fixture virt72-paused  paused -M virt-7.2
want virt72-ran     && make_fixture virt72-ran     ran    -M virt-7.2
want virt72-devices && make_fixture virt72-devices ran    -M virt-7.2 "${DEVICES[@]}"
want virt72-gicv3   && make_fixture virt72-gicv3   ran    -M virt-7.2,gic-version=3
want virt-ran       && make_fixture virt-ran       ran    -M "$NEWEST_VIRT"

if want virt-7.2.dump; then
  "$QEMU" -M virt-7.2 -dump-vmstate "$TMP/dump.json"
  mv "$TMP/dump.json" "$DIR/virt-7.2.dump.json"
  echo "wrote $DIR/virt-7.2.dump.json ($(stat -c %s "$DIR/virt-7.2.dump.json") bytes)"
fi

if want machines; then
  "$QEMU" -M help | awk 'NR > 1 {print $1}' | sort >"$TMP/machines.txt"
  mv "$TMP/machines.txt" "$DIR/machines.txt"
  echo "wrote $DIR/machines.txt (the machine types this QEMU runs)"
fi
