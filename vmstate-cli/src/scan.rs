//! One pass over a stream that collects what `inspect` and `set` need: each
//! section's identity and size, FULL payloads (device state is small), and
//! RAM statistics (RAM itself is never held).

use std::collections::HashMap;

use vmstate::stream::{
    DeviceDesc, DeviceIndex, MappedRamHeader, RamRecord, Record, SectionInfo, SectionKind,
    StreamReader, Uuid, Vmdesc,
};

use crate::CommandError;
use crate::input::Input;
use crate::progress::Progress;

/// A section as `inspect` lists it.
pub struct Section {
    pub id: u32,
    pub info: SectionInfo,
    /// Payload bytes, summed over all parts of an iterative section.
    pub bytes: u64,
    /// A FULL section's payload and its absolute offset.
    pub payload: Option<(Vec<u8>, u64)>,
    /// What a RAM section carried. Boxed: one section in a stream has it,
    /// and inline it made every section 56 bytes larger (11 MiB of 68 at
    /// 200,000 one-byte sections).
    pub ram: Option<Box<RamStats>>,
}

/// Totals of a RAM section.
#[derive(Default)]
pub struct RamStats {
    pub blocks: Vec<(String, u64)>,
    pub zero_pages: u64,
    pub data_pages: u64,
    /// Pages compressed by the `compress` capability.
    pub compressed_pages: u64,
    /// Pages sent as XBZRLE deltas.
    pub xbzrle_pages: u64,
    /// The blocks of a mapped-ram file, in block-list order.
    pub mapped: Vec<MappedBlock>,
}

impl RamStats {
    /// Adds what `ram` carried (an EOS carries nothing); gives back a page
    /// run, whose buffer the reader may reuse.
    fn add(&mut self, ram: RamRecord) -> Option<RamRecord> {
        match ram {
            RamRecord::MemSize { blocks, .. } => {
                self.blocks
                    .extend(blocks.into_iter().map(|b| (b.name, b.used_length)));
            }
            RamRecord::MappedBlock { block, header } => {
                self.blocks.push((block.name, block.used_length));
                self.mapped.push(MappedBlock {
                    header,
                    used_length: block.used_length,
                    pages_present: 0,
                });
            }
            RamRecord::Region { offset, data } => {
                if let Some(block) = self.mapped.last_mut() {
                    block.count(offset, &data);
                }
            }
            RamRecord::MappedMemSize { .. } | RamRecord::Eos => {}
            RamRecord::Zero { .. } => self.zero_pages += 1,
            RamRecord::Page { .. } => self.data_pages += 1,
            RamRecord::Compressed { .. } => self.compressed_pages += 1,
            RamRecord::Xbzrle { .. } => self.xbzrle_pages += 1,
            RamRecord::Counted {
                zero_pages,
                data_pages,
                ..
            }
            | RamRecord::Pages {
                zero_pages,
                data_pages,
                ..
            } => {
                self.zero_pages += zero_pages;
                self.data_pages += data_pages;
                return Some(ram);
            }
        }
        None
    }
}

/// A mapped-ram block: where its bitmap and pages are, and how many pages
/// its bitmap says the file holds.
pub struct MappedBlock {
    pub header: MappedRamHeader,
    pub used_length: u64,
    pub pages_present: u64,
}

impl MappedBlock {
    /// Counts the bitmap bits in `data`, the region bytes at `offset`.
    fn count(&mut self, offset: u64, data: &[u8]) {
        if self.header.is_ignored() {
            return;
        }
        let start = self.header.bitmap_offset;
        let end = start.saturating_add(self.header.bitmap_len(self.used_length).unwrap_or(0));
        let from = start.max(offset);
        let to = end.min(offset.saturating_add(data.len() as u64));
        if from < to {
            let bitmap = &data[usize::try_from(from - offset).unwrap_or(usize::MAX)
                ..usize::try_from(to - offset).unwrap_or(usize::MAX)];
            self.pages_present += bitmap
                .iter()
                .map(|b| u64::from(b.count_ones()))
                .sum::<u64>();
        }
    }
}

/// A command packet, and where it was.
pub struct CommandSeen {
    /// How many section headers came before it.
    pub after_sections: usize,
    pub number: u16,
    pub data_len: usize,
}

/// Everything one pass learns.
pub struct Scan {
    pub machine: Option<String>,
    /// The source's UUID, when the stream carries it (`validate-uuid`).
    pub uuid: Option<Uuid>,
    pub sections: Vec<Section>,
    pub commands: Vec<CommandSeen>,
    pub vmdesc: Option<Vmdesc>,
    /// Where each section is in `vmdesc`: one lookup per section.
    pub index: DeviceIndex,
}

