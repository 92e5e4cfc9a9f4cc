//! One reason a destination would refuse a stream, each with QEMU's own
//! error message for it.

use std::fmt;

use crate::stream::{Uuid, command_info};

use super::cpregs::CpReg;
use super::facts::SubsectionFacts;
use super::layout::LayoutDifference;
use super::pci::ConfigDifference;

/// How many registers a reason names at most: real releases differ by a few
/// dozen, a hostile stream may list millions, and one line stays readable.
const SHOWN: usize = 64;

/// One reason the destination would refuse the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Obstacle {
    /// The machine types differ: QEMU compares them by name.
    Machine {
        /// The stream's machine type.
        stream: String,
        /// The destination's, when its dump records one.
        dest: Option<String>,
        /// Whether the destination's dump lists the machine types it runs.
        listed: bool,
    },
    /// The stream has no configuration section (QEMU leaves it out for
    /// machine types 2.3 and older) and the destination expects one.
    NoConfiguration,
    /// The stream has a configuration section and the destination's machine
    /// type (2.3 or older) sends none and expects none.
    UnexpectedConfiguration,
    /// A configuration subsection the destination's release does not know.
    ConfigurationSubsection {
        /// Its name.
        name: String,
    },
    /// A capability the destination's release does not know.
    Capability {
        /// Its name.
        name: String,
        /// The first release that knows it.
        since: (u32, u32),
    },
    /// RAM pages compressed by the `compress` capability. QEMU's loader
    /// takes them only with its own `compress` capability on (set before the
    /// stream comes in: `-incoming defer`, then `migrate_incoming`), and
    /// QEMU 9.1 removed the capability.
    CompressedPages {
        /// How many.
        count: u64,
        /// Whether the destination's release still has the capability.
        capability_known: bool,
    },
    /// ZERO records whose fill byte is not 0 (only QEMU before 1.5 wrote
    /// them, for pages of one repeated byte), which QEMU refuses from 8.2 on.
    FilledZeroPages {
        /// How many.
        count: u64,
        /// The first one's fill byte.
        fill: u8,
    },
    /// A command packet the destination's release does not know.
    Command {
        /// Its number.
        number: u16,
    },
    /// A section version outside what the destination loads.
    Version {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// The stream's version.
        found: u32,
        /// The oldest version the destination loads.
        minimum: i64,
        /// The newest.
        maximum: i64,
    },
    /// A subsection the destination does not know.
    Subsection {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// The section's VMSD name, which QEMU names in its error.
        vmsd_name: String,
        /// The subsection.
        subsection: SubsectionFacts,
    },
    /// A section whose device state DEST's release does not have: a later
    /// release added it to the device.
    NotInRelease {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// The section's VMSD name.
        vmsd_name: String,
        /// The first release that has it.
        since: (u32, u32),
    },
    /// A section the destination's guest does not have, as its reference
    /// stream shows.
    NotInGuest {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
    },
    /// A section instance the destination's release never numbers so: it
    /// registers every device of that idstr as instance 0.
    InstanceZeroOnly {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
    },
    /// A device whose hand-written load (no vmdesc shows its fields)
    /// refuses state that DEST's own device, as its reference shows, does
    /// not match: virtio-serial's map of active ports.
    DeviceState {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// What differs.
        what: String,
    },
    /// A section whose load makes the destination's release abort (a QEMU
    /// bug: the process dies on an assertion, and the guest with it).
    LoadCrash {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// What happens, with QEMU's message.
        what: String,
    },
    /// Arm coprocessor registers whose value QEMU computes from the CPU model
    /// (ID registers, constants) and that the stream carries with another
    /// value than the destination's.
    CpregConstant {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// (index, the stream's value, the destination's).
        registers: Vec<(u64, u64, u64)>,
    },
    /// A read-only byte of a PCI device's configuration space that the
    /// destination's device has otherwise, as its reference stream shows.
    PciConfig {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// Offset in the configuration space.
        offset: usize,
        /// The register there.
        register: String,
        /// The stream's byte.
        stream: u8,
        /// The destination's.
        dest: u8,
    },
    /// A section whose fields the destination reads with another layout
    /// than the stream's (a field added or removed without a version bump,
    /// another size or element count, at any depth).
    Layout {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// The first difference, with the field path.
        difference: LayoutDifference,
        /// Whether the stream's sections end with footers, where QEMU then
        /// notices.
        footers: bool,
    },
    /// A device state DEST's machine type does not build (a compat
    /// property of it), in a stream renamed to that machine type. Said
    /// without a reference; a reference shows DEST's own guest instead.
    MachineLacksDevice {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// DEST's machine type.
        machine: String,
        /// Why it builds none: the compat flag and what decides it.
        why: &'static str,
    },
    /// virtio-mem's early state (`DEVICE_PATH/virtio-mem-device-early`,
    /// `x-early-migration`, on from machine type 8.0) where DEST's machine
    /// type does not migrate it early, or its absence where it does. Said
    /// without a reference, from the machine type; a reference shows DEST's
    /// own device instead.
    EarlyVirtioMem {
        /// The section QEMU fails on: the early one when the stream has it
        /// (DEST does not know it), else the device's own (read without
        /// the state the stream carries in it).
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// Whether the stream has the early section.
        in_stream: bool,
        /// DEST's machine type.
        machine: String,
        /// Whether the stream's sections end with footers.
        footers: bool,
    },
    /// A field behind a `field_exists` test of the device's configuration
    /// that the machine type decides: the stream has it and DEST's machine
    /// type does not send (or read) it, or the other way round. Said
    /// without a reference, from the machine type's compat properties; a
    /// reference shows DEST's own configuration instead.
    ConfiguredField {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// The field's path.
        field: String,
        /// Whether the stream has it.
        in_stream: bool,
        /// DEST's machine type.
        machine: String,
        /// The first machine type version that sends it.
        since: (u32, u32),
        /// What decides it: the compat property or machine class flag.
        property: &'static str,
        /// Whether the stream's sections end with footers.
        footers: bool,
    },
    /// A virtio-pci device whose MSI-X vectors its machine type decides,
    /// built with the stream's machine type's default, which DEST's machine
    /// type builds with another: QEMU compares the MSI-X capability. Said
    /// without a reference; a reference shows DEST's device instead.
    MsixVectors {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// The stream's device's vectors (0: no MSI-X).
        stream: usize,
        /// DEST's device's, by its machine type's default.
        dest: usize,
        /// DEST's machine type.
        machine: String,
        /// The first machine type version with the newer default.
        since: (u32, u32),
    },
    /// A PCI function built with the stream's machine type's default for
    /// bits that DEST's machine type builds otherwise (see
    /// [`PCI_DEFAULTS`](super::PCI_DEFAULTS)): QEMU compares them. Said
    /// without a reference; a reference shows DEST's function instead.
    PciDefault {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// The first byte QEMU finds different.
        difference: ConfigDifference,
        /// DEST's machine type.
        machine: String,
        /// What decides the bits.
        decided_by: &'static str,
    },
    /// A field QEMU requires to hold the destination's own value
    /// (`VMSTATE_*_EQUAL`) holds another, as the reference stream shows.
    EqualValue {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// The field path.
        path: String,
        /// The stream's value.
        stream: u64,
        /// The destination's.
        dest: u64,
    },
    /// A RAM block the destination does not have, as its reference shows.
    UnknownRamBlock {
        /// The block's idstr.
        name: String,
    },
    /// A RAM block whose length differs from the destination's, which
    /// cannot be resized to it.
    RamBlockSize {
        /// The block's idstr.
        name: String,
        /// The stream's length.
        stream: u64,
        /// The destination's.
        dest: u64,
        /// For a block QEMU resizes on load, the most it grows to.
        max: Option<u64>,
    },
    /// The source's target page size differs from the destination's.
    PageBits {
        /// The stream's, as a power of two.
        stream: u32,
        /// The destination's.
        dest: u32,
    },
    /// The stream carries its source's UUID (saved with `validate-uuid`)
    /// and DEST was given another (`-uuid`): `vmstate_uuid_post_load`
    /// refuses it whatever DEST's own capabilities.
    Uuid {
        /// The source's UUID.
        stream: Uuid,
        /// DEST's.
        dest: Uuid,
    },
    /// An Arm CPU's register list longer than the destination's: QEMU loads
    /// the count `cpreg_vmstate_array_len` as `VMSTATE_INT32_POSITIVE_LE`
    /// against its own list's length.
    CpregCount {
        /// The section's idstr (`cpu`).
        idstr: String,
        /// Its instance (the CPU's index).
        instance_id: u32,
        /// How many registers the stream lists.
        stream: usize,
        /// How many the destination's CPU has.
        dest: usize,
        /// The register indexes the stream has and the destination lacks.
        unknown: Vec<u64>,
        /// Those the destination has and the stream lacks.
        missing: Vec<u64>,
        /// The CPU model whose shipped list stood for the destination's, when
        /// no reference showed it.
        model: Option<String>,
    },
    /// An Arm CPU register the destination does not have: `cpu_post_load`
    /// (target/arm/machine.c) fails on an incoming index it does not know.
    CpregUnknown {
        /// The section's idstr (`cpu`).
        idstr: String,
        /// Its instance (the CPU's index).
        instance_id: u32,
        /// The register indexes the stream has and the destination lacks.
        unknown: Vec<u64>,
        /// Those the destination has and the stream lacks (written as their
        /// list slot's unset value: [`Obstacle::CpregUnset`] names the
        /// constants among them that QEMU then refuses).
        missing: Vec<u64>,
        /// The CPU model whose shipped list stood for the destination's, when
        /// no reference showed it.
        model: Option<String>,
    },
    /// An Arm CPU whose configuration no shipped register list covers (a CPU
    /// model or EL2/EL3 combination the lists were not made for), which
    /// carries registers that DEST's release migrates for none of the CPUs
    /// it has lists for and that QEMU 7.2 and 10.0 are known to migrate
    /// differently ([`DROPPABLE_CPREGS`](super::DROPPABLE_CPREGS)): the
    /// other release wrote it, and `cpu_post_load` (target/arm/machine.c)
    /// refuses an index it does not know, or a longer list.
    CpregUnlisted {
        /// The section's idstr (`cpu`).
        idstr: String,
        /// Its instance (the CPU's index).
        instance_id: u32,
        /// Those registers.
        unknown: Vec<u64>,
        /// The nearest shipped list's CPU model.
        nearest: String,
    },
    /// Arm CPU registers the destination migrates and computes as a
    /// constant other than 0, which the stream lacks: `cpu_post_load` writes
    /// its list's unset slot for them and refuses what reads back.
    CpregUnset {
        /// The section's idstr (`cpu`).
        idstr: String,
        /// Its instance (the CPU's index).
        instance_id: u32,
        /// (index, the destination's value).
        registers: Vec<(u64, u64)>,
    },
    /// A subsection newer than the destination's.
    SubsectionVersion {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
        /// The subsection's name.
        name: String,
        /// The stream's version.
        found: u32,
        /// The newest the destination loads.
        maximum: i64,
    },
}

