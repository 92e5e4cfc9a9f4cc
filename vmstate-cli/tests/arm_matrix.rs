//! The Arm part of the oracle matrix: for each (stream, destination) pair of
//! aarch64 `virt` guests, `vmstate check STREAM DEST` — with a reference the
//! destination wrote and without one — must give the verdict the real
//! destination QEMU gives when it loads the stream, and name what QEMU's
//! message names (the CPU register count, or the registers it does not know);
//! and where QEMU refuses, what `vmstate convert --reference` writes must
//! load (or `convert` must refuse).
//!
//! Nothing here is a committed fixture: each source QEMU writes its stream at
//! test time, paused before any guest code ran or after the tiny guest of the
//! fixtures ran, with the guest configurations of tests/data/arm-fixtures.sh.

mod support;

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use support::qemu::{ARM_DEVICES, ARM_GUEST, Arch, Qemu, Release, scratch};
use support::{convert_renamed, vmstate};

/// How long a source guest runs its loop before it stops.
const RUN_TIME: Duration = Duration::from_secs(1);

/// One guest configuration: machine type and devices.
#[derive(Debug, Clone, Copy)]
struct Guest {
    name: &'static str,
    machine: &'static str,
    devices: &'static [&'static str],
    /// Whether the tiny guest runs before the stream is written.
    ran: bool,
}

const GUESTS: &[Guest] = &[
    Guest {
        name: "virt-7.2 paused",
        machine: "virt-7.2",
        devices: &[],
        ran: false,
    },
    Guest {
        name: "virt-7.2 ran",
        machine: "virt-7.2",
        devices: &[],
        ran: true,
    },
    Guest {
        name: "virt-7.2 gic-version=3 ran",
        machine: "virt-7.2,gic-version=3",
        devices: &[],
        ran: true,
    },
    Guest {
        name: "virt-7.2 virtio-pci + virtio-mmio ran",
        machine: "virt-7.2",
        devices: ARM_DEVICES,
        ran: true,
    },
    // EL2 and EL3 add registers to the CPU's list, and 10.0 migrates a
    // constant (RMR_EL2) that 7.2 does not.
    Guest {
        name: "virt-7.2 virtualization=on (EL2) paused",
        machine: "virt-7.2,virtualization=on,gic-version=3",
        devices: &[],
        ran: false,
    },
    Guest {
        name: "virt-7.2 secure=on (EL3) paused",
        machine: "virt-7.2,secure=on",
        devices: &[],
        ran: false,
    },
    // A CPU model no shipped register list is made for (the last `-cpu`
    // wins over the common options' cortex-a57): without a reference, the
    // nearest list (cortex-a57's) once called a stream of DEST's own release
    // refused; only the registers that tell the releases apart may decide.
    Guest {
        name: "virt-7.2 -cpu neoverse-n1 ran",
        machine: "virt-7.2",
        devices: &["-cpu", "neoverse-n1"],
        ran: true,
    },
    // An AArch32 CPU: 7.2 migrates both banks' 32-bit PAR, which it lists
    // for no AArch64 CPU; the shipped lists hold its own list now, since
    // `check` without a reference once took a converted 10.0 guest's
    // secure PAR for a register 7.2 migrates for no CPU.
    Guest {
        name: "virt-7.2 -cpu cortex-a15 paused",
        machine: "virt-7.2",
        devices: &["-cpu", "cortex-a15"],
        ran: false,
    },
    // A CPU model no shipped list or ID-register table covers, with EL2 and
    // EL3, GICv3 and its ITS, two vCPUs and a root port: `check` without a
    // reference decides by the registers that tell the releases apart, and
    // `convert --reference` gives a stream each release loads (measured).
    Guest {
        name: "virt-7.2 -cpu cortex-a35 secure+virtualization, gic-version=3, -smp 2 ran",
        machine: "virt-7.2,secure=on,virtualization=on,gic-version=3",
        devices: &[
            "-cpu",
            "cortex-a35",
            "-smp",
            "2",
            "-device",
            "pcie-root-port,id=rp0,chassis=1",
            "-device",
            "qemu-xhci,bus=rp0",
        ],
        ran: true,
    },
    Guest {
        name: "virt-7.2 -cpu max virtualization=on (EL2) paused",
        machine: "virt-7.2,virtualization=on,gic-version=3",
        devices: &["-cpu", "max"],
        ran: false,
    },
];

const RELEASES: [Release; 2] = [Release::V7_2, Release::V10_0];

