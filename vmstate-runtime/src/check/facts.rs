//! What a stream carries, as far as loading it goes: its machine type,
//! capabilities, page size, command packets, RAM blocks, and per section the
//! version, the layout written (its description), the subsections present at
//! any depth with the state they carry, the values QEMU requires to be equal
//! on both sides, and a PCI device's configuration space. Read once, record by
//! record, in bounded memory.

use std::collections::HashMap;
use std::io::{Read, Seek};

use serde_json::Value;

use super::pci::{find_capability, msix_entries};
use crate::desc::StateDesc;
use crate::error::Error;
use crate::stream::{
    Configuration, DeviceIndex, Leaf, RamBlock, RamRecord, Record, SectionInfo, StreamReader, Uuid,
    Vmdesc, decode,
};

/// What a stream carries, as far as loading it goes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StreamFacts {
    /// The machine type of the configuration section, when there is one.
    pub machine: Option<String>,
    /// The machine type the stream was written on, where [`Self::machine`]
    /// names another: the rename `vmstate convert --machine` plans. `None`
    /// otherwise.
    pub written_on: Option<String>,
    /// The subsections of the configuration section.
    pub configuration_subsections: Vec<String>,
    /// The capabilities the source declared (`configuration/capabilities`).
    pub capabilities: Vec<String>,
    /// The source's target page size as a power of two
    /// (`configuration/target-page-bits`), when sent.
    pub target_page_bits: Option<u32>,
    /// The source's UUID (`configuration/uuid`), when sent: every QEMU
    /// that loads the stream compares it with its own `-uuid`.
    pub uuid: Option<Uuid>,
    /// The command packets, by number, in stream order.
    pub commands: Vec<u16>,
    /// The RAM blocks the RAM section lists, with their lengths.
    pub ram_blocks: Vec<RamBlock>,
    /// How many RAM pages the `compress` capability compressed.
    pub compressed_pages: u64,
    /// How many ZERO records carry a fill byte other than 0 (only QEMU
    /// before 1.5 wrote them, for pages of one repeated byte).
    pub filled_zero_pages: u64,
    /// The fill byte of the first of them.
    pub first_zero_fill: u8,
    /// Whether sections end with footers (machine types 2.4 and later): a
    /// destination that reads a section with another layout then fails at the
    /// footer.
    pub footers: bool,
    /// The sections, in stream order (each START or FULL header once).
    pub sections: Vec<SectionFacts>,
    /// How many CPUs the guest's ACPI MADT lists: QEMU's `build_madt` gives
    /// every *possible* CPU an entry (`-smp ...,maxcpus=`), present or not,
    /// and the tables travel as RAM block `/rom@etc/acpi/tables`. That is the
    /// length of the CPU hotplug state (`cpuhp`), which a paused guest has
    /// not sent yet. `None` where the stream has no such table.
    pub possible_cpus: Option<usize>,
}

/// One section of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct SectionFacts {
    /// The idstr, e.g. `0000:00:01.0/virtio-net`.
    pub idstr: String,
    /// The instance id.
    pub instance_id: u32,
    /// The payload's version.
    pub version_id: u32,
    /// The VMSD name, when the stream's vmdesc or a model describes the section.
    pub vmsd_name: Option<String>,
    /// The layout written: the stream's vmdesc entry, or else a model's
    /// description of the payload.
    pub desc: Option<StateDesc>,
    /// Whether [`desc`](Self::desc) is the stream's own vmdesc entry (QEMU
    /// describes only sections with a VMSD; a model describes the others
    /// from their content).
    pub desc_in_vmdesc: bool,
    /// The fields whose value QEMU's loader requires to equal its own
    /// (`VMSTATE_*_EQUAL`: `uint32 equal`, ...), by path, with their value.
    pub equal_values: Vec<(String, u64)>,
    /// The subsections present in the payload, at any depth, in wire order.
    pub subsections: Vec<SubsectionFacts>,
    /// A PCI device's configuration space (256 or 4096 bytes), when the
    /// section is one and its description names it.
    pub pci_config: Option<Vec<u8>>,
    /// An Arm CPU's coprocessor register indexes (`cpreg_vmstate_indexes`,
    /// as many as `cpreg_vmstate_array_len` says), when the section is one.
    pub cpregs: Option<Vec<u64>>,
    /// Their values (`cpreg_vmstate_values`), in the same order.
    pub cpreg_values: Option<Vec<u64>>,
    /// The bytes of the fields that decide whether a destination release
    /// aborts on loading the section (a known QEMU bug), by vmdesc path;
    /// empty for sections no such rule names.
    pub crash_fields: Vec<(String, Vec<u8>)>,
    /// What only some devices' sections show ([`DeviceFacts`]), boxed:
    /// most sections have none of it, and inline it made every section 112
    /// bytes larger (`convert`, which holds the facts of every section,
    /// then grew past `tests/growth.rs`'s bound on memory per vmdesc byte).
    pub device: Option<Box<DeviceFacts>>,
}

/// Facts of particular devices' hand-written state, which no dump describes.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DeviceFacts {
    /// A virtio GPU's bytes per scanout in its hand-written `virtio-gpu`
    /// field, when the section is one and the field parses: 40 for
    /// `vmstate_virtio_gpu_scanout` version 1, 64 for version 2 (QEMU 10.0's
    /// `x-scanout-vmstate-version`, on its machine types 9.0 and later).
    /// The loader reads them at *its* device's version, which no wire byte
    /// and no dump shows.
    pub virtio_gpu_scanout: Option<u64>,
    /// How many scanouts that field holds (the device's `max_outputs`).
    pub virtio_gpu_outputs: Option<u64>,
    /// A virtio-serial device's map of active ports (one bit a port, 32 a
    /// word), from its hand-written state in the `virtio` blob.
    pub virtio_serial_ports: Option<Vec<u32>>,
    /// The HPET's number of timers, and whether the stream names the field
    /// `num_timers_save`: the releases that call it so (QEMU 8.x on, 10.0
    /// here) load only their own device's number (`hpet_validate_num_timers`),
    /// where 7.2's `num_timers` takes any from 3 to 32.
    pub hpet_timers: Option<(u64, bool)>,
    /// Arrays of structs whose length is the device's configuration and
    /// not on the wire (the checker's `CONFIGURED_ARRAYS`), with the stream's length.
    pub configured_arrays: Vec<(&'static str, usize)>,
    /// The size of a legacy virtio-pci device's I/O BAR 0, as its `virtio`
    /// blob shows it: QEMU sizes that BAR from the device's configuration
    /// length, which compat properties change between machine types (a
    /// balloon's is 32 bytes on `pc-i440fx-5.0` and older, 64 from 5.1).
    pub legacy_virtio_bar: Option<u64>,
    /// Fields that the device's `post_load` compares with its own
    /// properties (the checker's `COMPARED_BY_POST_LOAD`), with their values.
    pub compared_by_post_load: Vec<(&'static str, u64)>,
    /// An HDA codec's (`hda-audio`) streams, by index in its `st` array:
    /// those that carry their buffer state (`hda-audio-stream/buffer`, sent
    /// for each stream the codec has while `use-timer` is on), and those the
    /// codec has (the buffer state, or a stream format or gain, which
    /// `hda_audio_init` sets for each stream of the codec and leaves 0 in the
    /// array's unused elements). The buffer state holds a pointer to the
    /// stream's timer (`VMSTATE_TIMER_PTR(buft)`), which a codec without that
    /// stream never made.
    pub hda_streams: Option<HdaStreams>,
    /// The virtio features the guest's driver negotiated, from the device's
    /// `virtio` blob (0 where no driver ran).
    pub virtio_guest_features: Option<u64>,
    /// An x86 CPU's TSC frequency in kHz, from its `cpu/tsc_khz`
    /// subsection (sent where the CPU has one and the machine type is 2.6
    /// or later). `cpu_post_load` refuses a stream whose frequency differs
    /// from one the destination's user set (`-cpu ...,tsc-frequency=`).
    pub tsc_khz: Option<u64>,
}

impl DeviceFacts {
    /// No device's facts.
    const NONE: Self = Self {
        virtio_gpu_scanout: None,
        virtio_gpu_outputs: None,
        virtio_serial_ports: None,
        hpet_timers: None,
        configured_arrays: Vec::new(),
        legacy_virtio_bar: None,
        compared_by_post_load: Vec::new(),
        hda_streams: None,
        virtio_guest_features: None,
        tsc_khz: None,
    };
}

/// An HDA codec's streams (see [`DeviceFacts::hda_streams`]).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HdaStreams {
    /// The elements of `st` that carry `hda-audio-stream/buffer`.
    pub buffered: Vec<usize>,
    /// The elements of `st` that are streams of the codec.
    pub present: Vec<usize>,
}

