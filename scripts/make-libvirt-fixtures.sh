#!/usr/bin/env bash
# Regenerate the libvirt save images in tests/data/libvirt/ with real libvirt.
#
# Requires what scripts/install-qemu.sh installs: Debian 12's libvirt (libvirt-daemon-driver-qemu,
# libvirt-daemon, libvirt-clients, and the libvirt-qemu user), QEMU 7.2 as
# /usr/bin/qemu-system-x86_64 and the compressors libvirt runs (gzip, bzip2, xz, lzop); and
# python3. No daemon is needed: virsh runs libvirt's QEMU driver in its own process (the
# `qemu:///embed` URI) over a private root directory, whose qemu.conf picks the save image
# format. Writes next to tests/data/libvirt/; idempotent (each file is written to a temporary
# name first, then moved into place).
#
# Usage: scripts/make-libvirt-fixtures.sh
#   A running guest is saved by `virsh save` once per format (raw, gzip, bzip2, xz, lzop), and a
#   paused one by `virsh managedsave` (xz). The guests ran SeaBIOS for RUN_SECONDS first, so
#   the streams change on every run.
#
# Environment:
#   RUN_SECONDS=2   how long each guest runs before it is saved
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT="$ROOT_DIR/tests/data/libvirt"
RUN_SECONDS="${RUN_SECONDS:-2}"
mkdir -p "$OUT"

for tool in virsh qemu-system-x86_64 python3 gzip bzip2 xz lzop; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed" >&2; exit 1; }
done
# libvirt's QEMU driver, run privileged, looks its default user and group up even when
# qemu.conf names another one; scripts/install-qemu.sh creates them with the packages.
id libvirt-qemu >/dev/null 2>&1 || { echo "error: run scripts/install-qemu.sh first" >&2; exit 1; }

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# The guest is tests/data/libvirt/domain.xml: pc-i440fx-7.2 under TCG, 16 MiB, no disk (SeaBIOS
# finds nothing to boot and waits), an e1000 on user networking, a serial port, a virtio
# balloon. The RTC starts at a fixed date and follows the guest's clock, as in the other
# fixtures.

# run_virsh ROOT COMMAND...: one virsh process (so one embedded driver) runs the commands,
# with RUN_SECONDS between the first (which starts the guest) and the rest.
run_virsh() {
  local root="$1"; shift
  {
    printf '%s\n' "$1"; shift
    sleep "$RUN_SECONDS"
    printf '%s\n' "$@"
  } | virsh -q -c "qemu:///embed?root=$root" >"$TMP/virsh.out" 2>"$TMP/virsh.err" || {
    cat "$TMP/virsh.out" "$TMP/virsh.err" >&2; exit 1; }
  if grep -q '^error' "$TMP/virsh.err"; then cat "$TMP/virsh.err" >&2; exit 1; fi
}

# new_root FORMAT: a private driver root whose qemu.conf saves in FORMAT.
new_root() {
  local root="$TMP/root-$1"
  rm -rf "$root"; mkdir -p "$root/etc"
  { cat "$OUT/qemu.conf"; echo "save_image_format = \"$1\""; } >"$root/etc/qemu.conf"
  echo "$root"
}

for format in raw gzip bzip2 xz lzop; do
  root="$(new_root "$format")"
  run_virsh "$root" "create $OUT/domain.xml" "save fixture $TMP/out.save"
  mv "$TMP/out.save" "$OUT/qemu-7.2-pc-$format.save.tmp"
  mv "$OUT/qemu-7.2-pc-$format.save.tmp" "$OUT/qemu-7.2-pc-$format.save"
  echo "wrote qemu-7.2-pc-$format.save"
done

# Managed save of a paused guest, compressed: libvirt keeps the image under its own save
# directory.
root="$(new_root xz)"
run_virsh "$root" "define $OUT/domain.xml" "start fixture" "suspend fixture" "managedsave fixture"
cp "$root/lib/qemu/save/fixture.save" "$OUT/qemu-7.2-pc-managed-paused.save.tmp"
mv "$OUT/qemu-7.2-pc-managed-paused.save.tmp" "$OUT/qemu-7.2-pc-managed-paused.save"
echo "wrote qemu-7.2-pc-managed-paused.save"

# The options libvirt gave QEMU, one a line, less those that only connect QEMU to libvirt
# (its name, monitor socket, master key, sandbox, -S): what a destination QEMU needs to
# rebuild the same devices and load the stream.
python3 - "$root/log/qemu/fixture.log" >"$OUT/qemu-7.2-pc.args.tmp" <<'PY'
import shlex, sys
text = open(sys.argv[1]).read()
start = text.index("/usr/bin/qemu-system-x86_64 \\\n")
line = text[start:].split("\n")
command = []
for l in line:
    command.append(l.rstrip("\\").strip())
    if not l.endswith("\\"):
        break
words = shlex.split(" ".join(command))[1:]
drop_with_value = {"-name", "-mon", "-sandbox", "-msg", "-uuid", "-overcommit"}
out, i = [], 0
while i < len(words):
    w = words[i]
    if w == "-S" or w == "-no-shutdown":
        i += 1; continue
    if (w in drop_with_value
            or (w == "-object" and '"secret"' in words[i + 1])
            or (w == "-chardev" and "id=charmonitor" in words[i + 1])):
        i += 2; continue
    out.append(w); i += 1
print("\n".join(out))
PY
mv "$OUT/qemu-7.2-pc.args.tmp" "$OUT/qemu-7.2-pc.args"
echo "wrote qemu-7.2-pc.args"
