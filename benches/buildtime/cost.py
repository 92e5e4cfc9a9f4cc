#!/usr/bin/env python3
"""Clean-build CPU time of a small device crate: `#[derive(VmState)]` with
`vmstate` at `default-features = false` and with its default features,
against the same structs with serde's derives and bincode.

Writes three library crates under a scratch directory (default
/tmp/vmstate-buildcost), each with DEVICES device structs as measure.py
shapes them (a nested struct and a subsection each) and, per device, a save
and a load function so that the codec is instantiated as a user's would be.
Each crate is built from scratch (`cargo build`, dev profile, a fresh target
directory, `--offline`) ROUNDS times, alternating, and the user+system CPU
time of the whole build (every rustc and build script) is reported, median
and each run, with the crates each build compiled. CPU time, not wall time:
the machine is shared, and CPU time moves far less with its load.

Usage: python3 benches/buildtime/cost.py [--rounds N] [--devices N]
                                         [--dir DIR] [--vmstate PATH]
"""

import argparse
import os
import pathlib
import re
import resource
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from measure import REPO, device  # noqa: E402

KINDS = ("vmstate-no-default", "vmstate-default", "serde-bincode")


def write_crate(root: pathlib.Path, kind: str, devices: int, vmstate: pathlib.Path) -> pathlib.Path:
    crate = root / kind
    (crate / "src").mkdir(parents=True, exist_ok=True)
    ours = kind != "serde-bincode"
    if kind == "vmstate-no-default":
        dep = f'vmstate = {{ path = "{vmstate}", default-features = false }}'
    elif kind == "vmstate-default":
        dep = f'vmstate = {{ path = "{vmstate}" }}'
    else:
        dep = 'serde = { version = "1", features = ["derive"] }\nbincode = "1"'
    (crate / "Cargo.toml").write_text(
        f'[package]\nname = "{kind}"\nversion = "0.0.0"\nedition = "2024"\n'
        f"publish = false\n\n[dependencies]\n{dep}\n\n[workspace]\n"
    )
    if ours:
        head = "use vmstate::{Unused, VmState};\n"
        codec = (
            "pub fn save{i}(d: &Dev{i}) -> Vec<u8> {{ vmstate::to_vec(d).unwrap_or_default() }}\n"
            "pub fn load{i}(b: &[u8]) -> Option<Dev{i}> {{ vmstate::from_slice(b, 3).ok() }}\n"
        )
    else:
        head = "use serde::{Deserialize, Serialize};\n"
        codec = (
            "pub fn save{i}(d: &Dev{i}) -> Vec<u8> {{ bincode::serialize(d).unwrap_or_default() }}\n"
            "pub fn load{i}(b: &[u8]) -> Option<Dev{i}> {{ bincode::deserialize(b).ok() }}\n"
        )
    body = "#![allow(missing_docs, dead_code)]\n" + head
    body += "".join(device(i, ours) + codec.format(i=i) for i in range(devices))
    (crate / "src" / "lib.rs").write_text(body)
    return crate


def clean_build(crate: pathlib.Path) -> tuple[float, list[str]]:
    """CPU seconds (user + system, children) of one build from scratch, and
    the crates it compiled."""
    target = crate / "target"
    shutil.rmtree(target, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        ["cargo", "build", "--offline", "--manifest-path", str(crate / "Cargo.toml")],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, "CARGO_TARGET_DIR": str(target), "CARGO_INCREMENTAL": "0"},
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    compiled = re.findall(r"Compiling (\S+) v", done.stderr)
    return cpu, sorted(compiled)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--devices", type=int, default=10)
    parser.add_argument("--dir", default="/tmp/vmstate-buildcost")
    parser.add_argument("--vmstate", default=str(REPO))
    args = parser.parse_args()
    root = pathlib.Path(args.dir)
    vmstate = pathlib.Path(args.vmstate).resolve()
    crates = {}
    for kind in KINDS:
        shutil.rmtree(root / kind, ignore_errors=True)
        crates[kind] = write_crate(root, kind, args.devices, vmstate)
        # Resolve the dependencies once, outside the timed builds.
        subprocess.run(
            ["cargo", "generate-lockfile", "--offline", "--manifest-path",
             str(crates[kind] / "Cargo.toml")],
            check=True, capture_output=True,
        )
    times = {kind: [] for kind in KINDS}
    compiled = {}
    for _ in range(args.rounds):
        for kind in KINDS:
            cpu, names = clean_build(crates[kind])
            times[kind].append(cpu)
            compiled[kind] = names
    serde = statistics.median(times["serde-bincode"])
    print(f"{args.devices} devices ({3 * args.devices} derived structs), clean `cargo build`, "
          f"CPU user+sys, median of {args.rounds}:")
    print("| crate | CPU (s), median | each run | ratio to serde + bincode | crates compiled |")
    print("|---|---:|---|---:|---|")
    for kind in KINDS:
        median = statistics.median(times[kind])
        runs = ", ".join(f"{t:.1f}" for t in times[kind])
        names = ", ".join(compiled[kind])
        print(f"| {kind} | {median:.1f} | {runs} | {median / serde:.2f} | "
              f"{len(compiled[kind])}: {names} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
