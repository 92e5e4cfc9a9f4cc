#!/usr/bin/env bash
# Install the two real QEMU releases the tests use as oracles, when missing:
#   - QEMU 7.2: Debian 12's qemu-system-x86, installed with apt (qemu-system-x86_64 on PATH);
#   - QEMU 10.0.2: bookworm-backports' qemu-system-x86, which apt cannot install beside 7.2, so
#     its .debs are downloaded and extracted into a private prefix (default /opt/vmstate-qemu-10.0);
#   - qemu-img (Debian 12's qemu-utils): the `reference` tests give their guests a qcow2 disk.
# Idempotent; needs root (apt). Prints where each release is.
#
# Environment: VMSTATE_QEMU10_PREFIX=/path   (where 10.0.2 is extracted)
set -euo pipefail

PREFIX="${VMSTATE_QEMU10_PREFIX:-/opt/vmstate-qemu-10.0}"
BACKPORTS=/etc/apt/sources.list.d/vmstate-bookworm-backports.sources

updated=""
apt_update() { if [[ -z "$updated" ]]; then apt-get update -q; updated=1; fi; }

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        qemu-system-x86
fi

if ! command -v qemu-img >/dev/null 2>&1; then
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-utils
fi

if [[ ! -x "$PREFIX/usr/bin/qemu-system-x86_64" ]]; then
    if [[ ! -f "$BACKPORTS" ]]; then
        # Same archive and keyring as the configured bookworm sources; only `apt-get download`
        # uses it, nothing is installed from it.
        cat >"$BACKPORTS" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
        updated=""
    fi
    apt_update
    # The 10.0.2 build that bookworm-backports carries (its Debian revision changes over time).
    QEMU10_VERSION="$(apt-cache madison qemu-system-x86 | awk -F'|' '$2 ~ /10\.0\.2/ && $2 ~ /bpo12/ {gsub(/ /, "", $2); print $2; exit}')"
    if [[ -z "$QEMU10_VERSION" ]]; then
        echo "error: bookworm-backports offers no qemu-system-x86 10.0.2" >&2
        exit 1
    fi
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && apt-get download -q \
        "qemu-system-x86=$QEMU10_VERSION" \
        "qemu-system-common=$QEMU10_VERSION" \
        "qemu-system-data=$QEMU10_VERSION")
    mkdir -p "$PREFIX.tmp"
    for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$PREFIX.tmp"; done
    rm -rf "$PREFIX"
    mv "$PREFIX.tmp" "$PREFIX"
fi

qemu-system-x86_64 --version | head -n 1
echo "QEMU 10.0: $PREFIX/usr/bin/qemu-system-x86_64"
