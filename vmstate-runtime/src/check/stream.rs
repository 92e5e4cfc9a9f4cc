//! Whether a QEMU loads one particular stream: the verdict for *this guest*.
//!
//! A dump-to-dump check ([`check`](super::check)) reports every device type
//! and subsection the destination lacks, whether or not a guest uses them. A
//! stream says exactly what was sent: its machine type, its sections and their
//! versions, the subsections present at every depth (the rest were not
//! `needed`), its command packets and capabilities. [`check_stream`] compares
//! only those against the destination's dump, and each [`Obstacle`] is one
//! reason QEMU would refuse the stream, with QEMU's own error beside it.

use std::collections::{BTreeSet, HashMap};

use super::cpregs::{
    DROPPABLE_CPREGS, compare_cpregs, constants_that_differ, dest_constant, is_id_register,
    is_implementation_defined, is_table_constant, nearest_model, register_value,
    release_constant_mask, unset_constants,
};
use super::dump::{Description, Dump};
use super::facts::{SectionFacts, StreamFacts};
use super::layout::{compare_section, description_with};
use super::obstacle::Obstacle;
use super::pci::{
    config_differences, io_bar0_difference, rom_bar_difference, virtio_memory_bar_differences,
};
use super::tsc::{TscVerdict, kvm_tsc_differences, tsc_difference};
use crate::desc::StateDesc;
use crate::stream::{RamBlock, command_info};

/// The verdict on one stream for one destination.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamVerdict {
    /// Every reason the destination would refuse the stream; empty when it loads it.
    pub obstacles: Vec<Obstacle>,
    /// Sections the destination's dump does not describe (QEMU dumps only
    /// device types: `ram`, `timer`, `cpu` and other sections registered
    /// without a device are not in it), so they were not checked.
    pub unchecked: Vec<String>,
    /// DEST's own descriptions, from its dump, of the structs that those
    /// sections inline, found by VMSD name where another device inlines
    /// them (`ide_drive`, which the dump shows inside `ich9-ahci`): they say
    /// which fields a `field_exists` test guards, which a paused reference
    /// stream cannot. [`add_reference`](Self::add_reference) compares with them.
    pub dest_structs: Vec<Description>,
    /// The Arm `cpu` sections (`idstr:instance`) whose register list no
    /// shipped list covers, so that only the registers that tell the
    /// releases apart were compared; a reference compares the whole list.
    pub cpregs_unchecked: Vec<String>,
    /// DEST's release, where its dump names one.
    pub dest_release: Option<(u32, u32)>,
    /// Arrays whose length DEST takes from its own configuration (see
    /// `CONFIGURED_ARRAYS` in facts.rs) that the stream carries and the
    /// reference's section does not, as `idstr: path (N elements)`: the
    /// reference guest had not sent them (a paused guest has not switched CPU
    /// hotplug to its modern interface), so how many elements DEST reads is
    /// not known and was not compared.
    pub arrays_unchecked: Vec<String>,
    /// CPUs whose TSC frequency a KVM reference shows otherwise than the
    /// stream, as `cpu:INSTANCE (STREAM kHz, DEST's DEST kHz)`: DEST refuses
    /// them only if its user set the frequency (`tsc-frequency`), which
    /// KVM's reference does not tell from the host's own.
    pub tsc_unchecked: Vec<String>,
}

/// Configuration subsections and the first release that loads each.
const CONFIGURATION_SUBSECTIONS: &[(&str, (u32, u32))] = &[
    ("configuration/target-page-bits", (2, 12)),
    ("configuration/capabilities", (6, 0)),
    ("configuration/uuid", (6, 1)),
];

/// Capabilities that a source declares in its configuration section, and the
/// first release that knows each.
const CAPABILITIES: &[(&str, (u32, u32))] = &[("x-ignore-shared", (3, 0)), ("mapped-ram", (9, 0))];

/// What compressed RAM pages ask of DEST: its `compress` capability, which
/// a release from 9.1 on does not have.
fn compressed_pages(stream: &StreamFacts, dest: &Dump) -> Option<Obstacle> {
    // A destination whose release the dump does not name is taken to have
    // the capability: the load still needs it set.
    (stream.compressed_pages > 0).then(|| Obstacle::CompressedPages {
        count: stream.compressed_pages,
        capability_known: dest
            .release_version()
            .is_none_or(|release| release < COMPRESS_REMOVED),
    })
}

/// The first release without the `compress` capability (QEMU 9.1 removed
/// it, and with it the loading of compressed pages).
const COMPRESS_REMOVED: (u32, u32) = (9, 1);

/// ZERO records whose fill byte is not 0, which DEST refuses from QEMU 8.2
/// on (upstream "migration: Receiving a zero page non zero is an error",
/// in `ram_load_precopy`; measured: 10.0.2 refuses, 7.2 loads). A
/// destination whose release the dump does not name is taken to refuse.
fn filled_zero_pages(stream: &StreamFacts, dest: &Dump) -> Option<Obstacle> {
    (stream.filled_zero_pages > 0
        && dest
            .release_version()
            .is_none_or(|release| release >= FILLED_ZERO_REFUSED))
    .then_some(Obstacle::FilledZeroPages {
        count: stream.filled_zero_pages,
        fill: stream.first_zero_fill,
    })
}

/// The first release that refuses a ZERO record whose fill byte is not 0.
const FILLED_ZERO_REFUSED: (u32, u32) = (8, 2);

/// Subsections of sections that QEMU's `-dump-vmstate` does not describe
/// (it dumps device types only, and a CPU is registered without one), with
/// the first release whose loader knows each. A dump cannot show that DEST
/// lacks them, and a reference stream cannot either: the reference guest had
/// no need to send them. QEMU refuses an unknown subsection ("error while
/// loading state for instance 0x0 of device 'cpu'"). Each was added by the
/// named upstream change (`target/*/machine.c`); measured: QEMU 10.0.2 sends
/// `cpu/msr_hwcr` for a KVM guest on an AMD host once the guest sets a bit
/// of HWCR (MSR 0xc0010015), and QEMU 7.2 refuses the stream.
const OMITTED_SECTION_SUBSECTIONS: &[(&str, (u32, u32))] = &[
    // x86: Xen emulation on KVM (`vmstate_xen_vcpu`).
    ("cpu/xen_vcpu", (8, 0)),
    // Arm: PMSAv8-R, for the Cortex-R52 (`vmstate_pmsav8r`).
    ("cpu/pmsav8/pmsav8r", (8, 0)),
    // x86: FRED MSRs, sent whenever the CPU model has FRED.
    ("cpu/fred", (9, 1)),
    // Arm: the FEAT_WFxT timer, sent whenever the CPU has one (`-cpu max`).
    ("cpu/wfxt-timer", (9, 1)),
    // Arm: FPCR/FPSR bits the AArch32 FPSCR cannot hold (FEAT_AFP).
    ("cpu/vfp/fpcr_fpsr", (9, 1)),
    // x86: AMD's HWCR MSR under KVM, sent when not 0.
    ("cpu/msr_hwcr", (9, 2)),
];

/// Device states (VMSD names) a release added to a device that existed
/// before it, with the first release that sends them: an older DEST has the
/// device but no state for it and refuses the section ("Unknown savevm
/// section or instance"). A dump cannot show this: QEMU's `-dump-vmstate`
/// leaves devices out (7.2's has no `piix3-ide`), so a section DEST's dump
/// does not describe may still be one DEST loads.
const SECTIONS_SINCE: &[(&str, (u32, u32))] = &[
    // hw/display/ramfb-standalone.c gained `ramfb_dev_vmstate` in 8.2
    // (`x-migrate`, off in `hw_compat_8_1`); 7.2's ramfb migrates nothing.
    // Measured: 7.2 refuses a 10.0 `virt-8.2` guest's `ramfb-dev`.
    ("ramfb-dev", (8, 2)),
];

/// Sections that QEMU registered with instance 0 for every device up to the
/// release given, where later releases count them (0, 1, ...): such a
/// release knows no other instance. `slirp`: `register_savevm_live("slirp",
/// 0, ...)` in QEMU 7.2's net/slirp.c; QEMU 10.0 numbers a second
/// `-netdev user` 1.
const INSTANCE_ZERO_ONLY: &[(&str, (u32, u32))] = &[("slirp", (7, 2))];

/// Checks whether a QEMU described by `dest` loads the stream described by `stream`.
#[must_use]
pub fn check_stream(stream: &StreamFacts, dest: &Dump) -> StreamVerdict {
    let mut verdict = StreamVerdict {
        dest_release: dest.release_version(),
        ..StreamVerdict::default()
    };
    let obstacles = &mut verdict.obstacles;
    if let Some(machine) = &stream.machine
        && !dest.runs_machine(machine)
    {
        obstacles.push(Obstacle::Machine {
            stream: machine.clone(),
            dest: dest.machine.clone(),
            listed: !dest.machines.is_empty(),
        });
    }
    if stream.machine.is_none() && expects_configuration(dest) {
        obstacles.push(Obstacle::NoConfiguration);
    }
    obstacles.extend(compressed_pages(stream, dest));
    obstacles.extend(filled_zero_pages(stream, dest));
    if let Some(release) = dest.release_version() {
        for name in &stream.configuration_subsections {
            let known = CONFIGURATION_SUBSECTIONS
                .iter()
                .any(|(known, since)| known == name && *since <= release);
            if !known {
                obstacles.push(Obstacle::ConfigurationSubsection { name: name.clone() });
            }
        }
        for name in &stream.capabilities {
            if let Some((_, since)) = CAPABILITIES.iter().find(|(known, _)| known == name)
                && *since > release
            {
                obstacles.push(Obstacle::Capability {
                    name: name.clone(),
                    since: *since,
                });
            }
        }
        let mut reported = BTreeSet::new();
        for &number in &stream.commands {
            let known = command_info(number).is_some_and(|c| c.since <= release);
            if !known && reported.insert(number) {
                obstacles.push(Obstacle::Command { number });
            }
        }
    }
    verdict
        .obstacles
        .extend(early_virtio_mem_by_machine(stream));
    verdict.obstacles.extend(its_by_machine(stream));
    for section in &stream.sections {
        check_section(section, dest, stream.footers, &mut verdict);
        release_layouts(
            section,
            dest,
            stream.machine.as_deref(),
            stream.footers,
            &mut verdict.obstacles,
        );
        check_cpregs(section, dest, &mut verdict);
        verdict.obstacles.extend(release_constants(section, dest));
        verdict.obstacles.extend(machine_type_defaults(
            section,
            stream,
            dest.release_version(),
        ));
        let zero_only = INSTANCE_ZERO_ONLY.iter().any(|(idstr, until)| {
            *idstr == section.idstr && dest.release_version().is_some_and(|r| r <= *until)
        });
        if zero_only && section.instance_id != 0 {
            verdict.obstacles.push(Obstacle::InstanceZeroOnly {
                idstr: section.idstr.clone(),
                instance_id: section.instance_id,
            });
        }
        if let Some(what) = dest.release_version().and_then(|release| {
            super::crashes::load_crash(section, release)
                .or_else(|| super::crashes::pci_load_crash(section, release))
        }) {
            verdict.obstacles.push(Obstacle::LoadCrash {
                idstr: section.idstr.clone(),
                instance_id: section.instance_id,
                what: what.to_owned(),
            });
        }
    }
    verdict
}

/// The registers of an Arm `cpu` section whose value DEST's release
/// computes otherwise ([`dest_constant`]), as one obstacle.
fn release_constants(section: &SectionFacts, dest: &Dump) -> Option<Obstacle> {
    let (Some(indexes), Some(values), Some(release)) =
        (&section.cpregs, &section.cpreg_values, &dest.release)
    else {
        return None;
    };
    let registers = constants_that_differ(indexes, values, |i, v| {
        dest_constant(i, v, release, |other| {
            register_value(indexes, values, other)
        })
    });
    (!registers.is_empty()).then(|| Obstacle::CpregConstant {
        idstr: section.idstr.clone(),
        instance_id: section.instance_id,
        registers,
    })
}

