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
and each run, with the crates each build compiled; then one more build of each
shows where the CPU time goes, rustc by rustc (the script is its own
`RUSTC_WRAPPER` for that build). CPU time, not wall time: the machine is shared,
and CPU time moves far less with its load.

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
LOG = "VMSTATE_COST_LOG"


def wrap_rustc() -> int:
    """As `RUSTC_WRAPPER`: run rustc, then log its crate and CPU time."""
    args = sys.argv[1:]
    # Keep the jobserver's descriptors open for rustc.
    code = subprocess.run(args, close_fds=False).returncode
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    name = args[args.index("--crate-name") + 1] if "--crate-name" in args else None
    if name:
        with open(os.environ[LOG], "a") as log:
            log.write(f"{name} {usage.ru_utime + usage.ru_stime:.2f}\n")
    return code


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


def clean_build(crate: pathlib.Path, per_rustc: bool = False) -> tuple[float, list[str], dict[str, float]]:
    """CPU seconds (user + system, children) of one build from scratch, the
    crates it compiled, and with `per_rustc` (which adds the wrapper's own
    time to the first) the CPU seconds of each rustc by crate."""
    target = crate / "target"
    shutil.rmtree(target, ignore_errors=True)
    log = crate / "rustc-cpu.log"
    log.unlink(missing_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**os.environ, "CARGO_TARGET_DIR": str(target), "CARGO_INCREMENTAL": "0"}
    if per_rustc:
        env |= {"RUSTC_WRAPPER": str(pathlib.Path(__file__).resolve()), LOG: str(log)}
    done = subprocess.run(
        ["cargo", "build", "--offline", "--manifest-path", str(crate / "Cargo.toml")],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    compiled = re.findall(r"Compiling (\S+) v", done.stderr)
    per_crate: dict[str, float] = {}
    for line in (log.read_text().splitlines() if per_rustc else []):
        name, seconds = line.split()
        per_crate[name] = per_crate.get(name, 0.0) + float(seconds)
    return cpu, sorted(compiled), per_crate


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
    per_crate = {}
    for _ in range(args.rounds):
        for kind in KINDS:
            cpu, names, _ = clean_build(crates[kind])
            times[kind].append(cpu)
            compiled[kind] = names
    for kind in KINDS:
        per_crate[kind] = clean_build(crates[kind], per_rustc=True)[2]
    serde = statistics.median(times["serde-bincode"])
    print(f"{args.devices} devices ({3 * args.devices} derived structs), clean `cargo build`, "
          f"CPU user+sys, median of {args.rounds}:")
    # The load of a shared machine drifts over a run: a round's builds are
    # close in time, so the median of the rounds' ratios is the steadier one.
    print("| crate | CPU (s), median | each run | ratio of medians | median of the rounds' ratios | crates compiled |")
    print("|---|---:|---|---:|---:|---|")
    for kind in KINDS:
        median = statistics.median(times[kind])
        runs = ", ".join(f"{t:.1f}" for t in times[kind])
        paired = statistics.median(a / b for a, b in zip(times[kind], times["serde-bincode"]))
        names = ", ".join(compiled[kind])
        print(f"| {kind} | {median:.1f} | {runs} | {median / serde:.2f} | {paired:.2f} | "
              f"{len(compiled[kind])}: {names} |")
    print()
    print("CPU seconds of each rustc, one more build of each (build scripts not shown):")
    print("| crate | " + " | ".join(KINDS) + " |")
    print("|---|" + "---:|" * len(KINDS))
    names = sorted({n for kind in KINDS for n in per_crate[kind]},
                   key=lambda n: -max(per_crate[k].get(n, 0.0) for k in KINDS))
    for name in names:
        if name.startswith("build_script"):
            continue
        cells = [f"{per_crate[k][name]:.2f}" if name in per_crate[k] else "" for k in KINDS]
        print(f"| {name} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    if os.environ.get(LOG) and len(sys.argv) > 1 and "rustc" in pathlib.Path(sys.argv[1]).name:
        sys.exit(wrap_rustc())
    sys.exit(main())
