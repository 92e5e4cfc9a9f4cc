//! `vmstate inspect` on a stream of an old machine type (`pc-i440fx-2.0`,
//! written by QEMU 7.2): no vmdesc, no footers, no configuration section, so
//! every section's end comes from its model, and all of them must have one.

use std::process::Command;

/// The sections `-M pc-i440fx-2.0` writes, in stream order (the RAM section,
/// which has its own framing, first).
const SECTIONS: [&str; 28] = [
    "ram",
    "timer",
    "cpu_common",
    "cpu",
    "kvm-tpr-opt",
    "apic",
    "fw_cfg",
    "PCIBUS",
    "0000:00:00.0/I440FX",
    "dma",
    "dma",
    "0000:00:01.0/PIIX3",
    "i8259",
    "i8259",
    "ioapic",
    "hpet",
    "mc146818rtc",
    "i8254",
    "fdc",
    "ps2kbd",
    "ps2mouse",
    "pckbd",
    "vmmouse",
    "port92",
    "0000:00:01.1/ide",
    "i2c_bus",
    "0000:00:01.3/piix4_pm",
    "acpi_build",
];

#[test]
fn inspect_decodes_every_section_of_an_old_machine_stream_with_a_model() {
    let path = format!(
        "{}/../tests/data/qemu-7.2/pc-2.0-ran.mig",
        env!("CARGO_MANIFEST_DIR")
    );
    let output = Command::new(env!("CARGO_BIN_EXE_vmstate"))
        .args(["inspect", &path])
        .output()
        .expect("runs vmstate");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    // Rows: id, section, instance, version, bytes, decoded by.
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().collect())
        .collect();
    let names: Vec<&str> = rows.iter().map(|row| row[1]).collect();
    assert_eq!(names, SECTIONS, "{stdout}");
    for row in &rows[1..] {
        assert_eq!(row.last(), Some(&"model"), "{}: {stdout}", row[1]);
    }
}