/// QEMU's dump has no `cpu` entry: the release's shipped register lists
/// stand for its CPU, the model nearest the stream's taken, where the
/// stream's list is one the shipped lists cover.
fn check_cpregs(section: &SectionFacts, dest: &Dump, verdict: &mut StreamVerdict) {
    if let Some(ours) = &section.cpregs
        && let Some((model, _)) = nearest_model(ours, &dest.cpregs)
        && !covered(ours, dest)
    {
        // No shipped list is this CPU's (another CPU model, another
        // EL2/EL3 combination): the nearest one would call a stream of
        // DEST's own release refused. Only what tells the releases
        // apart decides: registers DEST's release migrates for no CPU
        // that the releases are known to migrate differently.
        let unknown = registers_of_no_dest_cpu(ours, dest);
        if !unknown.is_empty() {
            verdict.obstacles.push(Obstacle::CpregUnlisted {
                idstr: section.idstr.clone(),
                instance_id: section.instance_id,
                unknown,
                nearest: model.clone(),
            });
        }
        verdict
            .cpregs_unchecked
            .push(format!("{}:{}", section.idstr, section.instance_id));
    } else if let Some(ours) = &section.cpregs
        && let Some((model, theirs)) = nearest_model(ours, &dest.cpregs)
    {
        verdict.obstacles.extend(compare_cpregs(
            &section.idstr,
            section.instance_id,
            ours,
            theirs,
            Some(model),
        ));
        verdict
            .obstacles
            .extend(unset(section, ours, theirs, |_| None));
    }
}

/// Whether a stream's register list is one the shipped lists cover: exactly
/// the list of a CPU configuration in DEST's release or in another shipped
/// one (which wrote the stream). When the other releases' lists are not
/// known, every list counts as covered, as before they were shipped.
fn covered(ours: &[u64], dest: &Dump) -> bool {
    if dest.other_cpregs.is_empty() {
        return true;
    }
    let sent: BTreeSet<u64> = ours.iter().copied().collect();
    dest.cpregs
        .iter()
        .chain(&dest.other_cpregs)
        .any(|(_, list)| list.len() == sent.len() && list.iter().all(|i| sent.contains(i)))
}

/// The registers of `ours` that QEMU 7.2 and 10.0 are known to migrate
/// differently ([`DROPPABLE_CPREGS`]) and that DEST's release migrates for
/// none of its CPU configurations: the other release's (QEMU 7.2's 32-bit
/// PAR, 10.0's debug communication registers), which DEST refuses.
fn registers_of_no_dest_cpu(ours: &[u64], dest: &Dump) -> Vec<u64> {
    ours.iter()
        .copied()
        .filter(|index| DROPPABLE_CPREGS.iter().any(|r| r.index == *index))
        .filter(|index| {
            !dest
                .cpregs
                .iter()
                .any(|(_, list)| list.binary_search(index).is_ok())
        })
        .collect()
}

/// Adds to `out` DEST's dump description of every struct `written` inlines,
/// at any depth, that some device of the dump inlines too (found by VMSD
/// name).
fn dest_structs_of(written: &StateDesc, dest: &Dump, out: &mut Vec<Description>) {
    for nested in written.fields.iter().filter_map(|f| f.nested.as_deref()) {
        let name = &nested.vmsd_name;
        if !out.iter().any(|d| d.name == *name)
            && let Some(found) = dest.struct_description(name)
        {
            out.push(found.clone());
        }
        dest_structs_of(nested, dest, out);
    }
}

/// The registers DEST migrates and computes as a nonzero constant that the
/// `cpu` section `section` (registers `ours`) lacks, against DEST's list
/// `dest` ([`unset_constants`]).
fn unset(
    section: &SectionFacts,
    ours: &[u64],
    dest: &[u64],
    dest_value: impl Fn(u64) -> Option<u64>,
) -> Option<Obstacle> {
    let sent: BTreeSet<u64> = ours.iter().copied().collect();
    let missing: Vec<u64> = dest.iter().copied().filter(|i| !sent.contains(i)).collect();
    let registers = unset_constants(&missing, dest_value);
    (!registers.is_empty()).then(|| Obstacle::CpregUnset {
        idstr: section.idstr.clone(),
        instance_id: section.instance_id,
        registers,
    })
}

/// The bytes of a payload's fields, subsections left out: where the
/// reference's fields are named or split otherwise but take the same bytes
/// (10.0's `globalstate` splits the 100-byte `runstate` of 7.2 in four), QEMU
/// reads them all the same.
fn fields_len(state: &crate::desc::StateDesc) -> usize {
    state
        .fields
        .iter()
        .fold(0usize, |sum, field| sum.saturating_add(field.wire_len()))
}

/// Whether a field is an array whose length the stream itself sends (the Arm
/// CPU's register lists: `VMSTATE_VARRAY_INT32` by `cpreg_vmstate_array_len`),
/// so that another length in the reference is no layout difference; the
/// register lists are compared by [`compare_cpregs`] instead.
fn sized_by_stream(path: &str) -> bool {
    path.starts_with("cpreg_vmstate_indexes") || path.starts_with("cpreg_vmstate_values")
}

/// The Arm CPU's register list and ID registers of `section` against the
/// reference's (`theirs`): DEST's own list and values.
fn reference_cpregs(section: &SectionFacts, theirs: &SectionFacts, obstacles: &mut Vec<Obstacle>) {
    if let (Some(ours), Some(dest)) = (&section.cpregs, &theirs.cpregs) {
        obstacles.extend(compare_cpregs(
            &section.idstr,
            section.instance_id,
            ours,
            dest,
            None,
        ));
        // The reference's values are DEST's own.
        let dest_value = |index: u64| {
            let at = dest.iter().position(|i| *i == index)?;
            theirs.cpreg_values.as_ref()?.get(at).copied()
        };
        obstacles.extend(unset(section, ours, dest, dest_value));
    }
    // The reference's ID registers, implementation-defined registers and the
    // table's constants are DEST's own values: constants of its CPU model,
    // some computed from the machine (`L2CTLR_EL1`'s core count,
    // `a57_a53_l2ctlr_read`, writes ignored) or from the CPU's architecture
    // (RMR is 0 on an AArch32 CPU). Measured: QEMU 10.0 with `-smp 2` refused its own `-smp 1`
    // guest ("error while loading state for instance 0x0 of device 'cpu'"),
    // where `check --reference` called it loadable.
    if let (Some(ours), Some(values), Some(dest), Some(dest_values)) = (
        &section.cpregs,
        &section.cpreg_values,
        &theirs.cpregs,
        &theirs.cpreg_values,
    ) {
        let theirs_of = |index: u64, value: u64| {
            let at = dest.iter().position(|i| *i == index)?;
            let theirs = dest_values.get(at).copied()?;
            if is_id_register(index) || is_implementation_defined(index) || is_table_constant(index)
            {
                return Some(theirs);
            }
            // A release constant's field of a writable register (HCR_EL2.RW
            // of an ARMv7 CPU): DEST's bits there, the guest's elsewhere.
            let mask =
                release_constant_mask(index, value, |other| register_value(ours, values, other))?;
            Some(value & !mask | theirs & mask)
        };
        let registers = constants_that_differ(ours, values, theirs_of);
        if !registers.is_empty() {
            obstacles.push(Obstacle::CpregConstant {
                idstr: section.idstr.clone(),
                instance_id: section.instance_id,
                registers,
            });
        }
    }
}

/// The smallest target page size, as a power of two, of the targets whose
/// page size varies (`TARGET_PAGE_BITS_VARY`): only they send
/// `configuration/target-page-bits`, and of those the releases here run Arm,
/// whose `TARGET_PAGE_BITS_MIN` is 10 (target/arm/cpu-param.h). x86's page
/// size is fixed, so its streams never carry the subsection.
const TARGET_PAGE_BITS_MIN_VARY: u32 = 10;

/// Sections whose device the machine always registers but whose VMSD has a
/// section-level `needed` test, so that a stream may leave them out
/// (`migration/savevm.c`, `vmstate_section_needed` skips them on save; the
/// loader accepts them whatever the test says): a reference without one does
/// not show a guest without the device. (idstr, QEMU's test, whether
/// `-dump-vmstate` lists the VMSD: where it does and DEST's dump does not,
/// DEST's release has no such state and refuses the section.)
const SENT_WHEN_NEEDED: &[(&str, &str, bool)] = &[
    // hw/audio/pcspk.c `migrate_needed`: property `migrate`, off in
    // `pc_compat_2_7` (measured: a 7.2 `pc-i440fx-2.8` guest renamed
    // `pc-i440fx-2.7` loads in 7.2, whose paused 2.7 reference has no `pcspk`).
    ("pcspk", "migrate_needed", true),
    // hw/pci/pci_host.c `pci_host_needed`: property
    // `x-config-reg-migration-enabled`, off for `pc-i440fx-5.0` and older
    // (measured: a 7.2 `pc-i440fx-5.1` guest renamed `pc-i440fx-5.0` loads in
    // 7.2, whose 5.0 reference has no `PCIHost`).
    ("PCIHost", "pci_host_needed", true),
    // migration/global_state.c `global_state_needed`: sent for some run
    // states only on machine types that do not always send it.
    ("globalstate", "global_state_needed", false),
    // hw/display/ramfb-standalone.c `migrate_needed`: property `x-migrate`,
    // off in `hw_compat_8_1` (measured with QEMU 10.0.2: a `virt-8.2` guest
    // with `-device ramfb` renamed `virt-8.1` loads, whose 8.1 reference has
    // no `ramfb-dev`; QEMU 7.2 has no `ramfb-dev` at all and refuses it,
    // "Unknown savevm section or instance 'ramfb-dev' 0").
    ("ramfb-dev", "migrate_needed", true),
];

/// Like [`SENT_WHEN_NEEDED`], for sections that a release registers only
/// from some version on: a reference without one shows no missing device
/// only where DEST's release is that new, which the dump says (idstr, QEMU's
/// test, first release).
const SENT_WHEN_NEEDED_SINCE: &[(&str, &str, (u32, u32))] = &[
    // hw/display/ramfb-standalone.c `migrate_needed`: property `x-migrate`,
    // off for machine types 8.1 and older. Measured: a 10.0 `pc-q35-8.2`
    // guest's `ramfb-dev` renamed `pc-q35-8.1` loads in 10.0, whose 8.1
    // reference has none; QEMU 7.2 has no such section at all ("Unknown
    // savevm section or instance 'ramfb-dev' 0").
    ("ramfb-dev", "migrate_needed", (8, 2)),
];

/// Fields behind a `field_exists` test that reads device configuration only
/// (a property that machine types' compat properties set), never state the
/// load brought in, as (VMSD name, field name as the vmdesc gives it). A
/// dump marks them tested and cannot say how DEST's guest is built; a
/// reference can: QEMU's loader reads such a field exactly when DEST's own
/// guest writes it, so a stream that has it where the reference lacks it,
/// or lacks it where the reference has it, is read with another layout (a
/// machine type renamed by `vmstate convert --machine` across these compat
/// properties). Tests that read loaded state (`ide_drive`'s
/// `identify_data`) are not here: a paused reference may lack what a guest
/// that ran sends.
const CONFIGURATION_TESTS: &[(&str, &str, Option<MachineDefault>)] = &[
    // hw/acpi/piix4.c `vmstate_test_migrate_smb`: `smbus_no_migration_support`
    // of the older machine classes (measured: QEMU 7.2 sends `smb` from
    // `pc-i440fx-4.0` on, and refuses 3.1 renamed 4.0 and 4.0 renamed 3.1).
    (
        "piix4_pm",
        "smb",
        Some(MachineDefault {
            since: (4, 0),
            decided_by: "smbus_no_migration_support",
            settable: false,
        }),
    ),
    // hw/i2c/smbus_ich9.c `ich9_vmstate_need_smbus` (`pm_smbus_vmstate_needed`,
    // the same machine class flag): q35's `SMBus` function (measured: 7.2
    // refuses `pc-q35-3.1` renamed 4.0 and 4.0 renamed 3.1, "Missing section
    // footer for 0000:00:1f.3/ich9_smb").
    (
        "ich9_smb",
        "smb",
        Some(MachineDefault {
            since: (4, 0),
            decided_by: "smbus_no_migration_support",
            settable: false,
        }),
    ),
    // hw/acpi/piix4.c `vmstate_test_use_acpi_hotplug_bridge`:
    // `acpi-pci-hotplug-with-bridge-support`, off in `pc_compat_1_7`, and a
    // property a guest may set otherwise on any machine type.
    ("piix4_pm", "acpi_pci_hotplug.hotplug_select", None),
    // hw/acpi/piix4.c `vmstate_test_migrate_acpi_index`:
    // `x-not-migrate-acpi-index`, on for `pc-i440fx-6.2` and older (measured:
    // QEMU 7.2 and 10.0 send the field from `pc-i440fx-7.0` on).
    (
        "piix4_pm",
        "acpi_pci_hotplug.acpi_index",
        Some(MachineDefault {
            since: (7, 0),
            decided_by: "x-not-migrate-acpi-index",
            settable: false,
        }),
    ),
    // hw/net/e1000e.c `e1000e_migrate_timadj`: `migrate-timadj`, off in
    // `hw_compat_7_2` (measured with 10.0: a `pc-q35-7.2` guest renamed
    // `pc-q35-8.0` fails with "Missing section footer for
    // 0000:00:01.0/e1000e"; `convert --machine --reference` wrote it).
    (
        "e1000e",
        "core.timadj",
        Some(MachineDefault {
            since: (8, 0),
            decided_by: "migrate-timadj",
            settable: true,
        }),
    ),
    // hw/pci-bridge/gen_pcie_root_port.c `gen_rp_test_migrate_msix`:
    // `x-migrate-msix`, false in `hw_compat_2_9`: a `pcie-root-port` sends
    // its MSI-X state (the field `VMSTATE_MSIX_TEST` names after the
    // `PCIDevice` it holds) from machine type 2.10 on (measured with 10.0,
    // both ways between `pc-q35-2.9` and `pc-q35-2.10`: "Missing section
    // footer for 0000:00:01.0/pcie-root-port", where `convert --machine
    // --reference` wrote the renamed stream).
    (
        "pcie-root-port",
        "parent_obj.parent_obj.parent_obj.parent_obj",
        Some(MachineDefault {
            since: (2, 10),
            decided_by: "x-migrate-msix",
            settable: true,
        }),
    ),
];

