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
        // MSI-X: table and PBA locations (the control word holds the
        // guest's enable bits beside the table size).
        0x11 => vec![(4, 8, "MSI-X table and PBA location")],
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
    out.sort_by_key(|difference| difference.offset);
    out
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
        b[0x62] = 0x80; // MSI-X enable
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

    #[test]
    fn a_looping_or_short_list_ends() {
        let mut a = config();
        a[0x61] = 0x40; // MSI-X points back at PCI Express
        assert_eq!(config_differences(&a, &a), []);
        assert_eq!(config_differences(&a[..0x50], &a), []);
    }
}
