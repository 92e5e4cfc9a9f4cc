//! The read-only bits of a PCI function's configuration space that machine
//! types decide (compat properties), so that a stream renamed to another
//! machine type is refused where DEST builds its function otherwise: QEMU
//! compares them on load (`get_pci_config_device`: "Bad config data").
//!
//! A reference shows DEST's function byte for byte; without one, `check`
//! predicts DEST's bytes from these rules, measured on every `pc-q35`
//! machine type of QEMU 7.2 and 10.0 (`vmstate-cli/tests/pci_defaults.rs`
//! compares the prediction with each next machine type's reference). A
//! function configured otherwise than its own machine type's default (a
//! property given on the command line) is taken to go to one configured
//! alike.

use super::pci::{find_capability, find_extended_capability};
use super::virtio_features::machine_version;

/// Which functions a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Devices {
    /// Every function that has the register.
    All,
    /// virtio-pci functions (sections named `virtio-*`).
    Virtio,
    /// The functions whose section is named so (the idstr's last part).
    Named(&'static str),
}

/// Where a rule's byte is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// At this offset of the header.
    Header(usize),
    /// At this offset of the PCI Express capability.
    Express(usize),
    /// At this offset of the PCI Express extended capability with this ID
    /// (AER 0x0001, ARI 0x000e, ATS 0x000f).
    Extended(u16, usize),
}

/// Bits of one configuration byte, by machine type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PciDefault {
    /// The functions it covers.
    pub devices: Devices,
    /// The machine type family it holds for (`pc-q35`), or `None` for
    /// every one: the `hw_compat_*` properties of all machines.
    pub family: Option<&'static str>,
    /// Its byte.
    pub at: Position,
    /// Its bits in that byte.
    pub mask: u8,
    /// The bits' value from each machine type version on, oldest first
    /// (the first from `(0, 0)`).
    pub steps: &'static [((u32, u32), u8)],
    /// The machine type version from which the guest may write the bits:
    /// QEMU compares them only where DEST's are read-only, and a stream's
    /// value there is the guest's, not a configuration.
    pub writable_since: Option<(u32, u32)>,
    /// What decides them, as the message names it.
    pub decided_by: &'static str,
}

impl PciDefault {
    /// The bits on machine type version `machine`.
    #[must_use]
    pub fn value_on(&self, machine: (u32, u32)) -> u8 {
        self.steps
            .iter()
            .rev()
            .find(|(since, _)| *since <= machine)
            .map_or(0, |(_, value)| *value)
    }

    /// Whether it covers the functions of sections named `device`.
    #[must_use]
    pub fn covers(&self, device: &str) -> bool {
        match self.devices {
            Devices::All => true,
            Devices::Virtio => device.starts_with("virtio-"),
            Devices::Named(name) => device == name,
        }
    }

    /// Whether it holds for machine type `machine`.
    #[must_use]
    pub fn holds_on(&self, machine: &str) -> bool {
        self.family.is_none_or(|family| {
            machine
                .strip_prefix(family)
                .is_some_and(|rest| rest.starts_with('-'))
        })
    }

    /// Where its byte is in `config`, when the function has it.
    #[must_use]
    pub fn offset(&self, config: &[u8]) -> Option<usize> {
        let offset = match self.at {
            Position::Header(offset) => offset,
            Position::Express(offset) => find_capability(config, 0x10)? + offset,
            Position::Extended(id, offset) => find_extended_capability(config, id)? + offset,
        };
        (offset < config.len()).then_some(offset)
    }
}

