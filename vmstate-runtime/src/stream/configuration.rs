//! The configuration section (`QEMU_VM_CONFIGURATION`): the machine type, plus
//! optional subsections. It has no section header and no footer.

use crate::__private::{enter_subsection, peek_subsection};
use crate::error::{Error, ErrorKind};
use crate::reader::Reader;

/// The configuration section's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Configuration {
    /// The machine type, e.g. `pc-i440fx-7.2`.
    pub machine: String,
    /// The raw payload (machine type and subsections), kept for lossless writing.
    pub payload: Vec<u8>,
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
        while let Some(sub) = peek_subsection(&reader, NAME) {
            let at = reader.offset();
            let name = String::from_utf8_lossy(sub).into_owned();
            enter_subsection(&mut reader)?;
            match name.as_str() {
                "configuration/target-page-bits" => reader.skip(4)?,
                "configuration/uuid" => reader.skip(16)?,
                "configuration/capabilities" => {
                    let count = reader.read_be32()?;
                    for _ in 0..count {
                        let len = reader.read_u8()?;
                        reader.skip(usize::from(len))?;
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
                payload: data[..used].to_vec(),
            },
            used,
        ))
    }
}