impl fmt::Display for Obstacle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Machine { .. } | Self::NoConfiguration | Self::UnexpectedConfiguration => {
                self.fmt_configuration(f)
            }
            Self::ConfigurationSubsection { name } => write!(
                f,
                "configuration subsection `{name}`: DEST's release does not know it"
            ),
            Self::Capability { name, since } => write!(
                f,
                "capability `{name}`: DEST's release does not know it (QEMU {}.{} and later do; \
                 QEMU: \"Received unknown capability {name}\")",
                since.0, since.1
            ),
            Self::CompressedPages {
                count,
                capability_known,
            } => fmt_compressed(f, *count, *capability_known),
            Self::FilledZeroPages { count, fill } => fmt_filled_zero(f, *count, *fill),
            Self::Command { number } => {
                let name = command_info(*number).map_or("unknown", |c| c.name);
                write!(
                    f,
                    "command 0x{number:x} ({name}): DEST's release does not know it \
                     (QEMU: \"MIG_CMD 0x{number:x} unknown\"); it carries no state, \
                     `vmstate convert` drops it"
                )
            }
            Self::Version {
                idstr,
                instance_id,
                found,
                minimum,
                maximum,
            } => write!(
                f,
                "section `{idstr}` instance {instance_id}: version {found}, DEST loads \
                 {minimum}..={maximum} (QEMU: \"savevm: unsupported version {found} for \
                 '{idstr}' v{maximum}\")"
            ),
            Self::Subsection {
                idstr,
                instance_id,
                vmsd_name,
                subsection,
            } => {
                write!(
                    f,
                    "section `{idstr}` instance {instance_id}: subsection `{}` is unknown to \
                     DEST (QEMU: \"error while loading state for instance 0x{instance_id:x} of \
                     device '{vmsd_name}'\"); it was sent because its state differs from the \
                     default",
                    subsection.name
                )?;
                if !subsection.state.is_empty() {
                    write!(f, ": {}", subsection.state)?;
                }
                Ok(())
            }
            Self::NotInRelease { .. }
            | Self::NotInGuest { .. }
            | Self::MachineLacksDevice { .. } => self.fmt_unknown_section(f),
            Self::InstanceZeroOnly { idstr, instance_id } => write!(
                f,
                "section `{idstr}` instance {instance_id}: DEST's release numbers every \
                 `{idstr}` section 0 (QEMU: \"Unknown savevm section or instance '{idstr}' \
                 {instance_id}\"); `vmstate convert --reference REF` renumbers it as DEST does"
            ),
            Self::LoadCrash { .. } => self.fmt_load_crash(f),
            Self::DeviceState {
                idstr,
                instance_id,
                what,
            } => write!(
                f,
                "section `{idstr}` instance {instance_id}: {what} (QEMU: \"error while loading \
                 state for instance 0x{instance_id:x} of device '{idstr}'\")"
            ),
            Self::MsixVectors { .. } => self.fmt_msix_vectors(f),
            Self::PciDefault { .. } => self.fmt_pci_default(f),
            Self::CpregConstant { .. } => self.fmt_cpreg_constant(f),
            Self::PciConfig { .. } => self.fmt_pci_config(f),
            Self::CpregCount { .. } | Self::CpregUnknown { .. } => self.fmt_cpregs(f),
            Self::CpregUnset { .. } => self.fmt_cpreg_unset(f),
            Self::CpregUnlisted { .. } => self.fmt_cpreg_unlisted(f),
            Self::Layout { .. } | Self::ConfiguredField { .. } => self.fmt_layout(f),
            Self::EqualValue { .. }
            | Self::UnknownRamBlock { .. }
            | Self::RamBlockSize { .. }
            | Self::PageBits { .. }
            | Self::Uuid { .. } => self.fmt_reference(f),
            Self::SubsectionVersion { .. } => self.fmt_subsection_version(f),
            Self::EarlyVirtioMem { .. } => self.fmt_early_virtio_mem(f),
        }
    }
}

