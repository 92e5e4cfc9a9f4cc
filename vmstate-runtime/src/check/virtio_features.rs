//! Virtio features that a guest's driver negotiated and that DEST's device
//! may not offer.
//!
//! QEMU's `virtio_load` takes the features the guest driver accepted
//! (`guest_features`, its low 32 bits in the device's `virtio` blob and all
//! 64 in the `virtio/64bit_features` subsection) and refuses any that its
//! own device does not offer (`virtio_set_features_nocheck`: "Features 0x...
//! unsupported. Allowed features: 0x..."). What a device offers is its
//! release's, less what the machine type's compat properties turn off: a
//! guest that ran on a newer machine type and negotiated such a feature is
//! refused on an older one, which is what `vmstate convert --machine` makes.
//! No dump and no reference shows this (a paused reference's driver
//! negotiated nothing), so the features that compat properties decide are
//! listed here, from QEMU's `hw_compat_*` arrays.

/// A feature whose offer depends on the machine type or the release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VirtioFeature {
    /// The feature bit.
    pub bit: u32,
    /// Its name in the virtio specification (and in QEMU's
    /// `x-query-virtio-status`).
    pub name: &'static str,
    /// The devices that offer it, as the last part of their section's idstr
    /// (`virtio-net`, `virtio-console` for virtio-serial); empty for every
    /// virtio device.
    pub devices: &'static [&'static str],
    /// Why its offer changes: the QEMU property that the compat property
    /// sets.
    pub property: &'static str,
    /// The first machine type version that offers it.
    pub since: (u32, u32),
    /// The last machine type version that offers it, for a feature newer
    /// machine types no longer offer.
    pub until: Option<(u32, u32)>,
    /// The first release that has it.
    pub release: (u32, u32),
}

impl VirtioFeature {
    /// Whether a device of `release` offers it on machine type version
    /// `machine` (`None`: a machine type without compat properties, such as
    /// `microvm`, offers what the release does).
    #[must_use]
    pub fn offered(&self, release: Option<(u32, u32)>, machine: Option<(u32, u32)>) -> bool {
        release.is_none_or(|release| release >= self.release)
            && machine.is_none_or(|machine| {
                machine >= self.since && self.until.is_none_or(|until| machine <= until)
            })
    }

    /// Whether a section of device `device` can carry it.
    #[must_use]
    pub fn applies_to(&self, device: &str) -> bool {
        self.devices.is_empty() || self.devices.contains(&device)
    }

    /// Where QEMU offers it, for a reason.
    #[must_use]
    pub fn offered_where(&self) -> String {
        let version = |(major, minor): (u32, u32)| format!("{major}.{minor}");
        let machines = match self.until {
            Some(until) => format!("on machine types up to {}", version(until)),
            None => format!("on machine types {} and later", version(self.since)),
        };
        format!("`{}`, {machines}", self.property)
    }
}