/// The source's stream, written by real QEMU.
fn make_stream(release: Release, guest: Guest, path: &Path) {
    let mut args: Vec<&str> = guest.devices.to_vec();
    if guest.ran {
        args.extend_from_slice(ARM_GUEST);
    } else {
        args.push("-S");
    }
    let mut qemu = Qemu::start_arch(release, Arch::Aarch64, guest.machine, &args);
    if guest.ran {
        std::thread::sleep(RUN_TIME);
        qemu.execute(r#"{"execute": "stop"}"#);
    }
    qemu.save(path);
    qemu.quit();
}

/// The destination's reference for the guest, as a user makes it.
fn make_reference(release: Release, guest: Guest, path: &Path) {
    let program = release.program_for(Arch::Aarch64).display().to_string();
    let path = path.display().to_string();
    let mut args = vec![
        "reference",
        "-o",
        &path,
        "--",
        &program,
        "-M",
        guest.machine,
    ];
    args.extend(Arch::Aarch64.common());
    args.extend_from_slice(guest.devices);
    let (code, _, stderr) = vmstate(&args);
    assert_eq!(
        code, 0,
        "vmstate reference {guest:?} on {release:?}: {stderr}"
    );
}

/// What `check` must print beside its verdict when QEMU refused with
/// `stderr`. `check_out` is what `check` printed: where no shipped register
/// list is the CPU's, it cannot know DEST's count, and names the registers
/// of the other release and QEMU's device instead.
fn expected_names(stderr: &str, check_out: &str) -> Vec<String> {
    let mut names = Vec::new();
    if check_out.contains("no shipped register list is this CPU's") {
        names.push("error while loading state for instance 0x0 of device 'cpu'".into());
        names.push("that DEST's release migrates for no CPU".into());
    } else if let Some(at) = stderr
        .lines()
        .find_map(|l| l.find("Invalid value").map(|at| (l, at)))
    {
        // QEMU's own sentence, numbers included, without its program prefix.
        names.push(at.0[at.1..].to_owned());
    } else if stderr.contains("of device 'cpu'") {
        names.push("error while loading state for instance 0x0 of device 'cpu'".into());
        names.push("only in the stream: 0x".into());
    }
    names
}

/// `vmstate convert STREAM --to DEST --reference REF`, and the real DEST
/// loading what it wrote: what happened, or why that is wrong (a stream
/// QEMU refuses, or no verdict).
fn convert_and_load(
    dest: Release,
    guest: Guest,
    stream: &Path,
    reference: &Path,
    out: &Path,
) -> Result<&'static str, String> {
    let (code, _, err) = vmstate(&[
        "convert",
        &stream.display().to_string(),
        "--to",
        dest.dump_name(),
        "--reference",
        &reference.display().to_string(),
        "-o",
        &out.display().to_string(),
    ]);
    match code {
        0 => match Qemu::load_arch(dest, Arch::Aarch64, guest.machine, guest.devices, out) {
            Ok(qemu) => {
                qemu.quit();
                Ok("converted, loads")
            }
            Err(e) => Err(format!("convert wrote a stream QEMU refuses: {}", e.trim())),
        },
        1 => Ok("convert refuses"),
        _ => Err(format!("convert exit {code}: {err}")),
    }
}