impl StreamFacts {
    /// Takes what the configuration section declares.
    fn observe_configuration(&mut self, configuration: &Configuration) {
        self.machine = Some(configuration.machine.clone());
        self.target_page_bits = configuration.target_page_bits;
        self.uuid = configuration.uuid;
        self.configuration_subsections
            .clone_from(&configuration.subsections);
        self.capabilities.clone_from(&configuration.capabilities);
    }

    /// Takes in what a RAM record tells: the block list, and the pages some
    /// releases refuse.
    fn observe_ram(&mut self, ram: &RamRecord) {
        match ram {
            RamRecord::MemSize { blocks, .. } => self.ram_blocks.extend(blocks.iter().cloned()),
            RamRecord::MappedBlock { block, .. } => self.ram_blocks.push(block.clone()),
            RamRecord::Compressed { .. } => self.compressed_pages += 1,
            RamRecord::Zero { fill, .. } if *fill != 0 => {
                if self.filled_zero_pages == 0 {
                    self.first_zero_fill = *fill;
                }
                self.filled_zero_pages += 1;
            }
            _ => {}
        }
    }
}

impl SectionFacts {
    /// A section as its header names it, before its payload is seen.
    #[must_use]
    pub fn new(info: &SectionInfo) -> Self {
        Self {
            idstr: info.idstr.clone(),
            instance_id: info.instance_id,
            version_id: info.version_id,
            vmsd_name: None,
            desc: None,
            desc_in_vmdesc: false,
            equal_values: Vec::new(),
            subsections: Vec::new(),
            pci_config: None,
            cpregs: None,
            cpreg_values: None,
            crash_fields: Vec::new(),
            device: None,
        }
    }

    /// The section's device-specific facts (none, for most sections).
    #[must_use]
    pub fn device(&self) -> &DeviceFacts {
        static NONE: DeviceFacts = DeviceFacts::NONE;
        self.device.as_deref().unwrap_or(&NONE)
    }

    /// The same, to fill in; [`Self::settle_device`] drops them again
    /// when nothing was found.
    pub(super) fn device_mut(&mut self) -> &mut DeviceFacts {
        self.device.get_or_insert_default()
    }

    /// The counts and frequencies that one device's section carries and its
    /// destination compares with its own: the HPET's timers, an x86 CPU's
    /// TSC frequency.
    fn observe_counts(&mut self, idstr: &str, leaves: &[Leaf], payload: &[u8]) {
        match idstr {
            "hpet" => self.device_mut().hpet_timers = hpet_timers(leaves, payload),
            "cpu" => {
                if let Some(khz) = tsc_khz(leaves, payload) {
                    self.device_mut().tsc_khz = Some(khz);
                }
            }
            _ => {}
        }
    }

    /// What a PCI device's `virtio` blob (or, where a model decoded it,
    /// the payload) shows: the configuration space no description names,
    /// the legacy I/O BAR's size, virtio-serial's port map.
    fn observe_virtio_pci(&mut self, virtio_blob: Option<&[u8]>, payload: &[u8]) {
        if self.pci_config.is_none() {
            self.pci_config = virtio_blob.and_then(virtio_pci_config);
        }
        self.device_mut().legacy_virtio_bar = virtio_blob.and_then(legacy_virtio_bar_size);
        // A model decodes virtio-serial's state field by field; its payload
        // is then `virtio_save`'s output whole.
        if self.idstr.ends_with("/virtio-console") {
            self.device_mut().virtio_serial_ports =
                virtio_serial_ports(virtio_blob.unwrap_or(payload));
        }
    }

    /// What a virtio device's `virtio` blob shows: the negotiated features,
    /// and a PCI function's configuration (see [`Self::observe_virtio_pci`]).
    fn observe_virtio(&mut self, virtio_blob: Option<&[u8]>, payload: &[u8], pci: bool) {
        if pci {
            self.observe_virtio_pci(virtio_blob, payload);
        }
        if let Some(features) = virtio_blob.and_then(|blob| virtio_guest_features(blob, pci)) {
            self.device_mut().virtio_guest_features = Some(features);
        }
    }

    /// Drops device-specific facts that hold nothing.
    fn settle_device(&mut self) {
        if self.device.as_deref() == Some(&DeviceFacts::NONE) {
            self.device = None;
        }
    }
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
        let mut collector = FactsCollector::new(reader.take_vmdesc(), describe);
        while let Some(record) = reader.next_record_before_vmdesc()? {
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
    /// Where each section is in `vmdesc`: one lookup per section.
    index: DeviceIndex,
    /// The devices whose description was moved into a section's facts (by
    /// position in `vmdesc`), and that section's position: the facts hold
    /// the one copy, and a section the vmdesc lists again copies it from
    /// there.
    moved: HashMap<usize, usize>,
    describe: Describer<'a>,
    /// The section whose payload comes next.
    current: Option<SectionInfo>,
    /// The RAM block the last page record named (a record with the
    /// CONTINUE flag names none and stays in it).
    ram_block: Option<String>,
    /// The pages of the ACPI tables' RAM block seen so far, at their
    /// offsets (at most [`ACPI_TABLES_MAX`] bytes).
    acpi_tables: Vec<u8>,
}

/// The RAM block that holds the ACPI tables QEMU built for the guest.
const ACPI_TABLES: &str = "/rom@etc/acpi/tables";

/// The most bytes of ACPI tables read (QEMU's `ACPI_BUILD_TABLE_MAX_SIZE`
/// is 2 MiB on the machine types here, 128 KiB on old ones).
const ACPI_TABLES_MAX: u64 = 2 << 20;

impl<'a> FactsCollector<'a> {
    /// Starts with nothing seen; `vmdesc` is the stream's description
    /// ([`StreamReader::vmdesc`]), `describe` describes what it does not.
    #[must_use]
    pub fn new(vmdesc: Option<Vmdesc>, describe: Describer<'a>) -> Self {
        Self {
            facts: StreamFacts::default(),
            index: vmdesc.as_ref().map(Vmdesc::index).unwrap_or_default(),
            vmdesc,
            moved: HashMap::new(),
            describe,
            current: None,
            ram_block: None,
            acpi_tables: Vec::new(),
        }
    }

