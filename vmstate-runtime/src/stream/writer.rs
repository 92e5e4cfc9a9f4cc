//! Writing records back into a stream.

use std::io::Write;

use super::{FORMAT_VERSION, MAGIC, Record, tag};
use crate::error::{Error, ErrorKind};

/// Writes a migration stream record by record. Records read by
/// [`StreamReader`](super::StreamReader) come out byte for byte as they went in.
pub struct StreamWriter<W: Write> {
    output: W,
    scratch: Vec<u8>,
}

impl<W: Write> StreamWriter<W> {
    /// Starts a stream: writes the magic and the format version.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when writing fails.
    pub fn new(mut output: W) -> Result<Self, Error> {
        let mut header = [0u8; 8];
        header[..4].copy_from_slice(&MAGIC.to_be_bytes());
        header[4..].copy_from_slice(&FORMAT_VERSION.to_be_bytes());
        output.write_all(&header).map_err(io)?;
        Ok(Self {
            output,
            scratch: Vec::new(),
        })
    }

    /// Writes one record.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when writing fails.
    pub fn write(&mut self, record: &Record) -> Result<(), Error> {
        let out = &mut self.scratch;
        out.clear();
        match record {
            Record::Configuration(configuration) => {
                out.push(tag::CONFIGURATION);
                out.extend_from_slice(&configuration.payload);
            }
            Record::Section(header) => {
                out.push(header.kind.tag());
                out.extend_from_slice(&header.section_id.to_be_bytes());
                if let Some(info) = &header.info {
                    out.push(u8::try_from(info.idstr.len()).unwrap_or(u8::MAX));
                    out.extend_from_slice(info.idstr.as_bytes());
                    out.extend_from_slice(&info.instance_id.to_be_bytes());
                    out.extend_from_slice(&info.version_id.to_be_bytes());
                }
            }
            Record::State { payload, .. } => out.extend_from_slice(payload),
            Record::Ram(ram) => ram.write_to(out),
            Record::Footer { section_id } => {
                out.push(tag::SECTION_FOOTER);
                out.extend_from_slice(&section_id.to_be_bytes());
            }
            Record::Command { command, data } => {
                out.push(tag::COMMAND);
                out.extend_from_slice(&command.to_be_bytes());
                out.extend_from_slice(&u16::try_from(data.len()).unwrap_or(u16::MAX).to_be_bytes());
                out.extend_from_slice(data);
            }
            Record::Eof => out.push(tag::EOF),
            Record::Vmdesc { json } => {
                out.push(tag::VMDESCRIPTION);
                out.extend_from_slice(&u32::try_from(json.len()).unwrap_or(u32::MAX).to_be_bytes());
                out.extend_from_slice(json);
            }
        }
        self.output.write_all(out).map_err(io)
    }

    /// Flushes and returns the output.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when flushing fails.
    pub fn finish(mut self) -> Result<W, Error> {
        self.output.flush().map_err(io)?;
        Ok(self.output)
    }
}

pub(super) fn io(source: std::io::Error) -> Error {
    Error::new(ErrorKind::Io { source })
}
