//! Suspended guests in their own qcow2 images, against real QEMU.
//!
//! Every image here is made at test time: `qemu-img create` (with each of
//! the layouts that change where a VM state lives: qcow2 version 2, small
//! and large clusters, extended L2 entries, 2- and 64-bit refcounts (1 bit
//! cannot count a snapshot's share), lazy refcounts), then a
//! real QEMU runs a guest on it and `savevm`s it. The tool reads the
//! snapshot's state, changes it in place, and the image must stay clean for
//! `qemu-img check` and load in a real QEMU with `-loadvm`, showing the
//! change; across releases, `convert` in the image makes a 7.2 guest resume
//! in 10.0 and back; killed mid-write, the image stays clean and holds the
//! old state or the new one, whole.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::qemu::{ARM_GUEST, Arch, Qemu, Release, create_qcow2, qcow2_drive, scratch};
use support::vmstate;

/// How long the guest's firmware runs before `savevm`.
const RUN_TIME: Duration = Duration::from_secs(1);

fn qemu_img(args: &[&str]) -> (i32, String) {
    let output = Command::new("qemu-img")
        .args(args)
        .output()
        .expect("qemu-img runs (scripts/install-qemu.sh installs it)");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned()
            + &String::from_utf8_lossy(&output.stderr),
    )
}

/// `qemu-img check` finds no error and no leak.
fn assert_clean(image: &Path, when: &str) {
    let (code, text) = qemu_img(&["check", &image.display().to_string()]);
    assert!(
        code == 0 && text.contains("No errors were found"),
        "{when}: qemu-img check {} exited {code}:\n{text}",
        image.display()
    );
}

/// Runs a guest of `release` on `image` for a moment and saves it as
/// snapshot `name`.
fn savevm(release: Release, machine: &str, image: &Path, name: &str, extra: &[&str]) {
    let drive = qcow2_drive(image);
    let mut args = vec!["-drive", drive.as_str()];
    args.extend_from_slice(extra);
    let mut qemu = Qemu::start(release, machine, &args);
    std::thread::sleep(RUN_TIME);
    let said = qemu.human(&format!("savevm {name}"));
    assert!(
        !said.to_lowercase().contains("error"),
        "savevm {name} in {release:?}: {said}"
    );
    qemu.quit();
}

/// Starts `release` with `-loadvm name`, paused; `Err` with QEMU's words
/// when it refuses the snapshot.
fn loadvm(release: Release, machine: &str, image: &Path, name: &str) -> Result<Qemu, String> {
    loadvm_with(release, machine, image, name, &[])
}

fn loadvm_with(
    release: Release,
    machine: &str,
    image: &Path,
    name: &str,
    extra: &[&str],
) -> Result<Qemu, String> {
    let drive = qcow2_drive(image);
    let mut args = vec!["-S", "-drive", drive.as_str(), "-loadvm", name];
    args.extend_from_slice(extra);
    Qemu::try_start(release, machine, &args)
}

/// The first PIC's interrupt mask, as QEMU's `info pic` shows it.
fn pic0_imr(qemu: &mut Qemu) -> u8 {
    let text = qemu.human("info pic");
    let line = text
        .lines()
        .find(|l| l.starts_with("pic0:"))
        .unwrap_or_else(|| panic!("no pic0 in `info pic`: {text}"));
    let imr = line
        .split_whitespace()
        .find_map(|word| word.strip_prefix("imr="))
        .unwrap_or_else(|| panic!("no imr in {line}"));
    u8::from_str_radix(imr, 16).unwrap()
}

/// The value of field `imr` of section `i8259` instance 0 in `file`.
fn stream_imr(file: &str) -> u64 {
    let (code, out, err) = vmstate(&["inspect", "--json", "--section", "i8259:0", file]);
    assert_eq!(code, 0, "inspect {file}: {err}");
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    json["sections"][0]["fields"]["imr"].as_u64().unwrap()
}

fn set_imr(input: &str, output: &str, value: u8) -> (i32, String) {
    let (code, _, err) = support::set_field(input, "i8259:0", &format!("imr={value:#x}"), output);
    (code, err)
}