impl Scan {
    /// Nothing seen yet of a stream described by `vmdesc`.
    fn new(vmdesc: Option<Vmdesc>) -> Self {
        // The vmdesc lists every FULL section: room for them and a few
        // iterative ones at once, rather than a list grown by doubling,
        // whose copies the allocator kept (7 MiB more peak RSS at 200,000
        // sections).
        let described = vmdesc.as_ref().map_or(0, |v| v.devices.len());
        Self {
            machine: None,
            uuid: None,
            sections: Vec::with_capacity(described.saturating_add(8)),
            commands: Vec::new(),
            index: vmdesc.as_ref().map(Vmdesc::index).unwrap_or_default(),
            vmdesc,
        }
    }

    /// The stream's vmdesc entry for `section`.
    pub fn device(&self, section: &Section) -> Option<&DeviceDesc> {
        let vmdesc = self.vmdesc.as_ref()?;
        self.index
            .device(vmdesc, &section.info.idstr, section.info.instance_id)
    }
}

/// Reads the whole stream once, drawing a progress line unless `quiet`.
pub fn scan(input: Input, quiet: bool) -> Result<Scan, CommandError> {
    // Pages are only counted, not kept (a long run read by two threads); a
    // mapped-ram file's holes are not read at all.
    let mut reader = StreamReader::new(input)?
        .with_delimiter(crate::models::delimit)
        .with_page_counts(Input::read_at)
        .with_data_extents(crate::input::data_extent);
    let progress = Progress::new("inspect", reader.len(), quiet);
    let mut scan = Scan::new(reader.take_vmdesc());
    // Index into `sections` of the section whose payload is being read.
    let mut current: Option<usize> = None;
    // The last START section listed under each section id, for PART and
    // END: only iterative sections have them (the reader refuses them for
    // a FULL one), and a map of every section cost 8 MiB at 200,000.
    let mut by_id: HashMap<u32, usize> = HashMap::new();
    let mut payload_start = reader.offset();
    while let Some(record) = reader.next_record_before_vmdesc()? {
        progress.set(reader.offset());
        match record {
            Record::Configuration(configuration) => {
                scan.uuid = configuration.uuid;
                scan.machine = Some(configuration.machine);
            }
            Record::Section(header) => {
                let index = match header.info {
                    Some(info) => {
                        scan.sections.push(Section {
                            id: header.section_id,
                            ram: (info.idstr == "ram").then(Box::default),
                            info,
                            bytes: 0,
                            payload: None,
                        });
                        if header.kind == SectionKind::Start {
                            by_id.insert(header.section_id, scan.sections.len() - 1);
                        }
                        scan.sections.len() - 1
                    }
                    None => by_id.get(&header.section_id).copied().unwrap_or_default(),
                };
                debug_assert!(
                    header.kind != SectionKind::Full || scan.sections[index].ram.is_none()
                );
                current = Some(index);
                payload_start = reader.offset();
            }
            Record::State { payload, offset } => {
                if let Some(section) = current.and_then(|i| scan.sections.get_mut(i)) {
                    section.bytes = payload.len() as u64;
                    section.payload = Some((payload, offset));
                }
            }
            Record::Ram(ram) => {
                let Some(stats) = current
                    .and_then(|i| scan.sections.get_mut(i))
                    .and_then(|s| s.ram.as_mut())
                else {
                    continue;
                };
                if let RamRecord::Eos = ram {
                    let section = &mut scan.sections[current.unwrap_or_default()];
                    section.bytes += reader.offset() - payload_start;
                } else if let Some(run) = stats.add(ram) {
                    reader.recycle(Record::Ram(run));
                }
            }
            Record::Command { command, data } => scan.commands.push(CommandSeen {
                after_sections: scan.sections.len(),
                number: command,
                data_len: data.len(),
            }),
            Record::Footer { .. } | Record::Eof | Record::Vmdesc { .. } => {}
        }
    }
    Ok(scan)
}

/// Parses `NAME` or `NAME:INSTANCE`; a bare name means instance 0. The
/// instance is split at the last `:`, since idstrs such as
/// `0000:00:03.0/e1000` contain colons themselves.
pub fn parse_selector(selector: &str) -> (String, Option<u32>) {
    if let Some((name, instance)) = selector.rsplit_once(':')
        && let Ok(instance) = instance.parse()
    {
        return (name.to_owned(), Some(instance));
    }
    (selector.to_owned(), None)
}

/// Whether `section` is what `selector` names.
pub fn matches(section: &SectionInfo, name: &str, instance: Option<u32>) -> bool {
    section.idstr == name && instance.is_none_or(|i| i == section.instance_id)
}
