#!/usr/bin/env bash
# Regenerate tests/data/qemu-*-aarch64/cpregs.txt: each release's Arm CPU register index lists,
# per CPU model, which `vmstate check STREAM qemu-7.2` compares an Arm stream's `cpu` section
# with (QEMU's -dump-vmstate has no `cpu` entry, and QEMU refuses an index it does not know).
#
# cortex-a57's list is read from the release's virt72-paused.mig fixture; the other models' and
# configurations' from a stream that release writes at once (`vmstate reference`, a paused
# guest). A configuration with EL2 or EL3 migrates more registers than its CPU model alone, so
# each is a list of its own (`cortex-a57+el2`), and `check` takes the list nearest the stream's. Needs both
# releases (scripts/install-qemu.sh), python3 (jq would round the 64-bit indexes), and root for 10.0 (scripts/qemu-10.0-aarch64).
#
# Usage: scripts/arm-cpregs.sh   (from anywhere)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cargo build -q -p vmstate-cli
VMSTATE="$ROOT/target/debug/vmstate"
# Lists beyond the fixtures' cortex-a57: "NAME MACHINE-OPTIONS CPU" (options after virt-7.2).
CONFIGS=(
    "max - max"
    "cortex-a57+el2 virtualization=on,gic-version=3 cortex-a57"
    "cortex-a57+el3 secure=on cortex-a57"
    "cortex-a57+el2+el3 secure=on,virtualization=on,gic-version=3 cortex-a57"
    # The AArch32 CPUs `virt` runs: 7.2 lists registers for them (both banks'
    # 32-bit PAR) that it lists for none of the others.
    "cortex-a15 - cortex-a15"
    "cortex-a7 - cortex-a7"
)
# shellcheck source=arm-reference.sh
source "$ROOT/scripts/arm-reference.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

indexes() { # $1 = stream: the cpu section's indexes, one hexadecimal number a line
    "$VMSTATE" inspect --json --section cpu:0 "$1" |
        python3 -c '
import json, sys
fields = json.load(sys.stdin)["sections"][0]["fields"]
for index in fields["cpreg_vmstate_indexes"][: fields["cpreg_vmstate_array_len"]]:
    print(f"0x{index:016x}")
'
}

for release in 7.2 10.0; do
    dir="tests/data/qemu-$release-aarch64"
    out="$work/cpregs.txt"
    {
        echo "# The Arm CPU register indexes QEMU $release migrates (cpreg_vmstate_indexes), per"
        echo "# CPU model, on machine type virt-7.2. Written by scripts/arm-cpregs.sh."
        echo "# model cortex-a57"
        indexes "$dir/virt72-paused.mig"
        for config in "${CONFIGS[@]}"; do
            read -r name options cpu <<<"$config"
            arm_reference "$release" "$options" "$cpu" "$work/$name.mig"
            echo "# model $name"
            indexes "$work/$name.mig"
        done
    } >"$out"
    mv "$out" "$dir/cpregs.txt"
    echo "wrote $dir/cpregs.txt ($(grep -c '^0x' "$dir/cpregs.txt") indexes)"
done
