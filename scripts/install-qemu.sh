#!/usr/bin/env bash
# Install the real QEMU releases the tests use as oracles, when missing, for x86_64 and aarch64:
#   - QEMU 7.2: Debian 12's qemu-system-x86 and qemu-system-arm, installed with apt
#     (qemu-system-x86_64 and qemu-system-aarch64 on PATH);
#   - QEMU 10.0.2: bookworm-backports' qemu-system-x86 and qemu-system-arm, which apt cannot
#     install beside 7.2, so their .debs are downloaded and extracted into one private prefix
#     (default /opt/vmstate-qemu-10.0) with the qemu-system-common/-data they share;
#   - qemu-img (Debian 12's qemu-utils): the `reference` tests give their guests a qcow2 disk;
#   - the compressors libvirt runs for its save image formats (gzip, bzip2, xz, lzop, zstd): the
#     tool runs them to read and write compressed libvirt save images;
#   - Debian 12's libvirt (virsh and its QEMU driver, which virsh runs in its own process over a
#     private root: `qemu:///embed`, no daemon) and the `libvirt-qemu` user and group that the
#     driver looks up even when its qemu.conf names root: the tests restore the save images the
#     tool wrote with real libvirt.
# Idempotent; needs root (apt). Prints where each release is.
#
# The backports entry reuses the archive URI of the machine's own bookworm sources (a mirror or a
# snapshot there stays in use), so no archive host is named here.
#
# Environment: VMSTATE_QEMU10_PREFIX=/path   (where 10.0.2 is extracted)
set -euo pipefail

PREFIX="${VMSTATE_QEMU10_PREFIX:-/opt/vmstate-qemu-10.0}"
BACKPORTS=/etc/apt/sources.list.d/vmstate-bookworm-backports.sources
# Every binary the tests run from each release; a missing one reinstalls that release.
QEMU72_BINARIES=(qemu-system-x86_64 qemu-system-aarch64 qemu-img)
QEMU10_BINARIES=(qemu-system-x86_64 qemu-system-aarch64)

updated=""
apt_update() { if [[ -z "$updated" ]]; then apt-get update -q; updated=1; fi; }

# The URI of the configured apt source whose suites include `bookworm` itself (deb822 files
# first, then the one-line format), printed once; empty when there is none.
bookworm_uri() {
    local file
    for file in /etc/apt/sources.list.d/*.sources; do
        [[ -f "$file" && "$file" != "$BACKPORTS" ]] || continue
        # deb822: paragraphs separated by blank lines; keep the first URI of a paragraph whose
        # Suites field lists `bookworm` as a whole word and whose Types include `deb`.
        awk '
            function flush() {
                if (is_deb && has_suite && uri != "") { print uri; found = 1; exit }
                is_deb = 0; has_suite = 0; uri = ""
            }
            /^[[:space:]]*$/ { flush(); next }
            /^[[:space:]]*#/ { next }
            tolower($1) == "types:" { for (i = 2; i <= NF; i++) if ($i == "deb") is_deb = 1 }
            tolower($1) == "uris:" { uri = $2 }
            tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == "bookworm") has_suite = 1 }
            END { if (!found) flush() }
        ' "$file" | head -n 1
    done | head -n 1
    local list
    for list in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -f "$list" ]] || continue
        # One-line format: `deb [options] URI SUITE COMPONENTS...`.
        awk '$1 == "deb" {
                i = 2; if ($i ~ /^\[/) { while (i <= NF && $i !~ /\]$/) i++; i++ }
                if ($(i + 1) == "bookworm") { print $i; exit }
            }' "$list"
    done | head -n 1
}

missing72=()
for binary in "${QEMU72_BINARIES[@]}"; do
    command -v "$binary" >/dev/null 2>&1 || missing72+=("$binary")
done
if ((${#missing72[@]})); then
    apt_update
    # The 7.2 build of Debian 12 itself (not a backport), for all three packages at once: a
    # machine may come with a newer qemu-utils (a backport), which declares it Breaks 7.2's
    # qemu-system-common, so qemu-utils is brought to the same 7.2 build.
    QEMU72_VERSION="$(apt-cache madison qemu-system-x86 | awk -F'|' '$2 ~ /7\.2/ && $2 !~ /bpo/ {gsub(/ /, "", $2); print $2; exit}')"
    if [[ -z "$QEMU72_VERSION" ]]; then
        echo "error: the configured apt sources offer no qemu-system-x86 7.2" >&2
        exit 1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends --allow-downgrades \
        "qemu-system-x86=$QEMU72_VERSION" "qemu-system-arm=$QEMU72_VERSION" \
        "qemu-utils=$QEMU72_VERSION"
fi

COMPRESSORS=(gzip bzip2 xz lzop zstd)
missing_compressors=()
for binary in "${COMPRESSORS[@]}"; do
    command -v "$binary" >/dev/null 2>&1 || missing_compressors+=("$binary")
done
if ((${#missing_compressors[@]})); then
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        gzip bzip2 xz-utils lzop zstd
fi

if ! command -v virsh >/dev/null 2>&1 ||
   ! dpkg-query -W -f='${Status}' libvirt-daemon-driver-qemu 2>/dev/null | grep -q 'ok installed'; then
    apt_update
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
        libvirt-clients libvirt-daemon libvirt-daemon-driver-qemu
fi
getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
id libvirt-qemu >/dev/null 2>&1 ||
    useradd --system -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu

missing10=()
for binary in "${QEMU10_BINARIES[@]}"; do
    [[ -x "$PREFIX/usr/bin/$binary" ]] || missing10+=("$binary")
done
if ((${#missing10[@]})); then
    if [[ ! -f "$BACKPORTS" ]]; then
        uri="$(bookworm_uri | head -n 1)"
        if [[ -z "$uri" ]]; then
            echo "error: no configured apt source for bookworm to take the backports URI from" >&2
            exit 1
        fi
        # Same archive and keyring as the configured bookworm sources; only `apt-get download`
        # uses it, nothing is installed from it.
        cat >"$BACKPORTS" <<SOURCES
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
        updated=""
    fi
    apt_update
    # The 10.0.2 build that bookworm-backports carries (its Debian revision changes over time);
    # the x86 and Arm packages come from one source package, so they share it.
    QEMU10_VERSION="$(apt-cache madison qemu-system-x86 | awk -F'|' '$2 ~ /10\.0\.2/ && $2 ~ /bpo12/ {gsub(/ /, "", $2); print $2; exit}')"
    if [[ -z "$QEMU10_VERSION" ]]; then
        echo "error: bookworm-backports offers no qemu-system-x86 10.0.2" >&2
        exit 1
    fi
    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    (cd "$work" && apt-get download -q \
        "qemu-system-x86=$QEMU10_VERSION" \
        "qemu-system-arm=$QEMU10_VERSION" \
        "qemu-system-common=$QEMU10_VERSION" \
        "qemu-system-data=$QEMU10_VERSION")
    rm -rf "$PREFIX.tmp"
    mkdir -p "$PREFIX.tmp"
    for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$PREFIX.tmp"; done
    rm -rf "$PREFIX"
    mv "$PREFIX.tmp" "$PREFIX"
fi

for binary in qemu-system-x86_64 qemu-system-aarch64; do
    echo "QEMU 7.2: $(command -v "$binary") ($("$binary" --version | head -n 1))"
done
for binary in "${QEMU10_BINARIES[@]}"; do
    echo "QEMU 10.0: $PREFIX/usr/bin/$binary"
done
echo "libvirt: $(virsh --version)"