    /// Keeps the pages of the ACPI tables' RAM block.
    fn observe_acpi_page(&mut self, ram: &RamRecord) {
        let (offset, block, data) = match ram {
            RamRecord::Page {
                offset,
                block,
                data,
            } => (*offset, block, Some(data.as_slice())),
            RamRecord::Zero { offset, block, .. } => (*offset, block, None),
            _ => return,
        };
        if let Some(block) = block {
            self.ram_block = Some(block.clone());
        }
        if self.ram_block.as_deref() != Some(ACPI_TABLES) {
            return;
        }
        let Some(data) = data else {
            return;
        };
        let Some(end) = offset.checked_add(data.len() as u64) else {
            return;
        };
        if end > ACPI_TABLES_MAX {
            return;
        }
        let (Ok(start), Ok(end)) = (usize::try_from(offset), usize::try_from(end)) else {
            return;
        };
        if self.acpi_tables.len() < end {
            self.acpi_tables.resize(end, 0);
        }
        self.acpi_tables[start..end].copy_from_slice(data);
    }

    /// Takes in the next record of the stream.
    pub fn observe(&mut self, record: &Record) {
        let facts = &mut self.facts;
        match record {
            Record::Configuration(configuration) => facts.observe_configuration(configuration),
            Record::Command { command, .. } => facts.commands.push(*command),
            Record::Section(header) => {
                if let Some(info) = &header.info {
                    facts.sections.push(SectionFacts::new(info));
                    self.current = Some(info.clone());
                }
            }
            Record::State { payload, offset } => {
                let Some(info) = &self.current else {
                    return;
                };
                let described = self.vmdesc.as_mut().and_then(|vmdesc| {
                    let at = self.index.position(vmdesc, &info.idstr, info.instance_id)?;
                    if let Some(&section) = self.moved.get(&at) {
                        return facts.sections.get(section)?.desc.clone();
                    }
                    self.moved.insert(at, facts.sections.len().checked_sub(1)?);
                    Some(std::mem::take(&mut vmdesc.devices.get_mut(at)?.state))
                });
                let Some(section) = facts.sections.last_mut() else {
                    return;
                };
                let in_vmdesc = described.is_some();
                let mut virtio_blob = None;
                let modelled = || (self.describe)(info, payload);
                if let Some(desc) = described.or_else(modelled) {
                    section.vmsd_name =
                        Some(desc.vmsd_name.clone()).filter(|name| !name.is_empty());
                    let decoded = decode(&desc, payload, *offset).ok();
                    let value = decoded.as_ref().map(|d| &d.value);
                    // Described by a model, a section that QEMU writes with a
                    // hand-written function is compared as QEMU's own vmdesc
                    // (and a destination's dump) shows it: one opaque field.
                    let as_qemu_shows = if in_vmdesc {
                        None
                    } else {
                        hand_written_view(&desc, payload.len())
                    };
                    if as_qemu_shows.is_none() {
                        collect_subsections(&desc, value, &mut section.subsections);
                    }
                    if let Some(decoded) = &decoded {
                        section.equal_values = equal_values(&decoded.leaves, payload);
                        section.device_mut().hda_streams = (info.idstr == "hda-audio")
                            .then(|| hda_streams(&decoded.leaves, payload));
                        section.observe_counts(&info.idstr, &decoded.leaves, payload);
                        section.device_mut().configured_arrays =
                            configured_arrays(&info.idstr, &decoded.leaves);
                        section.device_mut().compared_by_post_load =
                            compared_by_post_load(&info.idstr, &decoded.leaves, payload);
                        if let Some(paths) = super::crashes::fields_for(&info.idstr) {
                            section.crash_fields = paths
                                .iter()
                                .filter_map(|path| {
                                    let bytes = field_bytes(&decoded.leaves, payload, path)?;
                                    Some(((*path).to_owned(), bytes))
                                })
                                .collect();
                        }
                    }
                    section.cpregs = value.and_then(|v| cpregs(v, "cpreg_vmstate_indexes"));
                    section.cpreg_values = value.and_then(|v| cpregs(v, "cpreg_vmstate_values"));
                    virtio_blob = decoded
                        .as_ref()
                        .and_then(|d| virtio_bytes(&d.leaves, payload));
                    let gpu = decoded
                        .as_ref()
                        .and_then(|d| leaf_bytes(&d.leaves, payload, "virtio-gpu", "virtio-gpu"))
                        .and_then(virtio_gpu_scanouts);
                    section.device_mut().virtio_gpu_scanout = gpu.map(|(_, size)| size);
                    section.device_mut().virtio_gpu_outputs = gpu.map(|(outputs, _)| outputs);
                    section.pci_config = decoded.and_then(|d| pci_config(&d.leaves, payload));
                    section.desc = Some(as_qemu_shows.unwrap_or(desc));
                    section.desc_in_vmdesc = in_vmdesc;
                }
                // A vmdesc that shows the state as one blob (virtio) hides
                // the configuration space a model names.
                if section.pci_config.is_none() && in_vmdesc {
                    section.pci_config = modelled()
                        .and_then(|desc| decode(&desc, payload, *offset).ok())
                        .and_then(|d| pci_config(&d.leaves, payload));
                }
                // And where no model knows the device (virtio-gpu,
                // virtio-mem, virtio-scsi, ...), the blob still starts with it.
                section.observe_virtio(virtio_blob, payload, is_pci_idstr(&info.idstr));
                section.settle_device();
            }
            Record::Ram(ram) => {
                facts.observe_ram(ram);
                self.observe_acpi_page(ram);
            }
            Record::Footer { .. } => facts.footers = true,
            Record::Eof | Record::Vmdesc { .. } => {}
        }
    }

    /// Moves the stream's description out, once every section was observed
    /// (a rewrite of the stream's vmdesc, at its end, can start from it
    /// rather than parse the JSON a second time); sections observed after
    /// this are described by the describer only.
    pub fn take_vmdesc(&mut self) -> Option<Vmdesc> {
        self.index = DeviceIndex::default();
        let mut vmdesc = self.vmdesc.take()?;
        // The descriptions moved into the facts go back as copies.
        for (at, section) in self.moved.drain() {
            if let (Some(device), Some(desc)) = (
                vmdesc.devices.get_mut(at),
                self.facts
                    .sections
                    .get(section)
                    .and_then(|s| s.desc.as_ref()),
            ) {
                device.state.clone_from(desc);
            }
        }
        Some(vmdesc)
    }

