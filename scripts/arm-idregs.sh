#!/usr/bin/env bash
# Regenerate tests/data/qemu-*-aarch64/idregs.txt: the values each release gives the ID registers
# (AArch64 op0=3 op1=0 CRn=0, AArch32 cp15 opc1=0 CRn=0: constants QEMU computes from the CPU
# model, which `write_list_to_cpustate` refuses to see changed) of every CPU configuration both
# releases run on virt-7.2. `convert` without a reference rewrites a `cpu` section for the other
# release only when its ID registers are one of these (the releases' own constants aside): `max`
# gains features with each release, so its ID registers are no other release's.
#
# Usage: scripts/arm-idregs.sh [VMSTATE]   (from anywhere; VMSTATE defaults to target/debug/vmstate)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VMSTATE="${1:-$ROOT/target/debug/vmstate}"
# "NAME MACHINE-OPTIONS CPU" (options after virt-7.2; - for none).
CONFIGS=(
    "cortex-a57 - cortex-a57"
    "cortex-a57+el2 virtualization=on,gic-version=3 cortex-a57"
    "cortex-a57+el3 secure=on cortex-a57"
    "cortex-a57+el2+el3 secure=on,virtualization=on,gic-version=3 cortex-a57"
    "cortex-a57,pmu=off - cortex-a57,pmu=off"
    "cortex-a7 - cortex-a7"
    "cortex-a15 - cortex-a15"
    "cortex-a35 - cortex-a35"
    "cortex-a53 - cortex-a53"
    "cortex-a72 - cortex-a72"
    "cortex-a76 - cortex-a76"
    "neoverse-n1 - neoverse-n1"
    "a64fx - a64fx"
    "max - max"
)
# shellcheck source=arm-reference.sh
source "$ROOT/scripts/arm-reference.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

id_values() { # $1 = stream: the cpu section's ID registers, "INDEX VALUE" a line
    "$VMSTATE" inspect --json --section cpu:0 "$1" |
        python3 -c '
import json, sys
fields = json.load(sys.stdin)["sections"][0]["fields"]
n = fields["cpreg_vmstate_array_len"]
for index, value in zip(fields["cpreg_vmstate_indexes"][:n], fields["cpreg_vmstate_values"][:n]):
    f = lambda shift, bits: (index >> shift) & ((1 << bits) - 1)
    arch = index & 0xff00000000000000
    aa64 = arch == 0x6000000000000000 and index & 0xffff0000 == 0x130000 and f(14, 2) == 3 and f(11, 3) == 0 and f(7, 4) == 0
    aa32 = arch == 0x4000000000000000 and index & 0x00f0000000000000 != 0x0030000000000000 and f(16, 4) == 15 and f(3, 4) == 0 and f(11, 4) == 0
    if aa64 or aa32:
        print(f"0x{index:016x} 0x{value:x}")
'
}

for release in 7.2 10.0; do
    dir="tests/data/qemu-$release-aarch64"
    out="$work/idregs.txt"
    {
        echo "# The ID register values QEMU $release migrates (index, value), per CPU configuration,"
        echo "# on machine type virt-7.2. Written by scripts/arm-idregs.sh."
        for config in "${CONFIGS[@]}"; do
            read -r name options cpu <<<"$config"
            arm_reference "$release" "$options" "$cpu" "$work/ref.mig"
            echo "# model $name"
            id_values "$work/ref.mig"
        done
    } >"$out"
    mv "$out" "$dir/idregs.txt"
    echo "wrote $dir/idregs.txt ($(grep -c '^0x' "$dir/idregs.txt") values)"
done