/// The features whose offer the machine type or the release decides, newest
/// first. Measured with each release's `x-query-virtio-status` on every
/// `pc-i440fx` and Arm `virt` machine type it runs
/// (`vmstate-cli/tests/virtio_features.rs` checks that this list is what the
/// releases offer), except the USO features, which a device offers only
/// with a backend that has them (a tap device; the same test has both
/// releases refuse them renamed).
pub static VIRTIO_FEATURES: &[VirtioFeature] = &[
    // hw_compat_8_1: virtio-net's `host_uso`, `guest_uso4`, `guest_uso6`
    // off (the features came with QEMU 8.2).
    VirtioFeature {
        bit: 54,
        name: "VIRTIO_NET_F_GUEST_USO4",
        devices: &["virtio-net"],
        property: "guest_uso4",
        since: (8, 2),
        until: None,
        release: (8, 2),
    },
    VirtioFeature {
        bit: 55,
        name: "VIRTIO_NET_F_GUEST_USO6",
        devices: &["virtio-net"],
        property: "guest_uso6",
        since: (8, 2),
        until: None,
        release: (8, 2),
    },
    VirtioFeature {
        bit: 56,
        name: "VIRTIO_NET_F_HOST_USO",
        devices: &["virtio-net"],
        property: "host_uso",
        since: (8, 2),
        until: None,
        release: (8, 2),
    },
    // hw_compat_7_1: every virtio device's `queue_reset` off (QEMU 7.2 added
    // it). Linux negotiates it from 6.0 on.
    VirtioFeature {
        bit: 40,
        name: "VIRTIO_F_RING_RESET",
        devices: &[],
        property: "queue_reset",
        since: (7, 2),
        until: None,
        release: (7, 2),
    },
    // hw_compat_5_0: virtio-balloon's `page-poison` off.
    VirtioFeature {
        bit: 4,
        name: "VIRTIO_BALLOON_F_PAGE_POISON",
        devices: &["virtio-balloon"],
        property: "page-poison",
        since: (5, 1),
        until: None,
        release: (5, 1),
    },
    // hw_compat_4_0: virtio-gpu's `edid` off.
    VirtioFeature {
        bit: 1,
        name: "VIRTIO_GPU_F_EDID",
        devices: &["virtio-gpu"],
        property: "edid",
        since: (4, 1),
        until: None,
        release: (4, 1),
    },
    // hw_compat_3_1: virtio-blk's `discard` and `write-zeroes` off.
    VirtioFeature {
        bit: 13,
        name: "VIRTIO_BLK_F_DISCARD",
        devices: &["virtio-blk"],
        property: "discard",
        since: (4, 0),
        until: None,
        release: (4, 0),
    },
    VirtioFeature {
        bit: 14,
        name: "VIRTIO_BLK_F_WRITE_ZEROES",
        devices: &["virtio-blk"],
        property: "write-zeroes",
        since: (4, 0),
        until: None,
        release: (4, 0),
    },
    // hw_compat_2_7: virtio-serial's `emergency-write` off.
    VirtioFeature {
        bit: 2,
        name: "VIRTIO_CONSOLE_F_EMERG_WRITE",
        devices: &["virtio-console"],
        property: "emergency-write",
        since: (2, 8),
        until: None,
        release: (2, 8),
    },
    // hw_compat_2_6: `disable-modern` on for the devices that have a legacy
    // interface: no virtio 1.0, and with it virtio-blk offers the legacy
    // SCSI commands and no longer ANY_LAYOUT (`virtio_blk_get_features`).
    VirtioFeature {
        bit: 32,
        name: "VIRTIO_F_VERSION_1",
        devices: &[
            "virtio-net",
            "virtio-blk",
            "virtio-scsi",
            "virtio-balloon",
            "virtio-rng",
            "virtio-console",
        ],
        property: "disable-modern",
        since: (2, 7),
        until: None,
        release: (2, 7),
    },
    VirtioFeature {
        bit: 27,
        name: "VIRTIO_F_ANY_LAYOUT",
        devices: &["virtio-blk"],
        property: "disable-modern",
        since: (2, 7),
        until: None,
        release: (2, 7),
    },
    VirtioFeature {
        bit: 7,
        name: "VIRTIO_BLK_F_SCSI",
        devices: &["virtio-blk"],
        property: "disable-modern",
        since: (0, 0),
        until: Some((2, 6)),
        release: (0, 0),
    },
    // hw_compat_2_3 and pc_compat_2_1, 2_0, 1_7, 1_5 and 1_4: `any_layout`
    // off per device, virtio-net's `guest_announce` and
    // `ctrl_guest_offloads` off.
    VirtioFeature {
        bit: 27,
        name: "VIRTIO_F_ANY_LAYOUT",
        devices: &["virtio-balloon", "virtio-console", "virtio-rng"],
        property: "any_layout",
        since: (2, 4),
        until: None,
        release: (2, 4),
    },
    VirtioFeature {
        bit: 27,
        name: "VIRTIO_F_ANY_LAYOUT",
        devices: &["virtio-scsi"],
        property: "any_layout",
        since: (2, 2),
        until: None,
        release: (2, 2),
    },
    VirtioFeature {
        bit: 21,
        name: "VIRTIO_NET_F_GUEST_ANNOUNCE",
        devices: &["virtio-net"],
        property: "guest_announce",
        since: (2, 1),
        until: None,
        release: (2, 1),
    },
    VirtioFeature {
        bit: 27,
        name: "VIRTIO_F_ANY_LAYOUT",
        devices: &["virtio-net"],
        property: "any_layout",
        since: (1, 6),
        until: None,
        release: (1, 6),
    },
    VirtioFeature {
        bit: 2,
        name: "VIRTIO_NET_F_CTRL_GUEST_OFFLOADS",
        devices: &["virtio-net"],
        property: "ctrl_guest_offloads",
        since: (1, 5),
        until: None,
        release: (1, 5),
    },
];