impl Obstacle {
    fn fmt_early_virtio_mem(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self::EarlyVirtioMem {
            idstr,
            instance_id,
            in_stream,
            machine,
            footers,
        } = self
        else {
            return Ok(());
        };
        if *in_stream {
            return write!(
                f,
                "section `{idstr}` instance {instance_id}: DEST's virtio-mem on machine type \
                 `{machine}` migrates its sanity checks and bitmap in its own state \
                 (`x-early-migration`, on from machine type 8.0), and has no such section \
                 (QEMU: \"Unknown savevm section or instance '{idstr}' {instance_id}\")"
            );
        }
        write!(
            f,
            "section `{idstr}` instance {instance_id}: field `virtio`: the stream has the sanity \
             checks and bitmap in this section (no `virtio-mem-device-early` section), DEST \
             migrates them early on machine type `{machine}` (`x-early-migration`, on from \
             machine type 8.0) and reads this section without them; DEST reads the section with \
             its own layout and fails"
        )?;
        if *footers {
            write!(f, " (QEMU: \"Missing section footer for {idstr}\")")
        } else {
            f.write_str(" (QEMU then reads past the section and fails on what follows)")
        }
    }
}

impl Obstacle {
    fn fmt_unknown_section(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotInRelease {
                idstr,
                instance_id,
                vmsd_name,
                since: (major, minor),
            } => write!(
                f,
                "section `{idstr}` instance {instance_id}: DEST's release has no device state \
                 `{vmsd_name}` (QEMU {major}.{minor} and later have it) (QEMU: \"Unknown \
                 savevm section or instance '{idstr}' {instance_id}\")"
            ),
            Self::NotInGuest { idstr, instance_id } => write!(
                f,
                "section `{idstr}` instance {instance_id}: DEST's guest has no such device, as \
                 its reference stream shows (QEMU: \"Unknown savevm section or instance \
                 '{idstr}' {instance_id}\")"
            ),
            Self::MachineLacksDevice {
                idstr,
                instance_id,
                machine,
                why,
            } => write!(
                f,
                "section `{idstr}` instance {instance_id}: DEST's machine type `{machine}` \
                 builds no such device ({why}) (QEMU: \"Unknown savevm section or instance \
                 '{idstr}' {instance_id}\")"
            ),
            _ => Ok(()),
        }
    }

    /// The machine type and the configuration section's presence.
    fn fmt_configuration(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Machine {
                stream,
                dest: Some(dest),
                listed: false,
            } => write!(
                f,
                "machine type `{stream}`: DEST runs `{dest}` (QEMU: \"Machine type received is \
                 '{stream}' and local is '{dest}'\"); `vmstate convert --machine {dest}` renames it"
            ),
            Self::Machine { stream, .. } => write!(
                f,
                "machine type `{stream}`: DEST does not run it (QEMU: \"Machine type received is \
                 '{stream}' and local is ...\"); `vmstate convert --machine NAME` renames it to \
                 one DEST runs"
            ),
            Self::NoConfiguration => f.write_str(
                "the stream has no configuration section (QEMU leaves it out for machine types \
                 2.3 and older) and DEST expects one (QEMU: \"Configuration section missing\")",
            ),
            Self::UnexpectedConfiguration => f.write_str(
                "the stream has a configuration section and DEST's machine type (2.3 or older) \
                 expects none (QEMU: \"Unknown savevm section type 7\")",
            ),
            _ => Ok(()),
        }
    }

    fn fmt_cpreg_constant(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self::CpregConstant {
            idstr,
            instance_id,
            registers,
        } = self
        else {
            return Ok(());
        };
        write!(
            f,
            "section `{idstr}` instance {instance_id}: DEST's CPU computes these \
             registers itself and refuses another value (QEMU: \"error while loading \
             state for instance 0x{instance_id:x} of device '{idstr}'\"):"
        )?;
        for (index, stream, dest) in registers {
            write!(
                f,
                " {} is 0x{stream:x}, DEST's 0x{dest:x};",
                super::cpregs::CpReg(*index)
            )?;
        }
        f.write_str(" `vmstate convert` gives a known one DEST's value")
    }

    /// The reasons only a reference stream shows.
    fn fmt_reference(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EqualValue {
                idstr,
                instance_id,
                path,
                stream,
                dest,
            } => write!(
                f,
                "section `{idstr}` instance {instance_id}: field `{path}` is 0x{stream:x} and \
                 DEST requires its own value 0x{dest:x} (QEMU: \"{dest:x} != {stream:x}\")"
            ),
            Self::UnknownRamBlock { name } => write!(
                f,
                "RAM block `{name}`: DEST's guest has no such block, as its reference stream \
                 shows (QEMU: \"Unknown ramblock \"{name}\", cannot accept migration\")"
            ),
            Self::RamBlockSize {
                name,
                stream,
                dest,
                max: None,
            } => write!(
                f,
                "RAM block `{name}`: 0x{stream:x} bytes, DEST's is 0x{dest:x} and cannot be \
                 resized (QEMU: \"Size mismatch: {name}: 0x{stream:x} != 0x{dest:x}\")"
            ),
            Self::RamBlockSize {
                name,
                stream,
                max: Some(max),
                ..
            } => write!(
                f,
                "RAM block `{name}`: 0x{stream:x} bytes, DEST grows it to 0x{max:x} at most \
                 (QEMU: \"Size too large: {name}: 0x{stream:x} > 0x{max:x}\")"
            ),
            Self::Uuid { stream, dest } => write!(
                f,
                "UUID: the stream carries its source's, {stream} (saved with `validate-uuid`), \
                 and DEST's guest has {dest} (QEMU: \"UUID received is {stream} and local is \
                 {dest}\"); DEST started with `-uuid {stream}`, or with none, loads it"
            ),
            Self::PageBits { stream, dest } => write!(
                f,
                "target page size: the stream's is 2^{stream} bytes, DEST's 2^{dest} (QEMU: \
                 \"Received TARGET_PAGE_BITS is {stream} but local is {dest}\")"
            ),
            _ => Ok(()),
        }
    }

    fn fmt_layout(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (idstr, footers) = match self {
            Self::Layout {
                idstr,
                instance_id,
                difference,
                footers,
            } => {
                write!(
                    f,
                    "section `{idstr}` instance {instance_id}: field `{}`: the stream has {}, \
                     DEST {}",
                    difference.path, difference.stream, difference.dest
                )?;
                (idstr, footers)
            }
            Self::ConfiguredField {
                idstr,
                instance_id,
                field,
                in_stream,
                machine,
                since: (major, minor),
                property,
                footers,
            } => {
                let (stream, dest) = if *in_stream {
                    ("has it", "does not read it")
                } else {
                    ("has no such field", "reads it")
                };
                write!(
                    f,
                    "section `{idstr}` instance {instance_id}: field `{field}`: the stream \
                     {stream}, DEST {dest} on machine type `{machine}` (sent from machine type \
                     {major}.{minor} on, `{property}`)"
                )?;
                (idstr, footers)
            }
            _ => return Ok(()),
        };
        f.write_str("; DEST reads the section with its own layout and fails")?;
        if *footers {
            write!(f, " (QEMU: \"Missing section footer for {idstr}\")")
        } else {
            f.write_str(" (QEMU then reads past the section and fails on what follows)")
        }
    }

    fn fmt_pci_default(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self::PciDefault {
            idstr,
            instance_id,
            difference,
            machine,
            decided_by,
        } = self
        else {
            return Ok(());
        };
        let ConfigDifference {
            offset,
            register,
            stream,
            dest,
        } = difference;
        write!(
            f,
            "section `{idstr}` instance {instance_id}: PCI configuration byte 0x{offset:02x} \
             ({register}) is 0x{stream:02x}, and DEST's machine type `{machine}` builds it as \
             0x{dest:02x} ({decided_by}, which its release and machine type decide) (QEMU: \"Bad config \
             data: i=0x{offset:x} read: {stream:x} device: {dest:x}\")"
        )
    }

    fn fmt_msix_vectors(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self::MsixVectors {
            idstr,
            instance_id,
            stream,
            dest,
            machine,
            since: (major, minor),
        } = self
        else {
            return Ok(());
        };
        let vectors = |n: &usize| match n {
            0 => "no MSI-X".to_owned(),
            n => format!("{n} MSI-X vectors"),
        };
        write!(
            f,
            "section `{idstr}` instance {instance_id}: the stream's device has {}, and DEST's \
             machine type `{machine}` builds it with {} (`vectors`, another default from \
             machine type {major}.{minor} on; QEMU: \"get_pci_config_device: Bad config \
             data\", then \"error while loading state for instance 0x{instance_id:x} of device \
             '{idstr}'\")",
            vectors(stream),
            vectors(dest)
        )
    }

    fn fmt_subsection_version(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self::SubsectionVersion {
            idstr,
            instance_id,
            name,
            found,
            maximum,
        } = self
        else {
            return Ok(());
        };
        write!(
            f,
            "section `{idstr}` instance {instance_id}: subsection `{name}` has version \
                 {found}, DEST loads up to {maximum}"
        )
    }

    fn fmt_cpregs(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (idstr, instance_id, unknown, missing, model) = match self {
            Self::CpregCount {
                idstr,
                instance_id,
                stream,
                dest,
                unknown,
                missing,
                model,
            } => {
                write!(
                    f,
                    "section `{idstr}` instance {instance_id}: the CPU migrates {stream} \
                     coprocessor registers, DEST's {dest} (QEMU: \"Invalid value {stream} \
                     expecting positive value <= {dest}\", \"Failed to load \
                     {idstr}:cpreg_vmstate_array_len\")"
                )?;
                (idstr, instance_id, unknown, missing, model)
            }
            Self::CpregUnknown {
                idstr,
                instance_id,
                unknown,
                missing,
                model,
            } => {
                write!(
                    f,
                    "section `{idstr}` instance {instance_id}: the CPU migrates coprocessor \
                     registers DEST's CPU does not have, and cpu_post_load refuses them (QEMU: \
                     \"error while loading state for instance 0x{instance_id:x} of device \
                     '{idstr}'\")"
                )?;
                (idstr, instance_id, unknown, missing, model)
            }
            _ => return Ok(()),
        };
        let _ = (idstr, instance_id);
        if let Some(model) = model {
            write!(f, "; DEST's list is its {model}'s")?;
        }
        let list = |f: &mut fmt::Formatter<'_>, what: &str, indexes: &[u64]| {
            if indexes.is_empty() {
                return Ok(());
            }
            write!(f, "; {} {what}: ", indexes.len())?;
            for (n, index) in indexes.iter().take(SHOWN).enumerate() {
                if n > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{}", CpReg(*index))?;
            }
            if indexes.len() > SHOWN {
                write!(f, ", and {} more", indexes.len() - SHOWN)?;
            }
            Ok(())
        };
        list(f, "only in the stream", unknown)?;
        list(f, "only in DEST", missing)
    }

    fn fmt_cpreg_unlisted(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self::CpregUnlisted {
            idstr,
            instance_id,
            unknown,
            nearest,
        } = self
        else {
            return Ok(());
        };
        write!(
            f,
            "section `{idstr}` instance {instance_id}: the CPU migrates coprocessor registers \
             that DEST's release migrates for no CPU, as the other release does (QEMU: \
             \"error while loading state for instance 0x{instance_id:x} of device '{idstr}'\", \
             or \"Invalid value N expecting positive value <= M\" where the list is longer \
             than DEST's):"
        )?;
        for (n, index) in unknown.iter().take(SHOWN).enumerate() {
            let sep = if n > 0 { "," } else { "" };
            write!(f, "{sep} {}", CpReg(*index))?;
        }
        if unknown.len() > SHOWN {
            write!(f, ", and {} more", unknown.len() - SHOWN)?;
        }
        write!(
            f,
            "; no shipped register list is this CPU's (the nearest is {nearest}'s), \
             `vmstate reference` makes DEST's own"
        )
    }

    fn fmt_load_crash(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self::LoadCrash {
            idstr,
            instance_id,
            what,
        } = self
        else {
            return Ok(());
        };
        write!(
            f,
            "section `{idstr}` instance {instance_id}: DEST's release aborts loading it: {what}"
        )
    }

    fn fmt_cpreg_unset(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self::CpregUnset {
            idstr,
            instance_id,
            registers,
        } = self
        else {
            return Ok(());
        };
        write!(
            f,
            "section `{idstr}` instance {instance_id}: the stream lacks registers DEST's \
             CPU migrates and computes as a constant; cpu_post_load writes their unset \
             list slots (0) and refuses what reads back (QEMU: \"error while loading \
             state for instance 0x{instance_id:x} of device '{idstr}'\"):"
        )?;
        for (n, (index, value)) in registers.iter().take(SHOWN).enumerate() {
            let sep = if n == 0 { " " } else { ", " };
            write!(f, "{sep}{} is 0x{value:x} on DEST", CpReg(*index))?;
        }
        if registers.len() > SHOWN {
            write!(f, ", and {} more", registers.len() - SHOWN)?;
        }
        f.write_str("; `vmstate convert` supplies the known ones")
    }

    fn fmt_pci_config(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Self::PciConfig {
            idstr,
            instance_id,
            offset,
            register,
            stream,
            dest,
        } = self
        else {
            return Ok(());
        };
        write!(
            f,
            "section `{idstr}` instance {instance_id}: PCI configuration byte 0x{offset:02x} \
             ({register}) is 0x{stream:02x}, DEST's device has 0x{dest:02x}: it was built \
             with other properties, as machine types' compat properties do (QEMU: \"Bad \
             config data: i=0x{offset:x} read: {stream:x} device: {dest:x}\")"
        )
    }
}

