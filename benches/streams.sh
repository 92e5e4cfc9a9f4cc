#!/usr/bin/env bash
# Streams at disk speed: `vmstate set`, `convert`, `inspect` and `check` on
# large real QEMU streams against `cp` and `cat` of the same file, in the
# same run.
#
# Makes each stream with QEMU 7.2 (Debian's qemu-system-x86_64): a paused
# pc-i440fx-7.2 guest whose RAM is a file (memory-backend-file) filled with
# text, 7 MiB in every 8 (the 8th left as a hole: zero pages), migrated to a
# file. Then prints, per stream, the best of RUNS wall times of each command
# (to the millisecond, from bash's EPOCHREALTIME: /usr/bin/time's centiseconds
# are 5 % of a 0.2 s `cat`), its ratios to the peers and its peak RSS. The
# peers of set and convert are `cp` and `cp` followed by `sync` of the copy
# (vmstate syncs its output before it takes OUT's name, so a crash never
# leaves a named file whose data is not on disk); that of inspect and check
# (against QEMU 10.0's shipped dump) is `cat`. The commands take turns (cp,
# cat, set, convert, inspect, check, then again), so a change in the
# machine's load falls on all of them alike.
# Page-cache writeback is flushed (`sync`) before every run, so one run's
# dirty pages do not slow the next, and the input is read once, untimed, so
# every run finds it in the page cache. Needs /usr/bin/time, perl.
#
# Usage: benches/streams.sh            (1 GiB and, disk allowing, 8 GiB guests)
# Environment:
#   SIZES="1024 8192"   guest RAM sizes in MiB
#   RUNS=3              runs per command
#   WORK=/tmp           where the streams are made (removed at the end)
#   BASELINE=PATH       another vmstate binary (an older build) measured in
#                       the same turns, as "... (baseline)" rows
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIZES="${SIZES:-1024 8192}"
RUNS="${RUNS:-3}"
WORK="$(mktemp -d "${WORK:-/tmp}/vmstate-streams.XXXXXX")"
QEMU=qemu-system-x86_64
TIMEOUT=900   # seconds for one monitor command or migration

(cd "$ROOT" && cargo build --release -q -p vmstate-cli)
VMSTATE="${CARGO_TARGET_DIR:-$ROOT/target}/release/vmstate"

# shellcheck source=../tests/data/hmp-driver.sh
source "$ROOT/tests/data/hmp-driver.sh"
trap 'cleanup; rm -rf "$WORK"' EXIT

# make_stream MiB FILE: a real QEMU 7.2 stream of a guest with MiB of RAM.
make_stream() {
  local mib="$1" dest="$2" ram="$WORK/ram.img"
  { yes 'vmstate benchmark page ' || true; } | head -c $((mib << 20)) >"$ram"
  for ((m = 7; m < mib; m += 8)); do fallocate -p -o $((m << 20)) -l 1M "$ram"; done
  start_qemu -M pc-i440fx-7.2 -m "$mib" -nodefaults -display none -accel tcg -S \
    -rtc base=2020-01-01T00:00:00,clock=vm -monitor stdio \
    -object "memory-backend-file,id=ram0,size=${mib}M,mem-path=$ram,share=on" \
    -machine memory-backend=ram0
  hmp "migrate_set_parameter max-bandwidth 100G"
  migrate_to "$dest"
  stop_qemu
  rm -f "$ram"
}

# add NAME COMMAND...: a command for `measure_all`.
add() {
  local name="$1"; shift
  NAMES+=("$name"); CMDS+=("$(printf '%q ' "$@")")
}

# measure_all: best wall time (s) and its peak RSS (KiB) of RUNS runs of each
# added command, the commands taking turns.
measure_all() {
  local run i line
  for ((run = 0; run < RUNS; run++)); do
    for i in "${!NAMES[@]}"; do
      rm -f "$WORK/out.mig"; sync
      # The input back in the page cache, untimed: a command that writes
      # (convert's 7.5 GB) pushes part of it out, and the next one would
      # read that part from the disk where its peer did not.
      cat "$WORK/in.mig" >/dev/null
      local start="$EPOCHREALTIME" rss
      rss="$(/usr/bin/time -f '%M' bash -c "${CMDS[$i]} >/dev/null" 2>&1 >/dev/null | tail -n1)"
      line="$(perl -e 'printf "%.3f", $ARGV[1] - $ARGV[0]' "$start" "$EPOCHREALTIME") $rss"
      local name="${NAMES[$i]}" best="${TIME[${NAMES[$i]}]:-}"
      if [[ -z "$best" ]] || perl -e 'exit !($ARGV[0] < $ARGV[1])' "${line% *}" "$best"; then
        TIME[$name]="${line% *}"; RSS[$name]="${line#* }"
      fi
    done
  done
}

