//! `PCIDevice`: the generic state of a conventional PCI function
//! (`hw/pci/pci.c`, `VMSTATE_PCI_DEVICE`), inlined into every PCI device.

use crate::VmState;
use crate::with::int32_positive_le;

/// QEMU `vmstate_pci_device` (`PCIDevice`, version 2, minimum 1) for a
/// conventional (not PCI Express) function: 276 bytes.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "PCIDevice", version = 2, minimum_version = 1)]
pub struct PciDevice {
    /// `version_id` (`VMSTATE_INT32_POSITIVE_LE`): the PCI state version of
    /// the source. A load fails unless it is between 0 and the local value,
    /// which then takes it.
    #[vmstate(with = int32_positive_le, info = "int32 le")]
    pub version_id: i32,
    /// `config`: the 256-byte configuration space (wire type `pci config`;
    /// QEMU also refuses bytes that differ in read-only bits). QEMU's vmdesc
    /// names it `config[0]`, the first of its two `config` fields (the second
    /// is the PCI Express one).
    #[vmstate(info = "pci config", rename = "config[0]")]
    pub config: [u8; 256],
    /// `irq_state` (version 2): the level of INTA#..INTD#, each 0 or 1
    /// (wire type `pci irq state`).
    #[vmstate(since = 2, with = pci_irq_state, info = "pci irq state")]
    pub irq_state: [u32; 4],
}

impl Default for PciDevice {
    /// Zero configuration space, all interrupt lines low, and the PCI state
    /// version QEMU gives every device (2).
    fn default() -> Self {
        Self {
            version_id: 2,
            config: [0; 256],
            irq_state: [0; 4],
        }
    }
}

impl PciDevice {
    /// The vendor id from the configuration space.
    #[must_use]
    pub fn vendor_id(&self) -> u16 {
        u16::from_le_bytes([self.config[0], self.config[1]])
    }

    /// The device id from the configuration space.
    #[must_use]
    pub fn device_id(&self) -> u16 {
        u16::from_le_bytes([self.config[2], self.config[3]])
    }
}

/// QEMU `vmstate_info_pci_irq_state`: four be32 levels, each 0 or 1.
mod pci_irq_state {
    use crate::{Error, ErrorKind, Reader, VmStateField};

    pub fn save(value: &[u32; 4], out: &mut Vec<u8>) -> Result<(), Error> {
        value.save_field(out)
    }

    pub fn load(value: &mut [u32; 4], reader: &mut Reader<'_>) -> Result<(), Error> {
        let offset = reader.offset();
        let mut levels = [0u32; 4];
        levels.load_field(reader)?;
        if let Some(pin) = levels.iter().position(|level| *level > 1) {
            return Err(Error::at(
                ErrorKind::OutOfRange {
                    what: "irq level",
                    value: i128::from(levels[pin]),
                    minimum: 0,
                    maximum: 1,
                    note: None,
                },
                offset + 4 * pin as u64,
            )
            .in_element(pin));
        }
        *value = levels;
        Ok(())
    }
}
