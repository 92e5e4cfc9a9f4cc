//! Whether a QEMU loads one particular stream: the verdict for *this guest*.
//!
//! A dump-to-dump check ([`check`](super::check)) reports every device type
//! and subsection the destination lacks, whether or not a guest uses them. A
//! stream says exactly what was sent: its machine type, its sections and their
//! versions, the subsections present at every depth (the rest were not
//! `needed`), its command packets and capabilities. [`check_stream`] compares
//! only those against the destination's dump, and each [`Obstacle`] is one
//! reason QEMU would refuse the stream, with QEMU's own error beside it.

use std::collections::BTreeSet;
use std::fmt;
use std::io::{Read, Seek};

use serde_json::Value;

use super::dump::{Description, Dump};
use super::pci::config_differences;
use crate::error::Error;
use crate::stream::{
    Leaf, Record, SectionInfo, StateDesc, StreamReader, Vmdesc, command_info, decode,
};

/// What a stream carries, as far as loading it goes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamFacts {
    /// The machine type of the configuration section, when there is one.
    pub machine: Option<String>,
    /// The subsections of the configuration section.
    pub configuration_subsections: Vec<String>,
    /// The capabilities the source declared (`configuration/capabilities`).
    pub capabilities: Vec<String>,
    /// The command packets, by number, in stream order.
    pub commands: Vec<u16>,
    /// The sections, in stream order (each START or FULL header once).
    pub sections: Vec<SectionFacts>,
}

/// One section of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionFacts {
    /// The idstr, e.g. `0000:00:01.0/virtio-net`.
    pub idstr: String,
    /// The instance id.
    pub instance_id: u32,
    /// The payload's version.
    pub version_id: u32,
    /// The VMSD name, when the stream's vmdesc or a model describes the section.
    pub vmsd_name: Option<String>,
    /// The subsections present in the payload, at any depth, in wire order.
    pub subsections: Vec<SubsectionFacts>,
    /// A PCI device's configuration space (256 or 4096 bytes), when the
    /// section is one and its description names it.
    pub pci_config: Option<Vec<u8>>,
}

/// One subsection present in a payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubsectionFacts {
    /// Its VMSD name, e.g. `i8259/ltim`.
    pub name: String,
    /// Its version.
    pub version: u32,
    /// The state it carries, as `field = value` pairs (shortened), when the
    /// payload decodes.
    pub state: String,
}

/// Describes a section that the stream's vmdesc does not (a typed model, for
/// example): the section and its payload, to a description, if known.
pub type Describer<'a> = &'a dyn Fn(&SectionInfo, &[u8]) -> Option<StateDesc>;

impl StreamFacts {
    /// Reads a whole stream and keeps what decides whether it loads. Memory
    /// stays bounded by the largest device payload: RAM pages are dropped as
    /// they are read (a reader made with
    /// [`StreamReader::with_page_runs`] reads them fastest).
    ///
    /// # Errors
    /// A malformed stream, with the section and byte offset.
    pub fn read<R: Read + Seek>(
        mut reader: StreamReader<R>,
        describe: Describer<'_>,
    ) -> Result<Self, Error> {
        let mut collector = FactsCollector::new(reader.vmdesc().cloned(), describe);
        while let Some(record) = reader.next_record()? {
            collector.observe(&record);
            // A page run's buffer serves the next run.
            reader.recycle(record);
        }
        Ok(collector.finish())
    }
}

/// Gathers [`StreamFacts`] from records as they pass, for a tool that reads
/// the stream for another purpose at the same time (`convert` writes it):
/// one pass instead of two.
pub struct FactsCollector<'a> {
    facts: StreamFacts,
    vmdesc: Option<Vmdesc>,
    describe: Describer<'a>,
    /// The section whose payload comes next.
    current: Option<SectionInfo>,
}

impl<'a> FactsCollector<'a> {
    /// Starts with nothing seen; `vmdesc` is the stream's description
    /// ([`StreamReader::vmdesc`]), `describe` describes what it does not.
    #[must_use]
    pub fn new(vmdesc: Option<Vmdesc>, describe: Describer<'a>) -> Self {
        Self {
            facts: StreamFacts::default(),
            vmdesc,
            describe,
            current: None,
        }
    }

