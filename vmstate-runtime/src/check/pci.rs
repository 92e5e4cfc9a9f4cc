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

/// Header bytes every function keeps as its model set them.
const HEADER: &[(usize, usize, &str)] = &[
    (0x00, 4, "vendor and device id"),
    (0x08, 4, "revision and class code"),
    (0x0e, 1, "header type"),
    (0x34, 1, "capability pointer"),
    (0x3d, 1, "interrupt pin"),
];

/// Subsystem ids, in type-0 headers only (bridges keep other registers there).
const SUBSYSTEM: (usize, usize, &str) = (0x2c, 4, "subsystem ids");

/// The read-only registers of a capability, as (offset in it, length, name).
fn capability_registers(id: u8, config: &[u8], at: usize) -> Vec<(usize, usize, &'static str)> {
    match id {
        // Power management: PMC.
        0x01 => vec![(2, 2, "power management capabilities")],
        // Vendor-specific (virtio-pci's capabilities): length, type, BAR,
        // offset and length of the region; bytes after 16 may be writable
        // (virtio's PCI configuration access window).
        0x09 => {
            let len = usize::from(config.get(at + 2).copied().unwrap_or(0)).clamp(3, 16);
            vec![(2, len - 2, "vendor-specific capability")]
        }
        // PCI Express: capabilities, device, link and slot capabilities.
        0x10 => vec![
            (2, 2, "PCI Express capabilities"),
            (0x04, 4, "PCI Express device capabilities"),
            (0x0c, 4, "PCI Express link capabilities"),
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
    // Header layout 0 in the low 7 bits (bit 7 says multi-function).
    if stream
        .get(0x0e)
        .is_some_and(|header| header.trailing_zeros() >= 7)
    {
        let (offset, len, register) = SUBSYSTEM;
        compare(offset, len, register);
    }
    // The capability list, walked in the stream's bytes; each step at most
    // once, so a looping list ends.
    let mut at = usize::from(stream.get(0x34).copied().unwrap_or(0) & !3);
    let mut seen = [false; 256];
    while (0x40..0x100).contains(&at) && !seen[at] {
        seen[at] = true;
        let id = stream.get(at).copied().unwrap_or(0);
        let name = format!("capability at 0x{at:02x}");
        compare(at, 2, &format!("{name}: id and next pointer"));
        for (offset, len, register) in capability_registers(id, stream, at) {
            compare(at + offset, len, &format!("{name}: {register}"));
        }
        at = usize::from(stream.get(at + 1).copied().unwrap_or(0) & !3);
    }
    extended_capabilities(stream, dest, &mut compare);
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

/// The first extended capability of a PCI Express function's 4096-byte
/// configuration space.
const EXTENDED_START: usize = 0x100;

/// Walks the PCI Express extended capability list (a 32-bit little-endian
/// header at `EXTENDED_START`: id in bits 15:0, version in 19:16, the next
/// offset in 31:20), in the stream's bytes, and compares what QEMU keeps
/// read-only there: each header; ARI's capability register (its next
/// function number, which QEMU's `x-pcie-ari-nextfn-1` compat property
/// sets); and AER's uncorrectable error mask where DEST built it read-only.
/// QEMU 8.0 made that mask writable, with uncorrectable internal errors
/// masked at reset, behind `x-pcie-err-unc-mask`, off on machine types 7.2
/// and older; before 8.0 it was read-only 0. So a reference whose mask is 0
/// shows a read-only register (a paused reference never wrote it), and a
/// 10.0 stream of a 10.0 machine type (mask 0x02400000) renamed for 7.2
/// fails there: "Bad config data: i=0x10a read: 40 device: 0" for `e1000e`.
fn extended_capabilities(stream: &[u8], dest: &[u8], compare: &mut impl FnMut(usize, usize, &str)) {
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
        let Some(header) = dword(stream, at).filter(|h| *h != 0 && *h != u32::MAX) else {
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

    #[test]
    fn read_only_registers_count_with_their_names() {
        let (a, mut b) = (config(), config());
        b[0x34] = 0x60;
        b[0x44] = 0x20; // PCI Express device capabilities
        let found = config_differences(&a, &b);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0].register, "capability pointer");
        assert_eq!(
            found[1].register,
            "capability at 0x40: PCI Express device capabilities"
        );
        assert_eq!((found[1].stream, found[1].dest), (0, 0x20));
    }

    /// A 4096-byte space with AER at 0x100 (next 0x140) and ARI at 0x140.
    fn express() -> Vec<u8> {
        let mut config = config();
        config.resize(4096, 0);
        config[0x100..0x104].copy_from_slice(&0x1402_0001u32.to_le_bytes());
        config[0x140..0x144].copy_from_slice(&0x0001_000eu32.to_le_bytes());
        config
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

    #[test]
    fn a_looping_or_short_list_ends() {
        let mut a = config();
        a[0x61] = 0x40; // MSI-X points back at PCI Express
        assert_eq!(config_differences(&a, &a), []);
        assert_eq!(config_differences(&a[..0x50], &a), []);
    }
}
