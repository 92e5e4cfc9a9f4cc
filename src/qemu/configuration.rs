//! `configuration`: the record that follows the stream header
//! (`migration/savevm.c`). It has no section header or footer: the stream has
//! `0x07` and then this payload.

use crate::desc::FieldDesc;
use crate::models::ModelErrorKind;
use crate::{Error, ErrorKind, Reader, VmState, VmStateField};

/// QEMU `vmstate_configuration` (`configuration`, version 1): the machine type
/// of the source, which the destination must share.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "configuration", version = 1)]
pub struct Configuration {
    /// `len`: bytes of `name`.
    pub len: u32,
    /// `name`: the machine type, for example `pc-i440fx-7.2`, without a NUL
    /// (`VMSTATE_VBUFFER_ALLOC_UINT32(name, .., len)`).
    #[vmstate(len = len, info = "buffer")]
    pub name: Vec<u8>,
    /// `configuration/target-page-bits`: sent by targets whose page size is
    /// above their minimum; here, when it is not 0.
    #[subsection(needed = Configuration::target_page_bits_needed)]
    pub target_page_bits: ConfigurationTargetPageBits,
    /// `configuration/capabilities`: sent when a migration capability that
    /// both sides must agree on (such as `x-ignore-shared`) is on.
    #[subsection(needed = Configuration::capabilities_needed)]
    pub capabilities: ConfigurationCapabilities,
    /// `configuration/uuid`: sent with `-uuid` and capability `validate-uuid`;
    /// here, when it is not all zeros.
    #[subsection(needed = Configuration::uuid_needed)]
    pub uuid: ConfigurationUuid,
}

impl Configuration {
    /// The record for machine type `name`.
    ///
    /// Returns `None` for a name longer than `u32::MAX` bytes.
    #[must_use]
    pub fn new(name: &str) -> Option<Self> {
        Some(Self {
            len: u32::try_from(name.len()).ok()?,
            name: name.as_bytes().to_vec(),
            ..Self::default()
        })
    }

    /// The machine type, if it is UTF-8.
    #[must_use]
    pub fn machine_type(&self) -> Option<&str> {
        core::str::from_utf8(&self.name).ok()
    }

    /// QEMU `vmstate_target_page_bits_needed`.
    fn target_page_bits_needed(&self) -> bool {
        self.target_page_bits.target_page_bits != 0
    }

    /// QEMU `vmstate_capabilites_needed`.
    fn capabilities_needed(&self) -> bool {
        self.capabilities.caps_count != 0
    }

    /// QEMU `vmstate_uuid_needed`.
    fn uuid_needed(&self) -> bool {
        self.uuid.uuid != [0; 16]
    }
}

/// QEMU `vmstate_target_page_bits` (`configuration/target-page-bits`,
/// version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "configuration/target-page-bits", version = 1)]
pub struct ConfigurationTargetPageBits {
    /// `target_page_bits`: log2 of the target page size.
    pub target_page_bits: u32,
}

/// QEMU `vmstate_capabilites` (`configuration/capabilities`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "configuration/capabilities", version = 1)]
pub struct ConfigurationCapabilities {
    /// `caps_count`: how many names follow.
    #[vmstate(since = 1)]
    pub caps_count: u32,
    /// `capabilities`: the capability names
    /// (`VMSTATE_VARRAY_UINT32_ALLOC(capabilities, .., caps_count, 1, ..)`).
    #[vmstate(since = 1, len = caps_count)]
    pub capabilities: Vec<Capability>,
}

/// One migration capability name on the wire (QEMU `vmstate_info_capability`):
/// a length byte, then the name without a NUL.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Capability(pub String);

impl VmStateField for Capability {
    const MIN_WIRE_SIZE: usize = 1;

    /// A `capability` entry of the name's saved size (length byte included),
    /// as QEMU's vmdesc records the bytes `put_capability` wrote.
    fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
        let mut bytes = Vec::new();
        let size = self.save_field(&mut bytes).map_or(0, |()| bytes.len());
        out.push(FieldDesc::scalar(name, "capability", size));
    }

    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        let len = u8::try_from(self.0.len()).map_err(|_| {
            Error::new(ModelErrorKind::NameTooLong {
                what: "capability name",
                name: self.0.clone(),
                max: 255,
            })
        })?;
        out.push(len);
        out.extend_from_slice(self.0.as_bytes());
        Ok(())
    }

    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        let len = reader.read_u8()?;
        let offset = reader.offset();
        let bytes = reader.read_bytes(usize::from(len))?;
        let name = core::str::from_utf8(bytes).map_err(|source| {
            Error::at(
                ErrorKind::InvalidUtf8 {
                    what: "capability name",
                    source,
                },
                offset,
            )
        })?;
        name.clone_into(&mut self.0);
        Ok(())
    }
}

/// QEMU `vmstate_uuid` (`configuration/uuid`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "configuration/uuid", version = 1)]
pub struct ConfigurationUuid {
    /// QEMU `uuid.data` (version 1): the source's `-uuid`.
    #[vmstate(since = 1, rename = "uuid.data")]
    pub uuid: [u8; 16],
}