/// A repeatable stream of pseudo-random numbers (xorshift64).
fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// Each layout `qemu-img create` offers that moves the VM state around.
const LAYOUTS: [(&str, &str); 7] = [
    ("v3-64k", ""),
    // The smallest clusters: the state spans many L2 tables.
    ("512-byte-clusters", "cluster_size=512"),
    ("v2", "compat=0.10"),
    (
        "4k-clusters-2-bit-refcounts",
        "cluster_size=4096,refcount_bits=2",
    ),
    (
        "2m-clusters-64-bit-refcounts",
        "cluster_size=2M,refcount_bits=64",
    ),
    ("extended-l2", "extended_l2=on,cluster_size=128k"),
    ("lazy-refcounts", "lazy_refcounts=on"),
];

#[test]
fn a_snapshot_edited_in_its_image_loads_in_qemu_with_the_change_for_every_layout() {
    let dir = scratch("qcow2-layouts");
    for (name, options) in LAYOUTS {
        let image = dir.join(format!("{name}.qcow2"));
        create_qcow2(&image, options);
        savevm(Release::V7_2, "pc-i440fx-7.2", &image, "suspended", &[]);
        let at = format!("{}@suspended", image.display());

        // The image lists it; its state reads as a whole stream.
        let (code, listing, err) = vmstate(&["inspect", &image.display().to_string()]);
        assert_eq!(code, 0, "{name}: inspect lists: {err}");
        assert!(listing.contains("suspended"), "{name}: {listing}");
        let (code, table, err) = vmstate(&["inspect", &at]);
        assert_eq!(code, 0, "{name}: inspect {at}: {err}");
        assert!(table.contains("machine: pc-i440fx-7.2"), "{name}: {table}");
        assert!(table.contains("mc146818rtc"), "{name}: {table}");

        let before = stream_imr(&at);
        let wanted = u8::try_from(before ^ 0x5a).unwrap();
        let (code, err) = set_imr(&at, &at, wanted);
        assert_eq!(code, 0, "{name}: set in place: {err}");
        assert_clean(&image, name);
        assert_eq!(stream_imr(&at), u64::from(wanted), "{name}");

        // QEMU itself sees the new value, and the guest runs on.
        let mut qemu = loadvm(Release::V7_2, "pc-i440fx-7.2", &image, "suspended")
            .unwrap_or_else(|e| panic!("{name}: QEMU 7.2 refused the edited snapshot: {e}"));
        assert_eq!(pic0_imr(&mut qemu), wanted, "{name}: QEMU's pic0 imr");
        qemu.human("cont");
        assert!(qemu.running(), "{name}: the guest runs");
        qemu.quit();
        assert_clean(&image, &format!("{name}, after QEMU loaded it"));
    }
}

#[test]
fn a_second_edit_and_other_snapshots_are_kept_apart() {
    let dir = scratch("qcow2-two");
    let image = dir.join("two.qcow2");
    create_qcow2(&image, "");
    savevm(Release::V7_2, "pc-i440fx-7.2", &image, "first", &[]);
    savevm(Release::V7_2, "pc-i440fx-7.2", &image, "second", &[]);
    let first = format!("{}@first", image.display());
    let second = format!("{}@second", image.display());
    let untouched = stream_imr(&second);
    let mut lengths = Vec::new();
    for value in [0x11u8, 0x22, 0x33] {
        let (code, err) = set_imr(&first, &first, value);
        assert_eq!(code, 0, "set {value:#x}: {err}");
        assert_clean(&image, &format!("after setting {value:#x}"));
        lengths.push(std::fs::metadata(&image).unwrap().len());
    }
    assert_eq!(stream_imr(&first), 0x33);
    assert_eq!(stream_imr(&second), untouched, "the other snapshot");
    // By ID too, as `qemu-img snapshot -l` numbers them.
    assert_eq!(stream_imr(&format!("{}@1", image.display())), 0x33);
    let mut qemu = loadvm(Release::V7_2, "pc-i440fx-7.2", &image, "first").unwrap();
    assert_eq!(pic0_imr(&mut qemu), 0x33);
    qemu.quit();
    // The space of the states replaced went back to the file system, so
    // three edits cost far less than three states.
    let (code, info) = qemu_img(&["info", "--output=json", &image.display().to_string()]);
    assert_eq!(code, 0, "{info}");
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    let state: u64 = info["snapshots"][0]["vm-state-size"].as_u64().unwrap();
    let allocated = info["actual-size"].as_u64().unwrap();
    assert!(
        allocated < 4 * state,
        "{allocated} bytes allocated for two snapshots of {state} bytes after three edits"
    );
    // And the second and third edits took the clusters the edit before
    // freed: together they grew the file by less than one state.
    assert!(
        lengths[2] - lengths[0] < state,
        "the file's length after each edit: {lengths:?}, for a {state}-byte state"
    );
}

