//! A whole stream of a monitor's own devices: the configuration record, one
//! FULL section per device in QEMU's save order, EOF and the vmdesc, written
//! through [`StreamWriter`] so that no byte is put together by hand.

use std::io::Write;

use super::configuration::Configuration;
use super::device::DeviceSection;
use super::priority::sort_by_priority;
use super::vmdesc::Vmdesc;
use super::writer::StreamWriter;
use super::{Record, SectionInfo};
use crate::Priority;
use crate::error::Error;
use crate::state::VmState;

/// The page size a stream without RAM declares in its vmdesc: x86's, and
/// what QEMU writes on the hosts this crate targets.
const DEFAULT_PAGE_SIZE: u64 = 4096;

/// The device state of a monitor, gathered section by section and written as
/// one migration stream.
///
/// Sections are numbered in the order they are added (QEMU numbers them in
/// registration order) and written by priority, as
/// [`StreamWriter::write_devices`] does. A device added twice under one
/// idstr gets the next instance id, as QEMU's automatic instance ids do.
///
/// With the `vmstate` facade (`tests/describe_at.rs` runs the same):
///
/// ```ignore
/// use vmstate::VmState;
/// use vmstate::stream::DeviceStream;
///
/// #[derive(VmState, Default)]
/// #[vmstate(name = "acme-timer", version = 2, minimum_version = 1)]
/// struct Timer {
///     count: u32,
///     #[vmstate(since = 2)]
///     reload: u32,
/// }
///
/// let timer = Timer { count: 7, reload: 100 };
/// let mut current = DeviceStream::new("acme-vmm-2")?;
/// current.add(&timer)?;
/// // The same state for a monitor whose timer is still version 1.
/// let mut previous = DeviceStream::new("acme-vmm-1")?;
/// previous.add_at(&timer, 1)?;
/// let old = &previous.sections()[0].1;
/// assert_eq!(old.payload, [0, 0, 0, 7]);
/// assert_eq!(old.desc.state.version, 1);
/// assert_eq!(old.desc.state.fields.len(), 1);
/// let bytes: Vec<u8> = previous.to_vec()?;
/// assert_eq!(bytes[..4], *b"QEVM");
/// # Ok::<(), vmstate::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceStream {
    configuration: Configuration,
    page_size: u64,
    sections: Vec<(Priority, DeviceSection)>,
}

impl DeviceStream {
    /// An empty stream for machine type `machine`.
    ///
    /// # Errors
    /// As [`Configuration::new`].
    pub fn new(machine: &str) -> Result<Self, Error> {
        Ok(Self::with_configuration(Configuration::new(machine)?))
    }

    /// An empty stream with a configuration record of the caller's.
    #[must_use]
    pub fn with_configuration(configuration: Configuration) -> Self {
        Self {
            configuration,
            page_size: DEFAULT_PAGE_SIZE,
            sections: Vec::new(),
        }
    }

    /// The target page size the vmdesc declares (4096 unless set).
    #[must_use]
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.page_size = page_size;
        self
    }

    /// Adds `value` at its current version, as section `T::NAME` with the
    /// next instance id of that idstr.
    ///
    /// # Errors
    /// Whatever saving the value returns, naming the section.
    pub fn add<T: VmState>(&mut self, value: &T) -> Result<&mut Self, Error> {
        self.add_at(value, T::VERSION)
    }

    /// Adds `value` saved as version `version_id` of its type, for a release
    /// that loads only that one: payload, header and vmdesc entry at that
    /// version ([`DeviceSection::at_version`]).
    ///
    /// # Errors
    /// A version the type does not save, a needed subsection the version
    /// does not know, or whatever saving the value returns; the error names
    /// the section and instance.
    pub fn add_at<T: VmState>(&mut self, value: &T, version_id: u32) -> Result<&mut Self, Error> {
        self.add_named_at(value, T::NAME, version_id)
    }

    /// [`add_at`](Self::add_at) under another idstr (a PCI device's
    /// `0000:00:02.0/e1000`).
    ///
    /// # Errors
    /// As [`add_at`](Self::add_at).
    pub fn add_named_at<T: VmState>(
        &mut self,
        value: &T,
        idstr: &str,
        version_id: u32,
    ) -> Result<&mut Self, Error> {
        let section = DeviceSection::at_version(
            value,
            idstr,
            self.next_section_id(),
            self.next_instance_id(idstr),
            version_id,
        )?;
        self.sections.push((T::PRIORITY, section));
        Ok(self)
    }

    /// Adds a section made by the caller, as it is.
    pub fn add_section(&mut self, priority: Priority, section: DeviceSection) -> &mut Self {
        self.sections.push((priority, section));
        self
    }

    /// The id the next section gets: one past the highest so far.
    #[must_use]
    pub fn next_section_id(&self) -> u32 {
        self.sections
            .iter()
            .map(|(_, section)| section.header.section_id.saturating_add(1))
            .max()
            .unwrap_or(0)
    }

    /// The instance id the next section named `idstr` gets: how many have
    /// that idstr so far (QEMU's `calculate_new_instance_id`).
    #[must_use]
    pub fn next_instance_id(&self, idstr: &str) -> u32 {
        let same = self
            .sections
            .iter()
            .filter(|(_, section)| {
                section
                    .header
                    .info
                    .as_ref()
                    .is_some_and(|info: &SectionInfo| info.idstr == idstr)
            })
            .count();
        u32::try_from(same).unwrap_or(u32::MAX)
    }

    /// The sections in the order they were added.
    #[must_use]
    pub fn sections(&self) -> &[(Priority, DeviceSection)] {
        &self.sections
    }

    /// The sections in the order they are written: by priority, then as added.
    fn in_save_order(&self) -> Vec<&(Priority, DeviceSection)> {
        let mut order: Vec<_> = self.sections.iter().collect();
        sort_by_priority(&mut order, |(priority, _)| *priority);
        order
    }

    /// The vmdesc that follows EOF: one entry per section, in save order.
    #[must_use]
    pub fn vmdesc(&self) -> Vmdesc {
        Vmdesc {
            configuration: None,
            page_size: self.page_size,
            devices: self
                .in_save_order()
                .into_iter()
                .map(|(_, section)| section.desc.clone())
                .collect(),
        }
    }

    /// Writes the stream to `output` and returns it, flushed.
    ///
    /// # Errors
    /// [`StreamErrorKind::Io`](crate::stream::StreamErrorKind::Io) when writing fails.
    pub fn write_to<W: Write>(&self, output: W) -> Result<W, Error> {
        let mut writer = StreamWriter::new(output)?;
        writer.write(&Record::Configuration(self.configuration.clone()))?;
        for (_, section) in self.in_save_order() {
            for record in section.records() {
                writer.write(&record)?;
            }
        }
        writer.write(&Record::Eof)?;
        writer.write(&Record::Vmdesc {
            json: self.vmdesc().to_json().into_bytes(),
        })?;
        writer.finish()
    }

    /// The stream's bytes.
    ///
    /// # Errors
    /// As [`write_to`](Self::write_to), which cannot fail on a `Vec`.
    pub fn to_vec(&self) -> Result<Vec<u8>, Error> {
        self.write_to(Vec::new())
    }
}
