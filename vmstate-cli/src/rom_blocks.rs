//! RAM blocks that only hold an image the destination provides itself
//! (firmware, PCI option ROMs), brought to the destination's own.
//!
//! QEMU refuses a stream whose RAM block differs in length from its own
//! ("Size mismatch: pc.bios: 0x10000 != 0x20000") or that it does not have
//! ("Unknown ramblock"). For these blocks nothing the guest did is lost by
//! taking the destination's image instead, because (QEMU's hw/i386/x86.c,
//! hw/i386/pc.c, hw/pci/pci.c, hw/core/loader.c):
//!
//! - the guest cannot write them: `pc.bios` and `pc.rom` are made read-only
//!   (`memory_region_set_readonly`; `pc.bios` stays writable only for
//!   `isapc`'s RAM firmware, which no migration uses), a PCI option ROM is a
//!   ROM region (`memory_region_init_rom`); their bytes are the image QEMU
//!   loaded from a file when it started, not guest state;
//! - a running guest does not execute them: SeaBIOS copies itself and the
//!   option ROMs it runs into shadow RAM below 1 MiB (`pc.ram`, migrated as
//!   is) and runs from there; the guest sees the image only by reading the
//!   ROM itself (the top of the 4 GiB space, a PCI ROM BAR);
//! - after a reset, QEMU does not reload an image that a migration brought
//!   in (`rom_reset` drops its copy on an incoming migration), so the source's
//!   image would stay until QEMU restarts, where the destination's is what a
//!   guest started on the destination runs.
//!
//! The destination's image is taken from the reference stream, which the
//! destination wrote before any guest code ran: its pages of that block are
//! the file it loaded. A block the destination lacks is left out.

use std::collections::HashMap;
use std::io::{Read, Seek};

use vmstate::stream::{RamBlock, RamRecord, Record, StreamReader};

use crate::CommandError;

/// The most bytes of images taken from a reference (option ROMs are at most
/// a few MiB; firmware of the machines here, 4 MiB).
const MAX_IMAGE: u64 = 64 << 20;

/// Whether RAM block `name` only holds an image QEMU loads from a file: the
/// PC firmware (`pc.bios`), the option-ROM area (`pc.rom`), or a PCI device's
/// option ROM (`0000:00:03.0/virtio-net-pci.rom`).
#[allow(
    clippy::case_sensitive_file_extension_comparisons,
    reason = "QEMU names an option ROM's block `<device>.rom` exactly (hw/pci/pci.c)"
)]
pub fn is_image(name: &str) -> bool {
    matches!(name, "pc.bios" | "pc.rom")
        || name
            .rsplit_once('/')
            .is_some_and(|(device, file)| device.contains(':') && file.ends_with(".rom"))
}

/// The destination's images, by block name, and what the rewrite has seen.
#[derive(Debug, Default)]
pub struct RomBlocks {
    /// A block to write with the reference's length and pages; `None`: a
    /// block to leave out.
    images: HashMap<String, Option<Image>>,
    /// The block the RAM records being copied belong to.
    current: Option<String>,
    /// The images were written (after the block list).
    written: bool,
}

/// One block as the reference carries it.
#[derive(Debug, Default)]
struct Image {
    used_length: u64,
    pages: Vec<RamRecord>,
}

impl RomBlocks {
    /// Reads the images of `replace` from the reference stream and notes the
    /// blocks of `drop` to leave out.
    pub fn from_reference<R: Read + Seek>(
        reference: StreamReader<R>,
        replace: &[String],
        drop: &[String],
    ) -> Result<Self, CommandError> {
        let mut images: HashMap<String, Option<Image>> = HashMap::new();
        for name in replace {
            images.insert(name.clone(), Some(Image::default()));
        }
        for name in drop {
            images.insert(name.clone(), None);
        }
        let mut reader = reference;
        let mut current: Option<String> = None;
        let mut taken = 0u64;
        while let Some(record) = reader.next_record()? {
            let Record::Ram(ram) = record else { continue };
            match ram {
                RamRecord::MemSize { blocks, .. } => {
                    for block in blocks {
                        if let Some(Some(image)) = images.get_mut(&block.name) {
                            image.used_length = block.used_length;
                        }
                    }
                }
                RamRecord::Zero { ref block, .. } | RamRecord::Page { ref block, .. } => {
                    if let Some(name) = block {
                        current = Some(name.clone());
                    }
                    let Some(image) = image_of(&mut images, current.as_deref()) else {
                        continue;
                    };
                    if let RamRecord::Page { data, .. } = &ram {
                        taken += data.len() as u64;
                        if taken > MAX_IMAGE {
                            return Err(CommandError::BadInput(format!(
                                "the reference's image of RAM block `{}` is over {MAX_IMAGE} \
                                 bytes",
                                current.as_deref().unwrap_or_default()
                            )));
                        }
                    }
                    // The image's first page names its block, the others
                    // continue it.
                    let named = image.pages.is_empty().then(|| current.clone()).flatten();
                    image.pages.push(with_block(ram, named));
                }
                // A reference is written by DEST without compression; a
                // page that names its block still moves the current one.
                RamRecord::Compressed {
                    block: Some(name), ..
                }
                | RamRecord::Xbzrle {
                    block: Some(name), ..
                } => current = Some(name),
                _ => {}
            }
        }
        for (name, image) in &images {
            if image.as_ref().is_some_and(|i| i.used_length == 0) {
                return Err(CommandError::BadInput(format!(
                    "the reference has no RAM block `{name}` to take its image from"
                )));
            }
        }
        Ok(Self {
            images,
            current: None,
            written: false,
        })
    }

