//! The read-only parts of a PCI device's configuration space, which QEMU
//! compares on load (`get_pci_config_device`: "Bad config data").
//!
//! A device's identity, header and capability list are fixed when QEMU builds
//! it, from the device's properties and the machine type's compat properties.
//! A stream renamed to another machine type keeps the source's bytes; where
//! the destination built the device differently, QEMU refuses the stream. The
//! registers compared here are the ones the PCI specification makes read-only
//! and that stay as the device model set them, so a guest that ran (and
//! programmed BARs, the command register, MSI addresses) compares equal to one
//! that never did.

/// One read-only byte that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigDifference {
    /// Offset in the configuration space.
    pub offset: usize,
    /// What lives there, e.g. `capability pointer`.
    pub register: String,
    /// The stream's byte.
    pub stream: u8,
    /// The destination's.
    pub dest: u8,
}

/// Header bytes every function keeps as its model set them and QEMU
/// compares (`pci_init_cmask`). The subsystem ids and the interrupt pin are
/// read-only too, but outside that mask: QEMU takes the stream's.
const HEADER: &[(usize, usize, &str)] = &[
    (0x00, 4, "vendor and device id"),
    (0x08, 4, "revision and class code"),
    (0x0e, 1, "header type"),
    (0x34, 1, "capability pointer"),
];

/// The read-only registers of a capability, as (offset in it, length, name).
fn capability_registers(id: u8, config: &[u8], at: usize) -> Vec<(usize, usize, &'static str)> {
    match id {
        // Power management: PMC.
        0x01 => vec![(2, 2, "power management capabilities")],
        // Vendor-specific: QEMU builds them read-only, length and all (a
        // virtio region's type, BAR, offset, length and notification
        // multiplier; the bus and window sizes a bridge's `bus-reserve`,
        // `io-reserve`, `mem-reserve` and `pref*-reserve` put in Red Hat's
        // resource reservation capability, up to 32 bytes: "Bad config data:
        // i=0xa3" for another `mem-reserve`), except virtio's PCI
        // configuration access window (type 5), whose BAR, offset, length
        // and data the guest writes: only its length and type count there.
        0x09 => {
            let len = usize::from(config.get(at + 2).copied().unwrap_or(0)).max(3);
            let window = config.get(0..2) == Some(&VIRTIO_VENDOR[..])
                && config.get(at + 3) == Some(&VIRTIO_PCI_CAP_PCI_CFG);
            let len = if window { len.min(4) } else { len };
            vec![(2, len - 2, "vendor-specific capability")]
        }
        // PCI Express: capabilities, device, link and slot capabilities.
        // A port's slot capabilities (`pcie_cap_slot_init`: its `slot`
        // number, hot-plug capable and surprise bits from `hotplug`, power
        // and attention indicators) are read-only and QEMU compares them:
        // a root port with `hotplug=off` on one side fails with "Bad config
        // data: i=0x68" (slot capabilities of a capability at 0x54).
        0x10 => vec![
            (2, 2, "PCI Express capabilities"),
            (0x04, 4, "PCI Express device capabilities"),
            (0x0c, 4, "PCI Express link capabilities"),
            (0x14, 4, "PCI Express slot capabilities"),
            (0x24, 4, "PCI Express device capabilities 2"),
            (0x2c, 4, "PCI Express link capabilities 2"),
        ],
        // MSI-X: the table size's low byte (the control word's high byte
        // holds the guest's enable bits beside its top three bits), the
        // table and PBA locations.
        0x11 => vec![
            (2, 1, "MSI-X table size"),
            (4, 8, "MSI-X table and PBA location"),
        ],
        _ => Vec::new(),
    }
}

