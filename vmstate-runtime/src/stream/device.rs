//! Sections made from Rust values: the header, payload and vmdesc entry that
//! QEMU would write for a device whose state is a derived type.

use super::vmdesc::DeviceDesc;
use super::{Record, SectionHeader, SectionInfo, SectionKind};
use crate::error::Error;
use crate::state::VmState;

/// One FULL section built from a value: what QEMU's `vmstate_save` writes,
/// and the vmdesc entry it adds for it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceSection {
    /// The FULL header.
    pub header: SectionHeader,
    /// The payload at the type's current version.
    pub payload: Vec<u8>,
    /// The description of the payload, for the stream's vmdesc.
    pub desc: DeviceDesc,
}

impl DeviceSection {
    /// Saves `value` as section `section_id` with idstr `T::NAME`.
    ///
    /// # Errors
    /// Whatever saving the value returns.
    pub fn new<T: VmState>(value: &T, section_id: u32, instance_id: u32) -> Result<Self, Error> {
        Self::with_idstr(value, T::NAME, section_id, instance_id)
    }

    /// Saves `value` as section `section_id` with another idstr (PCI devices
    /// use their address: `0000:00:02.0/e1000`).
    ///
    /// # Errors
    /// Whatever saving the value returns.
    pub fn with_idstr<T: VmState>(
        value: &T,
        idstr: &str,
        section_id: u32,
        instance_id: u32,
    ) -> Result<Self, Error> {
        Self::at_version(value, idstr, section_id, instance_id, T::VERSION)
    }

    /// Saves `value` as version `version_id` of its type, for a receiver
    /// that loads only that one (an older release of the monitor): the
    /// header names `version_id`, the payload is
    /// [`VmState::save_state_at`]'s, and the vmdesc entry is
    /// [`VmState::describe_state_at`]'s, so the three agree.
    ///
    /// # Errors
    /// A version outside `T::MINIMUM_VERSION..=T::VERSION`, a needed
    /// subsection that `version_id` does not know, or whatever saving the
    /// value returns; the error names the section and instance.
    pub fn at_version<T: VmState>(
        value: &T,
        idstr: &str,
        section_id: u32,
        instance_id: u32,
        version_id: u32,
    ) -> Result<Self, Error> {
        let in_section = |e: Error| e.in_section(idstr, Some(instance_id));
        let mut payload = Vec::with_capacity(value.saved_len_hint());
        value
            .save_state_at(&mut payload, version_id)
            .map_err(in_section)?;
        let state = value.describe_state_at(version_id).map_err(in_section)?;
        Ok(Self {
            header: SectionHeader {
                kind: SectionKind::Full,
                section_id,
                info: Some(SectionInfo {
                    idstr: idstr.to_owned(),
                    instance_id,
                    version_id,
                }),
            },
            payload,
            desc: DeviceDesc {
                name: idstr.to_owned(),
                instance_id,
                state,
                legacy: false,
            },
        })
    }

    /// The records QEMU writes for the section: header, payload, footer. (The
    /// payload's `offset` is 0: it only means something in a stream being read.)
    #[must_use]
    pub fn records(&self) -> [Record; 3] {
        [
            Record::Section(self.header.clone()),
            Record::State {
                payload: self.payload.clone(),
                offset: 0,
            },
            Record::Footer {
                section_id: self.header.section_id,
            },
        ]
    }
}
