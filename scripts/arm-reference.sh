# Sourced by scripts/arm-cpregs.sh and scripts/arm-idregs.sh (set ROOT and VMSTATE first).
# shellcheck shell=bash

# arm_reference RELEASE OPTIONS CPU OUT: the stream that QEMU RELEASE (7.2 or 10.0) writes at once
# for a paused virt-7.2 guest with machine options OPTIONS (- for none) and `-cpu CPU`, into OUT.
arm_reference() {
    local release="$1" options="$2" cpu="$3" out="$4" machine=virt-7.2 qemu
    case "$release" in
        7.2) qemu=(qemu-system-aarch64) ;;
        10.0) qemu=("$ROOT/scripts/qemu-10.0-aarch64") ;;
        *) echo "error: no QEMU $release here" >&2; return 1 ;;
    esac
    [[ "$options" == - ]] || machine="virt-7.2,$options"
    "$VMSTATE" reference -o "$out" -- "${qemu[@]}" -M "$machine" -cpu "$cpu" \
        -accel tcg -m 64 -nodefaults -display none >/dev/null
}
