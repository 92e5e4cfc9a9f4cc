#!/usr/bin/env bash
# Regenerate the QEMU 10.0 migration-stream fixtures in this directory.
#
# Requires QEMU 10.0.2 as scripts/install-qemu.sh installs it (run through scripts/qemu-10.0),
# perl, grep, cmp, root (the wrapper uses a private mount namespace). Writes next to itself;
# every output goes to a temporary file first and is then moved into place.
#
# Usage: make-fixtures.sh [NAME ...]   (no arguments: everything; names in the README)
#
# Environment:
#   QEMU=/path/to/qemu-10.0-wrapper   (default: scripts/qemu-10.0 of this repository)
#   RUN_SECONDS=3                     (how long the "ran" guests execute SeaBIOS)
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
QEMU="${QEMU:-$DIR/../../../scripts/qemu-10.0}"
RUN_SECONDS="${RUN_SECONDS:-3}"
TIMEOUT=60   # seconds to wait for any single monitor command

# shellcheck source=../guest-options.sh
source "$DIR/../guest-options.sh"
PC=(-M pc-i440fx-10.0)
Q35=(-M pc-q35-10.0)
PC72=(-M pc-i440fx-7.2)
Q35_72=(-M pc-q35-7.2)
PC_OLD=(-M pc-i440fx-2.10)
# The oldest machine types QEMU 10.0 runs.
PC_24=(-M pc-i440fx-2.4)
Q35_24=(-M pc-q35-2.4)

version="$("$QEMU" --version | head -n1)"
case "$version" in
  *"version 10.0"*) ;;
  *) echo "error: need QEMU 10.0, found: $version" >&2; exit 1 ;;
esac

# shellcheck source=../hmp-driver.sh
source "$DIR/../hmp-driver.sh"

capture_infos() { # $1 = basename
  capture "info pic" "$DIR/$1.info-pic.txt"
}

# shellcheck source=../qtest-driver.sh
source "$DIR/../qtest-driver.sh"

# make_fixture NAME MODE(paused|ran|mapped-ram|ltim|vocab) [extra qemu args...]
make_fixture() {
  local name="$1" mode="$2"; shift 2
  local dest="$TMP/$name.mig"
  if [[ "$mode" == paused ]]; then
    start_qemu "$@" "${COMMON[@]}" -S
  elif [[ "$mode" == ltim ]]; then
    # The master i8259 gets ICW1 with LTIM (level-triggered mode, 0x08) and IC4, then ICW2
    # (vector base 0x08), ICW3 (slave on IRQ 2) and ICW4 (8086 mode): QEMU 10.0 then sends
    # the `i8259/ltim` subsection, which QEMU 7.2 does not know.
    qtest_open
    start_qemu "$@" "${COMMON[@]}" -S "${QTEST[@]}"
    qtest "outb 0x20 0x19"
    qtest "outb 0x21 0x08"
    qtest "outb 0x21 0x04"
    qtest "outb 0x21 0x01"
  elif [[ "$mode" == vocab ]]; then
    qtest_open
    start_qemu "$@" "${COMMON[@]}" "${QTEST[@]}"
    sleep "$RUN_SECONDS"
    hmp "stop"
    virtio_iommu_requests "${VOCAB_IOMMU_REQUESTS[@]}"
    virtio_mem_plug "${VOCAB_MEM_PLUG[@]}"
  else
    start_qemu "$@" "${COMMON[@]}"
    sleep "$RUN_SECONDS"
    hmp "stop"
  fi
  capture_infos "$name"
  if [[ "$mode" == mapped-ram ]]; then
    hmp "migrate_set_capability mapped-ram on"
    migrate_to "$dest" "file:$dest"
  else
    migrate_to "$dest"
  fi
  stop_qemu
  [[ "$(head -c 4 "$dest")" == QEVM ]] ||
    { echo "error: $dest is not a migration stream" >&2; exit 1; }
  mv "$dest" "$DIR/$name.mig"
  echo "wrote $DIR/$name.mig ($(stat -c %s "$DIR/$name.mig") bytes)"
}

SELECTED=("$@")

want pc-paused      && make_fixture pc-paused      paused     "${PC[@]}"
want pc-ran         && make_fixture pc-ran         ran        "${PC[@]}"
want pc-e1000-serial && make_fixture pc-e1000-serial ran      "${PC[@]}" "${E1000_SERIAL[@]}"
want q35-paused     && make_fixture q35-paused     paused     "${Q35[@]}"
want q35-ran        && make_fixture q35-ran        ran        "${Q35[@]}"
want pc72-ran       && make_fixture pc72-ran       ran        "${PC72[@]}"
want q35-72-ran     && make_fixture q35-72-ran     ran        "${Q35_72[@]}"
want q35-virtio     && make_fixture q35-virtio     ran        "${Q35[@]}" "${VIRTIO[@]}"
want q35-72-virtio  && make_fixture q35-72-virtio  ran        "${Q35_72[@]}" "${VIRTIO[@]}"
want q35-usb-hda    && make_fixture q35-usb-hda    ran        "${Q35[@]}" "${USB_HDA[@]}"
want pc-2.10-ran    && make_fixture pc-2.10-ran    ran        "${PC_OLD[@]}"
want pc-2.4-devices && make_fixture pc-2.4-devices ran        "${PC_24[@]}" "${OLD_DEVICES[@]}"
want q35-2.4-devices && make_fixture q35-2.4-devices ran      "${Q35_24[@]}" "${OLD_DEVICES[@]}"
want pc-mapped-ram  && make_fixture pc-mapped-ram  mapped-ram "${PC[@]}"
want pc72-ltim      && make_fixture pc72-ltim      ltim       "${PC72[@]}"
want q35-vocab      && make_fixture q35-vocab      vocab      "${Q35[@]}" "${VOCAB[@]}" "${VOCAB_10[@]}"
want q35-72-vocab   && make_fixture q35-72-vocab   vocab      "${Q35_72[@]}" "${VOCAB[@]}"

if want pc-10.0.dump; then
  "$QEMU" "${PC[@]}" -dump-vmstate "$TMP/dump.json"
  mv "$TMP/dump.json" "$DIR/pc-10.0.dump.json"
  echo "wrote $DIR/pc-10.0.dump.json ($(stat -c %s "$DIR/pc-10.0.dump.json") bytes)"
fi

if want machines; then
  "$QEMU" -M help | awk 'NR > 1 {print $1}' | sort >"$TMP/machines.txt"
  mv "$TMP/machines.txt" "$DIR/machines.txt"
  echo "wrote $DIR/machines.txt (the machine types this QEMU runs)"
fi
