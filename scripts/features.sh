#!/usr/bin/env bash
# The Cargo features hold: with its default features or none `vmstate` depends on no JSON crate, a
# device crate built that way derives and round-trips (tests/no-default-features), and the
# facade builds with no feature and with each feature alone.
set -euo pipefail
cd "$(dirname "$0")/.."

for features in --no-default-features ""; do
    # shellcheck disable=SC2086 # an empty $features selects the defaults
    tree=$(cargo tree -p vmstate $features -e normal --prefix none)
    for crate in serde_json indexmap; do
        if grep -q "^$crate " <<<"$tree"; then
            echo "error: vmstate ${features:-with default features} depends on $crate:" >&2
            # shellcheck disable=SC2086
            cargo tree -p vmstate $features -e normal -i "$crate" >&2
            exit 1
        fi
    done
    if ! grep -q "^vmstate-runtime " <<<"$tree"; then
        echo "error: cargo tree printed no vmstate-runtime; the check above proves nothing" >&2
        exit 1
    fi
done

cargo test -q -p vmstate-no-default-features
cargo check -q -p vmstate --no-default-features
for feature in stream vmdesc check testing release qemu; do
    echo "--- vmstate with feature $feature alone"
    cargo check -q -p vmstate --no-default-features --features "$feature"
done
