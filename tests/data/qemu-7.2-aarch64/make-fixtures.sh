#!/usr/bin/env bash
# Regenerate the QEMU 7.2 aarch64 fixtures in this directory (README.md lists them).
#
# Requires qemu-system-aarch64 from QEMU 7.2 (Debian 12: `apt-get install qemu-system-arm`;
# scripts/install-qemu.sh installs it), perl, grep.  Can be run from any directory; writes next
# to itself; every output is written to a temporary file first and then moved into place.
#
# Usage: make-fixtures.sh [virt72-paused|virt72-ran|virt72-devices|virt72-gicv3|virt-ran|
#   virt-7.2.dump|machines ...]   (no arguments: regenerate everything)
#
# Environment:
#   QEMU=/path/to/qemu-system-aarch64   (default: qemu-system-aarch64 from PATH)
#   RUN_SECONDS=1                       (how long the "ran" guests execute their loop)
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
QEMU="${QEMU:-qemu-system-aarch64}"
WANT_VERSION=7.2
# In 7.2, `virt` is virt-7.2 itself.
NEWEST_VIRT=virt
# shellcheck source=../arm-fixtures.sh
source "$DIR/../arm-fixtures.sh"
