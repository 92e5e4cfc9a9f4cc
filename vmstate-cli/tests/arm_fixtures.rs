//! The committed aarch64 fixtures of both releases (tests/data/qemu-*-aarch64):
//! every stream inspects, and `check` against the shipped releases predicts
//! what real QEMU did with them across releases (their READMEs record it).

mod support;

use support::vmstate;

/// The fixture names both releases' make-fixtures.sh write.
/// The path of fixture `id`, as an argument.
fn path(id: &str) -> String {
    support::fixtures::path(id).display().to_string()
}

fn inspects_every_fixture(release: &str, newest_virt: &str) {
    let all = support::fixtures::in_dir(&format!("qemu-{release}-aarch64"));
    assert!(all.len() >= 5, "{all:?}");
    for fixture in &all {
        let (name, path) = (fixture.name(), &fixture.path);
        let (code, out, err) = vmstate(&["inspect", &path.display().to_string()]);
        assert_eq!(code, 0, "{name}: {err}");
        let machine = if name == "virt-ran" {
            newest_virt
        } else {
            "virt-7.2"
        };
        assert!(
            out.starts_with(&format!("machine: {machine}\n")),
            "{name}: {out}"
        );
        // The Arm CPU and the interrupt controller the machine was given.
        assert!(out.contains(" cpu "), "{name}: {out}");
        let gic = if name == "virt72-gicv3" {
            "arm_gicv3"
        } else {
            "arm_gic "
        };
        assert!(out.contains(gic), "{name}: {out}");
        if name == "virt72-devices" {
            for device in ["/virtio-net", "virtio-mmio@", "/virtio-blk", "/virtio-rng"] {
                assert!(out.contains(device), "{name} has no {device}: {out}");
            }
        }
    }
}

#[test]
fn qemu_7_2_fixtures_inspect() {
    inspects_every_fixture("7.2", "virt-7.2");
}

#[test]
fn qemu_10_0_fixtures_inspect() {
    inspects_every_fixture("10.0", "virt-10.0");
}

#[test]
fn check_predicts_the_cpu_refusals_across_releases() {
    // 10.0's cortex-a57 migrates 274 registers, 7.2's 258: the count is refused.
    let stream = path("qemu-10.0-aarch64/virt72-ran");
    let (code, out, _) = vmstate(&["check", &stream, "qemu-7.2"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("Invalid value 274 expecting positive value <= 258"),
        "{out}"
    );
    // 7.2 lists the 32-bit PAR, which 10.0's cortex-a57 no longer has.
    let stream = path("qemu-7.2-aarch64/virt72-ran");
    let (code, out, _) = vmstate(&["check", &stream, "qemu-10.0"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("error while loading state for instance 0x0 of device 'cpu'"),
        "{out}"
    );
    assert!(
        out.contains(
            "1 only in the stream: 0x40200000200f3a00 (AArch32 cp15 opc1=0 CRn=7 CRm=4 opc2=0, \
             non-secure)"
        ),
        "{out}"
    );
    // Each release loads its own streams.
    for (release, dest) in [("7.2", "qemu-7.2"), ("10.0", "qemu-10.0")] {
        for fixture in support::fixtures::in_dir(&format!("qemu-{release}-aarch64")) {
            let stream = fixture.path.display().to_string();
            let (code, out, err) = vmstate(&["check", &stream, dest]);
            assert_eq!(code, 0, "{}: {out}{err}", fixture.id);
        }
    }
}
