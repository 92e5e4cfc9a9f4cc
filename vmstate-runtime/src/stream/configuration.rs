//! The configuration section (`QEMU_VM_CONFIGURATION`): the machine type, plus
//! optional subsections. It has no section header and no footer.

use super::StreamErrorKind;
use crate::error::{Error, ErrorKind};
use crate::reader::Reader;
use crate::subsection::{enter_subsection, peek_subsection};

/// The configuration section's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    /// The machine type, e.g. `pc-i440fx-7.2`.
    pub machine: String,
    /// The names of the subsections it carries (`configuration/uuid`, ...).
    pub subsections: Vec<String>,
    /// The migration capabilities the source declared
    /// (`configuration/capabilities`), e.g. `mapped-ram`.
    pub capabilities: Vec<String>,
    /// The source's target page size as a power of two
    /// (`configuration/target-page-bits`), when sent.
    pub target_page_bits: Option<u32>,
    /// The source's UUID (`configuration/uuid`), sent when its
    /// `validate-uuid` capability was on and it was given one (`-uuid`).
    pub uuid: Option<Uuid>,
    /// The raw payload (machine type and subsections), kept for lossless writing.
    pub payload: Vec<u8>,
}

/// A guest's UUID as QEMU migrates it: 16 bytes in the order QEMU prints
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Uuid(pub [u8; 16]);

impl std::fmt::Display for Uuid {
    /// The form QEMU prints and takes (`-uuid`): lower-case hex, 8-4-4-4-12.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (index, byte) in self.0.iter().enumerate() {
            if matches!(index, 4 | 6 | 8 | 10) {
                f.write_str("-")?;
            }
            write!(f, "{byte:02x}")?;
        }
        Ok(())
    }
}

/// The VMSD name, which prefixes the subsections.
const NAME: &str = "configuration";

impl Configuration {
    /// Reads the payload at the start of `data` and returns how many bytes it took.
    ///
    /// # Errors
    /// Truncated input or an unknown `configuration/...` subsection.
    pub fn parse(data: &[u8], base: u64) -> Result<(Self, usize), Error> {
        let mut reader = Reader::with_base_offset(data, base);
        let len = reader.read_be32().map_err(|e| e.in_field("len"))?;
        let name = reader
            .read_bytes(usize::try_from(len).unwrap_or(usize::MAX))
            .map_err(|e| e.in_field("name"))?;
        let machine = String::from_utf8_lossy(name).into_owned();
        let mut subsections = Vec::new();
        let mut capabilities = Vec::new();
        let mut target_page_bits = None;
        let mut uuid = None;
        while let Some(sub) = peek_subsection(&reader, NAME) {
            let at = reader.offset();
            let name = String::from_utf8_lossy(sub).into_owned();
            enter_subsection(&mut reader)?;
            subsections.push(name.clone());
            match name.as_str() {
                "configuration/target-page-bits" => {
                    target_page_bits = Some(reader.read_be32()?);
                }
                "configuration/uuid" => {
                    let bytes = reader.read_bytes(16)?;
                    uuid = bytes.try_into().ok().map(Uuid);
                }
                "configuration/capabilities" => {
                    let count = reader.read_be32()?;
                    for _ in 0..count {
                        let len = reader.read_u8()?;
                        let capability = reader.read_bytes(usize::from(len))?;
                        capabilities.push(String::from_utf8_lossy(capability).into_owned());
                    }
                }
                _ => {
                    return Err(Error::at(
                        ErrorKind::UnknownSubsection { name, parent: NAME },
                        at,
                    ));
                }
            }
        }
        let used = data.len() - reader.remaining();
        Ok((
            Self {
                machine,
                subsections,
                capabilities,
                target_page_bits,
                uuid,
                payload: data[..used].to_vec(),
            },
            used,
        ))
    }
}

impl Configuration {
    /// The configuration record a monitor writes for machine type `machine`,
    /// with no subsections: what QEMU sends for a machine without
    /// `configuration/...` state to declare.
    ///
    /// # Errors
    /// [`StreamErrorKind::LimitExceeded`] for a name longer than a be32 can count.
    pub fn new(machine: &str) -> Result<Self, Error> {
        let bare = Self {
            machine: String::new(),
            subsections: Vec::new(),
            capabilities: Vec::new(),
            target_page_bits: None,
            uuid: None,
            payload: vec![0; 4],
        };
        bare.with_machine(machine)
    }

    /// The same configuration naming machine type `machine` instead: the
    /// subsections are kept byte for byte.
    ///
    /// # Errors
    /// [`StreamErrorKind::LimitExceeded`] for a name longer than a be32 can count.
    pub fn with_machine(&self, machine: &str) -> Result<Self, Error> {
        let old_len = 4 + self.machine.len();
        let len = u32::try_from(machine.len()).map_err(|_| {
            Error::new(StreamErrorKind::LimitExceeded {
                what: "machine type name length",
                found: machine.len() as u64,
                limit: u64::from(u32::MAX),
            })
        })?;
        let mut payload = Vec::with_capacity(self.payload.len() + machine.len());
        payload.extend_from_slice(&len.to_be_bytes());
        payload.extend_from_slice(machine.as_bytes());
        payload.extend_from_slice(self.payload.get(old_len..).unwrap_or_default());
        Ok(Self {
            machine: machine.to_owned(),
            subsections: self.subsections.clone(),
            capabilities: self.capabilities.clone(),
            target_page_bits: self.target_page_bits,
            uuid: self.uuid,
            payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renaming_keeps_the_subsections() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&13u32.to_be_bytes());
        bytes.extend_from_slice(b"pc-q35-10.0.x");
        let name = b"configuration/target-page-bits";
        bytes.extend_from_slice(&[0x05, u8::try_from(name.len()).unwrap()]);
        bytes.extend_from_slice(name);
        bytes.extend_from_slice(&1u32.to_be_bytes());
        bytes.extend_from_slice(&12u32.to_be_bytes());
        let (configuration, used) = Configuration::parse(&bytes, 0).unwrap();
        assert_eq!(used, bytes.len());
        assert_eq!(
            configuration.subsections,
            ["configuration/target-page-bits"]
        );
        let renamed = configuration.with_machine("pc-q35-7.2").unwrap();
        let (again, used) = Configuration::parse(&renamed.payload, 0).unwrap();
        assert_eq!(used, renamed.payload.len());
        assert_eq!(again.machine, "pc-q35-7.2");
        assert_eq!(again.subsections, configuration.subsections);
        assert_eq!(renamed.payload.len(), bytes.len() - 3);
    }

    #[test]
    fn a_new_configuration_parses_back() {
        let configuration = Configuration::new("acme-vmm-2").unwrap();
        assert_eq!(configuration.payload[..4], 10u32.to_be_bytes());
        let (again, used) = Configuration::parse(&configuration.payload, 0).unwrap();
        assert_eq!(used, configuration.payload.len());
        assert_eq!(again, configuration);
    }
}
