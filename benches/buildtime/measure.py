#!/usr/bin/env python3
"""Build time of 100 derived device structs: `#[derive(VmState)]` against
`#[derive(serde::Serialize, serde::Deserialize)]` on the same structs
(issue 5's target: ours <= 1.5x serde's).

Generates two library crates under a scratch directory (default
/tmp/vmstate-buildtime), each with 100 device structs shaped like QEMU
devices: scalars, a bool, small arrays, a placeholder, `since` fields, a
nested struct and a subsection (so 300 derived types per crate). Both share
one target directory, so dependencies are built once; then each crate is
rebuilt after touching its lib.rs, alternately, ROUNDS times, and the median
wall time of `cargo build` (dev profile) and `cargo check` is reported.

Usage: python3 benches/buildtime/measure.py [--rounds N] [--dir DIR]
                                            [--vmstate PATH]
(--vmstate: the vmstate checkout to depend on; default this repository.)
"""

import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
DEVICES = 100


def device(i: int, ours: bool) -> str:
    if ours:
        derive = "#[derive(VmState, Debug, Default, Clone, PartialEq)]"
        attr = lambda a: f"#[vmstate({a})]"  # noqa: E731
        gap = "pub _gap: Unused<4>,"
        sub = f"#[subsection(needed = Dev{i}::extra_needed)]"
        since2, since3 = "#[vmstate(since = 2)]", "#[vmstate(since = 3)]"
    else:
        derive = "#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq)]"
        attr = lambda a: ""  # noqa: E731
        gap = "#[serde(skip)] pub _gap: [u8; 4],"
        sub = ""
        since2 = since3 = ""
    return f"""
{derive}
{attr(f'name = "dev{i}_chan", version = 1')}
pub struct Chan{i} {{
    pub count: i32,
    pub latched: u16,
    pub mode: u8,
    pub gate: bool,
    pub load_time: i64,
}}

{derive}
{attr(f'name = "dev{i}/extra", version = 1')}
pub struct Dev{i}Extra {{
    pub pending: u32,
    pub level: [u8; 4],
}}

{derive}
{attr(f'name = "dev{i}", version = 3, minimum_version = 1')}
pub struct Dev{i} {{
    pub ctrl: u32,
    pub status: u16,
    pub irq_level: u8,
    pub enabled: bool,
    pub regs: [u32; 16],
    pub fifo: [u8; 32],
    pub timer: i64,
    {gap}
    {since2} pub counter: u64,
    {since3} pub offset: i64,
    pub chan: Chan{i},
    {sub} pub extra: Dev{i}Extra,
}}

impl Dev{i} {{
    pub fn extra_needed(&self) -> bool {{
        self.extra.pending != 0
    }}
}}
"""


def write_crate(root: pathlib.Path, name: str, ours: bool, vmstate: pathlib.Path) -> None:
    (root / name / "src").mkdir(parents=True, exist_ok=True)
    if ours:
        dep = f'vmstate = {{ path = "{vmstate}" }}'
        head = "use vmstate::{Unused, VmState};\n"
    else:
        dep = 'serde = { version = "1", features = ["derive"] }'
        head = "use serde::{Deserialize, Serialize};\n"
    (root / name / "Cargo.toml").write_text(
        f'[package]\nname = "{name}"\nversion = "0.0.0"\nedition = "2024"\n'
        f"publish = false\n\n[dependencies]\n{dep}\n"
    )
    body = "#![allow(missing_docs, dead_code)]\n" + head
    body += "".join(device(i, ours) for i in range(DEVICES))
    (root / name / "src" / "lib.rs").write_text(body)


def cargo(root: pathlib.Path, crate: str, command: str, target: pathlib.Path) -> float:
    lib = root / crate / "src" / "lib.rs"
    os.utime(lib)
    start = time.monotonic()
    subprocess.run(
        ["cargo", command, "-q", "--manifest-path", str(root / crate / "Cargo.toml")],
        check=True,
        env={**os.environ, "CARGO_TARGET_DIR": str(target), "CARGO_INCREMENTAL": "0"},
    )
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", default="/tmp/vmstate-buildtime")
    parser.add_argument("--vmstate", default=str(REPO))
    args = parser.parse_args()
    root = pathlib.Path(args.dir)
    shutil.rmtree(root / "ours", ignore_errors=True)
    shutil.rmtree(root / "serde", ignore_errors=True)
    vmstate = pathlib.Path(args.vmstate).resolve()
    write_crate(root, "ours", ours=True, vmstate=vmstate)
    write_crate(root, "serde", ours=False, vmstate=vmstate)
    # The crates are built outside the workspace: give each its own lock.
    target = root / "target"
    results = {}
    for command in ("build", "check"):
        for crate in ("ours", "serde"):
            cargo(root, crate, command, target)  # dependencies, once
        times = {"ours": [], "serde": []}
        for _ in range(args.rounds):
            for crate in ("ours", "serde"):
                times[crate].append(cargo(root, crate, command, target))
        results[command] = {k: statistics.median(v) for k, v in times.items()}
    print(f"{DEVICES} device structs (+ a nested and a subsection struct each), "
          f"median of {args.rounds} rebuilds of the crate alone:")
    print("| cargo | #[derive(VmState)] | serde Serialize+Deserialize | ratio |")
    print("|---|---:|---:|---:|")
    for command, r in results.items():
        print(f"| {command} | {r['ours']:.2f} s | {r['serde']:.2f} s | "
              f"{r['ours'] / r['serde']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