    /// Takes in the next record of the stream.
    pub fn observe(&mut self, record: &Record) {
        let facts = &mut self.facts;
        match record {
            Record::Configuration(configuration) => {
                facts.machine = Some(configuration.machine.clone());
                facts
                    .configuration_subsections
                    .clone_from(&configuration.subsections);
                facts.capabilities.clone_from(&configuration.capabilities);
            }
            Record::Command { command, .. } => facts.commands.push(*command),
            Record::Section(header) => {
                if let Some(info) = &header.info {
                    facts.sections.push(SectionFacts {
                        idstr: info.idstr.clone(),
                        instance_id: info.instance_id,
                        version_id: info.version_id,
                        vmsd_name: None,
                        subsections: Vec::new(),
                        pci_config: None,
                    });
                    self.current = Some(info.clone());
                }
            }
            Record::State { payload, offset } => {
                let (Some(info), Some(section)) = (&self.current, facts.sections.last_mut()) else {
                    return;
                };
                let described = self
                    .vmdesc
                    .as_ref()
                    .and_then(|v| v.device(&info.idstr, info.instance_id))
                    .map(|device| device.state.clone());
                let modelled = || (self.describe)(info, payload);
                if let Some(desc) = described.clone().or_else(modelled) {
                    section.vmsd_name =
                        Some(desc.vmsd_name.clone()).filter(|name| !name.is_empty());
                    let decoded = decode(&desc, payload, *offset).ok();
                    let value = decoded.as_ref().map(|d| &d.value);
                    collect_subsections(&desc, value, &mut section.subsections);
                    section.pci_config = decoded.and_then(|d| pci_config(&d.leaves, payload));
                }
                // A vmdesc that shows the state as one blob (virtio) hides
                // the configuration space a model names.
                if section.pci_config.is_none() && described.is_some() {
                    section.pci_config = modelled()
                        .and_then(|desc| decode(&desc, payload, *offset).ok())
                        .and_then(|d| pci_config(&d.leaves, payload));
                }
            }
            Record::Ram(_) | Record::Footer { .. } | Record::Eof | Record::Vmdesc { .. } => {}
        }
    }

    /// The facts of every record observed.
    #[must_use]
    pub fn finish(self) -> StreamFacts {
        self.facts
    }
}

/// The PCI configuration space among a payload's leaves: QEMU's `PCIDevice`
/// saves it as the buffer `config` (`config[0]`, 256 bytes, or `config[1]`,
/// 4096 bytes for PCI Express).
fn pci_config(leaves: &[Leaf], payload: &[u8]) -> Option<Vec<u8>> {
    leaves
        .iter()
        .find(|leaf| {
            let name = leaf.path.rsplit('.').next().unwrap_or_default();
            matches!(name, "config" | "config[0]" | "config[1]") && matches!(leaf.size, 256 | 4096)
        })
        .and_then(|leaf| payload.get(leaf.offset..leaf.offset + leaf.size))
        .map(<[u8]>::to_vec)
}

/// Every subsection of `desc` and of the structs inside it, with the state
/// each carries taken from `value` (the decoded payload) where it is there.
fn collect_subsections(desc: &StateDesc, value: Option<&Value>, out: &mut Vec<SubsectionFacts>) {
    for field in &desc.fields {
        if let Some(nested) = &field.nested {
            // Arrays of structs decode to a list: their elements' subsections
            // are found, but their state is not attributed to one element.
            let inner = value
                .and_then(|v| v.get(&field.name))
                .filter(|v| v.is_object());
            collect_subsections(nested, inner, out);
        }
    }
    for sub in &desc.subsections {
        let inner = value.and_then(|v| v.get(&sub.vmsd_name));
        out.push(SubsectionFacts {
            name: sub.vmsd_name.clone(),
            version: sub.version,
            state: inner.map(summary).unwrap_or_default(),
        });
        collect_subsections(sub, inner, out);
    }
}

