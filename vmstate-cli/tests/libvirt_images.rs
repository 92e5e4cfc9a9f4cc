//! libvirt save images (`virsh save`, managed save) in every command: the
//! images under tests/data/libvirt/ were written by real libvirt 9.0 around
//! QEMU 7.2 streams (scripts/make-libvirt-fixtures.sh). Each is inspected
//! beside its stream; `set` changes the state and keeps header, XML, cookie
//! and compression; `convert --to qemu-10.0` gives an image whose stream
//! real QEMU 10.0 loads, with the change `set` made; damaged images give
//! errors that name the byte, never a panic.

mod support;

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use support::qemu::{Qemu, Release, scratch};
use support::{inspect_json, vmstate};
use vmstate::container::libvirt::{Format, HEADER_LEN, SaveImage};

fn fixtures() -> Vec<PathBuf> {
    support::fixtures::libvirt_images()
}

fn fixture(name: &str) -> PathBuf {
    support::fixtures::data_file(&format!("libvirt/{name}"))
}

/// The image's header and data, and its stream as stored (compressed or not).
fn split(bytes: &[u8]) -> (SaveImage, &[u8]) {
    let image = SaveImage::read(&mut std::io::Cursor::new(bytes)).unwrap();
    let at = usize::try_from(image.stream_offset()).unwrap();
    (image, &bytes[at..])
}

/// Runs `program args` over `input`: the compressors as a user would.
fn pipe(program: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e} (scripts/install-qemu.sh installs it)"));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let mut output = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut output)
        .unwrap();
    writer.join().unwrap().unwrap();
    assert!(child.wait().unwrap().success(), "{program} {args:?} failed");
    output
}

/// The migration stream in the image at `path`, decompressed by hand.
fn stream_of(path: &Path) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap();
    let (image, stored) = split(&bytes);
    match image.header.compression().program() {
        None => stored.to_vec(),
        Some(program) => pipe(program, &["-dc"], stored),
    }
}

fn write(path: &Path, bytes: &[u8]) -> String {
    std::fs::write(path, bytes).unwrap();
    path.display().to_string()
}

#[test]
fn every_image_inspects_as_its_stream_with_the_domain_beside_it() {
    let dir = scratch("libvirt-inspect");
    for path in fixtures() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let image = inspect_json(&path);
        let bare = inspect_json(Path::new(&write(&dir.join("bare.mig"), &stream_of(&path))));
        assert_eq!(image["sections"], bare["sections"], "{name}");
        assert_eq!(image["machine"], bare["machine"], "{name}");
        let libvirt = &image["libvirt"];
        assert_eq!(libvirt["domain"]["machine"], "pc-i440fx-7.2", "{name}");
        assert_eq!(libvirt["domain"]["machine"], image["machine"], "{name}");
        assert_eq!(libvirt["machine_mismatch"], Value::Null, "{name}");
        let format = libvirt["compression"].as_str().unwrap();
        assert!(
            name.contains(format) || name.contains("managed"),
            "{name}: {format}"
        );
        let devices = libvirt["domain"]["devices"].as_array().unwrap();
        let nic = devices.iter().find(|d| d["kind"] == "interface").unwrap();
        assert_eq!(nic["model"], "e1000", "{name}");
        assert_eq!(nic["sections"][0], "0000:00:02.0/e1000", "{name}");
        let (code, table, err) = vmstate(&["inspect", &path.display().to_string()]);
        assert_eq!(code, 0, "{name}: {err}");
        assert!(
            table.contains("domain: fixture, machine pc-i440fx-7.2 (the stream's: pc-i440fx-7.2)"),
            "{name}: {table}"
        );
        assert!(
            table.contains("memballoon virtio 0000:00:03.0")
                && table.contains("sections: 0000:00:03.0/virtio-balloon"),
            "{name}: {table}"
        );
        let (code, out, err) = vmstate(&["check", &path.display().to_string(), "qemu-10.0"]);
        assert_eq!(code, 0, "{name}: {out}{err}");
    }
    let (managed, _) = split(&std::fs::read(fixture("qemu-7.2-pc-managed-paused.save")).unwrap());
    assert_eq!(managed.header.was_running, 0);
}

