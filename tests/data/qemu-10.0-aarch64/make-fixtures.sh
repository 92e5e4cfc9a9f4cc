#!/usr/bin/env bash
# Regenerate the QEMU 10.0.2 aarch64 fixtures in this directory (README.md lists them).
#
# Requires QEMU 10.0.2's qemu-system-aarch64, as scripts/install-qemu.sh extracts it and
# scripts/qemu-10.0-aarch64 runs it (root: a private mount namespace), perl, grep.  Can be run
# from any directory; writes next to itself; every output is written to a temporary file first
# and then moved into place.
#
# Usage: make-fixtures.sh [virt72-paused|virt72-ran|virt72-devices|virt72-gicv3|virt-ran|
#   virt-7.2.dump|machines ...]   (no arguments: regenerate everything)
#
# Environment:
#   QEMU=/path/to/qemu   (default: scripts/qemu-10.0-aarch64 of this repository)
#   RUN_SECONDS=1        (how long the "ran" guests execute their loop)
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
QEMU="${QEMU:-$DIR/../../../scripts/qemu-10.0-aarch64}"
WANT_VERSION=10.0.2
# In 10.0, `virt` is virt-10.0.
NEWEST_VIRT=virt
# shellcheck source=../arm-fixtures.sh
source "$DIR/../arm-fixtures.sh"
