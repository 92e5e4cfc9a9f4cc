//! Ping-pong of an Arm `virt-7.2` guest between real QEMU 7.2 and 10.0.2
//! through `vmstate convert`: the releases refuse each other's `cpu` section
//! (their coprocessor register lists differ), and `convert` rewrites it where
//! the guest cannot tell (docs/cross-version.md). At each hop the destination
//! loads the converted stream, saves it again at once, and must give back
//! the state it loaded; then the guest runs on.

mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;
use support::qemu::{ARM_GUEST, Arch, Qemu, Release, scratch};
use support::{inspect_json, vmstate};
use vmstate::check::{DROPPABLE_CPREGS, RELEASE_CONSTANTS};

const MACHINE: &str = "virt-7.2";

/// The `cpu` section's registers, by index.
fn registers(fields: &Value) -> BTreeMap<u64, u64> {
    let list = |name: &str| -> Vec<u64> {
        fields[name]
            .as_array()
            .unwrap_or_else(|| panic!("no `{name}` in {fields}"))
            .iter()
            .map(|v| v.as_u64().expect("a register is a number"))
            .collect()
    };
    list("cpreg_vmstate_indexes")
        .into_iter()
        .zip(list("cpreg_vmstate_values"))
        .collect()
}

/// Whether `convert` may drop, supply or give DEST's value to this register.
fn excepted(index: u64) -> bool {
    DROPPABLE_CPREGS.iter().any(|r| r.index == index)
        || RELEASE_CONSTANTS.iter().any(|r| r.index == index)
}

/// What differs between the sections of `before` (the stream before
/// `convert`) and `after` (what DEST saved right after loading it), with the
/// registers `convert` may change excepted and RAM not compared (its
/// statistics change with which pages are zero).
fn differences(before: &Path, after: &Path) -> Vec<String> {
    let sections = |path: &Path| -> BTreeMap<String, Value> {
        inspect_json(path)["sections"]
            .as_array()
            .expect("sections")
            .iter()
            .map(|s| {
                (
                    format!("{}:{}", s["section"], s["instance"]),
                    s["fields"].clone(),
                )
            })
            .collect()
    };
    let (before, after) = (sections(before), sections(after));
    let mut out = Vec::new();
    if before.keys().ne(after.keys()) {
        out.push(format!(
            "sections differ: {:?} / {:?}",
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>()
        ));
    }
    for (name, fields) in &before {
        if name.starts_with("\"ram\"") {
            continue;
        }
        let Some(other) = after.get(name) else {
            continue;
        };
        if name.starts_with("\"cpu\"") {
            let (ours, theirs) = (registers(fields), registers(other));
            for index in ours.keys().chain(theirs.keys()) {
                if !excepted(*index) && ours.get(index) != theirs.get(index) {
                    out.push(format!(
                        "{name} register 0x{index:016x}: {:?} != {:?}",
                        ours.get(index),
                        theirs.get(index)
                    ));
                }
            }
            let strip = |v: &Value| {
                let mut v = v.clone();
                if let Some(map) = v.as_object_mut() {
                    for key in [
                        "cpreg_vmstate_array_len",
                        "cpreg_vmstate_indexes",
                        "cpreg_vmstate_values",
                    ] {
                        map.remove(key);
                    }
                }
                v
            };
            diff_values(&strip(fields), &strip(other), name, &mut out);
        } else {
            diff_values(fields, other, name, &mut out);
        }
    }
    out
}