/// How a machine type decides a [`CONFIGURATION_TESTS`] field by default.
#[derive(Debug, Clone, Copy)]
struct MachineDefault {
    /// The first machine type version that sends it.
    since: (u32, u32),
    /// The compat property or machine class flag that decides it.
    decided_by: &'static str,
    /// Whether a guest's command line may set it otherwise (a device
    /// property): a stream that has the field where its own machine type
    /// would not send it was configured so, and DEST is taken to be alike.
    settable: bool,
}

/// The first field of [`CONFIGURATION_TESTS`] that the stream's section has
/// and the reference's lacks, or the other way round, in the same struct.
fn configuration_test_difference(
    section: &SectionFacts,
    reference: &SectionFacts,
    footers: bool,
) -> Option<Obstacle> {
    let (ours, theirs) = (section.desc.as_ref()?, reference.desc.as_ref()?);
    for (vmsd, field, _) in CONFIGURATION_TESTS {
        let (Some(ours_has), Some(theirs_has)) =
            (field_in(ours, vmsd, field), field_in(theirs, vmsd, field))
        else {
            continue;
        };
        if ours_has == theirs_has {
            continue;
        }
        let why = "a test of how the device is configured (a compat property of the machine \
                   type), as DEST's reference shows";
        let difference = if ours_has {
            super::layout::LayoutDifference {
                path: (*field).to_owned(),
                stream: format!("`{field}`"),
                dest: format!("does not read it: {why}"),
            }
        } else {
            super::layout::LayoutDifference {
                path: (*field).to_owned(),
                stream: "no such field".to_owned(),
                dest: format!("reads `{field}`: {why}"),
            }
        };
        return Some(Obstacle::Layout {
            idstr: section.idstr.clone(),
            instance_id: section.instance_id,
            difference,
            footers,
        });
    }
    None
}

/// Whether the struct named `vmsd` in `desc` (at any depth) has a field
/// `field`; `None` when `desc` holds no such struct.
fn field_in(desc: &StateDesc, vmsd: &str, field: &str) -> Option<bool> {
    if desc.vmsd_name == vmsd {
        return Some(desc.fields.iter().any(|f| f.name == field));
    }
    desc.fields
        .iter()
        .filter_map(|f| f.nested.as_deref())
        .chain(&desc.subsections)
        .find_map(|inner| field_in(inner, vmsd, field))
}

/// The first [`CONFIGURATION_TESTS`] field with a machine type default that
/// the section has where DEST's machine type (the stream's, or the one a
/// rename gives it) does not send it, or lacks where it does: said without
/// a reference, which shows DEST's own configuration instead.
fn machine_configuration_difference(
    section: &SectionFacts,
    stream: &StreamFacts,
) -> Option<Obstacle> {
    let machine = stream.machine.as_deref()?;
    let version = super::virtio_features::machine_version(machine)?;
    let written_on = stream
        .written_on
        .as_deref()
        .map_or(Some(version), super::virtio_features::machine_version);
    let desc = section.desc.as_ref()?;
    CONFIGURATION_TESTS
        .iter()
        .find_map(|(vmsd, field, default)| {
            let default = (*default)?;
            let in_stream = field_in(desc, vmsd, field)?;
            // A device configured otherwise than its machine type's default.
            let configured = written_on.is_some_and(|v| (v >= default.since) != in_stream);
            if default.settable && configured {
                return None;
            }
            (in_stream != (version >= default.since)).then(|| Obstacle::ConfiguredField {
                idstr: section.idstr.clone(),
                instance_id: section.instance_id,
                field: (*field).to_owned(),
                in_stream,
                machine: machine.to_owned(),
                since: default.since,
                property: default.decided_by,
                footers: stream.footers,
            })
        })
}

/// A stream's sections by idstr and instance (the first of each, as QEMU's
/// `find_se` takes it): a lookup each, however many sections a stream has.
fn by_key(facts: &StreamFacts) -> HashMap<(&str, u32), &SectionFacts> {
    let mut sections = HashMap::new();
    for section in &facts.sections {
        sections
            .entry((section.idstr.as_str(), section.instance_id))
            .or_insert(section);
    }
    sections
}

/// RAM blocks QEMU resizes on load (`memory_region_init_resizeable_ram`: the
/// ACPI blobs that `acpi_add_rom_blob` registers, hw/acpi/utils.c), with the
/// most each grows to; any other block must have the destination's length.
const RESIZEABLE_RAM_BLOCKS: &[(&str, u64)] = &[
    ("/rom@etc/acpi/tables", 0x20_0000),
    ("/rom@etc/table-loader", 0x1_0000),
    ("/rom@etc/acpi/rsdp", 0x1000),
];

impl StreamVerdict {
    /// Adds what a reference stream shows (one the destination wrote with the
    /// guest configuration that will load `stream`, see [`check_reference`]),
    /// and checks the layout of the sections the dump did not describe
    /// against the reference's own description of them.
    pub fn add_reference(&mut self, stream: &StreamFacts, reference: &StreamFacts) {
        let has_machine_reason = self
            .obstacles
            .iter()
            .any(|o| matches!(o, Obstacle::Machine { .. }));
        // The reference says exactly which instances DEST has, how its
        // devices are configured, which registers its CPU migrates, and the
        // values it computes for them.
        self.obstacles.retain(|o| {
            !matches!(
                o,
                Obstacle::InstanceZeroOnly { .. }
                    | Obstacle::ConfiguredField { .. }
                    | Obstacle::MsixVectors { .. }
                    | Obstacle::PciDefault { .. }
                    | Obstacle::EarlyVirtioMem { .. }
                    | Obstacle::MachineLacksDevice { .. }
                    | Obstacle::CpregCount { .. }
                    | Obstacle::CpregUnknown { .. }
                    | Obstacle::CpregUnset { .. }
                    | Obstacle::CpregConstant { .. }
                    | Obstacle::CpregUnlisted { .. }
            )
        });
        self.cpregs_unchecked.clear();
        self.tsc_unchecked = kvm_tsc_differences(stream, reference);
        for obstacle in check_reference(stream, reference) {
            // Said already without the reference (a release's rule), or
            // the machine type, which the reference only names again.
            let said = self.obstacles.contains(&obstacle)
                || (has_machine_reason && matches!(obstacle, Obstacle::Machine { .. }));
            // A section that DEST's release loads whatever its own guest
            // sends, which the paused reference had no need to send.
            let needed_only = matches!(&obstacle, Obstacle::NotInGuest { idstr, .. }
            if SENT_WHEN_NEEDED_SINCE.iter().any(|(name, _, since)| {
                name == idstr && self.dest_release.is_some_and(|r| r >= *since)
            }));
            if !said && !needed_only {
                self.obstacles.push(obstacle);
            }
        }
        // A section sent only when needed that the reference lacks is
        // loadable only where DEST's release has its state: one whose VMSD
        // dumps list and DEST's dump does not describe is unknown to DEST.
        let theirs = by_key(reference);
        for section in &stream.sections {
            let dumped = SENT_WHEN_NEEDED
                .iter()
                .any(|(idstr, _, dumped)| *dumped && *idstr == section.idstr);
            let obstacle = Obstacle::NotInGuest {
                idstr: section.idstr.clone(),
                instance_id: section.instance_id,
            };
            if dumped
                && self.unchecked.contains(&section.idstr)
                && !theirs.contains_key(&(section.idstr.as_str(), section.instance_id))
                && !self.obstacles.contains(&obstacle)
            {
                self.obstacles.push(obstacle);
            }
        }
        self.arrays_unchecked = unshown_arrays(stream, &theirs, reference.possible_cpus);
        let mut still_unchecked = Vec::new();
        // The RAM section's blocks were compared above.
        self.unchecked.retain(|idstr| idstr != "ram");
        let theirs_by_key = by_key(reference);
        let mut ours_by_idstr: HashMap<&str, Vec<&SectionFacts>> = HashMap::new();
        for section in &stream.sections {
            ours_by_idstr
                .entry(&section.idstr)
                .or_default()
                .push(section);
        }
        for idstr in std::mem::take(&mut self.unchecked) {
            let mut compared = false;
            for section in ours_by_idstr.get(idstr.as_str()).into_iter().flatten() {
                let theirs = theirs_by_key
                    .get(&(idstr.as_str(), section.instance_id))
                    .copied();
                // Only QEMU's own descriptions are compared: a model
                // describes an old-style section (`slirp`) by its content,
                // which differs with the guest's state.
                let theirs = theirs.filter(|t| t.desc_in_vmdesc && section.desc_in_vmdesc);
                let (Some(ours), Some(theirs)) =
                    (&section.desc, theirs.and_then(|t| t.desc.as_ref()))
                else {
                    continue;
                };
                compared = true;
                let version = i64::from(section.version_id);
                if let Some(difference) =
                    compare_section(ours, &description_with(theirs, &self.dest_structs), version)
                    && fields_len(ours) != fields_len(theirs)
                    && !sized_by_stream(&difference.path)
                {
                    self.obstacles.push(Obstacle::Layout {
                        idstr: idstr.clone(),
                        instance_id: section.instance_id,
                        difference,
                        footers: stream.footers,
                    });
                }
            }
            if !compared {
                still_unchecked.push(idstr);
            }
        }
        self.unchecked = still_unchecked;
    }
}