row() { # row NAME [PEER [SECOND_PEER]]
  local ratio="-" second="-"
  [[ -n "${2:-}" ]] && ratio="$(perl -e 'printf "%.2f", $ARGV[0] / $ARGV[1]' "${TIME[$1]}" "${TIME[$2]}")"
  [[ -n "${3:-}" ]] && second="$(perl -e 'printf "%.2f", $ARGV[0] / $ARGV[1]' "${TIME[$1]}" "${TIME[$3]}")"
  printf '| %-18s | %7s | %5s | %5s | %8s |\n' "$1" "${TIME[$1]}" "$ratio" "$second" \
    "$(perl -e 'printf "%.1f", $ARGV[0] / 1024' "${RSS[$1]}")"
}

echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "vmstate: $(cd "$ROOT" && git rev-parse --short HEAD)$(cd "$ROOT" && git diff --quiet || echo '+changes')"
for mib in $SIZES; do
  need=$(( (mib * 3) << 10 ))   # KiB: RAM file, stream and one output
  if (( $(df -k --output=avail "$WORK" | tail -n1) < need )); then
    echo "skipping the $mib MiB guest: $WORK has less than $((need >> 20)) GiB free"; continue
  fi
  in="$WORK/in.mig" out="$WORK/out.mig"
  make_stream "$mib" "$in"
  declare -A TIME=() RSS=()
  NAMES=() CMDS=()
  add cp cp "$in" "$out"
  # vmstate syncs its output before naming it; this is cp doing the same.
  add "cp + fsync" sh -c 'cp "$1" "$2" && sync "$2"' _ "$in" "$out"
  add cat cat "$in"
  add "vmstate set" "$VMSTATE" set "$in" --section i8259:0 --field imr=0xfb -o "$out" --quiet
  add "vmstate convert" "$VMSTATE" convert "$in" --to qemu-10.0 -o "$out" --quiet
  add "vmstate inspect" "$VMSTATE" inspect "$in" --quiet
  add "vmstate check" "$VMSTATE" check "$in" qemu-10.0
  if [[ -n "${BASELINE:-}" ]]; then
    add "set (baseline)" "$BASELINE" set "$in" --section i8259:0 --field imr=0xfb -o "$out" --quiet
    add "convert (baseline)" "$BASELINE" convert "$in" --to qemu-10.0 -o "$out" --quiet
    add "inspect (baseline)" "$BASELINE" inspect "$in" --quiet
    add "check (baseline)" "$BASELINE" check "$in" qemu-10.0
  fi
  measure_all
  "$VMSTATE" convert "$in" --to qemu-10.0 -o "$out" --quiet
  cmp -s "$in" "$out" || { echo "error: convert changed a stream that QEMU 10.0 loads as is" >&2; exit 1; }
  echo
  echo "$mib MiB guest, a $(stat -c %s "$in")-byte stream ($("$VMSTATE" inspect "$in" | grep ' ram ' | sed 's/.*ram: //')); best of $RUNS:"
  echo
  echo "| command            | time, s | / cp, cat | / cp + fsync | peak RSS, MiB |"
  echo "|---|---:|---:|---:|---:|"
  row cp; row "cp + fsync" cp; row cat
  row "vmstate set" cp "cp + fsync"; row "vmstate convert" cp "cp + fsync"; row "vmstate inspect" cat
  row "vmstate check" cat
  if [[ -n "${BASELINE:-}" ]]; then
    row "set (baseline)" cp "cp + fsync"; row "convert (baseline)" cp "cp + fsync"
    row "inspect (baseline)" cat; row "check (baseline)" cat
  fi
  rm -f "$in" "$out"
done
