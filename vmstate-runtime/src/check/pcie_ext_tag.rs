//! The Extended Tag Field Supported bit of a PCI Express function's device
//! capabilities (`PCI_EXP_DEVCAP_EXT_TAG`, bit 5 of the register at offset 4
//! of the PCI Express capability), which QEMU builds from its release and
//! the machine type, not from the guest.
//!
//! QEMU 9.2's `pcie_cap_v1_fill` sets it for every PCI Express capability
//! whose device has `x-pcie-ext-tag` on, its default, and `hw_compat_9_1`
//! turns the property off for every PCI device on machine types 9.1 and
//! older; QEMU before 9.2 never sets it. The register is read-only and
//! compared on load (`get_pci_config_device`), so a `qemu-xhci`, `e1000e`,
//! `pcie-root-port` or a virtio device behind a root port built on
//! `virt-10.0` is refused on `virt-7.2` ("Bad config data: i=0xa4 read: 20
//! device: 0", measured with QEMU 7.2 and 10.0.2 both ways, and within
//! 10.0.2), though the machine type was renamed and the stream converted.

use super::facts::{SectionFacts, StreamFacts};
use super::obstacle::Obstacle;
use super::pci::find_capability;
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

/// The section's PCI Express device capabilities where DEST builds the
/// Extended Tag bit otherwise: always where DEST's `release` predates it,
/// and on a machine type rename where the stream's device has the default
/// of the machine type it was written on (`stream.written_on`) and DEST's
/// machine type's default differs. A device whose bit differs from its
/// own machine type's default was configured (`-global x-pcie-ext-tag`),
/// and DEST's guest is started alike; without a rename nothing tells that
/// apart, and a reference shows DEST's device.
#[must_use]
pub fn difference(
    section: &SectionFacts,
    stream: &StreamFacts,
    release: Option<(u32, u32)>,
) -> Option<Obstacle> {
    let config = section.pci_config.as_deref()?;
    let offset = find_capability(config, PCI_CAP_ID_EXP)? + DEVCAP;
    let byte = *config.get(offset)?;
    let in_stream = byte & EXT_TAG != 0;
    let (dest, why) = dest_bit(stream, release, in_stream)?;
    (dest != in_stream).then(|| Obstacle::MachinePciBit {
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
        let found = difference(&section(true), &stream("virt-7.2", None), Some((7, 2)));
        let Some(Obstacle::MachinePciBit {
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
            difference(&section(false), &stream("virt-7.2", None), Some((7, 2))),
            None
        );
    }

    #[test]
    fn a_rename_across_9_2_is_refused_either_way() {
        let renamed = |bit, machine, from| {
            difference(&section(bit), &stream(machine, Some(from)), Some((10, 0))).is_some()
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
            difference(&section(true), &stream("virt-9.1", None), Some((10, 0))),
            None
        );
        let mut plain = section(true);
        plain.pci_config.as_mut().unwrap()[0x34] = 0;
        assert_eq!(
            difference(&plain, &stream("virt-7.2", None), Some((7, 2))),
            None
        );
        let mut short = section(true);
        short.pci_config.as_mut().unwrap().truncate(0xa4);
        assert_eq!(
            difference(&short, &stream("virt-7.2", None), Some((7, 2))),
            None
        );
    }
}