/// What a reference stream (one the destination wrote, with the guest
/// configuration that will load `stream`) shows that a dump cannot: sections
/// its guest lacks, and PCI devices built differently (one reason per device,
/// its first read-only byte that differs, as QEMU stops there too).
///
/// Before any device state, what QEMU's loader checks against its own guest:
/// the machine type (by name), the target page size, and every RAM block the
/// stream lists (known by name, and of the same length unless QEMU resizes
/// it); per section, the values that `VMSTATE_*_EQUAL` fields require to be
/// the destination's own; an Arm CPU's coprocessor register list against the
/// destination CPU's.
#[must_use]
pub fn check_reference(stream: &StreamFacts, reference: &StreamFacts) -> Vec<Obstacle> {
    let mut obstacles = Vec::new();
    if let (Some(ours), Some(theirs)) = (&stream.machine, &reference.machine)
        && ours != theirs
    {
        obstacles.push(Obstacle::Machine {
            stream: ours.clone(),
            dest: Some(theirs.clone()),
            listed: false,
        });
    }
    // A destination whose machine type sends a configuration section
    // expects one (it reads it first), and one whose machine type does not
    // (2.3 and older) takes its tag for an unknown section type.
    match (stream.machine.is_some(), reference.machine.is_some()) {
        (false, true) => obstacles.push(Obstacle::NoConfiguration),
        (true, false) => obstacles.push(Obstacle::UnexpectedConfiguration),
        _ => {}
    }
    // QEMU sends `configuration/target-page-bits` only above the target's
    // minimum, and a loader that did not receive it takes the minimum
    // (migration/savevm.c, `vmstate_target_page_bits_needed` and
    // `configuration_pre_load`), so one side without it has the minimum and
    // differs from the other's: a `virt-2.7` guest (1 KiB pages) renamed
    // `virt-2.8` is refused, "Received TARGET_PAGE_BITS is 10 but local is 12".
    let minimum = TARGET_PAGE_BITS_MIN_VARY;
    match (stream.target_page_bits, reference.target_page_bits) {
        (Some(ours), Some(theirs)) if ours != theirs => {
            obstacles.push(Obstacle::PageBits {
                stream: ours,
                dest: theirs,
            });
        }
        (None, Some(theirs)) if theirs != minimum => {
            obstacles.push(Obstacle::PageBits {
                stream: minimum,
                dest: theirs,
            });
        }
        (Some(ours), None) if ours != minimum => {
            obstacles.push(Obstacle::PageBits {
                stream: ours,
                dest: minimum,
            });
        }
        _ => {}
    }
    // A reference carries DEST's UUID when its guest has one (`vmstate
    // reference` saves with `validate-uuid`); without one, DEST only warns.
    if let (Some(ours), Some(theirs)) = (stream.uuid, reference.uuid)
        && ours != theirs
    {
        obstacles.push(Obstacle::Uuid {
            stream: ours,
            dest: theirs,
        });
    }
    check_ram_blocks(stream, reference, &mut obstacles);
    early_virtio_mem(stream, reference, &mut obstacles);
    let theirs_by_key = by_key(reference);
    for section in &stream.sections {
        let Some(theirs) = theirs_by_key
            .get(&(section.idstr.as_str(), section.instance_id))
            .copied()
        else {
            if !SENT_WHEN_NEEDED
                .iter()
                .any(|(idstr, _, _)| *idstr == section.idstr)
            {
                obstacles.push(Obstacle::NotInGuest {
                    idstr: section.idstr.clone(),
                    instance_id: section.instance_id,
                });
            }
            continue;
        };
        for (path, value) in &section.equal_values {
            if let Some((_, required)) = theirs.equal_values.iter().find(|(p, _)| p == path)
                && required != value
            {
                obstacles.push(Obstacle::EqualValue {
                    idstr: section.idstr.clone(),
                    instance_id: section.instance_id,
                    path: path.clone(),
                    stream: *value,
                    dest: *required,
                });
            }
        }
        obstacles.extend(configuration_test_difference(
            section,
            theirs,
            stream.footers,
        ));
        reference_cpregs(section, theirs, &mut obstacles);
        obstacles.extend(hand_written_differences(section, theirs, stream.footers));
        if let TscVerdict::Refused(obstacle) = tsc_difference(section, theirs, reference) {
            obstacles.push(obstacle);
        }
        obstacles.extend(possible_cpus_difference(
            section,
            theirs,
            reference,
            stream.footers,
        ));
        obstacles.extend(pci_config_difference(stream, reference, section, theirs));
    }
    obstacles
}

/// What DEST's machine type (the stream's, or the one a rename gives it)
/// and release decide by default that the section differs from: fields
/// behind configuration tests, MSI-X vectors, virtio features. Said without
/// a reference; a reference replaces the first two with DEST's own device.
fn machine_type_defaults(
    section: &SectionFacts,
    stream: &StreamFacts,
    release: Option<(u32, u32)>,
) -> Vec<Obstacle> {
    machine_configuration_difference(section, stream)
        .into_iter()
        .chain(msix_vectors_difference(section, stream))
        .chain(pci_default_difference(section, stream, release))
        .chain(virtio_features_not_offered(
            section,
            release,
            stream.machine.as_deref(),
        ))
        .collect()
}

/// A virtio-pci device built with other MSI-X vectors than DEST's machine
/// type builds it with (see [`super::virtio_features::msix_difference`]).
fn msix_vectors_difference(section: &SectionFacts, stream: &StreamFacts) -> Option<Obstacle> {
    let config = section.pci_config.as_deref()?;
    let machine = stream.machine.as_deref()?;
    let device = section.idstr.rsplit('/').next()?;
    let vectors = super::pci::msix_entries(config).unwrap_or(0);
    let (dest, rule) = super::virtio_features::msix_difference(
        device,
        vectors,
        stream.written_on.as_deref(),
        machine,
    )?;
    Some(Obstacle::MsixVectors {
        idstr: section.idstr.clone(),
        instance_id: section.instance_id,
        stream: vectors,
        dest,
        machine: machine.to_owned(),
        since: rule.since,
    })
}

/// A PCI function whose compared bits its machine type decides, built
/// with other bits than DEST's machine type builds (see
/// [`super::pci_defaults`]): the first byte QEMU finds different.
fn pci_default_difference(
    section: &SectionFacts,
    stream: &StreamFacts,
    release: Option<(u32, u32)>,
) -> Option<Obstacle> {
    let config = section.pci_config.as_deref()?;
    let machine = stream.machine.as_deref()?;
    let device = section.idstr.rsplit('/').next()?;
    let written_on = stream.written_on.as_deref();
    let (dest, rules) =
        super::pci_defaults::dest_config(device, config, written_on, machine, release)?;
    let difference = super::pci::config_differences(config, &dest)
        .into_iter()
        .next()?;
    let rule = rules
        .iter()
        .find(|rule| rule.offset(config) == Some(difference.offset))?;
    Some(Obstacle::PciDefault {
        idstr: section.idstr.clone(),
        instance_id: section.instance_id,
        difference,
        machine: machine.to_owned(),
        decided_by: rule.decided_by,
    })
}

/// The virtio features that the guest's driver negotiated and that DEST's
/// device does not offer on machine type `machine` (see
/// [`super::virtio_features`]).
fn virtio_features_not_offered(
    section: &SectionFacts,
    release: Option<(u32, u32)>,
    machine: Option<&str>,
) -> Option<Obstacle> {
    let guest = section.device().virtio_guest_features?;
    let device = section.idstr.rsplit('/').next().unwrap_or(&section.idstr);
    let missing = super::virtio_features::not_offered(device, guest, release, machine);
    if missing.is_empty() {
        return None;
    }
    let named: Vec<String> = missing
        .iter()
        .map(|f| format!("{} (bit {}; {})", f.name, f.bit, f.offered_where()))
        .collect();
    Some(Obstacle::DeviceState {
        idstr: section.idstr.clone(),
        instance_id: section.instance_id,
        what: format!(
            "the guest's driver negotiated {}, which DEST's device does not offer on machine \
             type `{}` (QEMU: \"Features 0x{guest:x} unsupported. Allowed features: ...\")",
            named.join(", "),
            machine.unwrap_or("(none named)"),
        ),
    })
}

/// The configured arrays (`CONFIGURED_ARRAYS` in facts.rs) that the
/// stream's sections carry and the reference's same sections do not, as
/// `idstr: path (N elements)`: the reference guest had not sent that state,
/// so it does not show how many elements DEST reads.
fn unshown_arrays(
    stream: &StreamFacts,
    theirs: &HashMap<(&str, u32), &SectionFacts>,
    possible_cpus: Option<usize>,
) -> Vec<String> {
    let mut out = Vec::new();
    for section in &stream.sections {
        let Some(dest) = theirs.get(&(section.idstr.as_str(), section.instance_id)) else {
            continue;
        };
        for &(path, len) in &section.device().configured_arrays {
            // The CPU hotplug state's length DEST's ACPI tables show.
            let shown = possible_cpus.is_some() && path.ends_with(CPU_HOTPLUG_DEVS);
            if !shown
                && !dest
                    .device()
                    .configured_arrays
                    .iter()
                    .any(|(p, _)| *p == path)
            {
                out.push(format!("{}: {path} ({len} elements)", section.idstr));
            }
        }
    }
    out
}

/// The end of the CPU hotplug state's array path (`piix4_pm/cpuhp...`,
/// `pm.ich9_pm/cpuhp...`): one element per possible CPU.
const CPU_HOTPLUG_DEVS: &str = "cpuhp.cpuhp_state.devs";

/// A CPU hotplug state (`cpuhp`, sent once the guest switched CPU hotplug
/// to its modern interface) of another length than DEST's possible CPUs,
/// where DEST's reference has no such state (a paused guest has not made
/// the switch): DEST reads one element per possible CPU
/// (`vmstate_cpuhp_state`, `dev_count` not migrated), and its ACPI MADT,
/// which the reference carries in its RAM, lists each of them. Measured: a
/// 7.2 guest with `-smp 1,maxcpus=2` into 10.0 with `-smp 1`, "Missing
/// section footer for `0000:00:01.3/piix4_pm`".
fn possible_cpus_difference(
    section: &SectionFacts,
    theirs: &SectionFacts,
    reference: &StreamFacts,
    footers: bool,
) -> Option<Obstacle> {
    let dest = reference.possible_cpus?;
    let &(path, ours) = section
        .device()
        .configured_arrays
        .iter()
        .find(|(path, _)| path.ends_with(CPU_HOTPLUG_DEVS))?;
    let sent_by_dest = theirs
        .device()
        .configured_arrays
        .iter()
        .any(|(p, _)| *p == path);
    (!sent_by_dest && ours != dest).then(|| Obstacle::Layout {
        idstr: section.idstr.clone(),
        instance_id: section.instance_id,
        difference: super::layout::LayoutDifference {
            path: path.to_owned(),
            stream: format!("{ours} elements"),
            dest: format!(
                "reads {dest}, one per possible CPU of its guest, as its ACPI tables list \
                 them (the count is not on the wire)"
            ),
        },
        footers,
    })
}

/// hw/audio/hda-codec.c: `hda-audio-stream/buffer` ends with
/// `VMSTATE_TIMER_PTR(buft)`, and a codec stream DEST's codec does not have
/// (an `hda-output` where the stream's codec was an `hda-duplex`) has no
/// timer: `vmstate_load_state` asserts on the NULL pointer and the process
/// aborts, in 7.2 and 10.0 alike, paused or not (measured; a codec with
/// `use-timer=off` has its streams' timers and loads it). DEST's reference
/// shows which streams its codec has.
fn hda_stream_crash(section: &SectionFacts, theirs: &SectionFacts) -> Option<Obstacle> {
    let (ours, dest) = (
        section.device().hda_streams.as_ref()?,
        theirs.device().hda_streams.as_ref()?,
    );
    let stream = ours.buffered.iter().find(|i| !dest.present.contains(i))?;
    Some(Obstacle::LoadCrash {
        idstr: section.idstr.clone(),
        instance_id: section.instance_id,
        what: format!(
            "the stream's codec sends the buffer of its stream {stream} \
             (`st[{stream}].hda-audio-stream/buffer`), a stream DEST's codec does not \
             have (another codec type), so DEST has no timer to load it into (QEMU: \
             \"vmstate_load_state: Assertion `first_elem || !n_elems || !size' \
             failed\", and the process aborts)"
        ),
    })
}

