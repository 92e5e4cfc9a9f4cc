//! Read-only registers of a PCI Express function that QEMU builds from its
//! release and the machine type (compat properties), not from the guest,
//! and compares on load (`get_pci_config_device`: "Bad config data"). A
//! machine-type rename keeps the source's device, so a stream renamed
//! across the machine type that changed the default is refused, as is a
//! stream for a release that never builds the register so. Each rule is
//! from QEMU's source and was measured on Arm `virt` with QEMU 7.2 and
//! 10.0.2 ([`RULES`]).

use super::facts::{SectionFacts, StreamFacts};
use super::obstacle::Obstacle;
use super::pci::{find_capability, find_extended_capability};
use super::virtio_features::machine_version;

/// Where a register is.
#[derive(Debug, Clone, Copy)]
enum Locator {
    /// At this offset of the PCI Express capability.
    Express(usize),
    /// At this offset of the extended capability with this ID.
    Extended(u16, usize),
}

/// Which functions a rule is about, by the last part of their section's
/// idstr.
#[derive(Debug, Clone, Copy)]
enum Devices {
    /// Every PCI device (a property of `TYPE_PCI_DEVICE`).
    All,
    /// Those whose name starts so (`virtio-`: the virtio-pci proxies).
    Prefix(&'static str),
    /// This one.
    Named(&'static str),
}

/// A property whose default a machine type decides and that sets bits of a
/// read-only register.
#[derive(Debug)]
struct Rule {
    register: Locator,
    /// The register's name, as the obstacle gives it.
    name: &'static str,
    /// The bits the property decides, in the little-endian register.
    mask: u32,
    /// What they hold on machine types before `since`.
    old: u32,
    /// What they hold from `since` on.
    new: u32,
    devices: Devices,
    /// The property, as `-global` names it.
    property: &'static str,
    /// The compat array that gives older machine types the old default.
    compat: &'static str,
    /// The first machine type version with the new default.
    since: (u32, u32),
    /// The first release with the new default, where an older one always
    /// builds the old.
    release: Option<(u32, u32)>,
    /// Whether the new default also makes the register writable, which
    /// QEMU then does not compare: only a stream's register built so where
    /// DEST's holds the old value is refused.
    writable_when_new: bool,
}

/// The rules, from QEMU's source and measured on Arm `virt` (each by a
/// stream renamed without a reference that QEMU refused and `check`
/// called loadable):
///
/// - `pcie_cap_v1_fill` (QEMU 9.2) sets Extended Tag Field Supported where
///   `x-pcie-ext-tag` is on: a `qemu-xhci` built on `virt-10.0` is refused
///   on `virt-7.2` by QEMU 7.2 and 10.0.2 ("Bad config data: i=0xa4 read:
///   20 device: 0"), the other way round by 10.0.2 ("read: 0 device: 20").
/// - `pcie_aer_init` (QEMU 8.0) makes AER's uncorrectable error mask
///   writable, 0x02400000 at reset, where `x-pcie-err-unc-mask` is on;
///   otherwise, and in every device of QEMU 7.2, it is read-only 0: a
///   `pcie-root-port` built on `virt-8.0` is refused on `virt-7.2` by both
///   ("read: 40 device: 0"); the other way loads.
/// - virtio-pci's `x-ats-page-aligned` sets ATS's Page Aligned Request bit:
///   a `virtio-net-pci,ats=on` behind a root port renamed between `virt-5.2`
///   and `virt-5.1` is refused both ways ("Bad config data: i=0x104").
/// - igb's `x-pcie-flr-init` sets Function Level Reset Capability: an
///   `igb` renamed between `virt-8.2` and `virt-8.1` is refused both ways
///   by 10.0.2 ("Bad config data: i=0xa7 read: 10 device: 0").
/// - `pcie_ari_init` (QEMU 8.1) gives ARI's next function number as 1
///   where `x-pcie-ari-nextfn-1` is on (machine types 8.0 and older), 0
///   otherwise: an `igb` renamed between `virt-8.1` and `virt-8.0` is
///   refused by 10.0.2 ("Bad config data: i=0x155 read: 0 device: 1").
/// - virtio-pci's `x-pcie-flr-init` (off in `hw_compat_4_1`): a
///   `virtio-net-pci` behind a root port renamed between `virt-4.2` and
///   `virt-4.1` is refused both ways by 7.2 ("Bad config data: i=0x47 read:
///   0 device: 10").
/// - `pcie-root-port`'s `x-speed` and `x-width` (2.5 GT/s and x1 in
///   `hw_compat_4_0`, 16 GT/s and x32 after, with link reporting): renamed
///   between `virt-4.0` and `virt-3.1` it is refused both ways by 7.2 ("Bad
///   config data: i=0x60 read: 11 device: 4").
const RULES: &[Rule] = &[
    Rule {
        register: Locator::Express(4),
        name: "PCI Express device capabilities, bit 5: Extended Tag Field Supported",
        mask: 1 << 5,
        old: 0,
        new: 1 << 5,
        devices: Devices::All,
        property: "x-pcie-ext-tag",
        compat: "hw_compat_9_1",
        since: (9, 2),
        release: Some((9, 2)),
        writable_when_new: false,
    },
    Rule {
        register: Locator::Extended(0x0001, 8),
        name: "AER uncorrectable error mask",
        mask: u32::MAX,
        old: 0,
        new: (1 << 22) | (1 << 25),
        devices: Devices::All,
        property: "x-pcie-err-unc-mask",
        compat: "hw_compat_7_2",
        since: (8, 0),
        release: Some((8, 0)),
        writable_when_new: true,
    },
    Rule {
        register: Locator::Extended(0x000f, 4),
        name: "ATS capability, bit 5: Page Aligned Request",
        mask: 1 << 5,
        old: 0,
        new: 1 << 5,
        devices: Devices::Prefix("virtio-"),
        property: "x-ats-page-aligned",
        compat: "hw_compat_5_1",
        since: (5, 2),
        release: None,
        writable_when_new: false,
    },
    Rule {
        register: Locator::Express(4),
        name: "PCI Express device capabilities, bit 28: Function Level Reset Capability",
        mask: 1 << 28,
        old: 0,
        new: 1 << 28,
        devices: Devices::Named("igb"),
        property: "x-pcie-flr-init",
        compat: "hw_compat_8_1",
        since: (8, 2),
        release: None,
        writable_when_new: false,
    },
    Rule {
        register: Locator::Express(4),
        name: "PCI Express device capabilities, bit 28: Function Level Reset Capability",
        mask: 1 << 28,
        old: 0,
        new: 1 << 28,
        devices: Devices::Prefix("virtio-"),
        property: "x-pcie-flr-init",
        compat: "hw_compat_4_1",
        since: (4, 2),
        release: None,
        writable_when_new: false,
    },
    Rule {
        register: Locator::Extended(0x000e, 4),
        name: "ARI capability: next function number",
        mask: 0xff << 8,
        old: 1 << 8,
        new: 0,
        devices: Devices::All,
        property: "x-pcie-ari-nextfn-1",
        compat: "hw_compat_8_0",
        since: (8, 1),
        release: None,
        writable_when_new: false,
    },
    Rule {
        register: Locator::Express(0xc),
        name: "PCI Express link capabilities: speed, width, link reporting",
        mask: 0x0030_03ff,
        old: 0x0000_0011,
        new: 0x0030_0204,
        devices: Devices::Named("pcie-root-port"),
        property: "x-speed` and `x-width",
        compat: "hw_compat_4_0",
        since: (4, 0),
        release: None,
        writable_when_new: false,
    },
];

/// What DEST's release and machine type build otherwise than the
/// section's PCI Express function has it, one obstacle per register.
#[must_use]
pub fn differences(
    section: &SectionFacts,
    stream: &StreamFacts,
    release: Option<(u32, u32)>,
) -> Vec<Obstacle> {
    RULES
        .iter()
        .filter_map(|rule| difference(rule, section, stream, release))
        .collect()
}

/// One rule's register where DEST builds it otherwise: always where DEST's
/// `release` predates the property and the stream's register has its bits,
/// and on a rename (`stream.written_on`) where the stream's device has its
/// own machine type's default and DEST's machine type's default differs. A
/// device built otherwise than its own machine type's default was
/// configured (`-global PROPERTY=...`), and DEST's guest is taken to be
/// started alike; without a rename nothing tells that apart, and a
/// reference shows DEST's device.
fn difference(
    rule: &Rule,
    section: &SectionFacts,
    stream: &StreamFacts,
    release: Option<(u32, u32)>,
) -> Option<Obstacle> {
    let device = section.idstr.rsplit('/').next()?;
    let applies = match rule.devices {
        Devices::All => true,
        Devices::Prefix(prefix) => device.starts_with(prefix),
        Devices::Named(name) => device == name,
    };
    if !applies {
        return None;
    }
    let config = section.pci_config.as_deref()?;
    let at = match rule.register {
        Locator::Express(offset) => find_capability(config, 0x10)? + offset,
        Locator::Extended(id, offset) => find_extended_capability(config, id)? + offset,
    };
    let bytes: [u8; 4] = config.get(at..at + 4)?.try_into().ok()?;
    let value = u32::from_le_bytes(bytes);
    let held = value & rule.mask;
    // Built with the new default: a writable register holds whatever the
    // guest wrote, and only the old default's read-only value tells.
    let new = if rule.writable_when_new {
        held != rule.old
    } else if held == rule.new {
        true
    } else if held == rule.old {
        false
    } else {
        // Configured otherwise than either default (`x-speed=8`): DEST's
        // guest is taken to be started alike.
        return None;
    };
    let (dest_new, why) = dest_build(rule, stream, release, new)?;
    let refused = if rule.writable_when_new {
        new && !dest_new
    } else {
        new != dest_new
    };
    if !refused {
        return None;
    }
    let dest = ((value & !rule.mask) | if dest_new { rule.new } else { rule.old }).to_le_bytes();
    // QEMU compares byte by byte and names the first that differs.
    let byte = (0..4).find(|&i| bytes[i] != dest[i])?;
    Some(Obstacle::MachinePciConfig {
        idstr: section.idstr.clone(),
        instance_id: section.instance_id,
        offset: at + byte,
        register: rule.name,
        stream: bytes[byte],
        dest: dest[byte],
        why,
    })
}

/// Whether DEST builds the register with the rule's new default, and why,
/// where its release or a rename decides it.
fn dest_build(
    rule: &Rule,
    stream: &StreamFacts,
    release: Option<(u32, u32)>,
    new: bool,
) -> Option<(bool, String)> {
    let property = rule.property;
    if let Some((major, minor)) = rule.release
        && release.is_some_and(|r| r < (major, minor))
    {
        return Some((
            false,
            format!("DEST's release never builds it so (QEMU {major}.{minor} added `{property}`)"),
        ));
    }
    let machine = stream.machine.as_deref()?;
    let written_on = stream.written_on.as_deref()?;
    // Built otherwise than its own machine type's default: configured so,
    // and DEST's guest is taken to be started alike (a writable register
    // holding the old value may also be one the guest wrote).
    let source_new = machine_version(written_on)? >= rule.since;
    if new != source_new && (new || !rule.writable_when_new) {
        return None;
    }
    let dest_new = machine_version(machine)? >= rule.since;
    let (major, minor) = rule.since;
    Some((
        dest_new,
        format!(
            "the device was built for machine type `{written_on}`, and DEST's `{machine}` \
             builds it with the {} default (`{property}`, another default on machine types \
             before {major}.{minor}: {})",
            if dest_new { "newer" } else { "older" },
            rule.compat
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PCI Express endpoint's configuration: the capability list at
    /// 0x34 points to a PCI Express capability at 0xa0.
    fn section(ext_tag: bool) -> SectionFacts {
        let mut config = vec![0u8; 256];
        config[0x34] = 0xa0;
        config[0xa0] = 0x10;
        config[0xa4] = if ext_tag { 0x20 } else { 0 };
        SectionFacts {
            pci_config: Some(config),
            ..SectionFacts::new(&crate::stream::SectionInfo {
                idstr: "0000:00:01.0/xhci".into(),
                instance_id: 0,
                version_id: 1,
            })
        }
    }

    fn ext_tag_difference(
        section: &SectionFacts,
        stream: &StreamFacts,
        release: Option<(u32, u32)>,
    ) -> Option<Obstacle> {
        difference(&RULES[0], section, stream, release)
    }

    fn unc_mask_difference(
        section: &SectionFacts,
        stream: &StreamFacts,
        release: Option<(u32, u32)>,
    ) -> Option<Obstacle> {
        difference(&RULES[1], section, stream, release)
    }

    fn stream(machine: &str, written_on: Option<&str>) -> StreamFacts {
        StreamFacts {
            machine: Some(machine.into()),
            written_on: written_on.map(Into::into),
            ..StreamFacts::default()
        }
    }

    #[test]
    fn a_release_before_9_2_refuses_the_bit() {
        let found = ext_tag_difference(&section(true), &stream("virt-7.2", None), Some((7, 2)));
        let Some(Obstacle::MachinePciConfig {
            offset,
            stream: ours,
            dest,
            ..
        }) = found
        else {
            panic!("{found:?}");
        };
        assert_eq!((offset, ours, dest), (0xa4, 0x20, 0));
        assert_eq!(
            ext_tag_difference(&section(false), &stream("virt-7.2", None), Some((7, 2))),
            None
        );
    }

    #[test]
    fn a_rename_across_9_2_is_refused_either_way() {
        let renamed = |bit, machine, from| {
            ext_tag_difference(&section(bit), &stream(machine, Some(from)), Some((10, 0))).is_some()
        };
        assert!(renamed(true, "virt-9.1", "virt-10.0"));
        assert!(renamed(false, "virt-10.0", "virt-7.2"));
        assert!(!renamed(true, "virt-9.2", "virt-10.0"));
        assert!(!renamed(false, "virt-9.1", "virt-7.2"));
        // Configured against its own machine type's default: started alike.
        assert!(!renamed(false, "virt-9.1", "virt-10.0"));
    }

    #[test]
    fn without_a_rename_or_a_pcie_capability_nothing_is_said() {
        assert_eq!(
            ext_tag_difference(&section(true), &stream("virt-9.1", None), Some((10, 0))),
            None
        );
        let mut plain = section(true);
        plain.pci_config.as_mut().unwrap()[0x34] = 0;
        assert_eq!(
            ext_tag_difference(&plain, &stream("virt-7.2", None), Some((7, 2))),
            None
        );
        let mut short = section(true);
        short.pci_config.as_mut().unwrap().truncate(0xa4);
        assert_eq!(
            ext_tag_difference(&short, &stream("virt-7.2", None), Some((7, 2))),
            None
        );
    }

    /// A PCI Express function whose AER capability, the first extended
    /// one, has uncorrectable error mask `mask`.
    fn with_aer(mask: u32) -> SectionFacts {
        let mut facts = section(false);
        let config = facts.pci_config.as_mut().unwrap();
        config.resize(4096, 0);
        config[0x100..0x104].copy_from_slice(&0x0002_0001u32.to_le_bytes());
        config[0x108..0x10c].copy_from_slice(&mask.to_le_bytes());
        facts
    }

    #[test]
    fn a_set_uncorrectable_error_mask_is_refused_where_dest_keeps_it_read_only() {
        let masked = with_aer(0x0240_0000);
        let found = unc_mask_difference(&masked, &stream("virt-7.2", None), Some((7, 2)));
        let Some(Obstacle::MachinePciConfig {
            offset,
            stream: ours,
            dest,
            ..
        }) = found
        else {
            panic!("{found:?}");
        };
        // QEMU names the first byte that differs: "i=0x10a read: 40".
        assert_eq!((offset, ours, dest), (0x10a, 0x40, 0));
        let renamed = |machine, from| {
            unc_mask_difference(&masked, &stream(machine, Some(from)), Some((10, 0))).is_some()
        };
        assert!(renamed("virt-7.2", "virt-8.0"));
        assert!(!renamed("virt-8.0", "virt-10.0"));
        // Built writable on a machine type before 8.0: configured so.
        assert!(!renamed("virt-7.1", "virt-7.2"));
        // Not renamed on a release that has the property: started alike.
        assert_eq!(
            unc_mask_difference(&masked, &stream("virt-7.2", None), Some((10, 0))),
            None
        );
        // A mask of 0 loads whatever DEST builds.
        assert_eq!(
            unc_mask_difference(&with_aer(0), &stream("virt-7.2", None), Some((7, 2))),
            None
        );
        assert_eq!(
            differences(&masked, &stream("virt-7.2", None), Some((7, 2))).len(),
            1
        );
    }

    #[test]
    fn device_rules_apply_to_their_devices_only() {
        // An ATS capability (the second extended one) with Page Aligned
        // Request, on a virtio-pci function and on another.
        let with_ats = |idstr: &str| {
            let mut facts = with_aer(0);
            facts.idstr = idstr.into();
            let config = facts.pci_config.as_mut().unwrap();
            config[0x100..0x104].copy_from_slice(&0x2002_0001u32.to_le_bytes());
            config[0x200..0x204].copy_from_slice(&0x0001_000fu32.to_le_bytes());
            config[0x204] = 0x20;
            facts
        };
        let renamed = stream("virt-5.1", Some("virt-5.2"));
        let found = differences(
            &with_ats("0000:00:01.0:00.0/virtio-net"),
            &renamed,
            Some((10, 0)),
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(matches!(
            found[0],
            Obstacle::MachinePciConfig {
                offset: 0x204,
                stream: 0x20,
                dest: 0,
                ..
            }
        ));
        assert_eq!(
            differences(&with_ats("0000:00:01.0:00.0/igb"), &renamed, Some((10, 0))),
            []
        );
        // igb's Function Level Reset Capability, bit 28: byte 0xa7.
        let mut igb = section(false);
        igb.idstr = "0000:00:01.0:00.0/igb".into();
        igb.pci_config.as_mut().unwrap()[0xa7] = 0x10;
        let found = differences(&igb, &stream("virt-8.1", Some("virt-8.2")), Some((10, 0)));
        assert!(
            matches!(found[..], [Obstacle::MachinePciConfig { offset: 0xa7, .. }]),
            "{found:?}"
        );
        let mut xhci = igb.clone();
        xhci.idstr = "0000:00:01.0/xhci".into();
        assert_eq!(
            differences(&xhci, &stream("virt-8.1", Some("virt-8.2")), Some((10, 0))),
            []
        );
    }

    #[test]
    fn aris_next_function_is_one_on_the_older_machine_types() {
        // An ARI capability, the first extended one, next function 1.
        let mut ari = with_aer(0);
        let config = ari.pci_config.as_mut().unwrap();
        config[0x100..0x104].copy_from_slice(&0x0001_000eu32.to_le_bytes());
        config[0x104..0x108].copy_from_slice(&0x0000_0100u32.to_le_bytes());
        config[0x108..0x10c].fill(0);
        let renamed =
            |machine, from| differences(&ari, &stream(machine, Some(from)), Some((10, 0)));
        assert!(
            matches!(
                renamed("virt-8.1", "virt-8.0")[..],
                [Obstacle::MachinePciConfig {
                    offset: 0x105,
                    stream: 1,
                    dest: 0,
                    ..
                }]
            ),
            "{:?}",
            renamed("virt-8.1", "virt-8.0")
        );
        assert_eq!(renamed("virt-7.2", "virt-8.0"), []);
        // Next function 1 on 8.1: configured so, and DEST started alike.
        assert_eq!(renamed("virt-8.0", "virt-8.1"), []);
    }

    #[test]
    fn a_root_ports_link_follows_its_machine_type() {
        // A root port's link capabilities at 0xac: 2.5 GT/s, x1, ASPM L0s.
        let mut port = section(false);
        port.idstr = "0000:00:01.0/pcie-root-port".into();
        port.pci_config.as_mut().unwrap()[0xac..0xb0]
            .copy_from_slice(&0x0000_0411u32.to_le_bytes());
        let renamed = |port: &SectionFacts, machine, from| {
            differences(port, &stream(machine, Some(from)), Some((7, 2)))
        };
        let found = renamed(&port, "virt-4.0", "virt-3.1");
        assert!(
            matches!(
                found[..],
                [Obstacle::MachinePciConfig {
                    offset: 0xac,
                    stream: 0x11,
                    dest: 0x04,
                    ..
                }]
            ),
            "{found:?}"
        );
        assert_eq!(renamed(&port, "virt-3.1", "virt-3.0"), []);
        // Configured otherwise than either default: started alike.
        port.pci_config.as_mut().unwrap()[0xac] = 0x13;
        assert_eq!(renamed(&port, "virt-4.0", "virt-3.1"), []);
    }
}