#[test]
fn check_agrees_with_real_qemu_on_arm_pairs() {
    let dir = scratch("arm-matrix");
    let failures = Mutex::new(Vec::new());
    let mut table = String::new();
    for (g, guest) in GUESTS.iter().enumerate() {
        for dest in RELEASES {
            let reference = dir.join(format!("ref-{g}-{dest:?}.mig"));
            make_reference(dest, *guest, &reference);
            for source in RELEASES {
                let stream = dir.join(format!("src-{g}-{source:?}.mig"));
                if !stream.exists() {
                    make_stream(source, *guest, &stream);
                }
                let extra: Vec<&str> = guest.devices.to_vec();
                let qemu = Qemu::load_arch(dest, Arch::Aarch64, guest.machine, &extra, &stream);
                let refused = qemu.as_ref().err().cloned();
                if let Ok(qemu) = qemu {
                    qemu.quit();
                }
                let stream_arg = stream.display().to_string();
                let reference_arg = reference.display().to_string();
                let with_ref = vmstate(&[
                    "check",
                    &stream_arg,
                    dest.dump_name(),
                    "--reference",
                    &reference_arg,
                ]);
                let without = vmstate(&["check", &stream_arg, dest.dump_name()]);
                let want = i32::from(refused.is_some());
                let pair = format!("{} {source:?} -> {dest:?}", guest.name);
                let _ = writeln!(
                    table,
                    "{pair}: QEMU {} | check --reference {} | check {}",
                    refused
                        .as_deref()
                        .map_or("loads".to_owned(), |e| e.trim().replace('\n', " / ")),
                    with_ref.0,
                    without.0
                );
                if refused.is_some() {
                    let converted = dir.join(format!("conv-{g}-{source:?}-{dest:?}.mig"));
                    match convert_and_load(dest, *guest, &stream, &reference, &converted) {
                        Ok(outcome) => {
                            let _ = writeln!(table, "  {outcome}");
                        }
                        Err(problem) => failures.lock().unwrap().push(format!("{pair}: {problem}")),
                    }
                }
                for (how, (code, out, err)) in
                    [("--reference", &with_ref), ("no reference", &without)]
                {
                    if *code != want {
                        failures.lock().unwrap().push(format!(
                            "{pair} ({how}): check exit {code}, QEMU {}:\n{out}{err}",
                            refused.as_deref().unwrap_or("loads")
                        ));
                        continue;
                    }
                    let names = refused
                        .as_deref()
                        .map(|stderr| expected_names(stderr, out))
                        .unwrap_or_default();
                    for name in names {
                        if !out.contains(&name) {
                            failures.lock().unwrap().push(format!(
                                "{pair} ({how}): QEMU said `{name}`, check did not:\n{out}"
                            ));
                        }
                    }
                }
            }
        }
    }
    println!("{table}");
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // The matrix holds both refusals: without them it tests nothing of the CPU.
    assert!(
        table.contains("Invalid value 274 expecting positive value <= 258"),
        "{table}"
    );
    assert!(table.contains("of device 'cpu'"), "{table}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `virt-2.7` and older run with 1 KiB target pages, `virt-2.8` and newer
/// with 4 KiB, and QEMU sends `configuration/target-page-bits` only above
/// the minimum: a `virt-2.7` guest renamed `virt-2.8` (or back) carries no
/// page size on one side, and QEMU 7.2 refuses it ("Received
/// `TARGET_PAGE_BITS` is 10 but local is 12"). `check --reference` once said
/// it loads. A rename that keeps the page size (`virt-7.1` to `virt-7.2`)
/// loads, and `check` says so.
#[test]
fn a_rename_across_the_target_page_size_gets_qemus_verdict() {
    let dir = scratch("arm-page-bits");
    let release = Release::V7_2;
    for (from, to, refused) in [
        (
            "virt-2.7",
            "virt-2.8",
            Some("Received TARGET_PAGE_BITS is 10 but local is 12"),
        ),
        (
            "virt-2.8",
            "virt-2.7",
            Some("Received TARGET_PAGE_BITS is 12 but local is 10"),
        ),
        ("virt-7.1", "virt-7.2", None),
    ] {
        let what = format!("{from} renamed {to}");
        let stream = dir.join(format!("{from}.mig"));
        let source = Guest {
            name: from,
            machine: from,
            devices: &[],
            ran: true,
        };
        make_stream(release, source, &stream);
        let reference = dir.join(format!("{to}.ref"));
        let dest = Guest {
            name: to,
            machine: to,
            devices: &[],
            ran: false,
        };
        make_reference(release, dest, &reference);
        let renamed = dir.join(format!("{from}-as-{to}.mig"));
        let (code, _, err) = convert_renamed(
            &stream.display().to_string(),
            release.dump_name(),
            to,
            &renamed,
        );
        assert_eq!(code, 0, "{what}: convert --machine: {err}");
        let (code, out, err) = vmstate(&[
            "check",
            &renamed.display().to_string(),
            release.dump_name(),
            "--reference",
            &reference.display().to_string(),
        ]);
        let loaded = Qemu::load_arch(release, Arch::Aarch64, to, &[], &renamed);
        match (loaded, refused) {
            (Ok(qemu), None) => {
                qemu.quit();
                assert_eq!(code, 0, "{what}: {out}{err}");
            }
            (Err(qemu_said), Some(message)) => {
                assert!(qemu_said.contains(message), "{what}: {qemu_said}");
                assert_eq!(code, 1, "{what}: {out}{err}");
                assert!(out.contains(message), "{what}: {out}");
            }
            (Ok(qemu), Some(_)) => {
                qemu.quit();
                panic!("{what}: QEMU loads it");
            }
            (Err(qemu_said), None) => panic!("{what}: QEMU refused: {qemu_said}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A virtio GPU's scanouts are read at the destination device's
/// `x-scanout-vmstate-version`: 1 on machine types 8.2 and older, 2 from
/// 9.0 on (QEMU 10.0.2), and no byte on the wire says which. A 10.0 guest
/// renamed across 8.2/9.0 (the names have one length, so the rename is a
/// byte swap in the configuration section) is refused by 10.0 itself
/// ("Missing section footer for 0000:00:01.0/virtio-gpu"); `check` without
/// a reference once called both loadable, since it judged the scanouts only
/// for releases before 10.0, and `convert --machine` wrote such renames. A
/// rename that keeps the version (9.0 to 9.2) loads, and `check` says so.
#[test]
fn a_virtio_gpu_renamed_to_a_newer_machine_type_is_refused_without_a_reference() {
    let dir = scratch("arm-gpu-scanouts");
    let release = Release::V10_0;
    let devices: &[&str] = &["-device", "virtio-gpu-pci"];
    for (from, to, refused) in [
        ("virt-8.2", "virt-9.0", true),
        ("virt-9.0", "virt-8.2", true),
        ("virt-9.0", "virt-9.2", false),
    ] {
        let what = format!("{from} renamed {to}");
        let stream = dir.join(format!("{from}.mig"));
        let source = Guest {
            name: from,
            machine: from,
            devices,
            ran: false,
        };
        make_stream(release, source, &stream);
        let renamed = dir.join(format!("{from}-as-{to}.mig"));
        let bytes = std::fs::read(&stream).unwrap();
        std::fs::write(&renamed, support::renamed_by_hand(&bytes, from, to)).unwrap();
        let reference = dir.join(format!("{to}.ref"));
        let dest = Guest {
            name: to,
            machine: to,
            devices,
            ran: false,
        };
        make_reference(release, dest, &reference);
        let renamed_arg = renamed.display().to_string();
        let reference_arg = reference.display().to_string();
        let without = vmstate(&["check", &renamed_arg, release.dump_name()]);
        let with_ref = vmstate(&[
            "check",
            &renamed_arg,
            release.dump_name(),
            "--reference",
            &reference_arg,
        ]);
        let loaded = Qemu::load_arch(release, Arch::Aarch64, to, devices, &renamed);
        match (loaded, refused) {
            (Ok(qemu), false) => qemu.quit(),
            (Err(qemu_said), true) => assert!(
                qemu_said.contains("Missing section footer for 0000:00:01.0/virtio-gpu"),
                "{what}: {qemu_said}"
            ),
            (Ok(qemu), true) => {
                qemu.quit();
                panic!("{what}: QEMU loads it");
            }
            (Err(qemu_said), false) => panic!("{what}: QEMU refused: {qemu_said}"),
        }
        // `convert --machine` judges the stream under the name it writes
        // (it once judged the scanouts under the stream's own and wrote it).
        let converted = dir.join(format!("{from}-to-{to}.mig"));
        let (code, _, err) = convert_renamed(
            &stream.display().to_string(),
            release.dump_name(),
            to,
            &converted,
        );
        assert_eq!(code, i32::from(refused), "{what}: convert --machine: {err}");
        for (how, (code, out, err)) in [("no reference", &without), ("--reference", &with_ref)] {
            assert_eq!(code, &i32::from(refused), "{what} ({how}): {out}{err}");
            if refused {
                assert!(
                    out.contains("field `virtio-gpu.scanout`")
                        && out.contains("Missing section footer for 0000:00:01.0/virtio-gpu"),
                    "{what} ({how}): {out}"
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The CPU configurations of
/// `convert_gives_dest_its_id_registers_whatever_the_cpu_configuration`.
const ID_REGISTER_GUESTS: [Guest; 9] = [
    Guest {
        name: "pmu=off ran",
        machine: "virt-7.2",
        devices: &["-cpu", "cortex-a57,pmu=off"],
        ran: true,
    },
    Guest {
        name: "secure=on gic-version=3 ran",
        machine: "virt-7.2,secure=on,gic-version=3",
        devices: &[],
        ran: true,
    },
    // No AArch32 at EL1: 7.2 lists DACR32_EL2 and IFSR32_EL2, 10.0
    // does not; 10.0's neoverse-n1 lists 18 implementation-defined
    // constants (CPUCFR_EL1 = 4, ...) that 7.2's does not.
    Guest {
        name: "cortex-a76 ran",
        machine: "virt-7.2",
        devices: &["-cpu", "cortex-a76"],
        ran: true,
    },
    Guest {
        name: "neoverse-n1 ran",
        machine: "virt-7.2",
        devices: &["-cpu", "neoverse-n1"],
        ran: true,
    },
    // REVIDR is 0 in 7.2's cortex-a53 and 0x100 in 10.0's: `convert`
    // without a reference once wrote 7.2's value, which 10.0 refused
    // and `check` called loadable; with one it refused the guest.
    Guest {
        name: "cortex-a53 ran",
        machine: "virt-7.2",
        devices: &["-cpu", "cortex-a53"],
        ran: true,
    }, // An AArch32 CPU: 7.2 lists both banks' 32-bit PAR, and the CPU
    // sends `cpu/thumb2ee`, which the CPU model does not describe:
    // `convert --reference` once refused it for that subsection alone.
    // A configuration the shipped ID register tables lack (EL3 changes
    // ID_PFR1 and ID_DFR0): without a reference `convert` goes by the
    // nearest one, which both releases compute alike.
    Guest {
        name: "cortex-a72 secure=on ran",
        machine: "virt-7.2,secure=on",
        devices: &["-cpu", "cortex-a72"],
        ran: true,
    },
    Guest {
        name: "cortex-a15 paused",
        machine: "virt-7.2",
        devices: &["-cpu", "cortex-a15"],
        ran: false,
    },
    // An AArch32 CPU with EL3: QEMU computes RMR as 0 there, where the
    // table's constant is an AArch64 CPU's 1; `convert --reference` once
    // supplied 1 to a 7.2 guest, which 10.0 refused (`check --reference`
    // called it loadable), and refused 10.0's guest for its 0.
    Guest {
        name: "cortex-a15 secure=on paused",
        machine: "virt-7.2,secure=on",
        devices: &["-cpu", "cortex-a15"],
        ran: false,
    },
    // An ARMv7 CPU with EL2: 10.0 resets HCR_EL2 with RW set, which 7.2
    // keeps clear (bits 27:0 only); `convert --reference` once wrote 10.0's
    // value for 7.2, which refused it (`check --reference` called it
    // loadable).
    Guest {
        name: "cortex-a7 virtualization=on paused",
        machine: "virt-7.2,virtualization=on,gic-version=3",
        devices: &["-cpu", "cortex-a7"],
        ran: false,
    },
];

/// `convert`, with a reference and without one, on CPU configurations whose
/// ID registers are not a plain `cortex-a57`'s (`pmu=off`, EL3, the
/// `cortex-a53`'s `REVIDR`) and on CPUs whose register lists differ otherwise
/// (`cortex-a76`, `neoverse-n1`): with
/// a reference it must convert (QEMU loads each converted stream, measured
/// both ways), whatever it writes must load in the real destination, and
/// `check` must say so of it. `check --reference` once called a 7.2
/// `neoverse-n1` stream without 10.0's implementation-defined constants
/// loadable, which 10.0 refused.
/// 10.0 clears `ID_DFR0.MMapTrc` whatever the rest of the register holds,
/// and with EL3 migrates the constant `RMR_EL3` that 7.2 does not: `convert`
/// once wrote 7.2's `pmu=off` and `secure=on` streams with their own
/// `ID_DFR0` (and the EL3 one without `RMR_EL3`), which 10.0 refused and
/// `check` called loadable; with a reference it refused them, where QEMU
/// loads them converted (measured both ways).
#[test]
fn convert_gives_dest_its_id_registers_whatever_the_cpu_configuration() {
    let dir = scratch("arm-id-registers");
    let guests = ID_REGISTER_GUESTS;
    let mut failures = Vec::new();
    for (g, guest) in guests.iter().enumerate() {
        for (source, dest) in [
            (Release::V7_2, Release::V10_0),
            (Release::V10_0, Release::V7_2),
        ] {
            let pair = format!("{} {source:?} -> {dest:?}", guest.name);
            let stream = dir.join(format!("src-{g}-{source:?}.mig"));
            make_stream(source, *guest, &stream);
            let reference = dir.join(format!("ref-{g}-{dest:?}.mig"));
            make_reference(dest, *guest, &reference);
            for with_reference in [true, false] {
                let out = dir.join(format!("out-{g}-{source:?}-{with_reference}.mig"));
                let stream_arg = stream.display().to_string();
                let out_arg = out.display().to_string();
                let reference_arg = reference.display().to_string();
                let mut args = vec![
                    "convert",
                    &stream_arg,
                    "--to",
                    dest.dump_name(),
                    "-o",
                    &out_arg,
                ];
                if with_reference {
                    args.extend(["--reference", &reference_arg]);
                }
                let (code, _, err) = vmstate(&args);
                // Without a reference a CPU no shipped list covers may be
                // refused; what is written must load either way.
                if code == 1 && !with_reference && err.contains("cannot convert") {
                    continue;
                }
                if code != 0 {
                    failures.push(format!(
                        "{pair} (reference: {with_reference}): convert exit {code}, QEMU loads \
                         the converted stream: {err}"
                    ));
                    continue;
                }
                let loaded =
                    Qemu::load_arch(dest, Arch::Aarch64, guest.machine, guest.devices, &out);
                let (check, said, _) = vmstate(&["check", &out_arg, dest.dump_name()]);
                match loaded {
                    Ok(qemu) => {
                        qemu.quit();
                        if check != 0 {
                            failures.push(format!("{pair}: check of what convert wrote: {said}"));
                        }
                    }
                    Err(qemu_said) => failures.push(format!(
                        "{pair} (reference: {with_reference}): convert wrote a stream QEMU \
                         refuses: {} (check exit {check})",
                        qemu_said.trim()
                    )),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `ramfb-dev` is sent only where the device's `x-migrate` is on (QEMU 10.0's
/// machine types 8.2 and later; `hw_compat_8_1` turns it off), and QEMU
/// loads it whatever its own guest would send: a 10.0 `virt-8.2` guest with
/// `-device ramfb` renamed `virt-8.1` loads in 10.0, whose 8.1 reference has
/// no such section. `check --reference` once refused it ("DEST's guest has no
/// such device") and `convert` would not write it.
///
/// QEMU 7.2 has no `ramfb-dev` state at all (its own guest with the device
/// sends none): the same guest converted for 7.2 was refused there
/// (measured: "Unknown savevm section or instance 'ramfb-dev' 0"), where
/// `check` without a reference called it loadable and `convert` wrote it,
/// since a section DEST's dump does not describe was taken for one that
/// dumps omit (`cpu`, `ram`); the state is 8.2's (`SECTIONS_SINCE`).
#[test]
fn a_ramfb_section_sent_only_when_needed_gets_qemus_verdict() {
    let dir = scratch("arm-ramfb");
    let devices: &[&str] = &["-device", "ramfb"];
    let source = Guest {
        name: "virt-8.2 ramfb",
        machine: "virt-8.2",
        devices,
        ran: false,
    };
    let stream = dir.join("virt-8.2.mig");
    make_stream(Release::V10_0, source, &stream);
    let stream_arg = stream.display().to_string();
    for (dest, machine) in [(Release::V10_0, "virt-8.1"), (Release::V7_2, "virt-7.2")] {
        let what = format!("virt-8.2 with ramfb renamed {machine} for {dest:?}");
        let guest = Guest {
            name: machine,
            machine,
            devices,
            ran: false,
        };
        let reference = dir.join(format!("{machine}.ref"));
        make_reference(dest, guest, &reference);
        let reference_arg = reference.display().to_string();
        let converted = dir.join(format!("as-{machine}.mig"));
        let converted_arg = converted.display().to_string();
        let convert = |with_reference: bool| {
            let mut args = vec![
                "convert",
                &stream_arg,
                "--to",
                dest.dump_name(),
                "--machine",
                machine,
                "-o",
                &converted_arg,
            ];
            if with_reference {
                args.extend(["--reference", reference_arg.as_str()]);
            }
            vmstate(&args)
        };
        if dest == Release::V10_0 {
            let (code, _, err) = convert(true);
            assert_eq!(code, 0, "{what}: convert --reference: {err}");
            let qemu = Qemu::load_arch(dest, Arch::Aarch64, machine, devices, &converted)
                .unwrap_or_else(|e| panic!("{what}: QEMU refused: {e}"));
            qemu.quit();
            let (code, out, err) = vmstate(&[
                "check",
                &converted_arg,
                dest.dump_name(),
                "--reference",
                &reference_arg,
            ]);
            assert_eq!(code, 0, "{what}: {out}{err}");
            continue;
        }
        // 7.2's own guest with the device has no such section.
        let (_, listed, _) = vmstate(&["inspect", &reference_arg]);
        assert!(!listed.contains("ramfb-dev"), "{what}: {listed}");
        let named = "Unknown savevm section or instance 'ramfb-dev' 0";
        for with_reference in [true, false] {
            let (code, _, err) = convert(with_reference);
            assert_eq!(code, 1, "{what} (reference: {with_reference}): {err}");
            assert!(err.contains(named), "{what}: {err}");
            assert!(!converted.exists(), "{what}: convert wrote {converted_arg}");
        }
        for args in [
            vec!["check", &stream_arg, dest.dump_name()],
            vec![
                "check",
                &stream_arg,
                dest.dump_name(),
                "--reference",
                &reference_arg,
            ],
        ] {
            let (code, out, err) = vmstate(&args);
            assert_eq!(code, 1, "{what} {args:?}: {out}{err}");
            assert!(out.contains(named), "{what} {args:?}: {out}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A `-cpu max` guest carries `cpu/sve`, which the Arm CPU model does not
/// decode: `convert` once refused every such stream, even one bound for its
/// own release that needs no change ("unknown subsection `cpu/sve`"), where
/// QEMU loads it and `check` says so. A `cpu` section whose register lists
/// stay as they are is now written as it came. Renamed to another machine
/// type without a reference it is still refused: `max`'s ID registers follow
/// the machine type (QEMU 10.0 refuses its own `virt-9.2` guest renamed
/// `virt-10.0`, measured: pointer authentication in `ID_AA64ISAR1`).
#[test]
fn a_cpu_max_stream_converts_for_its_own_release() {
    let dir = scratch("arm-cpu-max");
    let devices: &[&str] = &["-cpu", "max"];
    let guest = Guest {
        name: "virt-10.0 -cpu max",
        machine: "virt-10.0",
        devices,
        ran: true,
    };
    let stream = dir.join("max.mig");
    make_stream(Release::V10_0, guest, &stream);
    let stream_arg = stream.display().to_string();
    let out = dir.join("out.mig");
    let out_arg = out.display().to_string();
    let (code, _, err) = vmstate(&["convert", &stream_arg, "--to", "qemu-10.0", "-o", &out_arg]);
    assert_eq!(code, 0, "convert: {err}");
    assert_eq!(
        std::fs::read(&stream).unwrap(),
        std::fs::read(&out).unwrap()
    );
    let qemu = Qemu::load_arch(Release::V10_0, Arch::Aarch64, guest.machine, devices, &out)
        .unwrap_or_else(|e| panic!("QEMU refused: {e}"));
    qemu.quit();
    let (code, said, _) = vmstate(&["check", &out_arg, "qemu-10.0"]);
    assert_eq!(code, 0, "{said}");
    std::fs::remove_file(&out).unwrap();
    let (code, _, err) = vmstate(&[
        "convert",
        &stream_arg,
        "--to",
        "qemu-10.0",
        "--machine",
        "virt-9.2",
        "-o",
        &out_arg,
    ]);
    assert_eq!(code, 1, "convert --machine virt-9.2: {err}");
    assert!(!out.exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `-cpu max` gains features with each release: 7.2's and 10.0.2's differ
/// in 18 ID registers, which `write_list_to_cpustate` refuses to see
/// changed, so neither release loads the other's `max` guest, converted or
/// not. `convert` once refused such a stream only because the CPU model
/// could not read `cpu/sve`; once it rewrote the register lists past any
/// subsection, it wrote a 7.2 guest's stream for 10.0 without a reference,
/// which 10.0 refused (measured: "error while loading state for instance
/// 0x0 of device 'cpu'"). Without a reference it now rewrites a `cpu`
/// section for the other release only where the ID registers are a shipped
/// CPU configuration's that both releases compute alike, and names the
/// registers otherwise.
#[test]
fn a_cpu_max_stream_is_not_converted_for_the_other_release() {
    let dir = scratch("arm-cpu-max-across");
    let guest = Guest {
        name: "virt-7.2 -cpu max",
        machine: "virt-7.2",
        devices: &["-cpu", "max"],
        ran: false,
    };
    for (source, dest) in [
        (Release::V7_2, Release::V10_0),
        (Release::V10_0, Release::V7_2),
    ] {
        let pair = format!("{source:?} -> {dest:?}");
        let stream = dir.join(format!("{source:?}.mig"));
        make_stream(source, guest, &stream);
        let reference = dir.join(format!("{dest:?}.ref"));
        make_reference(dest, guest, &reference);
        match Qemu::load_arch(dest, Arch::Aarch64, guest.machine, guest.devices, &stream) {
            Ok(qemu) => {
                qemu.quit();
                panic!("{pair}: QEMU loads the other release's max guest");
            }
            // QEMU refuses at `cpu`; when it exits before its QMP answer,
            // the harness may miss its last words.
            Err(said) => assert!(
                said.contains("of device 'cpu'") || said.contains("QEMU is gone"),
                "{pair}: {said}"
            ),
        }
        let stream_arg = stream.display().to_string();
        let reference_arg = reference.display().to_string();
        let out = dir.join(format!("out-{source:?}.mig"));
        let out_arg = out.display().to_string();
        for with_reference in [false, true] {
            let mut args = vec![
                "convert",
                &stream_arg,
                "--to",
                dest.dump_name(),
                "-o",
                &out_arg,
            ];
            if with_reference {
                args.extend(["--reference", reference_arg.as_str()]);
            }
            let (code, _, err) = vmstate(&args);
            if code == 0 {
                let said = match Qemu::load_arch(
                    dest,
                    Arch::Aarch64,
                    guest.machine,
                    guest.devices,
                    &out,
                ) {
                    Ok(qemu) => {
                        qemu.quit();
                        "loads".to_owned()
                    }
                    Err(refused) => refused,
                };
                panic!("{pair} (reference: {with_reference}): convert wrote it; QEMU: {said}");
            }
            assert_eq!(code, 1, "{pair} (reference: {with_reference}): {err}");
            assert!(!out.exists(), "{pair}: {out_arg} written");
            // The ID registers are named, with a reference and without.
            if source == Release::V7_2 {
                let named = if with_reference {
                    "DEST's CPU computes these registers itself"
                } else {
                    "without --reference, DEST's CPU is not known: its ID registers"
                };
                assert!(
                    err.contains(named),
                    "{pair} (reference: {with_reference}): {err}"
                );
            }
        }
        for args in [
            vec!["check", stream_arg.as_str(), dest.dump_name()],
            vec![
                "check",
                stream_arg.as_str(),
                dest.dump_name(),
                "--reference",
                reference_arg.as_str(),
            ],
        ] {
            let (code, said, err) = vmstate(&args);
            assert_eq!(code, 1, "{pair} {args:?}: {said}{err}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `L2CTLR_EL1` of a `cortex-a57` reads the core count
/// (`a57_a53_l2ctlr_read`, writes ignored), an implementation-defined
/// register that `write_list_to_cpustate` refuses to see changed: QEMU 10.0
/// started with `-smp 2` refuses its own `-smp 1` guest at `cpu` instance 0,
/// before any missing CPU matters ("error while loading state for instance
/// 0x0 of device 'cpu'"). `check --reference` compared only ID registers
/// with the reference's and called it loadable; it now names the register.
/// The `AArch32` `cortex-a15`'s `L2CTLR` (cp15 c9 opc1=1 c0 2) does the same in
/// QEMU 7.2, and `check --reference` said "loads" there too, since only
/// c15 counted as implementation defined in `AArch32`.
#[test]
fn an_implementation_defined_register_other_than_dests_is_refused() {
    let dir = scratch("arm-core-count");
    for (release, cpu, one, two, named) in [
        (
            Release::V10_0,
            "cortex-a57",
            &["-cpu", "cortex-a57", "-smp", "1"],
            &["-cpu", "cortex-a57", "-smp", "2"],
            "0x603000000013cd82 (AArch64 op0=3 op1=1 CRn=11 CRm=0 op2=2) is 0x0, DEST's 0x1000000",
        ),
        (
            Release::V7_2,
            "cortex-a15",
            &["-cpu", "cortex-a15", "-smp", "1"],
            &["-cpu", "cortex-a15", "-smp", "2"],
            "0x40200000200f480a (AArch32 cp15 opc1=1 CRn=9 CRm=0 opc2=2, non-secure) is 0x800000, \
             DEST's 0x1800000",
        ),
    ] {
        let source = Guest {
            name: "-smp 1",
            machine: "virt-7.2",
            devices: one,
            ran: false,
        };
        let dest = Guest {
            name: "-smp 2",
            machine: "virt-7.2",
            devices: two,
            ran: false,
        };
        let stream = dir.join(format!("{cpu}-smp1.mig"));
        make_stream(release, source, &stream);
        let reference = dir.join(format!("{cpu}-smp2.ref"));
        make_reference(release, dest, &reference);
        match Qemu::load_arch(release, Arch::Aarch64, dest.machine, dest.devices, &stream) {
            Ok(qemu) => {
                qemu.quit();
                panic!("{cpu}: QEMU with -smp 2 loads a -smp 1 guest");
            }
            Err(said) => assert!(
                said.contains("error while loading state for instance 0x0 of device 'cpu'"),
                "{cpu}: {said}"
            ),
        }
        let (code, said, err) = vmstate(&[
            "check",
            &stream.display().to_string(),
            release.dump_name(),
            "--reference",
            &reference.display().to_string(),
        ]);
        assert_eq!(code, 1, "{cpu}: {said}{err}");
        assert!(
            said.contains(named)
                && said.contains("error while loading state for instance 0x0 of device 'cpu'"),
            "{cpu}: {said}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// QEMU builds every CPU of `virt-2.6` and older without a PMU (`no_pmu`):
/// a `cortex-a57` guest renamed between `virt-2.6` and `virt-2.7` is refused
/// by QEMU 7.2 either way (`ID_DFR0` and the PMU registers differ: "error
/// while loading state for instance 0x0 of device 'cpu'"). `convert
/// --machine` without a reference once wrote both renames (the CPU model
/// read the section, and nothing compared its registers); it now refuses,
/// naming the PMU. A rename that keeps the PMU (`virt-2.8` to `virt-2.9`)
/// is written and loads.
#[test]
fn a_rename_across_virt_2_6_without_a_reference_is_refused() {
    let dir = scratch("arm-no-pmu");
    let release = Release::V7_2;
    for (from, to, refused) in [
        ("virt-2.6", "virt-2.7", true),
        ("virt-2.7", "virt-2.6", true),
        ("virt-2.8", "virt-2.9", false),
    ] {
        let what = format!("{from} renamed {to}");
        let stream = dir.join(format!("{from}.mig"));
        let source = Guest {
            name: from,
            machine: from,
            devices: &[],
            ran: true,
        };
        make_stream(release, source, &stream);
        let renamed = dir.join(format!("{from}-as-{to}.mig"));
        let bytes = std::fs::read(&stream).unwrap();
        std::fs::write(&renamed, support::renamed_by_hand(&bytes, from, to)).unwrap();
        match Qemu::load_arch(release, Arch::Aarch64, to, &[], &renamed) {
            Ok(qemu) => {
                qemu.quit();
                assert!(!refused, "{what}: QEMU loads it");
            }
            Err(said) => {
                assert!(refused, "{what}: QEMU refused: {said}");
                assert!(said.contains("of device 'cpu'"), "{what}: {said}");
            }
        }
        let converted = dir.join(format!("{from}-to-{to}.mig"));
        let (code, _, err) = convert_renamed(
            &stream.display().to_string(),
            release.dump_name(),
            to,
            &converted,
        );
        if refused {
            assert_eq!(code, 1, "{what}: convert --machine: {err}");
            assert!(err.contains("without a PMU"), "{what}: {err}");
            assert!(!converted.exists(), "{what}: written");
        } else {
            assert_eq!(code, 0, "{what}: convert --machine: {err}");
            let qemu = Qemu::load_arch(release, Arch::Aarch64, to, &[], &converted)
                .unwrap_or_else(|e| panic!("{what}: QEMU refused what convert wrote: {e}"));
            qemu.quit();
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// virtio-mem's `x-early-migration` (on from machine type 8.0) moves its
/// sanity checks and bitmap into `DEVICE_PATH/virtio-mem-device-early`:
/// QEMU 10.0 refuses a `virt-7.2` guest renamed `virt-8.0` ("Missing section
/// footer for 0000:00:01.0/virtio-mem") and a `virt-8.0` guest renamed
/// `virt-7.2` ("Unknown savevm section or instance
/// '0000:00:01.0/virtio-mem-device-early' 0"). `convert --machine` without
/// a reference once wrote both; it now predicts the early state from the
/// machine type it writes. A rename that keeps it (8.0 to 8.1) is written
/// and loads.
#[test]
fn a_virtio_mem_renamed_across_its_early_migration_is_refused_without_a_reference() {
    let dir = scratch("arm-virtio-mem");
    let release = Release::V10_0;
    let devices: &[&str] = &[
        "-m",
        "64,maxmem=1G,slots=2",
        "-object",
        "memory-backend-ram,id=mem0,size=128M",
        "-device",
        "virtio-mem-pci,memdev=mem0,id=vm0,block-size=2M",
    ];
    for (from, to, refused) in [
        (
            "virt-7.2",
            "virt-8.0",
            Some("Missing section footer for 0000:00:01.0/virtio-mem"),
        ),
        (
            "virt-8.0",
            "virt-7.2",
            Some("Unknown savevm section or instance '0000:00:01.0/virtio-mem-device-early' 0"),
        ),
        ("virt-8.0", "virt-8.1", None),
    ] {
        let what = format!("{from} renamed {to}");
        let stream = dir.join(format!("{from}.mig"));
        let source = Guest {
            name: from,
            machine: from,
            devices,
            ran: false,
        };
        make_stream(release, source, &stream);
        let converted = dir.join(format!("{from}-to-{to}.mig"));
        let (code, _, err) = convert_renamed(
            &stream.display().to_string(),
            release.dump_name(),
            to,
            &converted,
        );
        let Some(named) = refused else {
            assert_eq!(code, 0, "{what}: {err}");
            let qemu = Qemu::load_arch(release, Arch::Aarch64, to, devices, &converted)
                .unwrap_or_else(|e| panic!("{what}: QEMU refused what convert wrote: {e}"));
            qemu.quit();
            continue;
        };
        assert_eq!(code, 1, "{what}: {err}");
        assert!(err.contains(named), "{what}: {err}");
        // What QEMU says of the renamed stream (the names have one length).
        let renamed = dir.join(format!("{from}-as-{to}.mig"));
        let bytes = std::fs::read(&stream).unwrap();
        std::fs::write(&renamed, support::renamed_by_hand(&bytes, from, to)).unwrap();
        match Qemu::load_arch(release, Arch::Aarch64, to, devices, &renamed) {
            Ok(qemu) => {
                qemu.quit();
                panic!("{what}: QEMU loads it");
            }
            Err(said) => assert!(said.contains(named), "{what}: {said}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// QEMU builds no `GICv3` ITS under TCG on `virt-6.1` and older
/// (`no_tcg_its`): a 7.2 `virt-6.2,gic-version=3` guest renamed `virt-6.1`
/// is refused by 7.2 (`Unknown savevm section or instance 'arm_gicv3_its'
/// 0`), where `convert --machine` without a reference wrote it. It now
/// refuses, naming the ITS. The other way (no ITS in the stream, one on
/// DEST) loads, and is written.
#[test]
fn a_gicv3_its_renamed_to_a_machine_type_without_one_is_refused() {
    let dir = scratch("arm-its");
    let release = Release::V7_2;
    for (from, to, refused) in [
        ("virt-6.2", "virt-6.1", true),
        ("virt-6.1", "virt-6.2", false),
    ] {
        let what = format!("{from} renamed {to}");
        let with_gic = |name: &str| format!("{name},gic-version=3");
        let stream = dir.join(format!("{from}.mig"));
        let source_machine = with_gic(from);
        let mut qemu = Qemu::start_arch(release, Arch::Aarch64, &source_machine, ARM_GUEST);
        std::thread::sleep(RUN_TIME);
        qemu.execute(r#"{"execute": "stop"}"#);
        qemu.save(&stream);
        qemu.quit();
        let converted = dir.join(format!("{from}-to-{to}.mig"));
        let (code, _, err) = convert_renamed(
            &stream.display().to_string(),
            release.dump_name(),
            to,
            &converted,
        );
        let dest_machine = with_gic(to);
        if !refused {
            assert_eq!(code, 0, "{what}: {err}");
            let qemu = Qemu::load_arch(release, Arch::Aarch64, &dest_machine, &[], &converted)
                .unwrap_or_else(|e| panic!("{what}: QEMU refused what convert wrote: {e}"));
            qemu.quit();
            continue;
        }
        let named = "Unknown savevm section or instance 'arm_gicv3_its' 0";
        assert_eq!(code, 1, "{what}: {err}");
        assert!(
            err.contains(named) && err.contains("no_tcg_its"),
            "{what}: {err}"
        );
        let renamed = dir.join(format!("{from}-as-{to}.mig"));
        let bytes = std::fs::read(&stream).unwrap();
        std::fs::write(&renamed, support::renamed_by_hand(&bytes, from, to)).unwrap();
        match Qemu::load_arch(release, Arch::Aarch64, &dest_machine, &[], &renamed) {
            Ok(qemu) => {
                qemu.quit();
                panic!("{what}: QEMU loads it");
            }
            Err(said) => assert!(said.contains(named), "{what}: {said}"),
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