/// The read-only bytes in which `stream` and `dest` differ, first to last.
/// Both are whole configuration spaces (256 bytes, or 4096 for PCI Express).
#[must_use]
pub fn config_differences(stream: &[u8], dest: &[u8]) -> Vec<ConfigDifference> {
    let mut out = Vec::new();
    let mut compare = |offset: usize, len: usize, register: &str| {
        for i in offset..offset + len {
            if let (Some(&a), Some(&b)) = (stream.get(i), dest.get(i))
                && a != b
            {
                out.push(ConfigDifference {
                    offset: i,
                    register: register.to_owned(),
                    stream: a,
                    dest: b,
                });
            }
        }
    };
    for &(offset, len, register) in HEADER {
        compare(offset, len, register);
    }
    // The capability list, walked in DEST's bytes: QEMU compares only the
    // bytes its `cmask` marks, the header's and those of *its own device's*
    // capabilities (`pci_add_capability` and `pcie_add_capability` set
    // `cmask` over each one they add), so where the stream has a capability
    // that DEST's device lacks, at bytes no capability of DEST's covers,
    // QEMU takes the stream's bytes; where DEST has one the stream lacks, it
    // compares them. Each step at most once, so a looping list ends.
    let mut at = usize::from(dest.get(0x34).copied().unwrap_or(0) & !3);
    let mut seen = [false; 256];
    while (0x40..0x100).contains(&at) && !seen[at] {
        seen[at] = true;
        let id = dest.get(at).copied().unwrap_or(0);
        let name = format!("capability at 0x{at:02x}");
        compare(at, 2, &format!("{name}: id and next pointer"));
        for (offset, len, register) in capability_registers(id, dest, at) {
            compare(at + offset, len, &format!("{name}: {register}"));
        }
        at = usize::from(dest.get(at + 1).copied().unwrap_or(0) & !3);
    }
    extended_capabilities(dest, &mut compare);
    // Power management control/status: the power state, PME enable, data
    // select and PME status are the guest's, the rest is read-only and
    // compared (`No_Soft_Reset`, which virtio-pci's
    // `x-pcie-pm-no-soft-reset` sets: "Bad config data: i=0x80 read: 8
    // device: 0 ... wmask: 3").
    if let Some(at) = find_capability(dest, 0x01) {
        for (offset, mask) in [(at + 4, 0xfc_u8), (at + 5, 0x60)] {
            if let (Some(&a), Some(&b)) = (stream.get(offset), dest.get(offset))
                && (a ^ b) & mask != 0
            {
                out.push(ConfigDifference {
                    offset,
                    register: format!(
                        "capability at 0x{at:02x}: power management control/status (No_Soft_Reset, data scale)"
                    ),
                    stream: a,
                    dest: b,
                });
            }
        }
    }
    out.sort_by_key(|difference| difference.offset);
    out
}

/// Where capability `id` is in the capability list of `config`, walked at
/// most once per step, so a looping list ends.
pub(super) fn find_capability(config: &[u8], id: u8) -> Option<usize> {
    let mut at = usize::from(config.get(0x34).copied().unwrap_or(0) & !3);
    let mut seen = [false; 256];
    while (0x40..0x100).contains(&at) && !seen[at] {
        seen[at] = true;
        if config.get(at) == Some(&id) {
            return Some(at);
        }
        at = usize::from(config.get(at + 1).copied().unwrap_or(0) & !3);
    }
    None
}

/// How many entries a function's MSI-X table has (its capability's table
/// size field plus one), or `None` without MSI-X.
pub(super) fn msix_entries(config: &[u8]) -> Option<usize> {
    let at = find_capability(config, 0x11)?;
    let control = config.get(at + 2..at + 4)?;
    Some(usize::from(u16::from_le_bytes([control[0], control[1]]) & 0x7ff) + 1)
}

/// The difference QEMU finds in BAR 0, an I/O BAR of `dest_size` bytes in
/// DEST's device: a BAR's bits below its size are read-only (QEMU's
/// `pci_register_bar` leaves them out of `wmask` and compares them on load),
/// so an address the guest aligned to a smaller BAR of the source's device
/// is refused unless it happens to be aligned to DEST's size too. `None`
/// when BAR 0 is no I/O BAR in both or the address fits.
#[must_use]
pub(super) fn io_bar0_difference(
    stream: &[u8],
    dest: &[u8],
    stream_size: Option<u64>,
    dest_size: u64,
) -> Option<ConfigDifference> {
    let bar = |config: &[u8]| {
        config
            .get(0x10..0x14)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .filter(|bar| bar & 1 == 1)
    };
    let (ours, theirs) = (bar(stream)?, bar(dest)?);
    let mask = u32::try_from(dest_size.checked_sub(1)?).ok()?;
    let differ = (ours ^ theirs) & mask;
    if differ == 0 {
        return None;
    }
    let byte = usize::try_from(differ.trailing_zeros() / 8).unwrap_or(0);
    let sizes = match stream_size {
        Some(size) => format!("{size} bytes in the stream's device, {dest_size} in DEST's"),
        None => format!("{dest_size} bytes in DEST's device"),
    };
    Some(ConfigDifference {
        offset: 0x10 + byte,
        register: format!(
            "BAR 0, the legacy virtio I/O BAR: {sizes}, and the guest put it at 0x{:x}, \
             which is not a multiple of {dest_size}",
            ours & !3
        ),
        stream: stream[0x10 + byte],
        dest: dest[0x10 + byte],
    })
}