    /// The records to write for one RAM record of the stream: the block list
    /// with the destination's lengths followed by its images, nothing for a
    /// page of a replaced or dropped block, the record itself otherwise.
    pub fn rewrite(&mut self, record: RamRecord) -> Vec<RamRecord> {
        match record {
            RamRecord::MemSize { blocks, .. } => {
                let blocks: Vec<RamBlock> = blocks
                    .into_iter()
                    .filter_map(|mut block| match self.images.get(&block.name) {
                        Some(None) => None,
                        Some(Some(image)) => {
                            block.used_length = image.used_length;
                            Some(block)
                        }
                        None => Some(block),
                    })
                    .collect();
                let total = blocks.iter().map(|b| b.used_length).sum();
                let mut out = vec![RamRecord::MemSize { total, blocks }];
                if !self.written {
                    self.written = true;
                    // Each image's first page names its block, and the
                    // stream's next page names its own: no CONTINUE crosses.
                    for image in self.images.values_mut().flatten() {
                        out.append(&mut image.pages);
                    }
                }
                out
            }
            RamRecord::Zero { ref block, .. } | RamRecord::Page { ref block, .. } => {
                if let Some(name) = block {
                    self.current = Some(name.clone());
                }
                let ours = self
                    .current
                    .as_ref()
                    .is_some_and(|name| self.images.contains_key(name));
                if ours { Vec::new() } else { vec![record] }
            }
            // Kept as sent (no verdict lets `convert` write them into a ROM
            // block it replaces), but the block it names is the current one.
            RamRecord::Compressed { ref block, .. } | RamRecord::Xbzrle { ref block, .. } => {
                if let Some(name) = block {
                    self.current = Some(name.clone());
                }
                vec![record]
            }
            other => vec![other],
        }
    }
}

/// The same page record naming `block` (`None`: continuing the last one).
fn with_block(record: RamRecord, block: Option<String>) -> RamRecord {
    match record {
        RamRecord::Zero { offset, fill, .. } => RamRecord::Zero {
            offset,
            block,
            fill,
        },
        RamRecord::Page { offset, data, .. } => RamRecord::Page {
            offset,
            block,
            data,
        },
        other => other,
    }
}

fn image_of<'a>(
    images: &'a mut HashMap<String, Option<Image>>,
    current: Option<&str>,
) -> Option<&'a mut Image> {
    images.get_mut(current?)?.as_mut()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_firmware_and_option_roms_only() {
        assert!(is_image("pc.bios"));
        assert!(is_image("pc.rom"));
        assert!(is_image("0000:00:03.0/virtio-net-pci.rom"));
        assert!(!is_image("pc.ram"));
        assert!(!is_image("/rom@etc/acpi/tables"));
        assert!(!is_image("vga.vram"));
    }

    #[test]
    fn pages_of_a_replaced_block_give_way_to_the_image() {
        let mut blocks = RomBlocks::default();
        blocks.images.insert(
            "pc.bios".into(),
            Some(Image {
                used_length: 0x2000,
                pages: vec![RamRecord::Zero {
                    offset: 0x1000,
                    block: Some("pc.bios".into()),
                    fill: 0,
                }],
            }),
        );
        blocks.images.insert("0000:00:03.0/e1000.rom".into(), None);
        let list = RamRecord::MemSize {
            total: 0x1000 + 0x3000 + 0x1000,
            blocks: vec![
                RamBlock {
                    name: "pc.ram".into(),
                    used_length: 0x1000,
                },
                RamBlock {
                    name: "pc.bios".into(),
                    used_length: 0x3000,
                },
                RamBlock {
                    name: "0000:00:03.0/e1000.rom".into(),
                    used_length: 0x1000,
                },
            ],
        };
        let out = blocks.rewrite(list);
        let RamRecord::MemSize {
            total,
            blocks: list,
        } = &out[0]
        else {
            panic!("{out:?}")
        };
        assert_eq!(*total, 0x3000);
        assert_eq!(list.len(), 2);
        assert_eq!(out.len(), 2, "the image follows the list");
        let page = |block: Option<&str>| RamRecord::Zero {
            offset: 0,
            block: block.map(str::to_owned),
            fill: 0,
        };
        assert_eq!(blocks.rewrite(page(Some("pc.bios"))), vec![]);
        assert_eq!(blocks.rewrite(page(None)), vec![]);
        assert_eq!(blocks.rewrite(page(Some("pc.ram"))).len(), 1);
        assert_eq!(blocks.rewrite(page(None)).len(), 1);
        assert_eq!(blocks.rewrite(page(Some("0000:00:03.0/e1000.rom"))), vec![]);
    }
}
