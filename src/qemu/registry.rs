//! The models by section idstr, so that tools can decode a stream's sections
//! with them and delimit sections that the stream does not describe.

use super::lower::{Lowered, lower_with};
use super::virtio::VirtioPci;
use crate::stream::{SectionInfo, StateDesc};
use crate::{Error, Reader, VmState};

/// A model of one QEMU section, known by the section's idstr.
pub struct Model {
    /// The section idstr QEMU uses, e.g. `mc146818rtc`.
    pub idstr: &'static str,
    /// Decodes a payload at a version; returns the bytes it took and the
    /// re-encoded payload.
    pub decode: fn(&[u8], u32) -> Result<Decoded, Error>,
    /// Decodes a payload at a version and describes it as QEMU's vmdesc does.
    pub describe: fn(&[u8], u32) -> Result<StateDesc, Error>,
    /// Re-encodes a payload written at the first version at the second, an
    /// older one, when that loses nothing; `None` for models whose layout
    /// depends on more than the version (virtio, `piix4_pm`).
    pub lower: Option<Lower>,
}

/// Re-encodes a payload written at the first version at the second.
pub type Lower = fn(&[u8], u32, u32) -> Result<Lowered, Error>;

/// What a model made of a payload.
pub struct Decoded {
    /// How many bytes the payload took.
    pub len: usize,
    /// The decoded value, formatted with `{:#?}`.
    pub debug: String,
    /// The value saved again at its current version.
    pub reencoded: Vec<u8>,
}

/// Decodes with `T` from the start of `bytes`.
fn decode_with<T: VmState + Default + core::fmt::Debug>(
    bytes: &[u8],
    version_id: u32,
) -> Result<Decoded, Error> {
    let mut value = T::default();
    let mut reader = Reader::new(bytes);
    value.load_state(&mut reader, version_id)?;
    Ok(Decoded {
        len: bytes.len() - reader.remaining(),
        debug: format!("{value:#?}"),
        reencoded: crate::to_vec(&value)?,
    })
}

/// Decodes a virtio-pci section with `T`, configured for the MSI-X vectors
/// that the payload's own PCI configuration space declares.
fn decode_virtio<T: VirtioPci + core::fmt::Debug>(
    bytes: &[u8],
    version_id: u32,
) -> Result<Decoded, Error> {
    let mut value = T::for_payload(bytes);
    let mut reader = Reader::new(bytes);
    value.load_state(&mut reader, version_id)?;
    Ok(Decoded {
        len: bytes.len() - reader.remaining(),
        debug: format!("{value:#?}"),
        reencoded: crate::to_vec(&value)?,
    })
}

/// Describes a virtio-pci section decoded as [`decode_virtio`] does.
fn describe_virtio<T: VirtioPci>(bytes: &[u8], version_id: u32) -> Result<StateDesc, Error> {
    let mut value = T::for_payload(bytes);
    value.load_state(&mut Reader::new(bytes), version_id)?;
    Ok(value.describe_state())
}

/// Decodes with `T` and describes the value.
fn describe_with<T: VmState + Default>(bytes: &[u8], version_id: u32) -> Result<StateDesc, Error> {
    let mut value = T::default();
    value.load_state(&mut Reader::new(bytes), version_id)?;
    Ok(value.describe_state())
}