#[test]
fn an_edit_into_a_new_image_leaves_the_original_as_it_was() {
    let dir = scratch("qcow2-copy");
    let image = dir.join("original.qcow2");
    create_qcow2(&image, "");
    savevm(Release::V7_2, "pc-i440fx-7.2", &image, "s", &[]);
    let before = std::fs::read(&image).unwrap();
    let copy = dir.join("copy.qcow2");
    let (code, err) = set_imr(
        &format!("{}@s", image.display()),
        &format!("{}@s", copy.display()),
        0x42,
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(std::fs::read(&image).unwrap(), before, "the original image");
    assert_clean(&copy, "the copy");
    assert_eq!(stream_imr(&format!("{}@s", copy.display())), 0x42);
    let mut qemu = loadvm(Release::V7_2, "pc-i440fx-7.2", &copy, "s").unwrap();
    assert_eq!(pic0_imr(&mut qemu), 0x42);
    qemu.quit();
    // And a plain stream out of it, which QEMU loads as a migration.
    let stream = dir.join("out.mig");
    let (code, err) = set_imr(
        &format!("{}@s", image.display()),
        &stream.display().to_string(),
        0x43,
    );
    assert_eq!(code, 0, "{err}");
    let mut qemu = Qemu::load(
        Release::V7_2,
        "pc-i440fx-7.2",
        &["-drive", &qcow2_drive(&image)],
        &stream,
    )
    .unwrap();
    assert_eq!(pic0_imr(&mut qemu), 0x43);
    qemu.quit();
}

#[test]
fn a_running_qemu_keeps_its_image_and_unknown_snapshots_are_named() {
    let dir = scratch("qcow2-busy");
    let image = dir.join("busy.qcow2");
    create_qcow2(&image, "");
    savevm(Release::V7_2, "pc-i440fx-7.2", &image, "s", &[]);
    let at = format!("{}@s", image.display());
    let before = std::fs::read(&image).unwrap();
    let drive = qcow2_drive(&image);
    let qemu = Qemu::start(Release::V7_2, "pc-i440fx-7.2", &["-S", "-drive", &drive]);
    let (code, err) = set_imr(&at, &at, 0x12);
    assert_eq!(code, 1, "a write while QEMU has the image open: {err}");
    assert!(err.contains("in use"), "{err}");
    qemu.quit();
    assert_eq!(std::fs::read(&image).unwrap(), before);

    let (code, _, err) = vmstate(&["inspect", &format!("{}@nope", image.display())]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no snapshot named \"nope\"") && err.contains("s (ID 1)"),
        "{err}"
    );
    let (code, _, err) = vmstate(&[
        "inspect",
        "--json",
        "--section",
        "i8259",
        &image.display().to_string(),
    ]);
    assert_eq!(code, 0, "listing with --json: {err}");
    let (code, _, err) = vmstate(&[
        "set",
        &image.display().to_string(),
        "--section",
        "i8259:0",
        "--field",
        "imr=1",
        "-o",
        "x.mig",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("is a qcow2 image: name one of its snapshots"),
        "{err}"
    );
}

/// A 7.2 guest suspended in its image resumes in 10.0 on 10.0's own machine
/// type once `convert` rewrote it in place, and a 10.0 guest in 7.2; before,
/// `check` predicts the refusal that real QEMU then gives.
#[test]
fn a_suspended_guest_crosses_releases_in_its_own_image() {
    let dir = scratch("qcow2-cross");
    for (from, from_machine, to, to_machine) in [
        (
            Release::V7_2,
            "pc-i440fx-7.2",
            Release::V10_0,
            "pc-i440fx-10.0",
        ),
        (
            Release::V10_0,
            "pc-i440fx-10.0",
            Release::V7_2,
            "pc-i440fx-7.2",
        ),
    ] {
        let what = format!("{from:?} {from_machine} -> {to:?} {to_machine}");
        let image = dir.join(format!("{from:?}.qcow2"));
        create_qcow2(&image, "");
        savevm(from, from_machine, &image, "suspended", &[]);
        let at = format!("{}@suspended", image.display());
        let reference = dir.join(format!("{to:?}.ref"));
        let program = to.program().display().to_string();
        let reference_text = reference.display().to_string();
        let mut args = vec![
            "reference",
            "-o",
            &reference_text,
            "--",
            &program,
            "-M",
            to_machine,
        ];
        args.extend(support::qemu::COMMON);
        let (code, _, err) = vmstate(&args);
        assert_eq!(code, 0, "{what}: reference: {err}");

        let (code, out, err) =
            vmstate(&["check", &at, to.dump_name(), "--reference", &reference_text]);
        assert_eq!(code, 1, "{what}: check before convert: {out}{err}");
        let refused = loadvm(to, to_machine, &image, "suspended");
        let message = refused
            .err()
            .unwrap_or_else(|| panic!("{what}: QEMU loaded the unconverted snapshot"));
        assert!(
            message.contains("Machine type received"),
            "{what}: {message}"
        );
        assert!(
            out.contains("Machine type received"),
            "{what}: check says {out}"
        );

        let (code, out, err) = vmstate(&[
            "convert",
            &at,
            "--to",
            to.dump_name(),
            "--machine",
            to_machine,
            "--reference",
            &reference_text,
            "-o",
            &at,
        ]);
        assert_eq!(code, 0, "{what}: convert in place: {out}{err}");
        assert_clean(&image, &what);
        let (code, out, err) =
            vmstate(&["check", &at, to.dump_name(), "--reference", &reference_text]);
        assert_eq!(code, 0, "{what}: check after convert: {out}{err}");
        let mut qemu = loadvm(to, to_machine, &image, "suspended")
            .unwrap_or_else(|e| panic!("{what}: QEMU refused the converted snapshot: {e}"));
        qemu.human("cont");
        std::thread::sleep(Duration::from_millis(500));
        assert!(qemu.running(), "{what}: the guest runs on");
        qemu.quit();
    }
}

/// What docs/containers.md promises beside the state: a persistent dirty
/// bitmap (an autoclear feature) survives an edit, and an image marked dirty
/// (not closed cleanly) or corrupt is refused with nothing written.
#[test]
fn bitmaps_are_kept_and_dirty_or_corrupt_images_refused() {
    let dir = scratch("qcow2-flags");
    let image = dir.join("flags.qcow2");
    create_qcow2(&image, "");
    savevm(Release::V7_2, "pc-i440fx-7.2", &image, "s", &["-S"]);
    let path = image.display().to_string();
    let (code, text) = qemu_img(&["bitmap", "--add", &path, "b0"]);
    assert_eq!(code, 0, "{text}");
    let at = format!("{path}@s");
    let (code, err) = set_imr(&at, &at, 0x21);
    assert_eq!(code, 0, "{err}");
    assert_clean(&image, "after an edit of an image with a bitmap");
    let (code, info) = qemu_img(&["info", "--output=json", &path]);
    assert_eq!(code, 0, "{info}");
    let info: serde_json::Value = serde_json::from_str(&info).unwrap();
    let bitmaps = &info["format-specific"]["data"]["bitmaps"];
    assert_eq!(bitmaps[0]["name"], "b0", "{info}");

    // The incompatible feature bits are the header's bytes 72 to 79: dirty
    // is bit 0, corrupt bit 1.
    for (bit, advice) in [(1u8, "not closed cleanly"), (2, "marked the image corrupt")] {
        let mut bytes = std::fs::read(&image).unwrap();
        bytes[79] |= bit;
        let flagged = dir.join(format!("flagged-{bit}.qcow2"));
        std::fs::write(&flagged, &bytes).unwrap();
        let at = format!("{}@s", flagged.display());
        let (code, err) = set_imr(&at, &at, 0x22);
        assert_eq!(code, 1, "{err}");
        assert!(
            err.contains(advice) && err.contains("qemu-img check -r all"),
            "{err}"
        );
        assert_eq!(std::fs::read(&flagged).unwrap(), bytes, "nothing written");
    }
}

/// An Arm `virt` guest suspended in its image: between 7.2 and 10.0 real
/// QEMU refuses it at the CPU's register list, both ways, as `check`
/// predicts; `convert` in the image rewrites the list and the other release
/// resumes the guest.
#[test]
fn an_arm_guest_suspended_in_its_image_crosses_releases_after_convert() {
    let dir = scratch("qcow2-arm");
    let machine = "virt-7.2";
    for (from, to) in [
        (Release::V7_2, Release::V10_0),
        (Release::V10_0, Release::V7_2),
    ] {
        let what = format!("{from:?} -> {to:?}");
        let image = dir.join(format!("{from:?}.qcow2"));
        create_qcow2(&image, "");
        let drive = qcow2_drive(&image);
        let mut args = ARM_GUEST.to_vec();
        args.extend(["-drive", drive.as_str()]);
        let mut qemu = Qemu::start_arch(from, Arch::Aarch64, machine, &args);
        std::thread::sleep(RUN_TIME);
        let said = qemu.human("savevm suspended");
        assert!(!said.to_lowercase().contains("error"), "{what}: {said}");
        qemu.quit();
        let at = format!("{}@suspended", image.display());

        let reference = dir.join(format!("{to:?}.ref")).display().to_string();
        let program = to.program_for(Arch::Aarch64).display().to_string();
        let mut args = vec!["reference", "-o", &reference, "--", &program, "-M", machine];
        args.extend(Arch::Aarch64.common());
        let (code, _, err) = vmstate(&args);
        assert_eq!(code, 0, "{what}: reference: {err}");
        let resume = || {
            Qemu::try_start_arch(
                to,
                Arch::Aarch64,
                machine,
                &["-S", "-drive", drive.as_str(), "-loadvm", "suspended"],
            )
        };

        let (code, out, err) = vmstate(&["check", &at, to.dump_name(), "--reference", &reference]);
        assert_eq!(code, 1, "{what}: check before convert: {out}{err}");
        let refused = resume()
            .err()
            .unwrap_or_else(|| panic!("{what}: QEMU resumed it unconverted"));
        assert!(refused.contains("cpu"), "{what}: QEMU said {refused}");
        assert!(
            out.contains("`cpu`") || out.contains("cpu "),
            "{what}: check said {out}"
        );

        let (code, out, err) = vmstate(&[
            "convert",
            &at,
            "--to",
            to.dump_name(),
            "--reference",
            &reference,
            "-o",
            &at,
        ]);
        assert_eq!(code, 0, "{what}: convert in place: {out}{err}");
        assert_clean(&image, &what);
        let (code, out, err) = vmstate(&["check", &at, to.dump_name(), "--reference", &reference]);
        assert_eq!(code, 0, "{what}: check after convert: {out}{err}");
        let mut qemu =
            resume().unwrap_or_else(|e| panic!("{what}: QEMU refused the converted guest: {e}"));
        qemu.execute(r#"{"execute": "cont"}"#);
        std::thread::sleep(Duration::from_millis(300));
        assert!(qemu.running(), "{what}: the guest runs on");
        qemu.quit();
    }
}

/// `vmstate set` killed at any moment of its write leaves an image that
/// `qemu-img check` finds clean and that holds the old state or the new one.
#[test]
fn an_edit_killed_at_any_moment_leaves_a_clean_image_with_one_whole_state() {
    let dir = scratch("qcow2-kill");
    let image = dir.join("kill.qcow2");
    create_qcow2(&image, "cluster_size=4096");
    // 32 MiB of guest RAM that is not zero, so the state takes a while to
    // write: a file loaded into RAM by QEMU's generic loader.
    let noise = dir.join("noise.bin");
    let mut bytes = vec![0u8; 32 << 20];
    let mut random = xorshift(0x9e37_79b9_7f4a_7c15);
    for chunk in bytes.chunks_mut(8) {
        chunk.copy_from_slice(&random().to_le_bytes()[..chunk.len()]);
    }
    std::fs::write(&noise, &bytes).unwrap();
    let loader = format!(
        "loader,file={},addr=0x1000000,force-raw=on",
        noise.display()
    );
    let drive = qcow2_drive(&image);
    let mut qemu = Qemu::start(
        Release::V7_2,
        "pc-i440fx-7.2",
        &["-m", "64", "-S", "-drive", &drive, "-device", &loader],
    );
    let said = qemu.human("savevm big");
    assert!(!said.to_lowercase().contains("error"), "{said}");
    qemu.quit();
    let at = format!("{}@big", image.display());

    // How long a whole edit takes here, at its fastest: the first one pays
    // for a cold page cache, and kill delays taken from it let most edits
    // finish (7 of 16 interrupted, once, on a loaded machine).
    let whole = (0..3)
        .map(|_| {
            let started = Instant::now();
            let (code, err) = set_imr(&at, &at, 1);
            assert_eq!(code, 0, "{err}");
            started.elapsed()
        })
        .min()
        .unwrap();
    let mut value = 1u8;
    let mut interrupted = 0;
    for round in 0..16u32 {
        let next = value.wrapping_add(1);
        let delay = whole * (round + 1) / 17;
        let mut child = Command::new(env!("CARGO_BIN_EXE_vmstate"))
            .args([
                "set",
                &at,
                "--section",
                "i8259:0",
                "--field",
                &format!("imr={next:#x}"),
                "-o",
                &at,
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().unwrap();
        if !status.success() {
            interrupted += 1;
        }
        assert_clean(&image, &format!("killed after {delay:?}"));
        let now = stream_imr(&at);
        assert!(
            now == u64::from(value) || now == u64::from(next),
            "killed after {delay:?}: imr {now:#x}, neither {value:#x} nor {next:#x}"
        );
        value = u8::try_from(now).unwrap();
    }
    assert!(
        interrupted >= 8,
        "only {interrupted} of 16 edits were interrupted"
    );
    let mut qemu = loadvm_with(
        Release::V7_2,
        "pc-i440fx-7.2",
        &image,
        "big",
        &["-m", "64", "-device", &loader],
    )
    .unwrap_or_else(|e| panic!("QEMU refused the image after the kills: {e}"));
    assert_eq!(u64::from(pic0_imr(&mut qemu)), u64::from(value));
    qemu.quit();
}

/// Hostile images: cut, or with a snapshot table, L1 or L2 table that points
/// anywhere, give an error that names the image, never a panic.
#[test]
fn damaged_images_are_errors_not_panics() {
    let dir = scratch("qcow2-damaged");
    let image = dir.join("good.qcow2");
    create_qcow2(&image, "cluster_size=4096");
    savevm(Release::V7_2, "pc-i440fx-7.2", &image, "s", &["-S"]);
    let good = std::fs::read(&image).unwrap();
    let bad: PathBuf = dir.join("bad.qcow2");
    let at = format!("{}@s", bad.display());
    let mut random = xorshift(0x2545_f491_4f6c_dd1d);
    for round in 0..200 {
        let mut bytes = good.clone();
        if round % 10 == 0 {
            bytes.truncate(usize::try_from(random() % good.len() as u64).unwrap());
        } else {
            // The metadata lives in the first clusters and at the end.
            for _ in 0..4 {
                let region = if random().is_multiple_of(2) {
                    4096 * 8
                } else {
                    good.len()
                };
                let at = usize::try_from(random() % region as u64).unwrap();
                bytes[at] = u8::try_from(random() & 0xff).unwrap();
            }
        }
        std::fs::write(&bad, &bytes).unwrap();
        for args in [
            vec!["inspect", at.as_str()],
            vec!["inspect", bad.to_str().unwrap()],
            vec!["check", at.as_str(), "qemu-7.2"],
        ] {
            let (code, _, err) = vmstate(&args);
            assert!(
                (0..=2).contains(&code) && !err.contains("panicked"),
                "round {round}: {args:?} exited {code}: {err}"
            );
        }
    }
}