/// [`Obstacle::FilledZeroPages`]: how many, and what QEMU says.
fn fmt_filled_zero(f: &mut fmt::Formatter<'_>, count: u64, fill: u8) -> fmt::Result {
    write!(
        f,
        "{count} RAM page{} sent as ZERO records whose fill byte is not 0 (only QEMU before \
         1.5 wrote them): DEST's release refuses them (QEMU: \"Found a zero page with value \
         {fill}\"); `vmstate convert` sends them as whole pages",
        if count == 1 { "" } else { "s" }
    )
}

/// [`Obstacle::CompressedPages`]: how many, and what DEST needs.
fn fmt_compressed(f: &mut fmt::Formatter<'_>, count: u64, capability_known: bool) -> fmt::Result {
    write!(
        f,
        "{count} RAM page{} compressed by the `compress` capability: ",
        if count == 1 { "" } else { "s" }
    )?;
    if capability_known {
        f.write_str(
            "DEST loads them only with its own `compress` capability on, set before the stream \
             comes in (`-incoming defer`, `migrate_set_capability compress on`, \
             `migrate_incoming`)",
        )?;
    } else {
        f.write_str("DEST's release cannot load them: QEMU 9.1 removed the capability")?;
    }
    f.write_str(
        " (QEMU: \"error while loading state section id ...(ram)\", \
         \"load of migration failed: Invalid argument\"); `vmstate convert` inflates them \
         into plain pages, which every release loads",
    )
}