/// How many MSI-X vectors a virtio-pci device has by default, where the
/// machine type decides (its `vectors` compat property): `before` on the
/// machine types older than `since`, `from` from it on. QEMU compares the
/// MSI-X capability (its presence, the table size) with its own device's
/// (`get_pci_config_device`: "Bad config data"), so a guest renamed across
/// `since` is refused. Measured with each release's paused guests on every
/// `pc-i440fx` and `virt` machine type it runs, one vCPU and the devices'
/// defaults (`vmstate-cli/tests/virtio_features.rs`); virtio-blk's and
/// virtio-scsi's vectors follow their queue count, which from 5.2 on
/// follows the vCPU count, so a reference shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MsixDefault {
    /// The device, as the last part of its section's idstr.
    pub device: &'static str,
    /// The first machine type version with `from` vectors.
    pub since: (u32, u32),
    /// The vectors before it (0: no MSI-X capability).
    pub before: usize,
    /// The vectors from it on.
    pub from: usize,
}

impl MsixDefault {
    /// The vectors on machine type version `machine`.
    #[must_use]
    pub fn on(&self, machine: (u32, u32)) -> usize {
        if machine >= self.since {
            self.from
        } else {
            self.before
        }
    }
}

/// The devices whose MSI-X vectors machine types decide, newest first.
pub static MSIX_DEFAULTS: &[MsixDefault] = &[
    // hw_compat_9_2: virtio-balloon-pci `vectors` 0.
    MsixDefault {
        device: "virtio-balloon",
        since: (10, 0),
        before: 0,
        from: 2,
    },
    // hw_compat_7_1: virtio-rng-pci `vectors` 0.
    MsixDefault {
        device: "virtio-rng",
        since: (7, 2),
        before: 0,
        from: 2,
    },
    // hw_compat_5_2: virtio-net-pci `vectors` 3 (one queue pair and the
    // control queue take 4 from 6.0 on).
    MsixDefault {
        device: "virtio-net",
        since: (6, 0),
        before: 3,
        from: 4,
    },
];

/// The MSI-X vectors DEST's device has on machine type `machine` where the
/// stream's device, with `vectors` of them, was built with its own machine
/// type's default (`written_on`, or `machine` when the stream is not
/// renamed), and DEST's default differs: `(DEST's vectors, the rule)`.
/// `None` where they agree, where the machine type has no version, or
/// where the stream's device was configured otherwise than its default (a
/// reference shows DEST's).
#[must_use]
pub fn msix_difference(
    device: &str,
    vectors: usize,
    written_on: Option<&str>,
    machine: &str,
) -> Option<(usize, MsixDefault)> {
    let rule = MSIX_DEFAULTS.iter().find(|rule| rule.device == device)?;
    let dest = machine_version(machine)?;
    let source = machine_version(written_on.unwrap_or(machine))?;
    (vectors == rule.on(source) && vectors != rule.on(dest)).then_some((rule.on(dest), *rule))
}

/// The features among `guest` (what the driver of a section of device
/// `device` negotiated) that DEST's device does not offer: `release` is
/// DEST's (`None` when unknown), `machine` the machine type it runs the
/// stream on.
#[must_use]
pub fn not_offered(
    device: &str,
    guest: u64,
    release: Option<(u32, u32)>,
    machine: Option<&str>,
) -> Vec<VirtioFeature> {
    let machine = machine.and_then(machine_version);
    VIRTIO_FEATURES
        .iter()
        .filter(|f| f.applies_to(device) && guest & (1 << f.bit) != 0)
        .filter(|f| !f.offered(release, machine))
        .copied()
        .collect()
}