/// The rules, by the compat property that decides each.
pub static PCI_DEFAULTS: &[PciDefault] = &[
    // hw_compat_9_1: `x-pcie-ext-tag` off for every PCI device: the device
    // capabilities' Extended Tag Field Supported (bit 5). Measured: a 10.0
    // `pc-q35-10.0` guest renamed `pc-q35-7.2` fails on 7.2 with "Bad config
    // data: i=0x58 read: 20 device: 0" (a root port's).
    PciDefault {
        devices: Devices::All,
        family: None,
        at: Position::Express(4),
        mask: 0x20,
        steps: &[((0, 0), 0), ((9, 2), 0x20)],
        writable_since: None,
        decided_by: "Extended Tag Field Supported, `x-pcie-ext-tag`",
    },
    // hw_compat_7_2: `x-pcie-err-unc-mask` off: from 8.0 AER's
    // uncorrectable error mask is writable and masks uncorrectable internal
    // errors (bit 22) and header log overflow (bit 25) at reset; before, it
    // is read-only 0, which QEMU compares.
    PciDefault {
        devices: Devices::All,
        family: None,
        at: Position::Extended(0x0001, 0x0a),
        mask: 0x40,
        steps: &[((0, 0), 0), ((8, 0), 0x40)],
        writable_since: Some((8, 0)),
        decided_by: "AER uncorrectable error mask, `x-pcie-err-unc-mask`",
    },
    PciDefault {
        devices: Devices::All,
        family: None,
        at: Position::Extended(0x0001, 0x0b),
        mask: 0x02,
        steps: &[((0, 0), 0), ((8, 0), 0x02)],
        writable_since: Some((8, 0)),
        decided_by: "AER uncorrectable error mask, `x-pcie-err-unc-mask`",
    },
    // hw_compat_4_1: virtio-pci `x-pcie-flr-init` off: the device
    // capabilities' Function Level Reset (bit 28).
    PciDefault {
        devices: Devices::Virtio,
        family: None,
        at: Position::Express(7),
        mask: 0x10,
        steps: &[((0, 0), 0), ((4, 2), 0x10)],
        writable_since: None,
        decided_by: "Function Level Reset, `x-pcie-flr-init`",
    },
    // hw_compat_3_1: `pcie-root-port` `x-speed` 2.5 GT/s and `x-width` 1
    // (and `disable-acs`): link capabilities 0x11 up to 3.1, 16 GT/s and
    // 32 lanes (0x04, then 0x06...) from 4.0.
    PciDefault {
        devices: Devices::Named("pcie-root-port"),
        family: None,
        at: Position::Express(0x0c),
        mask: 0xff,
        steps: &[((0, 0), 0x11), ((4, 0), 0x04)],
        writable_since: None,
        decided_by: "link capabilities, `x-speed` and `x-width`",
    },
    // Machine type `pc-q35-6.1` alone builds `pcie-root-port` with QEMU's
    // resource reserve capability first (at 0x90): measured on 7.2 and
    // 10.0, both ways between 6.0, 6.1 and 6.2 ("Bad config data: i=0x34
    // read: 54 device: 90"); `virt-6.1`'s is as 6.0's.
    PciDefault {
        devices: Devices::Named("pcie-root-port"),
        family: Some("pc-q35"),
        at: Position::Header(0x34),
        mask: 0xff,
        steps: &[((0, 0), 0x54), ((6, 1), 0x90), ((6, 2), 0x54)],
        writable_since: None,
        decided_by: "its capability list, as machine type 6.1 alone builds it",
    },
    // hw_compat_5_1: virtio-pci `x-ats-page-aligned` off: ATS's capability
    // register's Page Aligned Request (bit 5), where the function has ATS
    // (`ats=on`). Measured on Arm `virt` with 7.2 and 10.0.2: a
    // `virtio-net-pci,ats=on` behind a root port renamed between `virt-5.2`
    // and `virt-5.1` is refused both ways ("Bad config data: i=0x104 read:
    // 20 device: 0").
    PciDefault {
        devices: Devices::Virtio,
        family: None,
        at: Position::Extended(0x000f, 4),
        mask: 0x20,
        steps: &[((0, 0), 0), ((5, 2), 0x20)],
        writable_since: None,
        decided_by: "ATS Page Aligned Request, `x-ats-page-aligned`",
    },
    // hw_compat_8_1: igb `x-pcie-flr-init` off: the device capabilities'
    // Function Level Reset (bit 28). Measured on 10.0.2 (`virt`): renamed
    // between 8.2 and 8.1 both ways ("Bad config data: i=0xa7 read: 10
    // device: 0").
    PciDefault {
        devices: Devices::Named("igb"),
        family: None,
        at: Position::Express(7),
        mask: 0x10,
        steps: &[((0, 0), 0), ((8, 2), 0x10)],
        writable_since: None,
        decided_by: "Function Level Reset, `x-pcie-flr-init`",
    },
    // hw_compat_8_0: `x-pcie-ari-nextfn-1` on: ARI's next function number
    // (the capability register's second byte) is 1 on machine types 8.0
    // and older, 0 from 8.1 (`pcie_ari_init`). Measured on 10.0.2
    // (`virt`): an igb renamed between 8.1 and 8.0 both ways ("Bad config
    // data: i=0x155 read: 0 device: 1").
    PciDefault {
        devices: Devices::All,
        family: None,
        at: Position::Extended(0x000e, 5),
        mask: 0xff,
        steps: &[((0, 0), 1), ((8, 1), 0)],
        writable_since: None,
        decided_by: "ARI next function number, `x-pcie-ari-nextfn-1`",
    },
];