/// `a = 1, b = 2, ...`: the first scalar fields of a decoded struct, short
/// enough for one line.
fn summary(value: &Value) -> String {
    const MAX: usize = 100;
    let Value::Object(map) = value else {
        return value.to_string();
    };
    let mut text = String::new();
    for (name, field) in map {
        if field.is_object() {
            continue;
        }
        let mut shown = field.to_string();
        if shown.len() > 40 {
            shown.truncate(37);
            shown.push_str("...");
        }
        let next = if text.is_empty() {
            format!("{name} = {shown}")
        } else {
            format!(", {name} = {shown}")
        };
        if text.len() + next.len() > MAX {
            text.push_str(", ...");
            break;
        }
        text.push_str(&next);
    }
    text
}

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
    /// machine types 2.8 and older) and the destination expects one.
    NoConfiguration,
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
    /// A section the destination's guest does not have, as its reference
    /// stream shows.
    NotInGuest {
        /// The section's idstr.
        idstr: String,
        /// Its instance.
        instance_id: u32,
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
                 2.8 and older) and DEST expects one (QEMU: \"Configuration section missing\")",
            ),
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
            Self::NotInGuest { idstr, instance_id } => write!(
                f,
                "section `{idstr}` instance {instance_id}: DEST's guest has no such device, as \
                 its reference stream shows (QEMU: \"Unknown savevm section or instance \
                 '{idstr}' {instance_id}\")"
            ),
            Self::PciConfig { .. } => self.fmt_pci_config(f),
            Self::SubsectionVersion {
                idstr,
                instance_id,
                name,
                found,
                maximum,
            } => write!(
                f,
                "section `{idstr}` instance {instance_id}: subsection `{name}` has version \
                 {found}, DEST loads up to {maximum}"
            ),
        }
    }
}

impl Obstacle {
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

/// The verdict on one stream for one destination.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamVerdict {
    /// Every reason the destination would refuse the stream; empty when it loads it.
    pub obstacles: Vec<Obstacle>,
    /// Sections the destination's dump does not describe (QEMU dumps only
    /// device types: `ram`, `timer`, `cpu` and other sections registered
    /// without a device are not in it), so they were not checked.
    pub unchecked: Vec<String>,
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

/// Checks whether a QEMU described by `dest` loads the stream described by `stream`.
#[must_use]
pub fn check_stream(stream: &StreamFacts, dest: &Dump) -> StreamVerdict {
    let mut verdict = StreamVerdict::default();
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
    for section in &stream.sections {
        check_section(section, dest, &mut verdict);
    }
    verdict
}

/// What a reference stream (one the destination wrote, with the guest
/// configuration that will load `stream`) shows that a dump cannot: sections
/// its guest lacks, and PCI devices built differently (one reason per device,
/// its first read-only byte that differs, as QEMU stops there too).
#[must_use]
pub fn check_reference(stream: &StreamFacts, reference: &StreamFacts) -> Vec<Obstacle> {
    let mut obstacles = Vec::new();
    for section in &stream.sections {
        let Some(theirs) = reference
            .sections
            .iter()
            .find(|s| s.idstr == section.idstr && s.instance_id == section.instance_id)
        else {
            obstacles.push(Obstacle::NotInGuest {
                idstr: section.idstr.clone(),
                instance_id: section.instance_id,
            });
            continue;
        };
        if let (Some(ours), Some(theirs)) = (&section.pci_config, &theirs.pci_config)
            && let Some(first) = config_differences(ours, theirs).into_iter().next()
        {
            obstacles.push(Obstacle::PciConfig {
                idstr: section.idstr.clone(),
                instance_id: section.instance_id,
                offset: first.offset,
                register: first.register,
                stream: first.stream,
                dest: first.dest,
            });
        }
    }
    obstacles
}

/// Whether the destination refuses a stream without a configuration section.
/// Machine types 2.8 and older turn `send-configuration` off, and QEMU 7.2
/// running one loads such a stream; QEMU 10.0 refuses it on every machine type
/// it runs (seen with pc-i440fx-2.4 and 2.10), so from 10.0 on it is expected
/// always.
fn expects_configuration(dest: &Dump) -> bool {
    let old_machine = |name: &str| {
        let Some(version) = name.rsplit('-').next() else {
            return false;
        };
        let mut parts = version.split('.').map(str::parse::<u32>);
        matches!((parts.next(), parts.next()), (Some(Ok(major)), Some(Ok(minor))) if (major, minor) <= (2, 8))
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

fn check_section(section: &SectionFacts, dest: &Dump, verdict: &mut StreamVerdict) {
    let Some(vmsd_name) = &section.vmsd_name else {
        verdict.unchecked.push(section.idstr.clone());
        return;
    };
    let candidates: Vec<&Description> = dest
        .sections_saving(vmsd_name)
        .filter_map(|s| s.description.as_ref())
        .collect();
    if candidates.is_empty() {
        verdict.unchecked.push(section.idstr.clone());
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