#[test]
fn an_image_on_standard_input_is_read_too() {
    let path = fixture("qemu-7.2-pc-bzip2.save");
    let output = Command::new(env!("CARGO_BIN_EXE_vmstate"))
        .args(["inspect", "--json", "-"])
        .stdin(std::fs::File::open(&path).unwrap())
        .output()
        .unwrap();
    assert!(output.status.success());
    let piped: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(piped, inspect_json(&path));
}

/// `mc146818rtc`'s CMOS byte 0x50 (free for the firmware), as `inspect` decodes it.
fn cmos_byte(path: &Path) -> u64 {
    let image = inspect_json(path);
    let rtc = image["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["section"] == "mc146818rtc")
        .unwrap();
    let hex = rtc["fields"]["cmos_data"].as_str().unwrap();
    u64::from_str_radix(&hex[0xa0..0xa2], 16).unwrap()
}

#[test]
fn set_changes_the_state_and_keeps_header_xml_cookie_and_compression() {
    let dir = scratch("libvirt-set");
    for path in fixtures() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let before = cmos_byte(&path);
        let value = if before == 0x5a { 0xa5 } else { 0x5a };
        let out = dir.join(&name);
        let (code, _, err) = vmstate(&[
            "set",
            &path.display().to_string(),
            "--section",
            "mc146818rtc",
            "--field",
            &format!("cmos_data[80]={value:#x}"),
            "-o",
            &out.display().to_string(),
        ]);
        assert_eq!(code, 0, "{name}: {err}");
        assert_eq!(cmos_byte(&out), value, "{name}");
        let original = std::fs::read(&path).unwrap();
        let written = std::fs::read(&out).unwrap();
        let (image, stored) = split(&original);
        let (new_image, new_stored) = split(&written);
        let prefix = usize::try_from(image.stream_offset()).unwrap();
        assert_eq!(
            written[..prefix],
            original[..prefix],
            "{name}: header and data"
        );
        assert_eq!(new_image, image, "{name}");
        // The same compressor's magic, and a stream that differs only in the byte set.
        assert_eq!(new_stored[..4], stored[..4], "{name}");
        let (old, new) = (stream_of(&path), stream_of(&out));
        assert_eq!(old.len(), new.len(), "{name}");
        let differing = old.iter().zip(&new).filter(|(a, b)| a != b).count();
        assert_eq!(differing, 1, "{name}");
    }
}

