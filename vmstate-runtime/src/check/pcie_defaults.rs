//! Read-only registers of a PCI Express function that QEMU builds from its
//! release and the machine type (compat properties of every PCI device),
//! not from the guest, and compares on load (`get_pci_config_device`:
//! "Bad config data"). A machine-type rename keeps the source's device, so
//! a stream renamed across the machine type that changed the default is
//! refused, as is a stream for a release that never builds the register so.
//!
//! - The Extended Tag Field Supported bit of the device capabilities
//!   (`PCI_EXP_DEVCAP_EXT_TAG`, bit 5 of the register at offset 4 of the
//!   PCI Express capability). QEMU 9.2's `pcie_cap_v1_fill` sets it where
//!   the device has `x-pcie-ext-tag` on, its default; `hw_compat_9_1` turns
//!   the property off on machine types 9.1 and older; QEMU before 9.2 never
//!   sets it. Measured: a `qemu-xhci` built on `virt-10.0` is refused on
//!   `virt-7.2` ("Bad config data: i=0xa4 read: 20 device: 0") by QEMU 7.2
//!   and 10.0.2, and the other way round by 10.0.2 ("read: 0 device: 20").
//! - AER's uncorrectable error mask (offset 8 of the AER extended
//!   capability). QEMU 8.0's `pcie_aer_init` makes it writable with
//!   uncorrectable internal errors and TLP prefix blocked masked at reset
//!   (0x02400000) where the device has `x-pcie-err-unc-mask` on, its
//!   default; `hw_compat_7_2` turns it off, and then, as in every device of
//!   QEMU 7.2, the register is read-only 0. Measured: a `pcie-root-port`
//!   built on `virt-8.0` is refused on `virt-7.2` by 10.0.2 and 7.2 ("Bad
//!   config data: i=0x10a read: 40 device: 0"); the other way DEST's mask is
//!   writable, which QEMU does not compare, and the stream loads.

use super::facts::{SectionFacts, StreamFacts};
use super::obstacle::Obstacle;
use super::pci::{find_capability, find_extended_capability};
use super::virtio_features::machine_version;

/// The PCI Express capability's ID.
const PCI_CAP_ID_EXP: u8 = 0x10;
/// The device capabilities register's offset in that capability.
const DEVCAP: usize = 4;
/// Extended Tag Field Supported, in the register's low byte.
const EXT_TAG: u8 = 0x20;
/// The first release, and the first machine type version, that sets it.
const SINCE: (u32, u32) = (9, 2);
/// The register's name, as the obstacle gives it.
const REGISTER: &str = "PCI Express device capabilities, bit 5: Extended Tag Field Supported";

/// AER's extended capability ID.
const AER: u16 = 0x0001;
/// The uncorrectable error mask's offset in that capability.
const UNCOR_MASK: usize = 8;
/// The first release, and the first machine type version, whose devices
/// have a writable mask with bits set at reset.
const UNC_MASK_SINCE: (u32, u32) = (8, 0);
/// The register's name, as the obstacle gives it.
const UNC_MASK_REGISTER: &str = "AER uncorrectable error mask";

/// What DEST's release and machine type build otherwise than the
/// section's PCI Express function has it (see the module's notes).
#[must_use]
pub fn differences(
    section: &SectionFacts,
    stream: &StreamFacts,
    release: Option<(u32, u32)>,
) -> Vec<Obstacle> {
    ext_tag_difference(section, stream, release)
        .into_iter()
        .chain(unc_mask_difference(section, stream, release))
        .collect()
}