/// What QEMU checks in state that devices write by hand or validate in
/// code (no dump shows it), compared with the reference's: the HPET's
/// number of timers, a virtio GPU's number of outputs and its scanouts'
/// size, virtio-serial's map of active ports.
fn hand_written_differences(
    section: &SectionFacts,
    theirs: &SectionFacts,
    footers: bool,
) -> Vec<Obstacle> {
    let mut obstacles = Vec::new();
    for &(path, ours) in &section.device().configured_arrays {
        if let Some(&(_, dest)) = theirs
            .device()
            .configured_arrays
            .iter()
            .find(|(p, _)| *p == path)
            && ours != dest
        {
            obstacles.push(Obstacle::Layout {
                idstr: section.idstr.clone(),
                instance_id: section.instance_id,
                difference: super::layout::LayoutDifference {
                    path: path.to_owned(),
                    stream: format!("{ours} elements"),
                    dest: format!(
                        "reads {dest}, as many as its own device was built with (the count \
                         is not on the wire)"
                    ),
                },
                footers,
            });
        }
    }
    for &(path, ours) in &section.device().compared_by_post_load {
        if let Some(&(_, dest)) = theirs
            .device()
            .compared_by_post_load
            .iter()
            .find(|(p, _)| *p == path)
            && ours != dest
        {
            let message = super::facts::COMPARED_BY_POST_LOAD
                .iter()
                .find(|(_, p, _)| *p == path)
                .map_or("", |(_, _, message)| message);
            obstacles.push(Obstacle::DeviceState {
                idstr: section.idstr.clone(),
                instance_id: section.instance_id,
                what: format!(
                    "field `{path}` is 0x{ours:x}, and DEST's device, built with 0x{dest:x}, \
                     refuses any value but its own after loading (QEMU: \"{message}\")"
                ),
            });
        }
    }
    if let (Some((ours, _)), Some((dest, true))) =
        (section.device().hpet_timers, theirs.device().hpet_timers)
        && ours != dest
    {
        obstacles.push(Obstacle::DeviceState {
            idstr: section.idstr.clone(),
            instance_id: section.instance_id,
            what: format!(
                "the stream's HPET has {ours} timers, DEST's {dest}, and DEST's release loads \
                 only its own number (`hpet_validate_num_timers`; QEMU 7.2 took any; QEMU: \
                 \"Input validation failed: hpet/num_timers must match\")"
            ),
        });
    }
    // `vmstate_virtio_gpu_scanouts` holds `max_outputs` as a
    // VMSTATE_UINT32_EQUAL before the scanouts: another number of
    // outputs fails there ("1 != 2", DEST's value first), a field no
    // vmdesc shows inside the hand-written `virtio-gpu` blob.
    if let (Some(ours), Some(dest)) = (
        section.device().virtio_gpu_outputs,
        theirs.device().virtio_gpu_outputs,
    ) && ours != dest
    {
        obstacles.push(Obstacle::EqualValue {
            idstr: section.idstr.clone(),
            instance_id: section.instance_id,
            path: "virtio-gpu.parent_obj.conf.max_outputs".to_owned(),
            stream: ours,
            dest,
        });
    } else if let (Some(ours), Some(dest)) = (
        section.device().virtio_gpu_scanout,
        theirs.device().virtio_gpu_scanout,
    ) && ours != dest
    {
        obstacles.push(virtio_gpu_scanouts(section, ours, dest, footers));
    }
    obstacles.extend(hda_stream_crash(section, theirs));
    if let (Some(ours), Some(dest)) = (
        &section.device().virtio_serial_ports,
        &theirs.device().virtio_serial_ports,
    ) {
        obstacles.extend(virtio_serial_ports_difference(section, ours, dest, footers));
    }
    obstacles
}

/// What QEMU's `virtio_serial_load_device` finds in a virtio-serial
/// device's map of active ports: it reads as many be32 words as its *own*
/// `max_ports` needs (one per 32 ports), whatever the stream's count says
/// (the count is read into an unused variable), and refuses a word that is
/// not its own. A map of another length is read with DEST's layout: from a
/// device with more words the rest stays in the stream (measured,
/// `virtio-serial-pci,max_ports=64` into a default one, 31 ports, both ways
/// between 7.2 and 10.0: "Missing section footer for
/// 0000:00:01.0/virtio-console"); from one with fewer DEST takes the port
/// count for a map word and the load fails inside the device ("Failed to
/// load virtio-console:virtio"). Equal lengths: the words must be DEST's.
fn virtio_serial_ports_difference(
    section: &SectionFacts,
    ours: &[u32],
    dest: &[u32],
    footers: bool,
) -> Option<Obstacle> {
    if ours.len() > dest.len() {
        return Some(Obstacle::Layout {
            idstr: section.idstr.clone(),
            instance_id: section.instance_id,
            difference: super::layout::LayoutDifference {
                path: "virtio (virtio-serial's map of active ports)".to_owned(),
                stream: format!(
                    "a map of {} words (`max_ports` over {})",
                    ours.len(),
                    32 * dest.len()
                ),
                dest: format!(
                    "reads {} word(s), as many as its own device's `max_ports` needs (the \
                     count on the wire is not used)",
                    dest.len()
                ),
            },
            footers,
        });
    }
    let what = if ours.len() < dest.len() {
        format!(
            "the stream's virtio-serial map of active ports has {} word(s) and DEST's device \
             reads {} (its `max_ports` is over {}; the count on the wire is not used): \
             `virtio_serial_load_device` reads what follows the map as the rest of it",
            ours.len(),
            dest.len(),
            32 * ours.len()
        )
    } else {
        let (i, (a, b)) = ours
            .iter()
            .zip(dest)
            .enumerate()
            .find(|(_, (a, b))| a != b)?;
        let first = if i == 0 {
            String::new()
        } else {
            format!(" (ports {} to {})", 32 * i, 32 * i + 31)
        };
        format!(
            "the stream's virtio-serial ports{first} are 0x{a:08x} (a bit a port number), \
             DEST's device has 0x{b:08x}: `virtio_serial_load_device` refuses ports that are \
             not its own (a `virtserialport` or `virtconsole` of one side only, or at \
             another `nr`)"
        )
    };
    Some(Obstacle::DeviceState {
        idstr: section.idstr.clone(),
        instance_id: section.instance_id,
        what,
    })
}

/// Without a reference, in a stream `convert --machine` renames: the `GICv3`
/// ITS (`arm_gicv3_its`) of an Arm guest renamed to a `virt` machine type
/// that builds none. QEMU builds no ITS on `virt-2.7` and older
/// (`no_its`), nor, under TCG, on `virt-6.1` and older (`no_tcg_its`,
/// `create_its` returns), whatever `its=` says. Measured with 7.2: a
/// `virt-6.2,gic-version=3` guest renamed `virt-6.1` fails with `Unknown
/// savevm section or instance 'arm_gicv3_its' 0`, which `convert --machine`
/// wrote without a reference. A KVM destination on 2.8 to 6.1 has an ITS;
/// the reference shows which.
fn its_by_machine(stream: &StreamFacts) -> Vec<Obstacle> {
    let (Some(machine), Some(written_on)) = (stream.machine.as_deref(), &stream.written_on) else {
        return Vec::new();
    };
    let version = |name: &str| {
        name.starts_with("virt-")
            .then(|| super::virtio_features::machine_version(name))
            .flatten()
    };
    let (Some(dest), Some(source)) = (version(machine), version(written_on)) else {
        return Vec::new();
    };
    let why = if dest <= (2, 7) {
        "no ITS on `virt-2.7` and older, `no_its`"
    } else if dest <= (6, 1) && source >= (6, 2) {
        "no ITS under TCG on `virt-6.1` and older, `no_tcg_its`; a KVM destination has one: \
         `--reference` shows DEST's"
    } else {
        return Vec::new();
    };
    stream
        .sections
        .iter()
        .filter(|s| s.idstr == "arm_gicv3_its")
        .map(|s| Obstacle::MachineLacksDevice {
            idstr: s.idstr.clone(),
            instance_id: s.instance_id,
            machine: machine.to_owned(),
            why,
        })
        .collect()
}

/// Without a reference, virtio-mem's early state predicted from DEST's
/// machine type (the stream's, or the one a rename gives it):
/// `x-early-migration` is on from machine type 8.0 (`hw_compat_7_2`). A
/// device configured otherwise than its own machine type's default (the
/// property set on the command line) is taken to go to one configured alike.
/// Measured on Arm with QEMU 10.0: a `virt-7.2` guest renamed `virt-8.0`
/// fails with "Missing section footer for 0000:00:01.0/virtio-mem", and a
/// `virt-8.0` guest renamed `virt-7.2` with "Unknown savevm section or
/// instance '0000:00:01.0/virtio-mem-device-early' 0"; `check` without a
/// reference called both loadable and `convert --machine` wrote them.
fn early_virtio_mem_by_machine(stream: &StreamFacts) -> Vec<Obstacle> {
    const EARLY: &str = "/virtio-mem-device-early";
    const SINCE: (u32, u32) = (8, 0);
    let Some(machine) = stream.machine.as_deref() else {
        return Vec::new();
    };
    let Some(version) = super::virtio_features::machine_version(machine) else {
        return Vec::new();
    };
    let written_on = stream
        .written_on
        .as_deref()
        .map_or(Some(version), super::virtio_features::machine_version);
    let mut obstacles = Vec::new();
    for section in &stream.sections {
        let Some(path) = section.idstr.strip_suffix("/virtio-mem") else {
            continue;
        };
        let early = format!("{path}{EARLY}");
        let has_early = stream
            .sections
            .iter()
            .any(|s| s.idstr == early && s.instance_id == section.instance_id);
        let configured = written_on.is_some_and(|v| (v >= SINCE) != has_early);
        if configured || has_early == (version >= SINCE) {
            continue;
        }
        obstacles.push(Obstacle::EarlyVirtioMem {
            idstr: if has_early {
                early
            } else {
                section.idstr.clone()
            },
            instance_id: section.instance_id,
            in_stream: has_early,
            machine: machine.to_owned(),
            footers: stream.footers,
        });
    }
    obstacles
}

/// virtio-mem with `x-early-migration` (on from machine type 8.0) sends its
/// sanity checks and plugged-block bitmap in a section of their own,
/// `DEVICE_PATH/virtio-mem-device-early`, before RAM, and leaves them out of
/// its `virtio` state (`virtio_mem_vmstate_field_exists`, a test of the
/// property inside the hand-written blob). A stream without the early
/// section, loaded where the reference has one, is read with the shorter
/// layout: measured with 10.0, a `pc-q35-7.2` guest renamed `pc-q35-8.0`,
/// "Missing section footer for 0000:00:01.0/virtio-mem", which `check
/// --reference` called loadable and `convert` wrote. (The other way the
/// early section is one DEST's guest lacks.)
fn early_virtio_mem(stream: &StreamFacts, reference: &StreamFacts, obstacles: &mut Vec<Obstacle>) {
    const EARLY: &str = "/virtio-mem-device-early";
    for early in &reference.sections {
        let Some(path) = early.idstr.strip_suffix(EARLY) else {
            continue;
        };
        let main = format!("{path}/virtio-mem");
        let has = |idstr: &str| {
            stream
                .sections
                .iter()
                .find(|s| s.idstr == idstr && s.instance_id == early.instance_id)
        };
        if has(&early.idstr).is_none()
            && let Some(section) = has(&main)
        {
            obstacles.push(Obstacle::Layout {
                idstr: section.idstr.clone(),
                instance_id: section.instance_id,
                difference: super::layout::LayoutDifference {
                    path: "virtio".to_owned(),
                    stream: "the sanity checks and bitmap in this section (no \
                             `virtio-mem-device-early` section)"
                        .to_owned(),
                    dest: format!(
                        "migrates them early, in `{}` (`x-early-migration`, on from machine \
                         type 8.0), and reads this section without them",
                        early.idstr
                    ),
                },
                footers: stream.footers,
            });
        }
    }
}

/// The first byte of a PCI function's configuration space that QEMU
/// compares and finds otherwise in DEST's device (`get_pci_config_device`
/// checks them in order and names the first): its read-only registers, and
/// the BARs whose size DEST's device shows (a legacy virtio I/O BAR 0, a
/// virtio memory BAR, the expansion ROM).
fn pci_config_difference(
    stream: &StreamFacts,
    reference: &StreamFacts,
    section: &SectionFacts,
    theirs: &SectionFacts,
) -> Option<Obstacle> {
    let (Some(ours), Some(dest)) = (&section.pci_config, &theirs.pci_config) else {
        return None;
    };
    let first = config_differences(ours, dest)
        .into_iter()
        .chain(theirs.device().legacy_virtio_bar.and_then(|size| {
            io_bar0_difference(ours, dest, section.device().legacy_virtio_bar, size)
        }))
        .chain(virtio_memory_bar_differences(ours, dest))
        .chain(
            option_rom(reference, &section.idstr).and_then(|(block, size)| {
                let ours_size = option_rom(stream, &section.idstr).map(|(_, size)| size);
                rom_bar_difference(ours, dest, ours_size, size, block)
            }),
        )
        .min_by_key(|difference| difference.offset)?;
    Some(Obstacle::PciConfig {
        idstr: section.idstr.clone(),
        instance_id: section.instance_id,
        offset: first.offset,
        register: first.register,
        stream: first.stream,
        dest: first.dest,
    })
}

/// The option ROM of the PCI function whose section is `idstr` (its
/// device path, then `/` and the VMSD name), with its length: QEMU names
/// the ROM's RAM block by the same device path and the device's type
/// (`0000:00:03.0/virtio-net-pci.rom` for section
/// `0000:00:03.0/virtio-net`).
fn option_rom<'a>(facts: &'a StreamFacts, idstr: &str) -> Option<(&'a str, u64)> {
    let (path, _) = idstr.rsplit_once('/')?;
    facts.ram_blocks.iter().find_map(|block| {
        let name = block.name.strip_prefix(path)?.strip_prefix('/')?;
        (name.strip_suffix(".rom").is_some() && !name.contains('/'))
            .then_some((block.name.as_str(), block.used_length))
    })
}