    /// The facts of every record observed.
    #[must_use]
    pub fn finish(mut self) -> StreamFacts {
        self.facts.possible_cpus = madt_cpus(&self.acpi_tables);
        self.facts
    }
}

/// How QEMU's vmdesc describes a section that a model describes field by
/// field, where the two differ: a virtio device's section is one field
/// `virtio` of type `virtio` (`VMSTATE_VIRTIO_DEVICE`), which QEMU's
/// hand-written `virtio_save` fills with the transport's part, the common
/// state, the device's own state and the `virtio` VMSD's subsections, and
/// which its vmdesc and `-dump-vmstate` show as that one field, without its
/// inner layout or subsections (`hw/virtio/virtio.c`, `virtio_device_put`;
/// `migration/vmstate.c`, `vmstate_save_state_v` describes only what a VMSD
/// lists). A stream without a vmdesc (machine types before 2.3) is then
/// compared with a destination's dump as a stream with one is; the model's
/// names (`transport`, `parent_obj`) are not QEMU's, and the subsections the
/// dump omits are not unknown to the destination. `None` for other sections.
fn hand_written_view(desc: &StateDesc, payload_len: usize) -> Option<StateDesc> {
    let virtio = desc
        .fields
        .iter()
        .any(|f| f.name == "virtio" && f.nested.as_ref().is_some_and(|n| n.vmsd_name == "virtio"));
    virtio.then(|| StateDesc {
        vmsd_name: desc.vmsd_name.clone(),
        version: desc.version,
        fields: vec![crate::desc::FieldDesc::scalar(
            "virtio",
            "virtio",
            payload_len,
        )],
        subsections: Vec::new(),
    })
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

/// The bytes of a virtio device's `virtio` field, the one blob QEMU's
/// hand-written `virtio_save` writes (its vmdesc type is `virtio`).
fn virtio_bytes<'a>(leaves: &[Leaf], payload: &'a [u8]) -> Option<&'a [u8]> {
    leaf_bytes(leaves, payload, "virtio", "virtio")
}

/// The bytes of the top-level field `path` of vmdesc type `type_name`.
fn leaf_bytes<'a>(
    leaves: &[Leaf],
    payload: &'a [u8],
    path: &str,
    type_name: &str,
) -> Option<&'a [u8]> {
    let leaf = leaves
        .iter()
        .find(|leaf| leaf.path == path && leaf.type_name == type_name)?;
    payload.get(leaf.offset..leaf.offset.checked_add(leaf.size)?)
}

/// The scanouts in a virtio GPU's `virtio-gpu` field, how many and the
/// bytes of each, as QEMU's
/// `virtio_gpu_save` writes it: each 2D resource (be32 id, width, height,
/// format, iov count; per iov a be64 address and a be32 length; then its
/// image, 4 bytes per pixel in every format virtio-gpu has), a be32 0 after
/// the last, then `vmstate_virtio_gpu_scanouts`: be32 `enable`, be32
/// `max_outputs`, and that many scanouts of one size. `None` where the
/// bytes are not laid out so.
fn virtio_gpu_scanouts(blob: &[u8]) -> Option<(u64, u64)> {
    // Offsets saturate: past the blob's end every read is `None`.
    let be32 = |at: usize, plus: usize| {
        let at = at.saturating_add(plus);
        blob.get(at..at.checked_add(4)?)
            .map(|b| u64::from(u32::from_be_bytes([b[0], b[1], b[2], b[3]])))
    };
    let mut at = 0usize;
    // Each resource takes at least 20 bytes, so the walk ends.
    while be32(at, 0)? != 0 {
        let (width, height, iovs) = (be32(at, 4)?, be32(at, 8)?, be32(at, 16)?);
        let image = width.checked_mul(4)?.checked_mul(height)?;
        let len = iovs.checked_mul(12)?.checked_add(20)?.checked_add(image)?;
        at = at.checked_add(usize::try_from(len).ok()?)?;
    }
    let outputs = be32(at, 8)?;
    let scanouts = u64::try_from(blob.len().checked_sub(at.checked_add(12)?)?).ok()?;
    (outputs > 0 && scanouts % outputs == 0).then(|| (outputs, scanouts / outputs))
}