/// AER's uncorrectable error mask where DEST builds it read-only 0 and the
/// stream's is not 0: always where DEST's `release` predates 8.0, and on a
/// rename from a machine type 8.0 or later (`stream.written_on`) to one
/// before it. A mask that is not 0 was built writable; on a machine type
/// before 8.0 that is `-global x-pcie-err-unc-mask=on`, and DEST's guest is
/// started alike. A mask of 0 loads either way: DEST's read-only 0, or a
/// writable register QEMU does not compare.
fn unc_mask_difference(
    section: &SectionFacts,
    stream: &StreamFacts,
    release: Option<(u32, u32)>,
) -> Option<Obstacle> {
    let config = section.pci_config.as_deref()?;
    let at = find_extended_capability(config, AER)? + UNCOR_MASK;
    let mask = config.get(at..at + 4)?;
    // QEMU compares byte by byte and names the first that differs.
    let byte = mask.iter().position(|b| *b != 0)?;
    let why = if release.is_some_and(|r| r < UNC_MASK_SINCE) {
        "DEST's release builds it read-only 0 (QEMU 8.0 added `x-pcie-err-unc-mask`)".to_owned()
    } else {
        let machine = stream.machine.as_deref()?;
        let written_on = stream.written_on.as_deref()?;
        if machine_version(written_on)? < UNC_MASK_SINCE
            || machine_version(machine)? >= UNC_MASK_SINCE
        {
            return None;
        }
        format!(
            "the device was built for machine type `{written_on}`, and DEST's `{machine}` \
             builds it read-only 0 (`x-pcie-err-unc-mask`, off for every PCI device on machine \
             types before {}.{}: hw_compat_7_2)",
            UNC_MASK_SINCE.0, UNC_MASK_SINCE.1
        )
    };
    Some(Obstacle::MachinePciConfig {
        idstr: section.idstr.clone(),
        instance_id: section.instance_id,
        offset: at + byte,
        register: UNC_MASK_REGISTER,
        stream: mask[byte],
        dest: 0,
        why,
    })
}

/// The section's PCI Express device capabilities where DEST builds the
/// Extended Tag bit otherwise: always where DEST's `release` predates it,
/// and on a machine type rename where the stream's device has the default
/// of the machine type it was written on (`stream.written_on`) and DEST's
/// machine type's default differs. A device whose bit differs from its
/// own machine type's default was configured (`-global x-pcie-ext-tag`),
/// and DEST's guest is started alike; without a rename nothing tells that
/// apart, and a reference shows DEST's device.
fn ext_tag_difference(
    section: &SectionFacts,
    stream: &StreamFacts,
    release: Option<(u32, u32)>,
) -> Option<Obstacle> {
    let config = section.pci_config.as_deref()?;
    let offset = find_capability(config, PCI_CAP_ID_EXP)? + DEVCAP;
    let byte = *config.get(offset)?;
    let in_stream = byte & EXT_TAG != 0;
    let (dest, why) = dest_bit(stream, release, in_stream)?;
    (dest != in_stream).then(|| Obstacle::MachinePciConfig {
        idstr: section.idstr.clone(),
        instance_id: section.instance_id,
        offset,
        register: REGISTER,
        stream: byte,
        dest: if dest {
            byte | EXT_TAG
        } else {
            byte & !EXT_TAG
        },
        why,
    })
}

/// DEST's bit and why, where its release or a rename decides it.
fn dest_bit(
    stream: &StreamFacts,
    release: Option<(u32, u32)>,
    in_stream: bool,
) -> Option<(bool, String)> {
    if release.is_some_and(|r| r < SINCE) {
        return Some((
            false,
            "DEST's release never sets it (QEMU 9.2 added `x-pcie-ext-tag`)".to_owned(),
        ));
    }
    let machine = stream.machine.as_deref()?;
    let source = machine_version(stream.written_on.as_deref()?)?;
    let dest = machine_version(machine)? >= SINCE;
    // Configured otherwise than its own machine type's default: DEST's
    // guest is started with the same property.
    if in_stream != (source >= SINCE) {
        return None;
    }
    Some((
        dest,
        format!(
            "the device was built for machine type `{}`, and DEST's `{machine}` builds it \
             {} the bit (`x-pcie-ext-tag`, off for every PCI device on machine types before \
             {}.{}: hw_compat_9_1)",
            stream.written_on.as_deref().unwrap_or_default(),
            if dest { "with" } else { "without" },
            SINCE.0,
            SINCE.1
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
        config[0xa0] = PCI_CAP_ID_EXP;
        config[0xa4] = if ext_tag { EXT_TAG } else { 0 };
        SectionFacts {
            pci_config: Some(config),
            ..SectionFacts::new(&crate::stream::SectionInfo {
                idstr: "0000:00:01.0/xhci".into(),
                instance_id: 0,
                version_id: 1,
            })
        }
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
}