/// Layouts that a release reads whatever its dump says, from the release and
/// the machine type: a virtio GPU's scanouts, which DEST reads at its
/// device's `x-scanout-vmstate-version` ([`dest_scanout_size`]).
fn release_layouts(
    section: &SectionFacts,
    dest: &Dump,
    machine: Option<&str>,
    footers: bool,
    obstacles: &mut Vec<Obstacle>,
) {
    if let Some(ours) = section.device().virtio_gpu_scanout
        && let Some(theirs) = dest
            .release_version()
            .and_then(|release| dest_scanout_size(release, machine))
        && ours != theirs
    {
        obstacles.push(virtio_gpu_scanouts(section, ours, theirs, footers));
    }
    // QEMU 10.0 decides each scanout's version with a test
    // (`scanout_vmstate_after_v2`) that takes the scanout it is given for
    // the first of the array, so from the second on it reads a byte beside
    // its `x-scanout-vmstate-version`, not the property (a QEMU bug).
    // Measured with 10.0.2 on pc-q35-7.2 and pc-q35-10.0: the second scanout
    // is always written and read at 64 bytes, the third at 40, the fourth
    // at either from one run to the next. Scanouts all of version 1 (every
    // release before 10.0 writes them so) with two or more outputs are
    // therefore refused: "Missing section footer for 0000:00:01.0/virtio-gpu".
    if let (Some(SCANOUT_V1), Some(outputs)) = (
        section.device().virtio_gpu_scanout,
        section.device().virtio_gpu_outputs,
    ) && outputs >= 2
        && dest.release_version() == Some((10, 0))
    {
        obstacles.push(Obstacle::Layout {
            idstr: section.idstr.clone(),
            instance_id: section.instance_id,
            difference: super::layout::LayoutDifference {
                path: "virtio-gpu.scanout[1]".to_owned(),
                stream: format!(
                    "{outputs} scanouts of {SCANOUT_V1} bytes each (`vmstate_virtio_gpu_scanout` \
                     version 1)"
                ),
                dest: format!(
                    "reads the second at {SCANOUT_V2} bytes whatever the machine type: QEMU \
                     10.0's `scanout_vmstate_after_v2` reads the version of every scanout but \
                     the first from outside the device (a QEMU bug; with `max_outputs=1` it \
                     loads)"
                ),
            },
            footers,
        });
    }
}

/// The bytes per scanout that QEMU `release` reads for a virtio GPU on
/// machine type `machine` (the stream's, which DEST must run): releases
/// before 9.0 know only version 1; from 9.0 the device's
/// `x-scanout-vmstate-version` is 2, and `hw_compat_8_2` sets it to 1 on
/// machine types 8.2 and older (measured with QEMU 10.0.2: `virt-8.2` writes
/// 40-byte scanouts, `virt-9.0`, `virt-9.2` and `virt-10.0` 64-byte ones).
/// A machine type without a version (`microvm`) takes no compat property.
/// `None` where the stream names no machine type.
fn dest_scanout_size(release: (u32, u32), machine: Option<&str>) -> Option<u64> {
    if release < (9, 0) {
        return Some(SCANOUT_V1);
    }
    let version = machine?
        .rsplit_once('-')
        .and_then(|(_, version)| version.split_once('.'))
        .and_then(|(major, minor)| Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?)));
    Some(match version {
        Some(version) if version < (9, 0) => SCANOUT_V1,
        _ => SCANOUT_V2,
    })
}

/// Bytes of one `vmstate_virtio_gpu_scanout` at version 1 (resource id,
/// width, height, x, y and the cursor's five words, be32 each); version 2,
/// from QEMU 9.0 on its machine types 9.0 and later, adds the framebuffer's
/// six.
const SCANOUT_V1: u64 = 40;
/// The same at version 2.
const SCANOUT_V2: u64 = 64;

/// A virtio GPU whose scanouts DEST reads at another version: QEMU's
/// `virtio_gpu_load` reads them with `vmstate_load_state` at its device's
/// `x-scanout-vmstate-version` (1 on machine types 8.2 and older, and in
/// every release before 9.0; 2 otherwise), a nested struct whose
/// version never goes on the wire, so the load runs past or short of the
/// field and fails at the footer.
fn virtio_gpu_scanouts(section: &SectionFacts, ours: u64, dest: u64, footers: bool) -> Obstacle {
    let version = |size| match size {
        SCANOUT_V1 => " (`vmstate_virtio_gpu_scanout` version 1)",
        SCANOUT_V2 => " (version 2, machine types 9.0 and later)",
        _ => "",
    };
    Obstacle::Layout {
        idstr: section.idstr.clone(),
        instance_id: section.instance_id,
        difference: super::layout::LayoutDifference {
            path: "virtio-gpu.scanout".to_owned(),
            stream: format!("scanouts of {ours} bytes each{}", version(ours)),
            dest: format!("reads {dest} bytes each{}", version(dest)),
        },
        footers,
    }
}

/// QEMU's `parse_ramblock`: every block the stream lists must be DEST's, of
/// DEST's length unless QEMU resizes it (up to its maximum).
fn check_ram_blocks(stream: &StreamFacts, reference: &StreamFacts, obstacles: &mut Vec<Obstacle>) {
    let theirs_by_name: HashMap<&str, &RamBlock> = reference
        .ram_blocks
        .iter()
        .map(|block| (block.name.as_str(), block))
        .collect();
    for block in &stream.ram_blocks {
        let Some(theirs) = theirs_by_name.get(block.name.as_str()) else {
            obstacles.push(Obstacle::UnknownRamBlock {
                name: block.name.clone(),
            });
            continue;
        };
        if block.used_length == theirs.used_length {
            continue;
        }
        let max = RESIZEABLE_RAM_BLOCKS
            .iter()
            .find(|(name, _)| *name == block.name)
            .map(|(_, max)| *max);
        if max.is_none_or(|max| block.used_length > max) {
            obstacles.push(Obstacle::RamBlockSize {
                name: block.name.clone(),
                stream: block.used_length,
                dest: theirs.used_length,
                max,
            });
        }
    }
}

/// Whether the destination refuses a stream without a configuration section.
/// Machine types 2.3 and older turn `send-configuration` off (QEMU's
/// `hw_compat_2_3`, with `send-section-footer` and `store-global-state`),
/// and QEMU 7.2 running one loads such a stream; measured: 7.2 on
/// `pc-i440fx-2.3` loads a `pc-i440fx-2.2` stream, on 2.4 it refuses it.
/// QEMU 10.0 runs no such machine type (it refuses the stream on 2.4 and
/// 2.10), so from 10.0 on it is expected always.
fn expects_configuration(dest: &Dump) -> bool {
    let old_machine = |name: &str| {
        let Some(version) = name.rsplit('-').next() else {
            return false;
        };
        let mut parts = version.split('.').map(str::parse::<u32>);
        matches!((parts.next(), parts.next()), (Some(Ok(major)), Some(Ok(minor))) if (major, minor) <= (2, 3))
    };
    if dest
        .release_version()
        .is_some_and(|release| release >= (10, 0))
    {
        return true;
    }
    if dest.machines.is_empty() {
        !dest.machine.as_deref().is_some_and(old_machine)
    } else {
        !dest.machines.iter().any(|m| old_machine(m))
    }
}

fn check_section(section: &SectionFacts, dest: &Dump, footers: bool, verdict: &mut StreamVerdict) {
    let Some(vmsd_name) = &section.vmsd_name else {
        verdict.unchecked.push(section.idstr.clone());
        return;
    };
    let candidates: Vec<&Description> = dest
        .sections_saving(vmsd_name)
        .filter_map(|s| s.description.as_ref())
        .collect();
    if candidates.is_empty()
        && let Some(release) = dest.release_version()
        && let Some((_, since)) = SECTIONS_SINCE
            .iter()
            .find(|(name, since)| name == vmsd_name && *since > release)
    {
        verdict.obstacles.push(Obstacle::NotInRelease {
            idstr: section.idstr.clone(),
            instance_id: section.instance_id,
            vmsd_name: vmsd_name.clone(),
            since: *since,
        });
        return;
    }
    if candidates.is_empty() {
        // What the dump cannot show: subsections newer than DEST's release.
        if let Some(release) = dest.release_version() {
            for subsection in &section.subsections {
                let newer = OMITTED_SECTION_SUBSECTIONS
                    .iter()
                    .any(|(name, since)| *name == subsection.name && *since > release);
                if newer {
                    verdict.obstacles.push(Obstacle::Subsection {
                        idstr: section.idstr.clone(),
                        instance_id: section.instance_id,
                        vmsd_name: vmsd_name.clone(),
                        subsection: subsection.clone(),
                    });
                }
            }
        }
        verdict.unchecked.push(section.idstr.clone());
        if let Some(desc) = &section.desc {
            dest_structs_of(desc, dest, &mut verdict.dest_structs);
        }
        return;
    }
    let found = i64::from(section.version_id);
    let loads = |d: &Description| {
        d.minimum_version_id.unwrap_or(d.version_id) <= found && found <= d.version_id
    };
    let Some(description) = candidates.iter().copied().find(|d| loads(d)) else {
        let d = candidates[0];
        verdict.obstacles.push(Obstacle::Version {
            idstr: section.idstr.clone(),
            instance_id: section.instance_id,
            found: section.version_id,
            minimum: d.minimum_version_id.unwrap_or(d.version_id),
            maximum: d.version_id,
        });
        return;
    };
    let mut known = Vec::new();
    subsections_of(description, &mut known);
    for subsection in &section.subsections {
        match known.iter().find(|d| d.name == subsection.name) {
            None => verdict.obstacles.push(Obstacle::Subsection {
                idstr: section.idstr.clone(),
                instance_id: section.instance_id,
                vmsd_name: vmsd_name.clone(),
                subsection: subsection.clone(),
            }),
            Some(d) if i64::from(subsection.version) > d.version_id => {
                verdict.obstacles.push(Obstacle::SubsectionVersion {
                    idstr: section.idstr.clone(),
                    instance_id: section.instance_id,
                    name: subsection.name.clone(),
                    found: subsection.version,
                    maximum: d.version_id,
                });
            }
            Some(_) => {}
        }
    }
    // Several devices may save with one VMSD name (`serial` is both the
    // UART's and the ISA card's that holds one): the section loads when one
    // of those that take its version reads it as written.
    let differences = candidates
        .iter()
        .filter(|d| loads(d))
        .map(|d| compare_section(section.desc.as_ref()?, d, found));
    if let Some(difference) = differences.reduce(Option::and).flatten() {
        verdict.obstacles.push(Obstacle::Layout {
            idstr: section.idstr.clone(),
            instance_id: section.instance_id,
            difference,
            footers,
        });
    }
}