/// A machine type's version: `pc-q35-7.2` is (7, 2); `None` for one without
/// (`microvm`, `isapc`, an alias such as `pc`).
#[must_use]
pub fn machine_version(machine: &str) -> Option<(u32, u32)> {
    let (_, version) = machine.rsplit_once('-')?;
    let (major, minor) = version.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RING_RESET: u64 = 1 << 40;
    const VERSION_1: u64 = 1 << 32;

    #[test]
    fn a_feature_turned_off_on_an_older_machine_type_is_named() {
        let guest = VERSION_1 | RING_RESET;
        let off = not_offered("virtio-net", guest, Some((7, 2)), Some("pc-q35-7.1"));
        assert_eq!(off.len(), 1, "{off:?}");
        assert_eq!(off[0].name, "VIRTIO_F_RING_RESET");
        assert_eq!(
            off[0].offered_where(),
            "`queue_reset`, on machine types 7.2 and later"
        );
        assert_eq!(
            not_offered("virtio-net", guest, Some((7, 2)), Some("pc-q35-7.2")),
            []
        );
        assert_eq!(
            not_offered("virtio-blk", guest, Some((10, 0)), Some("virt-8.0")),
            []
        );
        // A machine type without compat properties offers the release's.
        assert_eq!(
            not_offered("virtio-net", guest, Some((7, 2)), Some("microvm")),
            []
        );
    }

    #[test]
    fn a_release_without_the_feature_does_not_offer_it_on_any_machine_type() {
        let uso = 1 << 56;
        let off = not_offered("virtio-net", uso, Some((7, 2)), Some("pc-q35-7.2"));
        assert_eq!(off.len(), 1);
        assert_eq!(off[0].name, "VIRTIO_NET_F_HOST_USO");
        assert_eq!(
            not_offered("virtio-net", uso, Some((10, 0)), Some("pc-q35-8.2")),
            []
        );
        assert_eq!(
            not_offered("virtio-net", uso, Some((10, 0)), Some("pc-q35-8.1")).len(),
            1
        );
    }

    #[test]
    fn features_of_other_devices_and_later_machine_types_do_not_count() {
        // Bit 13 is virtio-blk's DISCARD, and something else elsewhere.
        let discard = 1 << 13;
        assert_eq!(
            not_offered("virtio-net", discard, None, Some("pc-i440fx-3.1")),
            []
        );
        assert_eq!(
            not_offered("virtio-blk", discard, None, Some("pc-i440fx-3.1")).len(),
            1
        );
        // Legacy SCSI commands are offered only up to 2.6.
        let scsi = 1 << 7;
        let off = not_offered("virtio-blk", scsi, None, Some("pc-i440fx-2.7"));
        assert_eq!(off.len(), 1);
        assert_eq!(
            off[0].offered_where(),
            "`disable-modern`, on machine types up to 2.6"
        );
        assert_eq!(
            not_offered("virtio-blk", scsi, None, Some("pc-i440fx-2.6")),
            []
        );
    }

    #[test]
    fn msix_vectors_by_machine_type() {
        let (vectors, rule) =
            msix_difference("virtio-balloon", 2, Some("pc-i440fx-10.0"), "pc-i440fx-7.2").unwrap();
        assert_eq!((vectors, rule.since), (0, (10, 0)));
        assert_eq!(
            msix_difference("virtio-balloon", 0, Some("pc-i440fx-9.2"), "pc-i440fx-7.2"),
            None
        );
        // Configured otherwise than its machine type's default: not said.
        assert_eq!(
            msix_difference("virtio-net", 8, Some("pc-q35-7.2"), "pc-q35-5.2"),
            None
        );
        assert_eq!(
            msix_difference("virtio-net", 4, Some("pc-q35-7.2"), "pc-q35-5.2").map(|d| d.0),
            Some(3)
        );
        assert_eq!(msix_difference("virtio-blk", 2, None, "pc-q35-5.1"), None);
        assert_eq!(msix_difference("virtio-rng", 2, None, "microvm"), None);
    }

    #[test]
    fn machine_versions() {
        assert_eq!(machine_version("pc-i440fx-10.0"), Some((10, 0)));
        assert_eq!(machine_version("virt-2.6"), Some((2, 6)));
        assert_eq!(machine_version("microvm"), None);
        assert_eq!(machine_version("pc"), None);
    }
}
