#!/usr/bin/env bash
# Every test of the workspace, on a fresh machine too: installs the real QEMU releases the tests
# use as oracles (7.2 from Debian, 10.0.2 from bookworm-backports; x86_64 and aarch64) and the
# libvirt that restores save images when they are missing, then checks the Cargo features
# (scripts/features.sh) and runs `cargo test --workspace` with any extra arguments passed through.
set -euo pipefail
cd "$(dirname "$0")/.."
# Both architectures of both releases (x86_64 and aarch64), as install-qemu.sh installs them.
prefix="${VMSTATE_QEMU10_PREFIX:-/opt/vmstate-qemu-10.0}"
if ! command -v qemu-system-x86_64 >/dev/null 2>&1 || ! command -v qemu-system-aarch64 >/dev/null 2>&1 ||
   ! command -v qemu-img >/dev/null 2>&1 || ! command -v virsh >/dev/null 2>&1 ||
   ! id libvirt-qemu >/dev/null 2>&1 || [[ ! -x "$prefix/usr/bin/qemu-system-x86_64" ]] ||
   [[ ! -x "$prefix/usr/bin/qemu-system-aarch64" ]]; then
    if [[ "$(id -u)" != 0 ]]; then
        echo "error: QEMU 7.2, 10.0.2, qemu-img and libvirt are needed; run scripts/install-qemu.sh as root" >&2
        exit 1
    fi
    bash scripts/install-qemu.sh
fi
bash scripts/features.sh
exec cargo test --workspace "$@"