/// Loads a [`Piix4Pm`](super::acpi_piix4::Piix4Pm) in the first of its
/// layouts that loads and ends where a record can start: the section does not
/// say which machine type (and so which fields) wrote it.
fn load_piix4_pm(
    bytes: &[u8],
    version_id: u32,
) -> Result<(super::acpi_piix4::Piix4Pm, usize), Error> {
    let mut first_error = None;
    for (smb, index) in super::acpi_piix4::Piix4Pm::LAYOUTS {
        let mut value = super::acpi_piix4::Piix4Pm::with_layout(smb, index);
        let mut reader = Reader::new(bytes);
        match value.load_state(&mut reader, version_id) {
            Ok(()) => {
                let len = bytes.len() - reader.remaining();
                if ends_at_record(&bytes[len..]) {
                    return Ok((value, len));
                }
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    Err(first_error.unwrap_or_else(|| {
        Error::custom("no piix4_pm layout ends where a record starts".to_owned())
    }))
}

/// Whether `rest` is empty or starts like what may follow a FULL payload: a
/// section footer, a section header, a command or the EOF marker.
fn ends_at_record(rest: &[u8]) -> bool {
    match rest.first() {
        None | Some(0x00 | 0x02 | 0x03 | 0x08 | 0x7e) => true,
        // START/FULL: be32 section id, then an idstr of printable bytes.
        Some(0x01 | 0x04) => rest.get(5).is_some_and(|&len| {
            len > 0
                && rest
                    .get(6..6 + usize::from(len))
                    .is_some_and(|idstr| idstr.iter().all(u8::is_ascii_graphic))
        }),
        Some(_) => false,
    }
}

fn decode_piix4_pm(bytes: &[u8], version_id: u32) -> Result<Decoded, Error> {
    let (value, len) = load_piix4_pm(bytes, version_id)?;
    Ok(Decoded {
        len,
        debug: format!("{value:#?}"),
        reencoded: crate::to_vec(&value)?,
    })
}

fn describe_piix4_pm(bytes: &[u8], version_id: u32) -> Result<StateDesc, Error> {
    Ok(load_piix4_pm(bytes, version_id)?.0.describe_state())
}

/// `"idstr" => Type` registers a model decoded from its `Default`;
/// `"idstr" (virtio) => Type` one configured from the payload
/// ([`VirtioPci`]).
macro_rules! models {
    (@decode [] $ty:ty) => { decode_with::<$ty> };
    (@describe [] $ty:ty) => { describe_with::<$ty> };
    (@decode [virtio] $ty:ty) => { decode_virtio::<$ty> };
    (@describe [virtio] $ty:ty) => { describe_virtio::<$ty> };
    (@lower [] $ty:ty) => { Some(lower_with::<$ty>) };
    (@lower [virtio] $ty:ty) => { None };
    ($($idstr:literal $(($kind:ident))? => $ty:ty),* $(,)?) => {
        /// Every model, by idstr.
        pub static MODELS: &[Model] = &[
            $(Model {
                idstr: $idstr,
                decode: models!(@decode [$($kind)?] $ty),
                describe: models!(@describe [$($kind)?] $ty),
                lower: models!(@lower [$($kind)?] $ty),
            },)*
            Model {
                idstr: "piix4_pm",
                decode: decode_piix4_pm,
                describe: describe_piix4_pm,
                lower: None,
            },
        ];
    };
}

models! {
    "timer" => super::timer::Timers,
    "globalstate" => super::globalstate::GlobalState,
    "mc146818rtc" => super::rtc::Rtc,
    "i8254" => super::pit::Pit,
    "i8259" => super::pic::Pic,
    "fw_cfg" => super::fw_cfg::FwCfg,
    "ps2kbd" => super::ps2::Ps2Kbd,
    "ps2mouse" => super::ps2::Ps2Mouse,
    "pckbd" => super::pckbd::Pckbd,
    "port92" => super::port92::Port92,
    "pcspk" => super::pcspk::PcSpk,
    "dma" => super::dma::Dma,
    "ioapic" => super::ioapic::IoApic,
    "hpet" => super::hpet::Hpet,
    "serial" => super::serial::IsaSerial,
    "e1000" => super::e1000::E1000,
    "cpu_common" => super::cpu::CpuCommon,
    "cpu" => super::cpu::X86Cpu,
    "apic" => super::apic::Apic,
    "kvm-tpr-opt" => super::vapic::Vapic,
    "PCIBUS" => super::pci_host::PciBus,
    "PCIHost" => super::pci_host::PciHost,
    "I440FX" => super::i440fx::I440fx,
    "PIIX3" => super::piix3::Piix3,
    "ide" => super::ide::PciIde,
    "fdc" => super::fdc::Fdc,
    "vmmouse" => super::vmmouse::VmMouse,
    "i2c_bus" => super::i2c::I2cBus,
    "acpi_build" => super::acpi_build::AcpiBuild,
    "ICH9LPC" => super::ich9::Ich9Lpc,
    "ich9_smb" => super::ich9::Ich9Smb,
    "mch" => super::mch::Mch,
    "ich9_ahci" => super::ahci::Ich9Ahci,
    "slirp" => super::slirp::Slirp,
    "uefi-vars-sysbus" => super::uefi_vars::UefiVarsSysbus,
    "vga" => super::vga::PciVga,
    "virtio-net" (virtio) => super::virtio::net::VirtioNet,
    "virtio-blk" (virtio) => super::virtio::blk::VirtioBlk,
    "virtio-balloon" (virtio) => super::virtio::balloon::VirtioBalloon,
    "virtio-rng" (virtio) => super::virtio::rng::VirtioRng,
    "virtio-console" (virtio) => super::virtio::serial::VirtioSerial,
    "virtio-iommu" (virtio) => super::virtio::iommu::VirtioIommu,
}

/// The model for a section's idstr, if there is one. PCI devices are found by
/// the part of the idstr after the last `/` (`0000:00:03.0/e1000` is `e1000`).
#[must_use]
pub fn model(idstr: &str) -> Option<&'static Model> {
    let short = idstr.rsplit('/').next().unwrap_or(idstr);
    MODELS
        .iter()
        .find(|model| model.idstr == idstr || model.idstr == short)
}

/// A [`Delimiter`](crate::stream::Delimiter) for streams without a description:
/// the section's length as its model reads it.
#[must_use]
pub fn delimit(info: &SectionInfo, bytes: &[u8]) -> Option<Result<usize, Error>> {
    let model = model(&info.idstr)?;
    Some((model.decode)(bytes, info.version_id).map(|decoded| decoded.len))
}