/// The difference QEMU finds in the expansion ROM BAR (0x30, or 0x38 in a
/// bridge's header) of a function whose option ROM is `dest_size` bytes in
/// DEST (QEMU rounds a ROM file up to a power of two, and its RAM block
/// `DEVICE_PATH/TYPE.rom` has that length): the BAR's bits below its size,
/// but for the enable bit, are read-only (`pci_register_bar` for
/// `PCI_ROM_SLOT`), so an address the firmware aligned to the source's
/// smaller ROM is refused ("Bad config data: i=0x32 read: ba device: 0" for
/// an `e1000` whose 128 KiB `pxe-e1000.rom` SeaBIOS put at 0xfeba0000,
/// loaded where its ROM is the 256 KiB `efi-e1000.rom`), even once `convert`
/// gave the stream DEST's image. `None` where the address fits.
#[must_use]
pub fn rom_bar_difference(
    stream: &[u8],
    dest: &[u8],
    stream_size: Option<u64>,
    dest_size: u64,
    block: &str,
) -> Option<ConfigDifference> {
    let at = match stream.get(0x0e)? & 0x7f {
        0 => 0x30,
        1 => 0x38,
        _ => return None,
    };
    let word = |config: &[u8]| {
        config
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let (ours, theirs) = (word(stream)?, word(dest)?);
    let mask = u32::try_from(dest_size.checked_sub(1)?).ok()? & !1;
    let differ = (ours ^ theirs) & mask;
    if differ == 0 {
        return None;
    }
    let byte = usize::try_from(differ.trailing_zeros() / 8).unwrap_or(0);
    let sizes = match stream_size {
        Some(size) if size != dest_size => {
            format!("{size} bytes in the stream, {dest_size} in DEST")
        }
        _ => format!("{dest_size} bytes in DEST"),
    };
    Some(ConfigDifference {
        offset: at + byte,
        register: format!(
            "expansion ROM BAR: the option ROM `{block}` is {sizes}, and the guest put it \
             at 0x{:x}, which is not a multiple of {dest_size}",
            ours & !0x7ff
        ),
        stream: stream[at + byte],
        dest: dest[at + byte],
    })
}

/// Red Hat's PCI vendor id, which every virtio-pci function carries.
const VIRTIO_VENDOR: [u8; 2] = [0xf4, 0x1a];

/// The type of virtio's PCI configuration access capability
/// (`VIRTIO_PCI_CAP_PCI_CFG`), a window whose fields the guest writes.
const VIRTIO_PCI_CAP_PCI_CFG: u8 = 5;

/// The memory BARs that a virtio-pci function's vendor-specific capabilities
/// (`struct virtio_pci_cap`: type at +3, BAR at +4, le32 offset at +8 and
/// length at +12) place its common, ISR, device and notification regions
/// in, each with its size: QEMU's `virtio_pci_realize` makes that BAR the
/// power of two at or above the end of the last region (the notification
/// region, whose length is `page-per-vq`'s multiplier times the queue
/// maximum: 4 MiB with `page-per-vq=on`, machine types 2.7 and older, else
/// 4 KiB). Other capability types (the configuration access window, shared
/// memory) and I/O BARs (`modern-pio-notify`) are left out.
fn virtio_memory_bars(config: &[u8]) -> Vec<(usize, u64)> {
    let mut bars: Vec<(usize, u64)> = Vec::new();
    if config.get(0..2) != Some(&VIRTIO_VENDOR[..]) {
        return bars;
    }
    let mut at = usize::from(config.get(0x34).copied().unwrap_or(0) & !3);
    let mut seen = [false; 256];
    while (0x40..0x100).contains(&at) && !seen[at] {
        seen[at] = true;
        let word = |offset: usize| {
            config
                .get(at + offset..at + offset + 4)
                .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
        };
        if config.get(at) == Some(&0x09)
            && config.get(at + 2).is_some_and(|&len| len >= 16)
            && config
                .get(at + 3)
                .is_some_and(|kind| (1..=4).contains(kind))
            && let (Some(&bar), Some(offset), Some(length)) =
                (config.get(at + 4), word(8), word(12))
            && bar < 6
        {
            let end = offset + length;
            match bars
                .iter_mut()
                .find(|(index, _)| *index == usize::from(bar))
            {
                Some((_, size)) => *size = (*size).max(end),
                None => bars.push((usize::from(bar), end)),
            }
        }
        at = usize::from(config.get(at + 1).copied().unwrap_or(0) & !3);
    }
    bars.retain_mut(|(bar, size)| {
        let register = config.get(0x10 + 4 * *bar).copied().unwrap_or(1);
        match size.checked_next_power_of_two() {
            Some(pow2) if register & 1 == 0 && pow2 > 0 => {
                *size = pow2;
                true
            }
            _ => false,
        }
    });
    bars
}

/// The difference QEMU finds in a virtio-pci function's memory BAR whose
/// size DEST's device has from its capabilities ([`virtio_memory_bars`]):
/// a BAR's bits below its size are read-only (`pci_register_bar` leaves
/// them out of `wmask`, and `cmask` covers them), so an address the guest
/// aligned to the source device's smaller BAR is refused unless it is
/// aligned to DEST's size too, and QEMU names the BAR's byte before any
/// capability's ("Bad config data: i=0x21" for BAR 4 of a `page-per-vq=on`
/// device, 8 MiB, that the guest put at 0x...8000). Empty where the
/// addresses fit or the function is no virtio one.
#[must_use]
pub fn virtio_memory_bar_differences(stream: &[u8], dest: &[u8]) -> Vec<ConfigDifference> {
    let ours = virtio_memory_bars(stream);
    let mut out = Vec::new();
    for (bar, dest_size) in virtio_memory_bars(dest) {
        let at = 0x10 + 4 * bar;
        let (Some(a), Some(b)) = (stream.get(at..at + 4), dest.get(at..at + 4)) else {
            continue;
        };
        let (a, b) = (
            u32::from_le_bytes([a[0], a[1], a[2], a[3]]),
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
        );
        let mask = u32::try_from(dest_size - 1).unwrap_or(u32::MAX);
        let differ = (a ^ b) & mask;
        if differ == 0 {
            continue;
        }
        let byte = usize::try_from(differ.trailing_zeros() / 8).unwrap_or(0);
        let sizes = match ours.iter().find(|(index, _)| *index == bar) {
            Some((_, size)) => {
                format!("{size} bytes in the stream's device, {dest_size} in DEST's")
            }
            None => format!("{dest_size} bytes in DEST's device"),
        };
        out.push(ConfigDifference {
            offset: at + byte,
            register: format!(
                "BAR {bar}, the virtio memory BAR its capabilities place their regions in: \
                 {sizes}, and the guest put it at 0x{:x}, which is not a multiple of {dest_size}",
                a & !0xf
            ),
            stream: stream[at + byte],
            dest: dest[at + byte],
        });
    }
    out
}

/// The first extended capability of a PCI Express function's 4096-byte
/// configuration space.
const EXTENDED_START: usize = 0x100;

/// Where extended capability `id` is in a PCI Express function's extended
/// capability list (see [`extended_capabilities`]), walked at most once per
/// step, so a looping list ends.
pub(super) fn find_extended_capability(config: &[u8], id: u16) -> Option<usize> {
    let mut at = EXTENDED_START;
    let mut seen = [false; 1024];
    while (EXTENDED_START..4096).contains(&at) && !seen[at / 4] {
        seen[at / 4] = true;
        let header = config
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .filter(|h| *h != 0 && *h != u32::MAX)?;
        if header & 0xffff == u32::from(id) {
            return Some(at);
        }
        at = usize::try_from(header >> 20).unwrap_or(0) & !3;
    }
    None
}

/// Walks the PCI Express extended capability list (a 32-bit little-endian
/// header at `EXTENDED_START`: id in bits 15:0, version in 19:16, the next
/// offset in 31:20), in DEST's bytes (QEMU's `cmask` covers DEST's own
/// capabilities, not the stream's: measured, a `virtio-net-pci,ats=on`
/// behind a root port loads where DEST's function has no ATS and so no
/// extended capability at all, and the function without ATS is refused
/// where DEST's has it, "Bad config data: i=0x100 read: 0 device: f", both
/// ways between 7.2 and 10.0), and compares what QEMU keeps read-only there: each header; ARI's capability register (its next
/// function number, which QEMU's `x-pcie-ari-nextfn-1` compat property
/// sets); and AER's uncorrectable error mask where DEST built it read-only.
/// QEMU 8.0 made that mask writable, with uncorrectable internal errors
/// masked at reset, behind `x-pcie-err-unc-mask`, off on machine types 7.2
/// and older; before 8.0 it was read-only 0. So a reference whose mask is 0
/// shows a read-only register (a paused reference never wrote it), and a
/// 10.0 stream of a 10.0 machine type (mask 0x02400000) renamed for 7.2
/// fails there: "Bad config data: i=0x10a read: 40 device: 0" for `e1000e`.
fn extended_capabilities(dest: &[u8], compare: &mut impl FnMut(usize, usize, &str)) {
    let dword = |config: &[u8], at: usize| {
        config
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    };
    let mut at = EXTENDED_START;
    // Headers are dword-aligned: each step at most once, so a looping list ends.
    let mut seen = [false; 1024];
    while (EXTENDED_START..4096).contains(&at) && !seen[at / 4] {
        seen[at / 4] = true;
        let Some(header) = dword(dest, at).filter(|h| *h != 0 && *h != u32::MAX) else {
            break;
        };
        let name = format!("extended capability at 0x{at:03x}");
        compare(at, 4, &format!("{name}: header"));
        match header & 0xffff {
            // AER: the uncorrectable error mask, at offset 8.
            0x0001 if dword(dest, at + 8) == Some(0) => {
                compare(at + 8, 4, &format!("{name}: AER uncorrectable error mask"));
            }
            // ARI: the capability register, at offset 4.
            0x000e => compare(at + 4, 2, &format!("{name}: ARI capability")),
            // ATS: the capability register, at offset 4 (invalidate queue
            // depth, page aligned request: virtio-pci's
            // `x-ats-page-aligned`, off on machine types 5.1 and older:
            // "Bad config data: i=0x104 read: 0 device: 20").
            0x000f => compare(at + 4, 2, &format!("{name}: ATS capability")),
            // ACS: the capability register, at offset 4.
            0x000d => compare(at + 4, 2, &format!("{name}: ACS capability")),
            // Device serial number: its eight bytes.
            0x0003 => compare(at + 4, 8, &format!("{name}: device serial number")),
            _ => {}
        }
        at = usize::try_from(header >> 20).unwrap_or(0) & !3;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Vec<u8> {
        let mut config = vec![0u8; 256];
        config[0x34] = 0x40;
        config[0x40] = 0x10; // PCI Express, next 0x60
        config[0x41] = 0x60;
        config[0x60] = 0x11; // MSI-X, last
        config
    }

    #[test]
    fn writable_registers_do_not_count() {
        let (a, mut b) = (config(), config());
        b[0x04] = 0x07; // command
        b[0x10] = 0xfe; // a BAR
        b[0x3c] = 0x0a; // interrupt line
        b[0x63] = 0xc0; // MSI-X enable and function mask (control, high byte)
        assert_eq!(config_differences(&a, &b), []);
    }

    /// Read-only, but outside QEMU's `cmask`: it loads the stream's.
    #[test]
    fn subsystem_ids_and_interrupt_pin_do_not_count() {
        let (a, mut b) = (config(), config());
        b[0x2c..0x30].copy_from_slice(&[0xf4, 0x1a, 0x34, 0x12]);
        b[0x3d] = 0x02;
        assert_eq!(config_differences(&a, &b), []);
    }

    #[test]
    fn read_only_registers_count_with_their_names() {
        let (a, mut b) = (config(), config());
        b[0x34] = 0x60;
        let found = config_differences(&a, &b);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].register, "capability pointer");
        let mut b = config();
        b[0x44] = 0x20; // PCI Express device capabilities
        let found = config_differences(&a, &b);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].register,
            "capability at 0x40: PCI Express device capabilities"
        );
        assert_eq!((found[0].stream, found[0].dest), (0, 0x20));
    }

    /// A 4096-byte space with AER at 0x100 (next 0x140) and ARI at 0x140.
    fn express() -> Vec<u8> {
        let mut config = config();
        config.resize(4096, 0);
        config[0x100..0x104].copy_from_slice(&0x1402_0001u32.to_le_bytes());
        config[0x140..0x144].copy_from_slice(&0x0001_000eu32.to_le_bytes());
        config
    }

    /// A root port's slot: `hotplug=off` clears its hot-plug bits, and the
    /// slot number lives in the top 13 bits.
    #[test]
    fn a_slot_built_otherwise_counts() {
        let (mut ours, mut theirs) = (config(), config());
        ours[0x54..0x58].copy_from_slice(&0x0008_001bu32.to_le_bytes());
        theirs[0x54..0x58].copy_from_slice(&0x0008_007bu32.to_le_bytes());
        let found = config_differences(&ours, &theirs);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].offset, found[0].register.as_str()),
            (0x54, "capability at 0x40: PCI Express slot capabilities")
        );
        theirs[0x54] = 0x1b;
        assert_eq!(config_differences(&ours, &theirs), []);
    }

    /// A bridge's resource reservation capability (32 bytes) is compared
    /// whole; virtio's configuration access window only by length and type.
    #[test]
    fn vendor_specific_capabilities_count_to_their_length() {
        let (mut ours, mut theirs) = (config(), config());
        ours[0x61] = 0x80; // MSI-X, next 0x80
        ours[0x80..0x84].copy_from_slice(&[0x09, 0x00, 0x20, 0x01]);
        theirs[0x61] = 0x80;
        theirs[0x80..0x84].copy_from_slice(&[0x09, 0x00, 0x20, 0x01]);
        ours[0x93] = 0x04; // mem-reserve=64M
        theirs[0x93] = 0x02; // 32M
        let found = config_differences(&ours, &theirs);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].offset, found[0].register.as_str()),
            (0x93, "capability at 0x80: vendor-specific capability")
        );
        // A virtio function's access window: the guest's BAR, offset,
        // length and data do not count.
        for config in [&mut ours, &mut theirs] {
            config[0..2].copy_from_slice(&VIRTIO_VENDOR);
            config[0x82..0x84].copy_from_slice(&[0x14, VIRTIO_PCI_CAP_PCI_CFG]);
        }
        ours[0x84] = 4;
        ours[0x88] = 0x10;
        assert_eq!(config_differences(&ours, &theirs), []);
    }

    #[test]
    fn an_msix_table_of_another_size_counts() {
        // `vectors=6` on one side, the default 4 on the other.
        let (mut ours, mut theirs) = (config(), config());
        ours[0x62] = 3;
        theirs[0x62] = 5;
        let found = config_differences(&ours, &theirs);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].register, "capability at 0x60: MSI-X table size");
    }

    #[test]
    fn a_read_only_aer_mask_and_ari_count() {
        // 10.0's device on a 10.0 machine type masks internal errors; 7.2's
        // mask is read-only 0.
        let (mut ours, theirs) = (express(), express());
        ours[0x10a] = 0x40;
        ours[0x145] = 0x01; // ARI next function number
        let found = config_differences(&ours, &theirs);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            (found[0].offset, found[0].register.as_str()),
            (
                0x10a,
                "extended capability at 0x100: AER uncorrectable error mask"
            )
        );
        assert_eq!(
            found[1].register,
            "extended capability at 0x140: ARI capability"
        );
        // Where DEST's mask is not 0 at reset, it is writable: only ARI differs.
        let back = config_differences(&theirs, &ours);
        assert_eq!(back.len(), 1, "{back:?}");
        assert_eq!(back[0].offset, 0x145);
        // A guest's writes to the status and control registers do not count.
        let mut ran = express();
        ran[0x104] = 0xff; // uncorrectable error status
        ran[0x118] = 0x0f; // AER capabilities and control
        assert_eq!(config_differences(&ran, &express()), []);
    }

    /// An I/O BAR at 0xc0a0 fits a 32-byte BAR, not a 64-byte one; at
    /// 0xc080 it fits both.
    #[test]
    fn an_io_bar_aligned_to_a_smaller_size_counts() {
        let mut ours = config();
        let mut theirs = config();
        ours[0x10..0x14].copy_from_slice(&0xc0a1u32.to_le_bytes());
        theirs[0x10..0x14].copy_from_slice(&1u32.to_le_bytes());
        let found = io_bar0_difference(&ours, &theirs, Some(32), 64).unwrap();
        assert_eq!((found.offset, found.stream, found.dest), (0x10, 0xa1, 0x01));
        assert!(found.register.contains("0xc0a0"), "{}", found.register);
        assert_eq!(io_bar0_difference(&ours, &theirs, Some(32), 32), None);
        ours[0x10..0x14].copy_from_slice(&0xc081u32.to_le_bytes());
        assert_eq!(io_bar0_difference(&ours, &theirs, Some(32), 64), None);
        // A memory BAR 0 is not this rule's.
        ours[0x10..0x14].copy_from_slice(&0xfebf_1000u32.to_le_bytes());
        theirs[0x10..0x14].copy_from_slice(&0u32.to_le_bytes());
        assert_eq!(io_bar0_difference(&ours, &theirs, None, 1 << 16), None);
    }

    /// A virtio-pci function with its four regions in BAR 4, the
    /// notification region `notify` bytes long at 0x3000.
    fn virtio(notify: u32, bar4: u32) -> Vec<u8> {
        let mut config = vec![0u8; 256];
        config[0..2].copy_from_slice(&VIRTIO_VENDOR);
        config[0x20..0x24].copy_from_slice(&bar4.to_le_bytes());
        config[0x34] = 0x98;
        for (i, (kind, offset, length)) in [
            (1u8, 0u32, 0x1000u32),
            (3, 0x1000, 0x1000),
            (4, 0x2000, 0x1000),
            (2, 0x3000, notify),
            (5, 0, 0),
        ]
        .into_iter()
        .enumerate()
        {
            let at = 0x98 - 0x14 * i;
            config[at] = 0x09;
            config[at + 1] = if i == 4 {
                0
            } else {
                u8::try_from(at - 0x14).unwrap()
            };
            config[at + 2] = if kind == 2 { 20 } else { 16 };
            config[at + 3] = kind;
            config[at + 4] = if kind == 5 { 0 } else { 4 };
            config[at + 8..at + 12].copy_from_slice(&offset.to_le_bytes());
            config[at + 12..at + 16].copy_from_slice(&length.to_le_bytes());
        }
        config
    }

    /// 16 KiB at 0xfe008000 fits no 8 MiB BAR (`page-per-vq=on`); an
    /// 8 MiB-aligned address fits both; the other way round it always fits.
    #[test]
    fn a_virtio_memory_bar_aligned_to_a_smaller_size_counts() {
        let ours = virtio(0x1000, 0xfe00_800c);
        let theirs = virtio(0x40_0000, 0x0c);
        assert_eq!(virtio_memory_bars(&ours), [(4, 0x4000)]);
        assert_eq!(virtio_memory_bars(&theirs), [(4, 0x80_0000)]);
        let found = virtio_memory_bar_differences(&ours, &theirs);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].offset, found[0].stream, found[0].dest),
            (0x21, 0x80, 0)
        );
        assert!(
            found[0].register.contains("0xfe008000"),
            "{}",
            found[0].register
        );
        assert!(
            found[0]
                .register
                .contains("16384 bytes in the stream's device, 8388608 in DEST's")
        );
        let aligned = virtio(0x1000, 0xfe80_000c);
        assert_eq!(virtio_memory_bar_differences(&aligned, &theirs), []);
        assert_eq!(virtio_memory_bar_differences(&theirs, &ours), []);
        // Not a virtio function: no rule.
        let mut other = theirs.clone();
        other[0] = 0x86;
        assert_eq!(virtio_memory_bar_differences(&ours, &other), []);
    }

    /// A 128 KiB ROM at 0xfeba0000 (enabled or not) fits no 256 KiB ROM
    /// BAR; at 0xfeb80000 it fits both.
    #[test]
    fn a_rom_bar_aligned_to_a_smaller_rom_counts() {
        let (mut ours, theirs) = (config(), config());
        ours[0x30..0x34].copy_from_slice(&0xfeba_0001u32.to_le_bytes());
        let found = rom_bar_difference(&ours, &theirs, Some(1 << 17), 1 << 18, "x.rom").unwrap();
        assert_eq!((found.offset, found.stream, found.dest), (0x32, 0xba, 0));
        assert!(found.register.contains("0xfeba0000"), "{}", found.register);
        assert_eq!(
            rom_bar_difference(&ours, &theirs, None, 1 << 17, "x.rom"),
            None
        );
        ours[0x30..0x34].copy_from_slice(&0xfeb8_0001u32.to_le_bytes());
        assert_eq!(
            rom_bar_difference(&ours, &theirs, None, 1 << 18, "x.rom"),
            None
        );
        // A bridge keeps its ROM BAR at 0x38.
        let (mut ours, theirs) = (config(), config());
        ours[0x0e] = 1;
        ours[0x38..0x3c].copy_from_slice(&0xfeba_0000u32.to_le_bytes());
        let found = rom_bar_difference(&ours, &theirs, None, 1 << 18, "x.rom").unwrap();
        assert_eq!(found.offset, 0x3a);
    }

    /// `No_Soft_Reset` (bit 3 of the power management control/status
    /// register) is read-only; the power state and PME bits are the guest's.
    #[test]
    fn no_soft_reset_counts_and_the_guests_bits_do_not() {
        let (mut ours, mut theirs) = (config(), config());
        for config in [&mut ours, &mut theirs] {
            config[0x61] = 0x80;
            config[0x80] = 0x01; // power management, last
        }
        ours[0x84] = 0x03; // D3hot
        ours[0x85] = 0x81; // PME status, PME enable
        assert_eq!(config_differences(&ours, &theirs), []);
        ours[0x84] = 0x0b;
        let found = config_differences(&ours, &theirs);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].offset, found[0].stream, found[0].dest),
            (0x84, 0x0b, 0)
        );
    }

    /// ATS's capability register (page aligned request, bit 5) counts; its
    /// control register (the guest's) does not.
    #[test]
    fn an_ats_capability_built_otherwise_counts() {
        let mut ours = config();
        ours.resize(4096, 0);
        ours[0x100..0x104].copy_from_slice(&0x0001_000fu32.to_le_bytes());
        let mut theirs = ours.clone();
        theirs[0x104] = 0x20;
        ours[0x107] = 0x80; // ATS enable
        let found = config_differences(&ours, &theirs);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            (found[0].offset, found[0].register.as_str()),
            (0x104, "extended capability at 0x100: ATS capability")
        );
    }

    /// QEMU compares the bytes of DEST's own capabilities: a capability
    /// only the stream's function has, where DEST's has none, is not
    /// compared; one only DEST's has is.
    #[test]
    fn only_dests_capabilities_count() {
        // `ats=on` in the stream, none in DEST: no extended capability there.
        let mut ats = config();
        ats.resize(4096, 0);
        ats[0x100..0x104].copy_from_slice(&0x0001_000fu32.to_le_bytes());
        ats[0x104] = 0x20;
        let mut plain = config();
        plain.resize(4096, 0);
        assert_eq!(config_differences(&ats, &plain), []);
        let found = config_differences(&plain, &ats);
        assert_eq!(found.first().map(|d| d.offset), Some(0x100), "{found:?}");
        assert_eq!(found[0].register, "extended capability at 0x100: header");
        // A standard capability that only the stream has after DEST's last:
        // DEST's last next pointer is compared (and differs), the stream's
        // capability itself is not.
        let (mut ours, theirs) = (config(), config());
        ours[0x61] = 0x80;
        ours[0x80] = 0x09;
        ours[0x82] = 0x10;
        let found = config_differences(&ours, &theirs);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].offset, 0x61);
    }

    #[test]
    fn a_looping_or_short_list_ends() {
        let mut a = config();
        a[0x61] = 0x40; // MSI-X points back at PCI Express
        assert_eq!(config_differences(&a, &a), []);
        assert_eq!(config_differences(&a[..0x50], &a), []);
    }
}