/// Compares two decoded values field by field. The releases describe some
/// sections with other names over the same bytes (10.0 renamed `pl011`'s
/// `readbuff` to `unused`, `cpu`'s `gt_timer[0]` to `gt_timer[GTIMER_PHYS]`,
/// and split `globalstate`'s 100-byte `runstate` into a 32-byte one and
/// more fields): a field only one side names is not compared, and a byte
/// string is compared over the shorter length, the rest being zeros.
fn diff_values(left: &Value, right: &Value, path: &str, out: &mut Vec<String>) {
    match (left, right) {
        (Value::Object(fields), Value::Object(others)) => {
            for (name, value) in fields {
                if let Some(other) = others.get(name) {
                    diff_values(value, other, &format!("{path}.{name}"), out);
                }
            }
        }
        (Value::Array(items), Value::Array(others)) if items.len() == others.len() => {
            for (i, (item, other)) in items.iter().zip(others).enumerate() {
                diff_values(item, other, &format!("{path}[{i}]"), out);
            }
        }
        (Value::String(a), Value::String(b)) if a.len() != b.len() => {
            let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
            // 10.0 sets `has_vm_was_suspended` (the byte after its 32-byte
            // runstate) on every save, where 7.2 wrote a zero (as in the x86
            // ping-pong of cross_version.rs).
            let rest = long.get(short.len()..).unwrap_or_default();
            let rest = rest.strip_prefix("01").unwrap_or(rest);
            if !long.starts_with(short.as_str()) || rest.bytes().any(|c| c != b'0') {
                out.push(format!("{path}: {left} != {right}"));
            }
        }
        // The PL031 RTC saves its offset from the host's clock, in seconds,
        // computed at save time: a second passes between the two saves.
        (Value::Number(a), Value::Number(b))
            if path.ends_with("tick_offset_vmstate")
                && a.as_u64()
                    .zip(b.as_u64())
                    .is_some_and(|(a, b)| a.abs_diff(b) <= 5) => {}
        _ if left != right => out.push(format!("{path}: {left} != {right}")),
        _ => {}
    }
}

/// One hop: `convert` the stream for `dest`, load it there, save it again
/// at once and compare, let the guest run, stop it, and save it to `next`.
fn hop(dest: Release, stream: &Path, dir: &Path, n: usize) -> std::path::PathBuf {
    let converted = dir.join(format!("hop{n}-converted.mig"));
    let (code, _, stderr) = vmstate(&[
        "convert",
        &stream.display().to_string(),
        "--to",
        dest.dump_name(),
        "-o",
        &converted.display().to_string(),
    ]);
    assert_eq!(code, 0, "hop {n}: convert for {dest:?} refused: {stderr}");
    let mut qemu = Qemu::load_arch(dest, Arch::Aarch64, MACHINE, &[], &converted)
        .unwrap_or_else(|e| panic!("hop {n}: QEMU {dest:?} refused the converted stream: {e}"));
    let reloaded = dir.join(format!("hop{n}-reloaded.mig"));
    qemu.save(&reloaded);
    let diff = differences(stream, &reloaded);
    assert!(
        diff.is_empty(),
        "hop {n}: QEMU {dest:?} did not keep the state:\n{}",
        diff.join("\n")
    );
    qemu.human("cont");
    std::thread::sleep(Duration::from_millis(700));
    assert!(qemu.running(), "hop {n}: the guest runs on QEMU {dest:?}");
    qemu.human("stop");
    let next = dir.join(format!("hop{n}.mig"));
    qemu.save(&next);
    qemu.quit();
    next
}

/// A `virt-7.2` guest that ran hops 7.2 -> 10.0 -> 7.2 -> 10.0.
#[test]
fn arm_guest_ping_pongs_between_releases_through_convert() {
    let dir = scratch("arm-ping-pong");
    let mut qemu = Qemu::start_arch(Release::V7_2, Arch::Aarch64, MACHINE, ARM_GUEST);
    std::thread::sleep(Duration::from_secs(1));
    qemu.execute(r#"{"execute": "stop"}"#);
    let mut stream = dir.join("hop0.mig");
    qemu.save(&stream);
    qemu.quit();
    for (n, dest) in [Release::V10_0, Release::V7_2, Release::V10_0]
        .into_iter()
        .enumerate()
    {
        stream = hop(dest, &stream, &dir, n + 1);
    }
    // The guest is still in its loop (`b .` at 0x40200000) after three hops.
    let cpu = inspect_json(&stream)["sections"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["section"] == "cpu").cloned())
        .expect("a cpu section");
    assert_eq!(
        cpu["fields"]["env.pc"], 0x4020_0000_u64,
        "{}",
        cpu["fields"]
    );
    std::fs::remove_dir_all(&dir).ok();
}