/// Whether an idstr is a PCI device's (`0000:00:02.0/...`, behind bridges
/// `0000:00:02.0:00.0/...`): only then does its virtio transport save PCI state.
fn is_pci_idstr(idstr: &str) -> bool {
    let Some((address, _)) = idstr.split_once('/') else {
        return false;
    };
    let mut parts = address.split(':');
    parts
        .next()
        .is_some_and(|domain| domain.len() == 4 && domain.bytes().all(|b| b.is_ascii_hexdigit()))
        && parts
            .next()
            .is_some_and(|bus| bus.len() == 2 && bus.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The configuration space at the start of a virtio-pci device's `virtio`
/// blob: `virtio_save` begins with the transport's `save_config`, whose
/// `pci_device_save` writes `vmstate_pci_device` (or `vmstate_pcie_device`):
/// a be32 `version_id`, then `config`, 256 bytes, or 4096 for a PCI Express
/// function, which its capability list says (a PCI Express capability, id
/// 0x10), then the four be32 `irq_state` words, each 0 or 1.
fn virtio_pci_config(blob: &[u8]) -> Option<Vec<u8>> {
    let config = blob.get(4..4 + 256)?;
    let len = if find_capability(config, 0x10).is_some() {
        4096
    } else {
        256
    };
    // The `irq_state` words after it are each 0 or 1: a blob that is not
    // laid out so is not read as one.
    let irq_state = blob.get(4 + len..4 + len + 16)?;
    let plausible = irq_state
        .chunks_exact(4)
        .all(|w| w[..3] == [0, 0, 0] && w[3] <= 1);
    plausible.then(|| blob[4..4 + len].to_vec())
}

/// The size of a legacy virtio-pci device's I/O BAR 0, from its `virtio`
/// blob: QEMU's `virtio_pci_device_plugged` makes it the power of two at
/// or above the legacy header (20 bytes, 24 with MSI-X) plus the device's
/// configuration length. The blob holds, after the configuration space
/// (see [`virtio_pci_config`]), the MSI-X table and pending bits and the
/// config vector when the function has MSI-X (`msix_save`,
/// `virtio_pci_save_config`), then `virtio_save`'s status, ISR, queue
/// selector, features and the be32 configuration length. `None` for a
/// function without an I/O BAR 0 (modern-only) or a blob not laid out so.
fn legacy_virtio_bar_size(blob: &[u8]) -> Option<u64> {
    let config = virtio_pci_config(blob)?;
    let bar = config.get(0x10..0x14)?;
    if bar[0] & 1 == 0 {
        return None;
    }
    let msix = msix_entries(&config);
    let mut at = 4 + config.len() + 16;
    if let Some(entries) = msix {
        at += entries * 16 + entries.div_ceil(8) + 2;
    }
    at += 1 + 1 + 2 + 4;
    let len = blob.get(at..at + 4)?;
    let len = u32::from_be_bytes([len[0], len[1], len[2], len[3]]);
    // The configuration bytes follow: a length the blob cannot hold is no
    // configuration length.
    blob.get(at + 4..(at + 4).checked_add(usize::try_from(len).ok()?)?)?;
    let header = if msix.is_some() { 24 } else { 20 };
    (header + u64::from(len)).checked_next_power_of_two()
}

/// Where a virtio-pci device's configuration length sits in its `virtio`
/// blob (see [`legacy_virtio_bar_size`]), with whether the function has
/// MSI-X.
fn virtio_config_len_at(blob: &[u8]) -> Option<(usize, bool)> {
    let config = virtio_pci_config(blob)?;
    let msix = msix_entries(&config);
    let mut at = 4 + config.len() + 16;
    if let Some(entries) = msix {
        at += entries * 16 + entries.div_ceil(8) + 2;
    }
    Some((at + 1 + 1 + 2 + 4, msix.is_some()))
}

/// The subsection of `vmstate_virtio` that carries all 64 bits of the
/// negotiated features: its tag, name length, name and version 1.
const FEATURES_SUBSECTION: &[u8] = b"\x05\x15virtio/64bit_features\x00\x00\x00\x01";

/// The features a virtio device's driver negotiated, from its `virtio`
/// blob: all 64 bits from the `virtio/64bit_features` subsection, which
/// `virtio_save` ends with (with the other subsections of `vmstate_virtio`)
/// whenever the device offers a feature above bit 31, as every modern one
/// does; else, for a virtio-pci device, the low 32 bits it writes before
/// the configuration length (see [`legacy_virtio_bar_size`]).
fn virtio_guest_features(blob: &[u8], pci: bool) -> Option<u64> {
    if let Some(at) = blob
        .windows(FEATURES_SUBSECTION.len())
        .rposition(|w| w == FEATURES_SUBSECTION)
    {
        let at = at + FEATURES_SUBSECTION.len();
        let bytes = blob.get(at..at + 8)?;
        return Some(u64::from_be_bytes(bytes.try_into().ok()?));
    }
    if !pci {
        return None;
    }
    let (at, _) = virtio_config_len_at(blob)?;
    // The configuration length follows: a blob too short for it is not
    // laid out so.
    blob.get(at..at + 4)?;
    let bytes = blob.get(at - 4..at)?;
    Some(u64::from(u32::from_be_bytes(bytes.try_into().ok()?)))
}

/// A virtio-serial device's map of active ports, from its `virtio` blob:
/// after the configuration, `virtio_save` writes the number of queues and
/// each queue's size, ring address and index (and its MSI-X vector), then
/// `virtio_serial_save_device` the configuration's columns and rows (be16)
/// and port count (be32, 31 by default), and the map, one be32 word per 32
/// ports. QEMU's `virtio_serial_load_device` refuses a map that is not its
/// own device's. `None` where the blob is not laid out so.
fn virtio_serial_ports(blob: &[u8]) -> Option<Vec<u32>> {
    let be32 = |at: usize| {
        blob.get(at..at.checked_add(4)?)
            .map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (at, msix) = virtio_config_len_at(blob)?;
    let len = usize::try_from(be32(at)?).ok()?;
    let mut at = at.checked_add(4)?.checked_add(len)?;
    let queues = usize::try_from(be32(at)?).ok()?;
    // VIRTIO_QUEUE_MAX: a count above it is no queue count.
    if queues > 1024 {
        return None;
    }
    at = at.checked_add(4 + queues * (4 + 8 + 2 + if msix { 2 } else { 0 }))?;
    let max_ports = be32(at.checked_add(4)?)?;
    let words = usize::try_from(max_ports.div_ceil(32)).ok()?;
    if words == 0 || words > 32 {
        return None;
    }
    at = at.checked_add(8)?;
    (0..words).map(|i| be32(at + 4 * i)).collect()
}

/// The bytes of the field at `path`: one leaf (a buffer, a scalar), or the
/// elements of an array (`path[0]`, `path[1]`, ...) back to back.
fn field_bytes(leaves: &[Leaf], payload: &[u8], path: &str) -> Option<Vec<u8>> {
    let bytes_of = |leaf: &Leaf| payload.get(leaf.offset..leaf.offset.checked_add(leaf.size)?);
    if let Some(leaf) = leaves.iter().find(|leaf| leaf.path == path) {
        return bytes_of(leaf).map(<[u8]>::to_vec);
    }
    let element = format!("{path}[");
    let mut bytes = Vec::new();
    for leaf in leaves.iter().filter(|leaf| {
        leaf.path
            .strip_prefix(&element)
            .is_some_and(|rest| rest.ends_with(']') && !rest.contains('.'))
    }) {
        bytes.extend_from_slice(bytes_of(leaf)?);
    }
    (!bytes.is_empty()).then_some(bytes)
}

/// An Arm CPU's register index or value list (`list`) in a decoded `cpu`
/// payload: the varray's first `cpreg_vmstate_array_len` elements (QEMU
/// sends that many).
fn cpregs(value: &Value, list: &str) -> Option<Vec<u64>> {
    let indexes = value.get(list)?.as_array()?;
    let len = value
        .get("cpreg_vmstate_array_len")
        .and_then(Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(indexes.len());
    indexes.iter().take(len).map(Value::as_u64).collect()
}

/// The values of the fields QEMU's loader compares with its own
/// (`VMSTATE_UINT32_EQUAL` and the like: type names ending in ` equal`).
fn equal_values(leaves: &[Leaf], payload: &[u8]) -> Vec<(String, u64)> {
    leaves
        .iter()
        .filter(|leaf| leaf.type_name.ends_with(" equal") && leaf.size <= 8)
        .filter_map(|leaf| {
            let bytes = payload.get(leaf.offset..leaf.offset + leaf.size)?;
            let value = bytes.iter().fold(0u64, |v, b| v << 8 | u64::from(*b));
            Some((leaf.path.clone(), value))
        })
        .collect()
}

/// Arrays of structs whose element count QEMU takes from the loading
/// device's own configuration, not from the stream (`VMSTATE_*_VARRAY_*`
/// over a count field that is not migrated), as (the device in the
/// section's idstr, the array's path). A stream with another count is read
/// with DEST's and fails at the section footer. xHCI's ports are `p2` +
/// `p3` (measured: `qemu-xhci,p2=8,p3=8` into a default one, and a default
/// one into `p2=2`, both ways between 7.2 and 10.0: "Missing section footer
/// for 0000:00:01.0/xhci"). The ACPI memory hotplug state
/// (`vmstate_memory_hotplug`, `hw/acpi/memory_hotplug.c`) has one `devs`
/// element per memory slot of the machine (`-m ...,slots=N`; `dev_count` is
/// not migrated), in the `memhp` subsection of `piix4_pm` (i440fx) and of
/// `ICH9LPC`'s `pm` (q35), which QEMU sends whenever memory hotplug is
/// supported (its default), so with no slots too, with no elements: measured,
/// a `pc-i440fx-7.2` guest with `slots=2,maxmem=1G` loaded where the
/// machine has no slots, and the other way, both ways between 7.2 and 10.0,
/// "Missing section footer for `0000:00:01.3/piix4_pm`", where `check
/// --reference` said "loads". The CPU hotplug state (`vmstate_cpuhp_state`,
/// `hw/acpi/cpu.c`) likewise has one `devs` element per possible CPU
/// (`-smp N,maxcpus=M`), in the `cpuhp` subsection, which QEMU sends once
/// the guest switched CPU hotplug to its modern interface (a 0 written at
/// the start of the legacy CPU bitmap, port 0xaf00 on i440fx, 0x0cd8 on q35,
/// as the ACPI tables do at boot): measured with a boot sector that does
/// only that, `maxcpus=2` on one side and `-smp 1` on the other, both ways
/// between 7.2 and 10.0, "Missing section footer for
/// `0000:00:01.3/piix4_pm`" (`0000:00:1f.0/ICH9LPC` on q35).
pub(super) const CONFIGURED_ARRAYS: &[(&str, &str)] = &[
    ("xhci", "xhci.ports"),
    ("piix4_pm", "piix4_pm/memhp.acpi_memory_hotplug.devs"),
    ("ICH9LPC", "pm.ich9_pm/memhp.acpi_memory_hotplug.devs"),
    ("piix4_pm", "piix4_pm/cpuhp.cpuhp_state.devs"),
    ("ICH9LPC", "pm.ich9_pm/cpuhp.cpuhp_state.devs"),
];

/// An HDA codec's streams, from its decoded leaves: the elements of `st`
/// whose leaves hold the `hda-audio-stream/buffer` subsection
/// (`st[1].hda-audio-stream/buffer.rpos`), and those with that subsection
/// or a non-zero `format`, `gain_left` or `gain_right`, first to last.
fn hda_streams(leaves: &[Leaf], payload: &[u8]) -> HdaStreams {
    let mut streams = HdaStreams::default();
    for leaf in leaves {
        let Some((index, rest)) = leaf
            .path
            .strip_prefix("st[")
            .and_then(|rest| rest.split_once(']'))
        else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        let buffered = rest.starts_with(".hda-audio-stream/buffer.");
        let set = matches!(rest, ".format" | ".gain_left" | ".gain_right")
            && payload
                .get(leaf.offset..leaf.offset.saturating_add(leaf.size))
                .is_some_and(|bytes| bytes.iter().any(|b| *b != 0));
        if buffered && !streams.buffered.contains(&index) {
            streams.buffered.push(index);
        }
        if (buffered || set) && !streams.present.contains(&index) {
            streams.present.push(index);
        }
    }
    streams
}

/// How many processor entries (local APIC, type 0, and local x2APIC, type
/// 9) the first MADT in `tables` lists: QEMU's `build_madt` writes one for
/// every possible CPU. A table is recognized by its signature `APIC`, a
/// length that `tables` holds and entries that fill it exactly (not by its
/// checksum: QEMU leaves checksums to the firmware, `bios_linker_loader`).
fn madt_cpus(tables: &[u8]) -> Option<usize> {
    let mut at = 0;
    while let Some(found) = tables.get(at..)?.windows(4).position(|w| w == b"APIC") {
        let start = at + found;
        at = start + 1;
        let Some(len) = tables.get(start + 4..start + 8) else {
            continue;
        };
        let len = usize::try_from(u32::from_le_bytes([len[0], len[1], len[2], len[3]])).ok()?;
        let Some(table) = tables.get(start..start.saturating_add(len)) else {
            continue;
        };
        let (mut entry, mut cpus) = (44, 0);
        while let (Some(&kind), Some(&size)) = (table.get(entry), table.get(entry + 1)) {
            if size < 2 {
                break;
            }
            if kind == 0 || kind == 9 {
                cpus += 1;
            }
            entry += usize::from(size);
        }
        if len >= 44 && entry == len {
            return Some(cpus);
        }
    }
    None
}

/// The lengths of the [`CONFIGURED_ARRAYS`] of a section. An array without
/// elements leaves no leaf: it has length 0 where the struct that holds it
/// is in the payload (another of its fields is), and none where it is not
/// (a subsection not sent, which QEMU then does not read either).
fn configured_arrays(idstr: &str, leaves: &[Leaf]) -> Vec<(&'static str, usize)> {
    let device = idstr.rsplit('/').next().unwrap_or(idstr);
    CONFIGURED_ARRAYS
        .iter()
        .filter(|(name, _)| *name == device)
        .filter_map(|&(_, path)| {
            let prefix = format!("{path}[");
            let last = leaves
                .iter()
                .filter_map(|leaf| {
                    let rest = leaf.path.strip_prefix(&prefix)?;
                    rest[..rest.find(']')?].parse::<usize>().ok()
                })
                .max();
            if let Some(last) = last {
                return Some((path, last + 1));
            }
            // One element: QEMU's vmdesc gives an array of one no
            // `array_len`, so it reads as the struct itself.
            let one = format!("{path}.");
            if leaves.iter().any(|leaf| leaf.path.starts_with(&one)) {
                return Some((path, 1));
            }
            let (parent, _) = path.rsplit_once('.')?;
            let parent = format!("{parent}.");
            leaves
                .iter()
                .any(|leaf| leaf.path.starts_with(&parent))
                .then_some((path, 0))
        })
        .collect()
}

/// Fields a device's `post_load` compares with its own properties, which
/// are not on the wire, as (the device in the section's idstr, the field's
/// path, QEMU's message when they differ). No dump marks them: they are
/// plain integers to the loader, refused after the whole section is read.
/// e1000e's `subsys` and `subsys_ven` (measured: `e1000e,subsys=0x1234`
/// into a default one, 7.2 and 10.0: QEMU says "Cannot migrate while
/// device properties (`subsys/subsys_ven`) differ").
pub(super) const COMPARED_BY_POST_LOAD: &[(&str, &str, &str)] = &[
    (
        "e1000e",
        "subsys",
        "Cannot migrate while device properties (subsys/subsys_ven) differ",
    ),
    (
        "e1000e",
        "subsys_ven",
        "Cannot migrate while device properties (subsys/subsys_ven) differ",
    ),
];

/// The values of the [`COMPARED_BY_POST_LOAD`] fields of a section.
fn compared_by_post_load(idstr: &str, leaves: &[Leaf], payload: &[u8]) -> Vec<(&'static str, u64)> {
    let device = idstr.rsplit('/').next().unwrap_or(idstr);
    COMPARED_BY_POST_LOAD
        .iter()
        .filter(|(name, _, _)| *name == device)
        .filter_map(|&(_, path, _)| {
            let leaf = leaves
                .iter()
                .find(|leaf| leaf.path == path && leaf.size <= 8)?;
            let bytes = payload.get(leaf.offset..leaf.offset + leaf.size)?;
            Some((path, bytes.iter().fold(0u64, |v, b| v << 8 | u64::from(*b))))
        })
        .collect()
}

/// The HPET's timer count (see [`SectionFacts::hpet_timers`]).
fn hpet_timers(leaves: &[Leaf], payload: &[u8]) -> Option<(u64, bool)> {
    let leaf = leaves
        .iter()
        .find(|leaf| leaf.path == "num_timers" || leaf.path == "num_timers_save")?;
    let byte = *payload.get(leaf.offset)?;
    Some((u64::from(byte), leaf.path == "num_timers_save"))
}

/// An x86 CPU's TSC frequency (see [`DeviceFacts::tsc_khz`]): the
/// `env.tsc_khz` field of its `cpu/tsc_khz` subsection, a be64.
fn tsc_khz(leaves: &[Leaf], payload: &[u8]) -> Option<u64> {
    let leaf = leaves
        .iter()
        .find(|leaf| leaf.path.ends_with("env.tsc_khz") && leaf.size == 8)?;
    let bytes = payload.get(leaf.offset..leaf.offset + leaf.size)?;
    Some(bytes.iter().fold(0u64, |v, b| v << 8 | u64::from(*b)))
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

#[cfg(test)]
mod blob_tests {
    use super::{
        FEATURES_SUBSECTION, configured_arrays, is_pci_idstr, virtio_gpu_scanouts,
        virtio_guest_features, virtio_pci_config,
    };
    use crate::stream::Leaf;

    fn leaf(path: &str) -> Leaf {
        Leaf {
            path: path.to_owned(),
            offset: 0,
            size: 1,
            type_name: "uint8".to_owned(),
        }
    }

    /// A MADT with two local APIC entries and an I/O APIC entry, after
    /// other bytes that spell `APIC` without being a table; its checksum is
    /// left to the firmware, as QEMU leaves it.
    #[test]
    fn the_madt_lists_the_possible_cpus() {
        let mut tables = b"xxAPIC\xff\xff\xff\x7fyy".to_vec();
        let mut madt = b"APIC".to_vec();
        madt.extend_from_slice(&(44u32 + 8 + 8 + 12).to_le_bytes());
        madt.resize(44, 0);
        madt.extend_from_slice(&[0, 8, 0, 0, 1, 0, 0, 0]); // CPU 0, enabled
        madt.extend_from_slice(&[0, 8, 1, 1, 0, 0, 0, 0]); // CPU 1, possible
        madt.extend_from_slice(&[1, 12, 0, 0, 0, 0, 0xc0, 0xfe, 0, 0, 0, 0]); // I/O APIC
        tables.extend_from_slice(&madt);
        assert_eq!(super::madt_cpus(&tables), Some(2));
        // Cut short, or entries that overrun it: no table.
        assert_eq!(super::madt_cpus(&tables[..tables.len() - 1]), None);
        assert_eq!(super::madt_cpus(b"APIC"), None);
        assert_eq!(super::madt_cpus(&[]), None);
    }

    /// The memory hotplug state has one element per memory slot; with no
    /// slots it has none, yet its subsection is there (its `selector`).
    #[test]
    fn memory_slots_are_a_configured_array_even_when_empty() {
        const DEVS: &str = "piix4_pm/memhp.acpi_memory_hotplug.devs";
        let idstr = "0000:00:01.3/piix4_pm";
        let selector = leaf("piix4_pm/memhp.acpi_memory_hotplug.selector");
        let two = [
            leaf("ar.tmr.overflow_time"),
            selector.clone(),
            leaf(&format!("{DEVS}[0].is_enabled")),
            leaf(&format!("{DEVS}[1].is_enabled")),
        ];
        assert_eq!(configured_arrays(idstr, &two), [(DEVS, 2)]);
        let none = [leaf("ar.tmr.overflow_time"), selector];
        assert_eq!(configured_arrays(idstr, &none), [(DEVS, 0)]);
        // No subsection at all: nothing DEST reads either.
        assert_eq!(configured_arrays(idstr, &none[..1]), []);
        // The CPU hotplug state, once the guest switched to it; one element
        // has no index (the vmdesc gives an array of one no `array_len`).
        let cpus = [
            leaf("piix4_pm/cpuhp.cpuhp_state.selector"),
            leaf("piix4_pm/cpuhp.cpuhp_state.devs.is_inserting"),
        ];
        assert_eq!(
            configured_arrays(idstr, &cpus),
            [("piix4_pm/cpuhp.cpuhp_state.devs", 1)]
        );
        // q35 keeps it in `ICH9LPC`'s `pm`.
        let q35 = [leaf("pm.ich9_pm/memhp.acpi_memory_hotplug.selector")];
        assert_eq!(
            configured_arrays("0000:00:1f.0/ICH9LPC", &q35),
            [("pm.ich9_pm/memhp.acpi_memory_hotplug.devs", 0)]
        );
    }

    fn virtio_gpu_scanout_size(blob: &[u8]) -> Option<u64> {
        virtio_gpu_scanouts(blob).map(|(_, size)| size)
    }

    #[test]
    fn a_virtio_gpu_field_gives_its_scanout_size() {
        // No resource, then one scanout at version 1 (40 bytes) or 2 (64).
        let field = |per: usize| {
            let mut blob = vec![0u8; 4 + 4];
            blob.extend_from_slice(&1u32.to_be_bytes());
            blob.resize(blob.len() + per, 0);
            blob
        };
        assert_eq!(virtio_gpu_scanout_size(&field(40)), Some(40));
        assert_eq!(virtio_gpu_scanout_size(&field(64)), Some(64));
        // A 2x1 resource with one iov before the terminator.
        let mut with = Vec::new();
        for word in [7u32, 2, 1, 1, 1] {
            with.extend_from_slice(&word.to_be_bytes());
        }
        with.extend_from_slice(&[0; 12 + 8]);
        with.extend_from_slice(&field(40));
        assert_eq!(virtio_gpu_scanout_size(&with), Some(40));
        // Hostile: a resource claiming 4 GiB of image, or no terminator.
        let mut huge = with.clone();
        huge[4..8].copy_from_slice(&u32::MAX.to_be_bytes());
        huge[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
        assert_eq!(virtio_gpu_scanout_size(&huge), None);
        assert_eq!(virtio_gpu_scanout_size(&[1, 2, 3]), None);
    }

    #[test]
    fn a_virtio_blob_starts_with_the_configuration_space() {
        let blob = |express: bool, irq: u8| {
            let mut blob = vec![0, 0, 0, 2];
            let mut config = vec![0u8; if express { 4096 } else { 256 }];
            config[0..2].copy_from_slice(&[0xf4, 0x1a]);
            config[0x34] = 0x40;
            config[0x40] = if express { 0x10 } else { 0x09 };
            blob.extend_from_slice(&config);
            blob.extend_from_slice(&[0, 0, 0, irq, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            blob.extend_from_slice(&[0xff; 32]);
            blob
        };
        assert_eq!(
            virtio_pci_config(&blob(false, 1)).map(|c| c.len()),
            Some(256)
        );
        assert_eq!(
            virtio_pci_config(&blob(true, 0)).map(|c| c.len()),
            Some(4096)
        );
        // Not a PCI device's state: the interrupt words are not 0 or 1.
        assert_eq!(virtio_pci_config(&blob(false, 7)), None);
        assert_eq!(virtio_pci_config(&[0; 100]), None);
        assert!(is_pci_idstr("0000:00:02.0/virtio-gpu"));
        assert!(is_pci_idstr("0000:00:02.0:00.0/virtio-gpu"));
        assert!(!is_pci_idstr("virtio-mmio@000000000a003e00/virtio-balloon"));
        assert!(!is_pci_idstr("cpu"));
    }

    /// A legacy virtio-pci blob: configuration space, interrupt words, then
    /// `virtio_save`'s status, ISR, queue selector, the low 32 feature bits
    /// and a configuration of 8 bytes.
    fn legacy_blob(low_features: u32) -> Vec<u8> {
        let mut blob = vec![0, 0, 0, 2];
        let mut config = vec![0u8; 256];
        config[0x10] = 0x01; // an I/O BAR 0
        blob.extend_from_slice(&config);
        blob.extend_from_slice(&[0; 16]);
        blob.extend_from_slice(&[0x0f, 0, 0, 0]);
        blob.extend_from_slice(&low_features.to_be_bytes());
        blob.extend_from_slice(&8u32.to_be_bytes());
        blob.extend_from_slice(&[0; 8]);
        blob
    }

    #[test]
    fn negotiated_features_come_from_the_64_bit_subsection_or_the_low_word() {
        let low = 1 << 13;
        let blob = legacy_blob(low);
        assert_eq!(virtio_guest_features(&blob, true), Some(u64::from(low)));
        assert_eq!(
            virtio_guest_features(&blob, false),
            None,
            "not laid out as PCI's"
        );
        let mut modern = blob.clone();
        modern.extend_from_slice(&[0, 0, 0, 1]); // queues and what follows
        modern.extend_from_slice(FEATURES_SUBSECTION);
        let all = (1u64 << 32) | (1 << 40) | u64::from(low);
        modern.extend_from_slice(&all.to_be_bytes());
        modern.push(0x06); // the next subsection, or the section's end
        assert_eq!(virtio_guest_features(&modern, true), Some(all));
        assert_eq!(virtio_guest_features(&modern, false), Some(all));
        // The subsection cut before its value.
        let cut = &modern[..modern.len() - 5];
        assert_eq!(virtio_guest_features(cut, true), None);
        assert_eq!(virtio_guest_features(&[0; 10], true), None);
    }
}

#[cfg(test)]
mod tests {
    use super::{FactsCollector, StateDesc};
    use crate::desc::FieldDesc;
    use crate::stream::{DeviceDesc, Record, SectionHeader, SectionInfo, SectionKind, Vmdesc};

    fn device(name: &str, instance_id: u32, field: &str) -> DeviceDesc {
        DeviceDesc {
            name: name.to_owned(),
            instance_id,
            state: StateDesc {
                vmsd_name: name.to_owned(),
                version: 1,
                fields: vec![FieldDesc::scalar(field, "uint8", 1)],
                subsections: Vec::new(),
            },
            legacy: false,
        }
    }

    fn section(collector: &mut FactsCollector<'_>, id: u32, idstr: &str, instance_id: u32) {
        collector.observe(&Record::Section(SectionHeader {
            kind: SectionKind::Full,
            section_id: id,
            info: Some(SectionInfo {
                idstr: idstr.to_owned(),
                instance_id,
                version_id: 1,
            }),
        }));
        collector.observe(&Record::State {
            payload: vec![7],
            offset: 0,
        });
    }

    /// Each section's facts hold its description, moved out of the vmdesc
    /// rather than copied; a section the stream sends twice gets it too, and
    /// the vmdesc given back afterwards is whole again.
    #[test]
    fn descriptions_move_into_the_facts_and_come_back() {
        let vmdesc = Vmdesc {
            configuration: None,
            page_size: 4096,
            devices: vec![device("a", 0, "x"), device("b", 0, "y")],
        };
        let describe = |_: &SectionInfo, _: &[u8]| None;
        let mut collector = FactsCollector::new(Some(vmdesc.clone()), &describe);
        section(&mut collector, 1, "a", 0);
        section(&mut collector, 2, "b", 0);
        section(&mut collector, 3, "a", 0);
        section(&mut collector, 4, "c", 0);
        assert_eq!(collector.take_vmdesc().as_ref(), Some(&vmdesc));
        let facts = collector.finish();
        let descs: Vec<_> = facts.sections.iter().map(|s| s.desc.as_ref()).collect();
        let (a, b) = (&vmdesc.devices[0].state, &vmdesc.devices[1].state);
        assert_eq!(descs, [Some(a), Some(b), Some(a), None]);
        let in_vmdesc: Vec<_> = facts.sections.iter().map(|s| s.desc_in_vmdesc).collect();
        assert_eq!(in_vmdesc, [true, true, true, false]);
    }

    /// A model's field-by-field description of a virtio section, in a stream
    /// without a vmdesc, becomes what QEMU's vmdesc shows: one `virtio` field
    /// over the whole payload, and none of the subsections inside it; a
    /// section described otherwise keeps its description.
    #[test]
    fn a_modelled_virtio_section_is_shown_as_qemu_describes_it() {
        let sub = StateDesc {
            vmsd_name: "virtio/started".to_owned(),
            version: 1,
            fields: vec![FieldDesc::scalar("started", "bool", 1)],
            subsections: Vec::new(),
        };
        let virtio = StateDesc {
            vmsd_name: "virtio".to_owned(),
            version: 1,
            fields: Vec::new(),
            subsections: vec![sub],
        };
        let modelled = StateDesc {
            vmsd_name: "virtio-rng".to_owned(),
            version: 1,
            fields: vec![
                FieldDesc::scalar("status", "uint8", 1),
                FieldDesc::structure("virtio", virtio),
            ],
            subsections: Vec::new(),
        };
        let describe = move |_: &SectionInfo, _: &[u8]| Some(modelled.clone());
        let mut collector = FactsCollector::new(None, &describe);
        section(&mut collector, 1, "0000:00:05.0/virtio-rng", 0);
        let facts = collector.finish();
        let only = &facts.sections[0];
        let desc = only.desc.as_ref().expect("described");
        assert_eq!(desc.fields, [FieldDesc::scalar("virtio", "virtio", 1)]);
        assert!(desc.subsections.is_empty());
        assert!(only.subsections.is_empty(), "{:?}", only.subsections);
        assert_eq!(only.vmsd_name.as_deref(), Some("virtio-rng"));

        let plain = |_: &SectionInfo, _: &[u8]| {
            Some(StateDesc {
                vmsd_name: "port92".to_owned(),
                version: 1,
                fields: vec![FieldDesc::scalar("outport", "uint8", 1)],
                subsections: Vec::new(),
            })
        };
        let mut collector = FactsCollector::new(None, &plain);
        section(&mut collector, 1, "port92", 0);
        let facts = collector.finish();
        let desc = facts.sections[0].desc.as_ref().expect("described");
        assert_eq!(desc.fields, [FieldDesc::scalar("outport", "uint8", 1)]);
    }
}