/// DEST's configuration space as its machine type `machine` builds the
/// function that the stream's `config` (of a section named `device`, built
/// on `written_on`, or on `machine` when the stream is not renamed) came
/// from: the stream's bytes, with the bits of every rule that its own
/// machine type built by default (or that the guest may write) replaced by
/// DEST's; and, where DEST's `release` is known, the bits that no
/// configuration of that release builds (a property newer than it: a 10.0
/// function's Extended Tag on 7.2, even in a stream renamed by hand, which
/// does not say where it was written). `None` where nothing is replaced,
/// or where a machine type has no version.
#[must_use]
pub fn dest_config(
    device: &str,
    config: &[u8],
    written_on: Option<&str>,
    machine: &str,
    release: Option<(u32, u32)>,
) -> Option<(Vec<u8>, Vec<&'static PciDefault>)> {
    let dest = machine_version(machine)?;
    let source = machine_version(written_on.unwrap_or(machine))?;
    let mut predicted = config.to_vec();
    let mut applied = Vec::new();
    let holds = |rule: &&PciDefault| {
        rule.covers(device)
            && rule.holds_on(machine)
            && rule.holds_on(written_on.unwrap_or(machine))
    };
    for rule in PCI_DEFAULTS.iter().filter(holds) {
        let Some(offset) = rule.offset(config) else {
            continue;
        };
        let ours = config[offset] & rule.mask;
        let by_default = ours == rule.value_on(source)
            || rule.writable_since.is_some_and(|since| source >= since);
        let unbuildable = release.is_some_and(|release| {
            !rule
                .steps
                .iter()
                .any(|(since, value)| *since <= release && *value == ours)
        });
        let theirs = rule.value_on(dest);
        if (by_default || unbuildable) && ours != theirs {
            predicted[offset] = (config[offset] & !rule.mask) | theirs;
            applied.push(rule);
        }
    }
    (!applied.is_empty()).then_some((predicted, applied))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PCI Express function with AER at 0x100, as machine type
    /// `version` builds it by these rules.
    fn function(version: (u32, u32)) -> Vec<u8> {
        let mut config = vec![0u8; 4096];
        config[0x34] = 0x40;
        config[0x40] = 0x10; // PCI Express, last
        config[0x100..0x104].copy_from_slice(&0x0001_0001u32.to_le_bytes());
        for rule in PCI_DEFAULTS.iter().filter(|rule| rule.covers("e1000e")) {
            if let Some(offset) = rule.offset(&config) {
                config[offset] |= rule.value_on(version);
            }
        }
        config
    }

    #[test]
    fn a_function_renamed_across_a_rule_gets_dest_bits() {
        let ten = function((10, 0));
        let renamed = |from, to| dest_config("e1000e", &ten, from, to, Some((10, 0)));
        let (dest, rules) = renamed(Some("pc-q35-10.0"), "pc-q35-7.2").unwrap();
        assert_eq!(dest, function((7, 2)));
        assert_eq!(rules.len(), 3, "{rules:?}");
        assert!(renamed(None, "pc-q35-10.0").is_none());
        assert!(renamed(Some("pc-q35-10.0"), "pc-q35-9.2").is_none());
        // Renamed by hand: where it was written is not known, but no
        // configuration of 7.2 builds those bits.
        assert!(renamed(None, "pc-q35-7.2").is_none());
        let (dest, _) = dest_config("e1000e", &ten, None, "pc-q35-7.2", Some((7, 2))).unwrap();
        assert_eq!(dest, function((7, 2)));
    }

    /// A function configured otherwise than its machine type's default is
    /// taken to go to one configured alike; bits the guest writes are its
    /// own.
    #[test]
    fn a_function_configured_otherwise_keeps_its_bits() {
        let mut ext_tag_off = function((10, 0));
        ext_tag_off[0x44] &= !0x20;
        let (dest, rules) = dest_config(
            "e1000e",
            &ext_tag_off,
            Some("pc-q35-10.0"),
            "pc-q35-7.2",
            Some((10, 0)),
        )
        .unwrap();
        assert_eq!(dest[0x44] & 0x20, 0);
        assert!(rules.iter().all(|rule| rule.at != Position::Express(4)));
        // The guest cleared the AER mask bits: they equal 7.2's.
        let mut cleared = ext_tag_off.clone();
        cleared[0x10a] = 0;
        cleared[0x10b] = 0;
        let to_7_2 =
            |config| dest_config("e1000e", config, Some("pc-q35-10.0"), "pc-q35-7.2", None);
        assert!(to_7_2(&cleared).is_none());
    }

    #[test]
    fn steps_give_each_machine_type_its_value() {
        let root_port = PCI_DEFAULTS
            .iter()
            .find(|rule| rule.at == Position::Header(0x34))
            .unwrap();
        assert_eq!(root_port.value_on((6, 0)), 0x54);
        assert_eq!(root_port.value_on((6, 1)), 0x90);
        assert_eq!(root_port.value_on((10, 0)), 0x54);
        assert!(!root_port.covers("e1000e"));
        assert!(root_port.holds_on("pc-q35-6.1"));
        assert!(!root_port.holds_on("virt-6.1"));
        assert!(!root_port.holds_on("pc-q35x-6.1"));
    }

    /// ATS's and ARI's registers are found by their extended capability's
    /// ID, and each rule covers its own functions.
    #[test]
    fn extended_capabilities_other_than_aer_are_found() {
        // PCI Express at 0x40; ARI at 0x100, then ATS at 0x150.
        let mut config = vec![0u8; 4096];
        config[0x34] = 0x40;
        config[0x40] = 0x10;
        config[0x100..0x104].copy_from_slice(&0x1501_000eu32.to_le_bytes());
        config[0x105] = 1; // next function 1: machine type 8.0 and older
        config[0x150..0x154].copy_from_slice(&0x0001_000fu32.to_le_bytes());
        config[0x154] = 0x20; // page aligned requests: 5.2 and later
        config[0x47] = 0x10; // FLR: igb on 8.2 and later, virtio on 4.2
        let offsets = |device, from, to| {
            dest_config(device, &config, Some(from), to, Some((10, 0)))
                .map(|(dest, _)| {
                    (0..config.len())
                        .filter(|&i| dest[i] != config[i])
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        };
        assert_eq!(offsets("virtio-net", "virt-8.0", "virt-5.1"), [0x154]);
        assert_eq!(offsets("igb", "virt-8.0", "virt-8.1"), [0x105]);
        assert_eq!(offsets("virtio-net", "virt-8.0", "virt-8.1"), [0x105]);
        // igb's FLR on 8.0 is configured (its default there is off).
        assert_eq!(offsets("igb", "virt-8.0", "virt-7.2"), Vec::<usize>::new());
    }
}
