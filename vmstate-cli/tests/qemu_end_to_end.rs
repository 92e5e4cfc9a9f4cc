//! End to end with real QEMU, both releases (7.2 and 10.0.2, which
//! `scripts/install-qemu.sh` installs): a guest runs SeaBIOS, migrates to a
//! file, `vmstate set` changes the first i8259's `imr`, and a new QEMU of the
//! same release that loads the edited stream shows the new value in
//! `info pic`. These tests fail, rather than skip, when QEMU is missing: they
//! are the proof that our streams are ones QEMU accepts.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use support::qemu::{Qemu, Release, VIRTIO, scratch};

/// The machine type each release runs its own guests on.
fn machine(release: Release) -> &'static str {
    match release {
        Release::V7_2 => "pc-i440fx-7.2",
        Release::V10_0 => "pc-i440fx-10.0",
    }
}

/// Migrates a pc guest that ran SeaBIOS for a while into `path`.
fn migrate_running_guest(release: Release, path: &Path) {
    let mut qemu = Qemu::start(release, machine(release), &[]);
    std::thread::sleep(Duration::from_secs(2));
    qemu.human("stop");
    qemu.save(path);
    qemu.quit();
}

/// Loads `path` into a fresh QEMU and returns `info pic`.
fn load_and_show_pic(release: Release, path: &Path) -> String {
    let mut qemu = Qemu::load(release, machine(release), &[], path)
        .unwrap_or_else(|e| panic!("QEMU {release:?} refused {}: {e}", path.display()));
    let pic = qemu.human("info pic");
    qemu.quit();
    pic
}

fn imr_of(pic: &str, chip: &str) -> String {
    pic.lines()
        .find(|line| line.starts_with(&format!("{chip}:")))
        .and_then(|line| line.split_whitespace().find_map(|w| w.strip_prefix("imr=")))
        .unwrap_or_else(|| panic!("no {chip} imr in:\n{pic}"))
        .to_owned()
}

#[test]
fn qemu_7_2_loads_a_stream_edited_by_vmstate_set() {
    edit_and_load(Release::V7_2);
}

#[test]
fn qemu_10_0_loads_a_stream_edited_by_vmstate_set() {
    edit_and_load(Release::V10_0);
}

fn edit_and_load(release: Release) {
    let dir = scratch(&format!("e2e-{release:?}"));
    let original = dir.join("guest.mig");
    let edited = dir.join("edited.mig");
    migrate_running_guest(release, &original);

    let before = imr_of(&load_and_show_pic(release, &original), "pic0");
    let new_imr = if before == "a5" { "5a" } else { "a5" };
    let status = Command::new(env!("CARGO_BIN_EXE_vmstate"))
        .arg("set")
        .arg(&original)
        .args([
            "--section",
            "i8259:0",
            "--field",
            &format!("imr=0x{new_imr}"),
            "-o",
        ])
        .arg(&edited)
        .status()
        .unwrap();
    assert!(status.success(), "vmstate set failed: {status}");

    let pic = load_and_show_pic(release, &edited);
    assert_eq!(imr_of(&pic, "pic0"), new_imr, "QEMU shows the edited imr");
    assert_eq!(
        imr_of(&pic, "pic1"),
        imr_of(&load_and_show_pic(release, &original), "pic1")
    );

    // Exactly one byte changed: the imr.
    let (a, b) = (
        std::fs::read(&original).unwrap(),
        std::fs::read(&edited).unwrap(),
    );
    assert_eq!(a.len(), b.len());
    assert_eq!(a.iter().zip(&b).filter(|(x, y)| x != y).count(), 1);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn qemu_loads_a_stream_rewritten_record_by_record() {
    use vmstate::stream::{StreamReader, StreamWriter};

    let release = Release::V10_0;
    let dir = scratch("rewrite");
    let original = dir.join("guest.mig");
    let rewritten = dir.join("rewritten.mig");
    migrate_running_guest(release, &original);

    let mut reader = StreamReader::new(std::fs::File::open(&original).unwrap()).unwrap();
    let mut writer = StreamWriter::new(std::fs::File::create(&rewritten).unwrap()).unwrap();
    while let Some(record) = reader.next_record().unwrap() {
        writer.write(&record).unwrap();
    }
    writer.finish().unwrap();
    assert!(std::fs::read(&original).unwrap() == std::fs::read(&rewritten).unwrap());

    let pic = load_and_show_pic(release, &rewritten);
    assert_eq!(
        imr_of(&pic, "pic0"),
        imr_of(&load_and_show_pic(release, &original), "pic0")
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// A virtio edit (virtio-net's link status and its first queue's MSI-X
/// vector, named as `inspect --json` names them) loads in each release, which
/// keeps the edited values: saved again at once, they are still there.
#[test]
fn each_release_loads_an_edited_virtio_device() {
    for (release, fixture) in [
        (Release::V7_2, "qemu-7.2/q35-virtio.mig"),
        (Release::V10_0, "qemu-10.0/q35-72-virtio.mig"),
    ] {
        let dir = scratch(&format!("virtio-{release:?}"));
        let original = support::qemu::repository().join("tests/data").join(fixture);
        let edited = dir.join("edited.mig");
        let section = "0000:00:01.0/virtio-net";
        let (code, _, err) = support::vmstate(&[
            "set",
            &original.display().to_string(),
            "--section",
            section,
            "--field",
            "device.status=0",
            "--field",
            "device.parent_obj.vq[0].vector=1",
            "-o",
            &edited.display().to_string(),
        ]);
        assert_eq!(code, 0, "{err}");
        let mut qemu = Qemu::load(release, "pc-q35-7.2", VIRTIO, &edited)
            .unwrap_or_else(|e| panic!("QEMU {release:?} refused the edited stream: {e}"));
        let again = dir.join("again.mig");
        qemu.save(&again);
        qemu.quit();
        let document = support::inspect_json(&again);
        let net = document["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["section"] == section)
            .unwrap();
        let device = &net["fields"]["device"];
        assert_eq!(device["status"], 0, "QEMU {release:?} kept the link status");
        assert_eq!(
            device["parent_obj"]["vq"][0]["vector"], 1,
            "QEMU {release:?} kept the queue's vector"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}