#[test]
fn an_image_converted_for_10_0_loads_in_real_qemu_10_0_with_the_change() {
    let dir = scratch("libvirt-convert");
    let set = dir.join("set.save");
    let converted = dir.join("converted.save");
    let (code, _, err) = vmstate(&[
        "set",
        &fixture("qemu-7.2-pc-xz.save").display().to_string(),
        "--section",
        "mc146818rtc",
        "--field",
        "cmos_data[80]=0x5a",
        "-o",
        &set.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = vmstate(&[
        "convert",
        &set.display().to_string(),
        "--to",
        "qemu-10.0",
        "-o",
        &converted.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    let stream = dir.join("converted.mig");
    write(&stream, &stream_of(&converted));
    // The options libvirt gave QEMU 7.2 for this guest, as the fixture script recorded them.
    let arguments = std::fs::read_to_string(fixture("qemu-7.2-pc.args")).unwrap();
    let arguments: Vec<&str> = arguments.lines().filter(|l| !l.is_empty()).collect();
    let mut qemu = Qemu::load(Release::V10_0, "pc-i440fx-7.2", &arguments, &stream)
        .unwrap_or_else(|e| panic!("QEMU 10.0 refused the converted image's stream: {e}"));
    qemu.human("o /b 0x70 0x50");
    let cmos = qemu.human("i /b 0x71");
    assert!(
        cmos.contains("= 0x5a"),
        "QEMU 10.0 reads CMOS 0x50 as {cmos}"
    );
    qemu.execute(r#"{"execute": "cont"}"#);
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(qemu.running(), "the guest does not run on QEMU 10.0");
    qemu.quit();
}

/// The raw image's header and data, with the header words from `patch`
/// (offset, little-endian word), then `stream`.
fn patched(patch: &[(usize, u32)], stream: &[u8]) -> Vec<u8> {
    let original = std::fs::read(fixture("qemu-7.2-pc-raw.save")).unwrap();
    let (image, _) = split(&original);
    let mut bytes = original[..usize::try_from(image.stream_offset()).unwrap()].to_vec();
    for &(at, word) in patch {
        bytes[at..at + 4].copy_from_slice(&word.to_le_bytes());
    }
    bytes.extend_from_slice(stream);
    bytes
}

#[test]
fn damaged_images_give_errors_that_name_the_byte() {
    let dir = scratch("libvirt-damaged");
    let stream = stream_of(&fixture("qemu-7.2-pc-raw.save"));
    let mut partial = patched(&[], &stream);
    partial[..16].copy_from_slice(b"LibvirtQemudPart");
    let data_len = {
        let bytes = patched(&[], b"");
        u32::try_from(bytes.len() - HEADER_LEN).unwrap()
    };
    let mut swapped_version_only = patched(&[], &stream);
    swapped_version_only[16..20].copy_from_slice(&2u32.to_be_bytes());
    swapped_version_only[20..24].copy_from_slice(&(data_len + 7).to_le_bytes());
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "partial",
            partial,
            "byte 0: the magic is `LibvirtQemudPart`",
        ),
        (
            "cut header",
            patched(&[], b"")[..40].to_vec(),
            "byte 0: expected the 92-byte header",
        ),
        (
            "data past the end",
            patched(&[(20, 1 << 24)], b""),
            "byte 92: expected the domain XML",
        ),
        ("huge data", patched(&[(20, u32::MAX)], &stream), "byte 20:"),
        (
            "unknown format",
            patched(&[(28, 9)], &stream),
            "byte 28: expected a save image format",
        ),
        (
            "version 3",
            patched(&[(16, 3)], &stream),
            "byte 16: expected a version of at most 2",
        ),
        (
            "cookie past the data",
            patched(&[(32, data_len + 1)], &stream),
            "byte 32:",
        ),
        (
            "words in two byte orders",
            swapped_version_only,
            "byte 20: the domain XML and cookie take",
        ),
        ("sparse", patched(&[(28, 6)], &stream), "`sparse` format"),
        (
            "gzip word over a raw stream",
            patched(&[(28, 1)], &stream),
            "decompressing the gzip stream",
        ),
        (
            "cut stream",
            patched(&[], &stream[..stream.len() / 2]),
            "byte",
        ),
    ];
    for (what, bytes, expected) in cases {
        let path = write(&dir.join("damaged.save"), &bytes);
        for command in [
            vec!["inspect", path.as_str()],
            vec![
                "set",
                path.as_str(),
                "--section",
                "timer",
                "--field",
                "cpu_ticks_offset=1",
                "-o",
            ],
        ] {
            let out = dir.join("out.save");
            let _ = std::fs::remove_file(&out);
            let mut args = command.clone();
            let out_text = out.display().to_string();
            if args[0] == "set" {
                args.push(&out_text);
            }
            let (code, _, err) = vmstate(&args);
            assert_eq!(code, 1, "{what}: {}: {err}", args[0]);
            assert!(err.contains(expected), "{what}: {}: {err}", args[0]);
            assert!(!err.contains("panicked"), "{what}: {err}");
            assert!(
                !out.exists(),
                "{what}: a refused set wrote {}",
                out.display()
            );
        }
    }
}

#[test]
fn a_big_endian_image_is_read_and_written_back_big_endian() {
    let dir = scratch("libvirt-big-endian");
    let mut bytes = patched(&[], &stream_of(&fixture("qemu-7.2-pc-raw.save")));
    for at in (16..HEADER_LEN).step_by(4) {
        bytes[at..at + 4].reverse();
    }
    let path = write(&dir.join("big.save"), &bytes);
    assert_eq!(
        inspect_json(Path::new(&path))["libvirt"]["byte_order"],
        "big"
    );
    let out = dir.join("out.save");
    let (code, _, err) = vmstate(&[
        "set",
        &path,
        "--section",
        "mc146818rtc",
        "--field",
        "cmos_data[80]=0x33",
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    let written = std::fs::read(&out).unwrap();
    let (image, _) = split(&bytes);
    let prefix = usize::try_from(image.stream_offset()).unwrap();
    assert_eq!(written[..prefix], bytes[..prefix]);
    assert_eq!(cmos_byte(&out), 0x33);
}

/// libvirt 9.0 writes no zstd image; newer ones do, with code 5: one is made
/// here around the raw image's stream, by the `zstd` program libvirt runs.
#[test]
fn a_zstd_image_reads_and_is_written_back_with_zstd() {
    let dir = scratch("libvirt-zstd");
    let raw = std::fs::read(fixture("qemu-7.2-pc-raw.save")).unwrap();
    let (source, stream) = split(&raw);
    let image = SaveImage::new(source.xml(), source.cookie(), true, Format::Zstd).unwrap();
    let mut bytes = Vec::new();
    image.write_to(&mut bytes, true).unwrap();
    bytes.extend_from_slice(&pipe("zstd", &["-c"], stream));
    let path = write(&dir.join("zstd.save"), &bytes);
    let json = inspect_json(Path::new(&path));
    assert_eq!(json["libvirt"]["compression"], "zstd");
    assert_eq!(
        json["sections"],
        inspect_json(&fixture("qemu-7.2-pc-raw.save"))["sections"]
    );
    let out = dir.join("out.save");
    let (code, _, err) = vmstate(&[
        "convert",
        &path,
        "--to",
        "qemu-10.0",
        "-o",
        &out.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    let written = std::fs::read(&out).unwrap();
    let (_, stored) = split(&written);
    assert_eq!(stored[..4], [0x28, 0xb5, 0x2f, 0xfd], "zstd's frame magic");
    assert_eq!(stream_of(&out), stream);
}

/// libvirt's QEMU driver, run by virsh in its own process over a private
/// root (`qemu:///embed`), with the fixtures' qemu.conf: no daemon. Needs
/// the packages and the `libvirt-qemu` user that scripts/install-qemu.sh
/// sets up, as the README's test command does.
struct Libvirt {
    root: PathBuf,
}

impl Libvirt {
    /// A driver root in `dir` whose saves are in `format` (`raw`, `gzip`, ...).
    fn new(dir: &Path, format: &str) -> Self {
        let root = dir.join("root");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        let conf = std::fs::read_to_string(fixture("qemu.conf")).unwrap();
        std::fs::write(
            root.join("etc/qemu.conf"),
            format!("{conf}save_image_format = \"{format}\"\n"),
        )
        .unwrap();
        Self { root }
    }

    /// Runs `commands` in one virsh process, waiting `pause` after the
    /// first; returns what it printed, and fails on any error.
    fn run(&self, commands: &[String], pause: Duration) -> String {
        let (out, err) = self.session(commands, pause);
        assert!(!err.contains("error:"), "libvirt: {err}\n{out}");
        out
    }

    /// Runs `commands` in one virsh process (so one driver, which keeps its
    /// guests), waiting `pause` after the first; returns what it printed on
    /// standard output and on standard error.
    fn session(&self, commands: &[String], pause: Duration) -> (String, String) {
        let mut virsh = Command::new("virsh")
            .args([
                "-q",
                "-c",
                &format!("qemu:///embed?root={}", self.root.display()),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("virsh runs (scripts/install-qemu.sh installs libvirt)");
        let mut stdin = virsh.stdin.take().unwrap();
        for (i, command) in commands.iter().enumerate() {
            writeln!(stdin, "{command}").unwrap();
            stdin.flush().unwrap();
            if i == 0 {
                std::thread::sleep(pause);
            }
        }
        drop(stdin);
        let output = virsh.wait_with_output().unwrap();
        (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

/// Real libvirt restores an image `set` wrote, and its guest reads the new
/// value.
#[test]
fn real_libvirt_restores_an_image_set_changed() {
    let dir = scratch("libvirt-restore");
    let libvirt = Libvirt::new(&dir, "raw");
    let set = dir.join("set.save");
    let (code, _, err) = vmstate(&[
        "set",
        &fixture("qemu-7.2-pc-gzip.save").display().to_string(),
        "--section",
        "mc146818rtc",
        "--field",
        "cmos_data[80]=0x5a",
        "-o",
        &set.display().to_string(),
    ]);
    assert_eq!(code, 0, "{err}");
    let out = libvirt.run(
        &[
            format!("restore {} --paused", set.display()),
            "qemu-monitor-command fixture --hmp 'o /b 0x70 0x50'".to_owned(),
            "qemu-monitor-command fixture --hmp 'i /b 0x71'".to_owned(),
            "resume fixture".to_owned(),
            "domstate fixture".to_owned(),
            "destroy fixture".to_owned(),
        ],
        Duration::ZERO,
    );
    assert!(out.contains("portb[0x0071] = 0x5a"), "{out}");
    assert!(out.contains("running"), "{out}");
}

/// The fixtures' guest (tests/data/libvirt/domain.xml) on `machine`, run by
/// `emulator`, with its virtio balloon or without.
fn domain_xml(machine: &str, emulator: &Path, balloon: bool) -> String {
    let xml = std::fs::read_to_string(fixture("domain.xml")).unwrap();
    let mut edited = xml
        .replace("machine='pc-i440fx-7.2'", &format!("machine='{machine}'"))
        .replace(
            "<emulator>/usr/bin/qemu-system-x86_64</emulator>",
            &format!("<emulator>{}</emulator>", emulator.display()),
        );
    if !balloon {
        edited = edited.replace("<memballoon model='virtio'/>", "<memballoon model='none'/>");
    }
    assert!(edited.contains(&format!("machine='{machine}'")), "{edited}");
    assert_eq!(edited.contains("model='none'"), !balloon, "{edited}");
    edited
}

/// A guest that libvirt saved while QEMU 10.0 ran it on its own machine
/// type, converted for QEMU 7.2 with `--machine pc-i440fx-7.2 --reference
/// REF` (REF: libvirt's save of the same domain started paused on 7.2), is
/// restored by libvirt on QEMU 7.2 and runs. libvirt starts QEMU with the
/// domain XML's machine type and refuses a `--xml` that changes it (the
/// guest's ABI), so the conversion renames it in the image's XML too; the
/// XML given to `virsh restore` only points at the host's other emulator.
///
/// With its virtio balloon, the same guest is refused: QEMU 10.0 builds the
/// balloon with MSI-X on its own machine types and without on 9.2 and older
/// (libvirt then fails to restore it: "Bad config data: i=0x34 read: 98
/// device: 84", measured). `convert --reference` refuses it naming the
/// register, and without a reference from the machine types' defaults.
#[test]
fn a_guest_libvirt_saved_on_10_0_restores_on_7_2_converted() {
    let dir = scratch("libvirt-downgrade");
    let libvirt = Libvirt::new(&dir, "gzip");
    let qemu_10 = Release::V10_0.program();
    let qemu_7 = Path::new("/usr/bin/qemu-system-x86_64");
    for balloon in [false, true] {
        let name = |what: &str| dir.join(format!("{what}-{balloon}"));
        let (on_10, on_7) = (name("on-10.0.xml"), name("on-7.2.xml"));
        let (saved, reference) = (name("saved.save"), name("reference.save"));
        std::fs::write(&on_10, domain_xml("pc-i440fx-10.0", &qemu_10, balloon)).unwrap();
        std::fs::write(&on_7, domain_xml("pc-i440fx-7.2", qemu_7, balloon)).unwrap();
        libvirt.run(
            &[
                format!("create {}", on_10.display()),
                format!("save fixture {}", saved.display()),
                format!("create {} --paused", on_7.display()),
                format!("save fixture {}", reference.display()),
            ],
            Duration::from_secs(2),
        );
        let (code, out, _) = vmstate(&["check", &saved.display().to_string(), "qemu-7.2"]);
        assert_eq!(code, 1, "QEMU 7.2 does not run pc-i440fx-10.0: {out}");
        assert!(out.contains("pc-i440fx-10.0"), "{out}");
        let convert = |reference: Option<&Path>, out: &Path| {
            let mut args = vec![
                "convert".to_owned(),
                saved.display().to_string(),
                "--to".to_owned(),
                "qemu-7.2".to_owned(),
                "--machine".to_owned(),
                "pc-i440fx-7.2".to_owned(),
                "-o".to_owned(),
                out.display().to_string(),
            ];
            if let Some(reference) = reference {
                args.extend(["--reference".to_owned(), reference.display().to_string()]);
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            vmstate(&args)
        };
        let converted = name("converted.save");
        let (code, _, err) = convert(Some(&reference), &converted);
        if balloon {
            assert_eq!(code, 1, "{err}");
            assert!(
                err.contains("virtio-balloon") && err.contains("Bad config data: i=0x34"),
                "{err}"
            );
            assert!(!converted.exists());
            // Without the reference, from the machine types' defaults.
            let (code, _, err) = convert(None, &converted);
            assert_eq!(code, 1, "{err}");
            assert!(
                err.contains("virtio-balloon") && err.contains("with no MSI-X"),
                "{err}"
            );
            assert!(!converted.exists());
            continue;
        }
        assert_eq!(code, 0, "{err}");
        assert!(
            err.contains("machine type `pc-i440fx-10.0` is renamed `pc-i440fx-7.2` too"),
            "{err}"
        );
        let bytes = std::fs::read(&converted).unwrap();
        let (image, _) = split(&bytes);
        assert_eq!(image.domain().machine.as_deref(), Some("pc-i440fx-7.2"));
        assert_eq!(image.header.compression(), Format::Gzip);
        let restore = name("restore.xml");
        let xml = image.xml().replace(
            &qemu_10.display().to_string(),
            &qemu_7.display().to_string(),
        );
        std::fs::write(&restore, xml).unwrap();
        let (out, err) = libvirt.session(
            &[
                format!(
                    "restore {} --xml {} --paused",
                    converted.display(),
                    restore.display()
                ),
                "qemu-monitor-command fixture --hmp 'info version'".to_owned(),
                "resume fixture".to_owned(),
                "domstate fixture".to_owned(),
                "destroy fixture".to_owned(),
            ],
            Duration::ZERO,
        );
        assert!(!err.contains("error:"), "libvirt: {err}\n{out}");
        assert!(out.contains("7.2."), "QEMU 7.2 restored it: {out}");
        assert!(out.contains("running"), "{out}");
    }
}

/// A q35 guest with the devices libvirt gives one (tests/data/libvirt/
/// domain-q35.xml), on machine type `pc-q35-7.2` so that both releases run
/// it: saved by libvirt on each release (SeaBIOS ran), converted for the
/// other with `check` saying it loads, restored there by libvirt from the
/// image's own domain XML (the addresses libvirt assigned, only the
/// emulator changed) and running. Both ways: the upgrade and the downgrade
/// a 10.0 host keeps open by running its guests on 7.2's machine type.
#[test]
fn a_q35_guest_with_libvirts_usual_devices_restores_on_the_other_release() {
    let dir = scratch("libvirt-q35");
    let libvirt = Libvirt::new(&dir, "gzip");
    let disk = dir.join("disk.qcow2");
    support::qemu::create_qcow2(&disk, "");
    let qemu_7 = PathBuf::from("/usr/bin/qemu-system-x86_64");
    let qemu_10 = Release::V10_0.program();
    let xml = std::fs::read_to_string(fixture("domain-q35.xml"))
        .unwrap()
        .replace("DISK", &disk.display().to_string());
    for (from, to, dest) in [
        (&qemu_7, &qemu_10, "qemu-10.0"),
        (&qemu_10, &qemu_7, "qemu-7.2"),
    ] {
        let name = |what: &str| dir.join(format!("{what}-{dest}"));
        let (domain, saved, converted) = (
            name("domain.xml"),
            name("saved.save"),
            name("converted.save"),
        );
        std::fs::write(
            &domain,
            xml.replace("/usr/bin/qemu-system-x86_64", &from.display().to_string()),
        )
        .unwrap();
        libvirt.run(
            &[
                format!("create {}", domain.display()),
                format!("save q35 {}", saved.display()),
            ],
            Duration::from_secs(2),
        );
        let saved_text = saved.display().to_string();
        let (code, out, _) = vmstate(&["check", &saved_text, dest]);
        assert_eq!(code, 0, "{dest}: {out}");
        let (code, _, err) = vmstate(&[
            "convert",
            &saved_text,
            "--to",
            dest,
            "-o",
            &converted.display().to_string(),
        ]);
        assert_eq!(code, 0, "{dest}: {err}");
        let bytes = std::fs::read(&converted).unwrap();
        let (image, _) = split(&bytes);
        let restore = name("restore.xml");
        let image_xml = image
            .xml()
            .replace(&from.display().to_string(), &to.display().to_string());
        std::fs::write(&restore, image_xml).unwrap();
        let (out, err) = libvirt.session(
            &[
                format!(
                    "restore {} --xml {} --paused",
                    converted.display(),
                    restore.display()
                ),
                "qemu-monitor-command q35 --hmp 'info version'".to_owned(),
                "resume q35".to_owned(),
                "domstate q35".to_owned(),
                "destroy q35".to_owned(),
            ],
            Duration::ZERO,
        );
        assert!(!err.contains("error:"), "{dest}: libvirt: {err}\n{out}");
        let version = if dest == "qemu-7.2" { "7.2." } else { "10.0." };
        assert!(out.contains(version), "{dest} restored it: {out}");
        assert!(out.contains("running"), "{dest}: {out}");
    }
}
