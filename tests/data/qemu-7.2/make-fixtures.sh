#!/usr/bin/env bash
# Regenerate the QEMU 7.2 migration-stream fixtures in this directory.
#
# Requires qemu-system-x86_64 from QEMU 7.2 (Debian 12: `apt-get install qemu-system-x86`),
# perl, grep, cmp.  Can be run from any directory; writes next to itself; idempotent
# (every output is written to a temporary file first and then moved into place).
#
# Usage: make-fixtures.sh [pc-paused|pc-ran|pc-e1000-serial|q35-paused|pc-2.0-ran|pc-2.0-paused|
#   pc-2.0-devices|pc-2.2-paused|pc-2.2-ran|pc-2.2-devices|q35-2.4-devices|q35-virtio|q35-vocab|pc-7.2.dump|machines ...]
#   (no arguments: regenerate everything).  The two "ran" streams depend on host timing and
#   change on every run; the paused ones are byte-identical across runs (checked below).
#
# Environment:
#   QEMU=/path/to/qemu-system-x86_64   (default: qemu-system-x86_64 from PATH)
#   RUN_SECONDS=3                      (how long the "ran" guests execute SeaBIOS)
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
QEMU="${QEMU:-qemu-system-x86_64}"
RUN_SECONDS="${RUN_SECONDS:-3}"
TIMEOUT=60   # seconds to wait for any single monitor command

# shellcheck source=../guest-options.sh
source "$DIR/../guest-options.sh"
PC=(-M pc-i440fx-7.2)
Q35=(-M pc-q35-7.2)
# An old machine type: its streams have no configuration section, no section footers and no
# vmdesc, so a reader must know each section's layout to find where it ends.
PC_OLD=(-M pc-i440fx-2.0)
PC_22=(-M pc-i440fx-2.2)
# The oldest q35 machine type that QEMU 10.0 also runs.
Q35_OLD=(-M pc-q35-2.4)

version="$("$QEMU" --version | head -n1)"
case "$version" in
  *"version 7.2"*) ;;
  *) echo "error: need QEMU 7.2, found: $version" >&2; exit 1 ;;
esac

# shellcheck source=../hmp-driver.sh
source "$DIR/../hmp-driver.sh"
# shellcheck source=../qtest-driver.sh
source "$DIR/../qtest-driver.sh"

# Device-register views the 7.2 monitor offers.  `info pic` (IOAPIC + both i8259) goes to
# NAME.info-pic.txt; the CPU/APIC/PCI views and the RTC date go to NAME.monitor.txt.  QEMU 7.2
# has no monitor command that shows PIT, RTC registers, HPET, fw_cfg or PS/2 state; the RTC
# date is readable through the QOM alias /machine.rtc-time.
capture_infos() { # $1 = basename
  capture "info pic" "$DIR/$1.info-pic.txt"
  local cmd out="$TMP/monitor.txt"
  : >"$out"
  for cmd in "info status" "qom-get /machine rtc-time" "info registers" "info lapic" "info pci"; do
    hmp "$cmd"
    { printf '(qemu) %s\n' "$cmd"; cat "$TMP/last.txt"; } >>"$out"
  done
  mv "$out" "$DIR/$1.monitor.txt"
}

# make_fixture NAME MODE(paused|ran|vocab) [extra qemu args...]
make_fixture() {
  local name="$1" mode="$2"; shift 2
  local dest="$TMP/$name.mig"
  if [[ "$mode" == paused ]]; then
    start_qemu "$@" "${COMMON[@]}" -S
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
  if [[ "${CAPTURE:-1}" == 1 ]]; then capture_infos "$name"; fi
  migrate_to "$dest"
  stop_qemu
  # sanity: QEVM magic at the start, and the stream ends with the vmdesc JSON ("...}"), or,
  # for the old machine types that send no vmdesc, with the EOF byte 0x00
  local want_last=7d   # "}"
  if [[ "$name" == pc-2.[02]-* ]]; then want_last=00; fi
  [[ "$(head -c 4 "$dest")" == QEVM && "$(tail -c 1 "$dest" | od -An -tx1 | tr -d ' ')" == "$want_last" ]] ||
    { echo "error: $dest is not a complete migration stream" >&2; exit 1; }
  mv "$dest" "$DIR/$name.mig"
  echo "wrote $DIR/$name.mig ($(stat -c %s "$DIR/$name.mig") bytes)"
}

SELECTED=("$@")

want pc-paused       && make_fixture pc-paused        paused "${PC[@]}"
want pc-ran          && make_fixture pc-ran           ran    "${PC[@]}"
want pc-e1000-serial && make_fixture pc-e1000-serial  ran    "${PC[@]}" "${E1000_SERIAL[@]}"
want q35-paused      && make_fixture q35-paused       paused "${Q35[@]}"
want pc-2.0-ran      && make_fixture pc-2.0-ran       ran    "${PC_OLD[@]}"
want pc-2.0-paused   && make_fixture pc-2.0-paused    paused "${PC_OLD[@]}"
want pc-2.0-devices  && make_fixture pc-2.0-devices   ran    "${PC_OLD[@]}" "${OLD_DEVICES[@]}"
want pc-2.2-paused   && make_fixture pc-2.2-paused    paused "${PC_22[@]}"
want pc-2.2-ran      && make_fixture pc-2.2-ran       ran    "${PC_22[@]}"
want pc-2.2-devices  && make_fixture pc-2.2-devices   ran    "${PC_22[@]}" "${OLD_DEVICES[@]}"
want q35-2.4-devices && make_fixture q35-2.4-devices  ran    "${Q35_OLD[@]}" "${OLD_DEVICES[@]}"
want q35-virtio      && make_fixture q35-virtio       ran    "${Q35[@]}" "${VIRTIO[@]}"
want q35-vocab       && make_fixture q35-vocab        vocab  "${Q35[@]}" "${VOCAB[@]}"

if want pc-7.2.dump; then
  "$QEMU" "${PC[@]}" -dump-vmstate "$TMP/dump.json"
  mv "$TMP/dump.json" "$DIR/pc-7.2.dump.json"
  echo "wrote $DIR/pc-7.2.dump.json ($(stat -c %s "$DIR/pc-7.2.dump.json") bytes)"
fi

# Determinism check: a second paused run must give a byte-identical stream.
for name in pc-paused q35-paused pc-2.0-paused pc-2.2-paused; do
  want "$name" || continue
  case "$name" in
    pc-paused) args=("${PC[@]}") ;;
    q35-paused) args=("${Q35[@]}") ;;
    pc-2.0-paused) args=("${PC_OLD[@]}") ;;
    pc-2.2-paused) args=("${PC_22[@]}") ;;
  esac
  start_qemu "${args[@]}" "${COMMON[@]}" -S
  migrate_to "$TMP/$name.again.mig"
  stop_qemu
  if cmp -s "$TMP/$name.again.mig" "$DIR/$name.mig"; then
    echo "determinism: $name.mig is byte-identical across two runs"
  else
    echo "determinism: WARNING $name.mig differs between two runs" >&2
    cmp "$TMP/$name.again.mig" "$DIR/$name.mig" >&2 || true
    exit 1
  fi
done

if want machines; then
  "$QEMU" -M help | awk 'NR > 1 {print $1}' | sort >"$TMP/machines.txt"
  mv "$TMP/machines.txt" "$DIR/machines.txt"
  echo "wrote $DIR/machines.txt (the machine types this QEMU runs)"
fi