/// Every subsection `description` knows, in its structs too.
fn subsections_of<'a>(description: &'a Description, out: &mut Vec<&'a Description>) {
    for field in &description.fields {
        if let Some(nested) = &field.description {
            subsections_of(nested, out);
        }
    }
    for sub in &description.subsections {
        out.push(sub);
        subsections_of(sub, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stream::{RamBlock, SectionInfo};

    fn block(name: &str, used_length: u64) -> RamBlock {
        RamBlock {
            name: name.to_owned(),
            used_length,
        }
    }

    fn section(idstr: &str, instance_id: u32, equal: &[(&str, u64)]) -> SectionFacts {
        SectionFacts {
            equal_values: equal.iter().map(|(p, v)| ((*p).to_owned(), *v)).collect(),
            ..SectionFacts::new(&SectionInfo {
                idstr: idstr.to_owned(),
                instance_id,
                version_id: 1,
            })
        }
    }

    #[test]
    fn a_reference_shows_ram_blocks_machine_page_size_and_equal_values() {
        let stream = StreamFacts {
            machine: Some("microvm".into()),
            target_page_bits: Some(12),
            ram_blocks: vec![
                block("pc.bios", 0x1_0000),
                block("/rom@etc/acpi/tables", 0x2_0000),
                block("/rom@etc/table-loader", 0x2_0000),
                block("0000:00:03.0/e1000.rom", 0x4_0000),
            ],
            sections: vec![section("dev", 0, &[("num_irq", 5)])],
            ..StreamFacts::default()
        };
        let reference = StreamFacts {
            machine: Some("pc-i440fx-7.2".into()),
            target_page_bits: Some(14),
            ram_blocks: vec![
                block("pc.bios", 0x2_0000),
                block("/rom@etc/acpi/tables", 0x1000),
                block("/rom@etc/table-loader", 0x1000),
            ],
            sections: vec![section("dev", 0, &[("num_irq", 4)])],
            ..StreamFacts::default()
        };
        let lines: Vec<String> = check_reference(&stream, &reference)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(lines.len(), 6, "{lines:#?}");
        assert!(
            lines[0].contains("Machine type received is 'microvm' and local is 'pc-i440fx-7.2'")
        );
        assert!(lines[1].contains("Received TARGET_PAGE_BITS is 12 but local is 14"));
        assert!(lines[2].contains("Size mismatch: pc.bios: 0x10000 != 0x20000"));
        // The tables grow up to 2 MiB, the loader only to 64 KiB.
        assert!(lines[3].contains("Size too large: /rom@etc/table-loader: 0x20000 > 0x10000"));
        assert!(lines[4].contains("Unknown ramblock \"0000:00:03.0/e1000.rom\""));
        assert!(lines[5].contains("field `num_irq` is 0x5") && lines[5].contains("\"4 != 5\""));
    }

    #[test]
    fn a_reference_that_agrees_adds_nothing() {
        let stream = StreamFacts {
            machine: Some("pc-i440fx-7.2".into()),
            ram_blocks: vec![block("pc.ram", 0x100_0000)],
            sections: vec![section("dev", 0, &[("num_irq", 4)])],
            ..StreamFacts::default()
        };
        assert_eq!(check_reference(&stream, &stream), Vec::new());
    }
}

#[cfg(test)]
mod instance_tests {
    use super::*;
    use crate::stream::SectionInfo;

    #[test]
    fn a_release_that_numbers_slirp_zero_refuses_instance_one() {
        let slirp = |instance_id| {
            SectionFacts::new(&SectionInfo {
                idstr: "slirp".into(),
                instance_id,
                version_id: 4,
            })
        };
        let stream = StreamFacts {
            machine: Some("pc-i440fx-7.2".into()),
            sections: vec![slirp(0), slirp(1)],
            ..StreamFacts::default()
        };
        let release = |version: &str| Dump {
            release: Some(version.into()),
            machines: vec!["pc-i440fx-7.2".into()],
            ..Dump::default()
        };
        let verdict = check_stream(&stream, &release("7.2.22"));
        assert_eq!(
            verdict.obstacles,
            vec![Obstacle::InstanceZeroOnly {
                idstr: "slirp".into(),
                instance_id: 1
            }]
        );
        assert!(
            check_stream(&stream, &release("10.0.2"))
                .obstacles
                .is_empty()
        );
    }

    #[test]
    fn compressed_pages_need_the_capability_that_9_1_removed() {
        let stream = StreamFacts {
            machine: Some("pc-i440fx-7.2".into()),
            compressed_pages: 110,
            ..StreamFacts::default()
        };
        let release = |version: &str| Dump {
            release: Some(version.into()),
            machines: vec!["pc-i440fx-7.2".into()],
            ..Dump::default()
        };
        for (version, capability_known) in [("7.2.22", true), ("9.0.2", true), ("10.0.2", false)] {
            assert_eq!(
                check_stream(&stream, &release(version)).obstacles,
                [Obstacle::CompressedPages {
                    count: 110,
                    capability_known,
                }],
                "{version}"
            );
        }
        let plain = StreamFacts {
            compressed_pages: 0,
            ..stream
        };
        assert_eq!(check_stream(&plain, &release("10.0.2")).obstacles, []);
    }

    #[test]
    fn zero_pages_filled_with_another_byte_are_refused_from_8_2() {
        let stream = StreamFacts {
            machine: Some("pc-i440fx-7.2".into()),
            filled_zero_pages: 3,
            first_zero_fill: 0x55,
            ..StreamFacts::default()
        };
        let release = |version: &str| Dump {
            release: Some(version.into()),
            machines: vec!["pc-i440fx-7.2".into()],
            ..Dump::default()
        };
        let refused = [Obstacle::FilledZeroPages {
            count: 3,
            fill: 0x55,
        }];
        assert_eq!(check_stream(&stream, &release("7.2.22")).obstacles, []);
        assert_eq!(check_stream(&stream, &release("8.1.5")).obstacles, []);
        assert_eq!(check_stream(&stream, &release("8.2.0")).obstacles, refused);
        assert_eq!(check_stream(&stream, &release("10.0.2")).obstacles, refused);
        assert!(
            refused[0]
                .to_string()
                .contains("\"Found a zero page with value 85\""),
            "{}",
            refused[0]
        );
    }

    #[test]
    fn a_cpu_subsection_newer_than_the_release_is_refused() {
        // A KVM guest's `cpu` on QEMU 10.0 after it set HWCR; no dump
        // describes `cpu`, so only the release's version tells.
        let hwcr = super::super::facts::SubsectionFacts {
            name: "cpu/msr_hwcr".into(),
            version: 1,
            state: "env.msr_hwcr = 16777216".into(),
        };
        let known = super::super::facts::SubsectionFacts {
            name: "cpu/tsc_khz".into(),
            version: 1,
            state: String::new(),
        };
        let stream = StreamFacts {
            machine: Some("pc-i440fx-7.2".into()),
            sections: vec![SectionFacts {
                vmsd_name: Some("cpu".into()),
                subsections: vec![known, hwcr.clone()],
                ..SectionFacts::new(&SectionInfo {
                    idstr: "cpu".into(),
                    instance_id: 0,
                    version_id: 12,
                })
            }],
            ..StreamFacts::default()
        };
        let release = |version: &str| Dump {
            release: Some(version.into()),
            machines: vec!["pc-i440fx-7.2".into()],
            ..Dump::default()
        };
        assert_eq!(
            check_stream(&stream, &release("7.2.22")).obstacles,
            vec![Obstacle::Subsection {
                idstr: "cpu".into(),
                instance_id: 0,
                vmsd_name: "cpu".into(),
                subsection: hwcr,
            }]
        );
        assert!(
            check_stream(&stream, &release("9.2.0"))
                .obstacles
                .is_empty()
        );
    }
}

#[cfg(test)]
mod cpreg_constant_tests {
    use super::*;
    use crate::stream::SectionInfo;

    const ID_DFR0_EL1: u64 = 0x6030_0000_0013_c00a;

    fn cpu(value: u64) -> StreamFacts {
        cpu_register(ID_DFR0_EL1, value)
    }

    /// A `virt-7.2` stream whose `cpu` section migrates `register` with `value`.
    fn cpu_register(register: u64, value: u64) -> StreamFacts {
        StreamFacts {
            machine: Some("virt-7.2".into()),
            sections: vec![SectionFacts {
                cpregs: Some(vec![register]),
                cpreg_values: Some(vec![value]),
                ..SectionFacts::new(&SectionInfo {
                    idstr: "cpu".into(),
                    instance_id: 0,
                    version_id: 22,
                })
            }],
            ..StreamFacts::default()
        }
    }

    #[test]
    fn an_id_register_of_the_other_release_is_refused_with_or_without_a_reference() {
        // The register lists agree; only the value QEMU computes differs
        // (10.0 clears ID_DFR0's trace field under TCG).
        let dest = Dump {
            release: Some("7.2.22".into()),
            machines: vec!["virt-7.2".into()],
            cpregs: vec![("cortex-a57".into(), vec![ID_DFR0_EL1])],
            ..Dump::default()
        };
        let stream = cpu(0x0300_0006);
        let verdict = check_stream(&stream, &dest);
        assert_eq!(
            verdict.obstacles,
            vec![Obstacle::CpregConstant {
                idstr: "cpu".into(),
                instance_id: 0,
                registers: vec![(ID_DFR0_EL1, 0x0300_0006, 0x0301_0006)],
            }]
        );
        let mut with_reference = verdict.clone();
        with_reference.add_reference(&stream, &cpu(0x0301_0006));
        assert_eq!(with_reference.obstacles, verdict.obstacles);
        // The release's own value loads.
        assert!(check_stream(&cpu(0x0301_0006), &dest).obstacles.is_empty());
    }

    #[test]
    fn an_its_is_refused_where_the_machine_type_builds_none() {
        let stream = |machine: &str, written_on: &str| StreamFacts {
            machine: Some(machine.into()),
            written_on: Some(written_on.into()),
            sections: vec![SectionFacts::new(&SectionInfo {
                idstr: "arm_gicv3_its".into(),
                instance_id: 0,
                version_id: 0,
            })],
            ..StreamFacts::default()
        };
        let refused = its_by_machine(&stream("virt-6.1", "virt-6.2"));
        assert!(
            refused[0]
                .to_string()
                .contains("Unknown savevm section or instance 'arm_gicv3_its' 0"),
            "{refused:?}"
        );
        assert_eq!(its_by_machine(&stream("virt-2.7", "virt-2.8")).len(), 1);
        // Written on 6.1 with an ITS: a KVM guest, whose DEST has one.
        assert!(its_by_machine(&stream("virt-6.0", "virt-6.1")).is_empty());
        assert!(its_by_machine(&stream("virt-7.2", "virt-6.2")).is_empty());
        assert!(its_by_machine(&stream("pc-q35-6.1", "pc-q35-6.2")).is_empty());
    }

    #[test]
    fn virtio_mem_early_state_is_predicted_from_the_machine_type() {
        let section = |idstr: &str| {
            SectionFacts::new(&SectionInfo {
                idstr: idstr.into(),
                instance_id: 0,
                version_id: 1,
            })
        };
        let stream = |machine: &str, written_on: Option<&str>, early: bool| {
            let mut sections = vec![section("0000:00:01.0/virtio-mem")];
            if early {
                sections.push(section("0000:00:01.0/virtio-mem-device-early"));
            }
            StreamFacts {
                machine: Some(machine.into()),
                written_on: written_on.map(Into::into),
                footers: true,
                sections,
                ..StreamFacts::default()
            }
        };
        // Renamed across 8.0 by `convert --machine`, either way.
        let up = early_virtio_mem_by_machine(&stream("virt-8.0", Some("virt-7.2"), false));
        assert!(
            matches!(&up[..], [Obstacle::EarlyVirtioMem { in_stream: false, idstr, .. }]
                if idstr == "0000:00:01.0/virtio-mem"),
            "{up:?}"
        );
        assert!(
            up[0].to_string().contains("Missing section footer"),
            "{}",
            up[0]
        );
        let down = early_virtio_mem_by_machine(&stream("virt-7.2", Some("virt-8.0"), true));
        assert!(
            matches!(&down[..], [Obstacle::EarlyVirtioMem { in_stream: true, idstr, .. }]
                if idstr == "0000:00:01.0/virtio-mem-device-early"),
            "{down:?}"
        );
        assert!(
            down[0].to_string().contains("Unknown savevm section"),
            "{}",
            down[0]
        );
        // Its own machine type, or a device configured otherwise on purpose.
        assert!(early_virtio_mem_by_machine(&stream("virt-8.0", None, true)).is_empty());
        assert!(early_virtio_mem_by_machine(&stream("virt-7.2", None, false)).is_empty());
        assert!(
            early_virtio_mem_by_machine(&stream("virt-7.2", Some("virt-7.2"), true)).is_empty()
        );
    }

    #[test]
    fn an_implementation_defined_register_is_compared_with_the_reference() {
        // L2CTLR_EL1 (op0=3 op1=1 CRn=11 CRm=0 op2=2) reads the core count:
        // 0 with `-smp 1`, 1 << 24 with `-smp 2`, writes ignored.
        const L2CTLR_EL1: u64 = 0x6030_0000_0013_cd82;
        let with = |value: u64| cpu_register(L2CTLR_EL1, value);
        let dest = Dump {
            release: Some("10.0.2".into()),
            machines: vec!["virt-7.2".into()],
            ..Dump::default()
        };
        let stream = with(0);
        let mut verdict = check_stream(&stream, &dest);
        assert!(verdict.obstacles.is_empty());
        verdict.add_reference(&stream, &with(1 << 24));
        assert_eq!(
            verdict.obstacles,
            vec![Obstacle::CpregConstant {
                idstr: "cpu".into(),
                instance_id: 0,
                registers: vec![(L2CTLR_EL1, 0, 1 << 24)],
            }]
        );
        let mut same = check_stream(&stream, &dest);
        same.add_reference(&stream, &with(0));
        assert!(same.obstacles.is_empty());
    }
}

#[cfg(test)]
mod unlisted_cpu_tests {
    use super::*;
    use crate::stream::SectionInfo;

    /// QEMU 7.2's 32-bit PAR and QEMU 10.0's `DBGDTR_EL0`: one register each
    /// release alone migrates.
    const PAR32: u64 = 0x4020_0000_200f_3a00;
    const DBGDTR_EL0: u64 = 0x6030_0000_0013_9828;

    fn cpu(registers: &[u64]) -> StreamFacts {
        StreamFacts {
            machine: Some("virt-7.2".into()),
            sections: vec![SectionFacts {
                cpregs: Some(registers.to_vec()),
                cpreg_values: Some(vec![0; registers.len()]),
                ..SectionFacts::new(&SectionInfo {
                    idstr: "cpu".into(),
                    instance_id: 0,
                    version_id: 22,
                })
            }],
            ..StreamFacts::default()
        }
    }

    /// QEMU 7.2 (lists: a CPU model with registers 1, 2 and the PAR) and
    /// 10.0 (the same model with 1, 2 and `DBGDTR_EL0`).
    fn release(version: &str) -> Dump {
        let v7 = vec![("cortex-a57".to_owned(), vec![1, 2, PAR32])];
        let v10 = vec![("cortex-a57".to_owned(), vec![1, 2, DBGDTR_EL0])];
        let (cpregs, other_cpregs) = if version.starts_with("7.") {
            (v7, v10)
        } else {
            (v10, v7)
        };
        Dump {
            release: Some(version.into()),
            machines: vec!["virt-7.2".into()],
            cpregs,
            other_cpregs,
            ..Dump::default()
        }
    }

    /// A CPU no list is made for (registers 1, 3, 4 and its release's
    /// marker): its own release loads it, whatever the nearest list says; the
    /// other release refuses it, naming the register it does not know.
    #[test]
    fn a_cpu_no_list_covers_is_judged_by_the_registers_that_tell_the_releases_apart() {
        let of_7_2 = cpu(&[1, 3, 4, PAR32]);
        let of_10_0 = cpu(&[1, 3, 4, DBGDTR_EL0]);
        for (stream, own, other, marker) in [
            (&of_7_2, "7.2.22", "10.0.2", PAR32),
            (&of_10_0, "10.0.2", "7.2.22", DBGDTR_EL0),
        ] {
            let verdict = check_stream(stream, &release(own));
            assert!(verdict.obstacles.is_empty(), "{:?}", verdict.obstacles);
            assert_eq!(verdict.cpregs_unchecked, ["cpu:0"]);
            let verdict = check_stream(stream, &release(other));
            assert_eq!(
                verdict.obstacles,
                [Obstacle::CpregUnlisted {
                    idstr: "cpu".into(),
                    instance_id: 0,
                    unknown: vec![marker],
                    nearest: "cortex-a57".into(),
                }]
            );
        }
        // A list that is a shipped one is compared whole, as before.
        let verdict = check_stream(&cpu(&[1, 2, PAR32]), &release("10.0.2"));
        assert!(matches!(
            verdict.obstacles.as_slice(),
            [Obstacle::CpregUnknown { .. }]
        ));
        assert!(verdict.cpregs_unchecked.is_empty());
    }
}

#[cfg(test)]
mod configuration_test_tests {
    use super::*;
    use crate::desc::FieldDesc;
    use crate::stream::SectionInfo;

    fn piix4_pm(acpi_index: bool) -> StreamFacts {
        let mut fields = vec![
            FieldDesc::scalar("smb", "struct", 40),
            FieldDesc::scalar("acpi_pci_hotplug.hotplug_select", "uint32", 4),
        ];
        if acpi_index {
            fields.push(FieldDesc::scalar(
                "acpi_pci_hotplug.acpi_index",
                "uint32",
                4,
            ));
        }
        described("pc-i440fx-7.0", "0000:00:01.3/piix4_pm", 3, fields)
    }

    /// A stream on `machine` with one section, `idstr` at `version`, that
    /// its vmdesc describes with `fields` (the VMSD named as the idstr's
    /// last part).
    fn described(machine: &str, idstr: &str, version: u32, fields: Vec<FieldDesc>) -> StreamFacts {
        StreamFacts {
            machine: Some(machine.into()),
            footers: true,
            sections: vec![SectionFacts {
                desc: Some(StateDesc {
                    vmsd_name: idstr.rsplit('/').next().unwrap_or(idstr).into(),
                    version,
                    fields,
                    subsections: Vec::new(),
                }),
                desc_in_vmdesc: true,
                ..SectionFacts::new(&SectionInfo {
                    idstr: idstr.into(),
                    instance_id: 0,
                    version_id: version,
                })
            }],
            ..StreamFacts::default()
        }
    }

    /// A field behind a configuration test that one side has and the other
    /// lacks is a layout difference, either way; the same fields are none.
    #[test]
    fn a_configuration_tested_field_the_reference_lacks_or_has_alone_is_refused() {
        for (ours, theirs) in [(true, false), (false, true)] {
            let obstacles = check_reference(&piix4_pm(ours), &piix4_pm(theirs));
            let [
                Obstacle::Layout {
                    difference,
                    footers,
                    ..
                },
            ] = obstacles.as_slice()
            else {
                panic!("{ours} {theirs}: {obstacles:?}");
            };
            assert_eq!(difference.path, "acpi_pci_hotplug.acpi_index");
            assert!(*footers);
        }
        for same in [true, false] {
            assert!(check_reference(&piix4_pm(same), &piix4_pm(same)).is_empty());
        }
    }

    /// A `pcie-root-port` sends its MSI-X state only from machine type 2.10
    /// on (`x-migrate-msix`): a stream with it loaded where the reference
    /// lacks it, or the other way round, is read with another layout.
    #[test]
    fn a_root_port_renamed_across_x_migrate_msix_is_refused() {
        const MSIX: &str = "parent_obj.parent_obj.parent_obj.parent_obj";
        let port = |msix: bool| {
            let mut fields = vec![
                FieldDesc::scalar("parent_obj.parent_obj.parent_obj", "buffer", 4096),
                FieldDesc::scalar("parent_obj.parent_obj.parent_obj.exp.aer_log", "buffer", 4),
            ];
            if msix {
                fields.push(FieldDesc::scalar(MSIX, "buffer", 17));
            }
            described("pc-q35-2.10", "0000:00:01.0/pcie-root-port", 1, fields)
        };
        for (ours, theirs) in [(true, false), (false, true)] {
            let obstacles = check_reference(&port(ours), &port(theirs));
            let [Obstacle::Layout { difference, .. }] = obstacles.as_slice() else {
                panic!("{ours} {theirs}: {obstacles:?}");
            };
            assert_eq!(difference.path, MSIX);
        }
        assert!(check_reference(&port(true), &port(true)).is_empty());
    }

    /// An HDA codec stream's buffer state loaded where DEST's codec lacks
    /// that stream aborts QEMU; where DEST's codec has it (its buffer state
    /// left out by `use-timer=off`, its format set) it loads.
    #[test]
    fn an_hda_stream_dests_codec_lacks_aborts() {
        let codec = |buffered: &[usize], present: &[usize]| {
            let mut section = SectionFacts::new(&SectionInfo {
                idstr: "hda-audio".into(),
                instance_id: 0,
                version_id: 2,
            });
            section.device_mut().hda_streams = Some(crate::check::HdaStreams {
                buffered: buffered.to_vec(),
                present: present.to_vec(),
            });
            StreamFacts {
                machine: Some("pc-q35-7.2".into()),
                footers: true,
                sections: vec![section],
                ..StreamFacts::default()
            }
        };
        // `hda-duplex` into `hda-output`.
        let obstacles = check_reference(&codec(&[0, 1], &[0, 1]), &codec(&[0], &[0]));
        let [Obstacle::LoadCrash { what, .. }] = obstacles.as_slice() else {
            panic!("{obstacles:?}");
        };
        assert!(what.contains("`st[1].hda-audio-stream/buffer`"), "{what}");
        // Into `hda-duplex,use-timer=off`, and `hda-output` into `hda-duplex`.
        assert!(check_reference(&codec(&[0, 1], &[0, 1]), &codec(&[], &[0, 1])).is_empty());
        assert!(check_reference(&codec(&[0], &[0]), &codec(&[0, 1], &[0, 1])).is_empty());
    }

    /// Without a reference, DEST's machine type decides such a field where
    /// the machine type's default does (`acpi_index` from `pc-i440fx-7.0`
    /// on): a stream renamed across that version is refused, either way;
    /// and a reference, which shows DEST's own configuration, replaces the
    /// prediction.
    #[test]
    fn the_machine_type_decides_a_configuration_tested_field_without_a_reference() {
        let named = |acpi_index: bool, machine: &str, written_on: Option<&str>| {
            let mut facts = piix4_pm(acpi_index);
            facts.machine = Some(machine.into());
            facts.written_on = written_on.map(Into::into);
            machine_configuration_difference(&facts.sections[0], &facts)
        };
        assert_eq!(named(true, "pc-i440fx-7.0", None), None);
        assert_eq!(named(false, "pc-i440fx-6.2", None), None);
        let Some(Obstacle::ConfiguredField {
            field,
            in_stream: true,
            since: (7, 0),
            ..
        }) = named(true, "pc-i440fx-6.2", Some("pc-i440fx-7.0"))
        else {
            panic!("a 7.0 guest renamed 6.2");
        };
        assert_eq!(field, "acpi_pci_hotplug.acpi_index");
        assert!(matches!(
            named(false, "pc-i440fx-7.0", Some("pc-i440fx-6.2")),
            Some(Obstacle::ConfiguredField {
                in_stream: false,
                ..
            })
        ));
        // Not settable by a guest's options: a stream that has it on 6.2
        // was renamed by hand, and DEST's 6.2 does not read it.
        assert!(named(true, "pc-i440fx-6.2", None).is_some());
        // A machine type without a version has no compat properties.
        assert_eq!(named(true, "microvm", None), None);

        let renamed = |acpi_index| {
            let mut facts = piix4_pm(acpi_index);
            facts.written_on = facts.machine.replace("pc-i440fx-6.2".into());
            facts
        };
        let dest = Dump::default();
        let mut verdict = check_stream(&renamed(true), &dest);
        assert!(
            verdict
                .obstacles
                .iter()
                .any(|o| matches!(o, Obstacle::ConfiguredField { .. })),
            "{:?}",
            verdict.obstacles
        );
        // DEST's 6.2 guest sends the field after all (a property set so).
        let mut reference = piix4_pm(true);
        reference.machine = Some("pc-i440fx-6.2".into());
        verdict.add_reference(&renamed(true), &reference);
        assert!(
            !verdict.obstacles.iter().any(|o| matches!(
                o,
                Obstacle::ConfiguredField { .. } | Obstacle::Layout { .. }
            )),
            "{:?}",
            verdict.obstacles
        );
    }

    /// A stream without `configuration/target-page-bits` has the minimum
    /// page size, which differs from a reference's that sends it.
    #[test]
    fn a_page_size_left_out_is_the_minimum() {
        let with = |bits| StreamFacts {
            machine: Some("virt-2.8".into()),
            target_page_bits: bits,
            ..StreamFacts::default()
        };
        assert_eq!(
            check_reference(&with(None), &with(Some(12))),
            [Obstacle::PageBits {
                stream: 10,
                dest: 12
            }]
        );
        assert_eq!(
            check_reference(&with(Some(12)), &with(None)),
            [Obstacle::PageBits {
                stream: 12,
                dest: 10
            }]
        );
        assert!(check_reference(&with(None), &with(None)).is_empty());
        assert!(check_reference(&with(Some(12)), &with(Some(12))).is_empty());
    }

    /// A section whose VMSD has a section-level `needed` (`pcspk`) may be
    /// missing from a reference whose guest has the device; another section
    /// missing there is a device the guest lacks.
    #[test]
    fn a_section_sent_only_when_needed_is_not_missing_from_the_guest() {
        let with = |idstr: &str| {
            let mut facts = piix4_pm(true);
            facts.sections.push(SectionFacts::new(&SectionInfo {
                idstr: idstr.into(),
                instance_id: 0,
                version_id: 1,
            }));
            facts
        };
        assert!(check_reference(&with("pcspk"), &piix4_pm(true)).is_empty());
        assert_eq!(
            check_reference(&with("serial"), &piix4_pm(true)),
            [Obstacle::NotInGuest {
                idstr: "serial".into(),
                instance_id: 0
            }]
        );
    }
}
