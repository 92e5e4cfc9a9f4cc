//! The models by section idstr, so that tools can decode a stream's sections
//! with them and delimit sections that the stream does not describe.

use crate::desc::StateDesc;
use crate::models::{
    Model, ModelErrorKind, ModelOutput, decode_into, decode_with, describe_with, lower_with,
};
use crate::stream::SectionInfo;
use crate::{Error, Reader, VmState};

/// A model whose layout depends on machine configuration that the section
/// does not carry, and that the payload's bytes show.
pub trait ForPayload: VmState {
    /// A value configured for the layout that `bytes` show: the payload,
    /// possibly followed by the rest of the stream (when a stream without a
    /// description is being delimited). Never fails: a layout that does not
    /// fit makes the load fail instead.
    fn for_payload(bytes: &[u8]) -> Self;
}

/// Decodes with `T` configured by [`ForPayload::for_payload`].
fn decode_for_payload<T: ForPayload + core::fmt::Debug>(
    bytes: &[u8],
    version_id: u32,
) -> Result<ModelOutput, Error> {
    decode_into(T::for_payload(bytes), bytes, version_id)
}

/// Describes a payload decoded as [`decode_for_payload`] does.
fn describe_for_payload<T: ForPayload>(bytes: &[u8], version_id: u32) -> Result<StateDesc, Error> {
    let mut value = T::for_payload(bytes);
    value.load_state(&mut Reader::new(bytes), version_id)?;
    value.describe_state_at(version_id)
}

/// Loads a [`Piix4Pm`](super::acpi_piix4::Piix4Pm) in the layout its bytes
/// show: the section does not say which machine type (and so which fields)
/// wrote it, and in a stream without a description a wrong guess loses the
/// reader's place.
///
/// A layout whose fields end exactly where a `piix4_pm/` subsection header
/// starts is the one (every machine type from `pc-i440fx-2.1` on sends
/// `piix4_pm/memhp`). Without a subsection, the payload comes from
/// `pc-i440fx-2.0` or older, which send neither the `SMBus` state nor
/// `acpi_index`: of those layouts, the one that ends where a record starts,
/// the bridge layout unless a section header starts where its hotplug
/// selector would be (a selector indexes at most 256 buses, and a header's
/// first byte would make it at least 2^24). Only then the other layouts, which
/// only `-global` options give.
fn load_piix4_pm(
    bytes: &[u8],
    version_id: u32,
) -> Result<(super::acpi_piix4::Piix4Pm, usize), Error> {
    use super::acpi_piix4::{Piix4Layout, Piix4Pm};
    let mut first_error = None;
    let mut loaded = Vec::new();
    for layout in Piix4Pm::LAYOUTS {
        let mut value = Piix4Pm::with_layout(layout);
        let mut reader = Reader::new(bytes);
        match value.load_state(&mut reader, version_id) {
            // A subsection started exactly at this layout's end, and a
            // record starts after it.
            Ok(()) if crate::Loaded::was_loaded(&value.memhp) => {
                let len = bytes.len() - reader.remaining();
                if ends_at_record(&bytes[len..]) {
                    return Ok((value, len));
                }
            }
            Ok(()) => {
                let len = bytes.len() - reader.remaining();
                loaded.push((value, len));
            }
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    let old = |layout: &Piix4Layout| !layout.migrate_smb && !layout.use_acpi_index;
    let no_bridge_header = loaded
        .iter()
        .find(|(value, _)| old(&value.layout) && !value.layout.acpi_hotplug_bridge)
        .is_some_and(|(_, len)| starts_section_header(&bytes[*len..]));
    let rank = |layout: &Piix4Layout| match (old(layout), layout.acpi_hotplug_bridge) {
        (true, bridge) => usize::from(bridge == no_bridge_header),
        (false, _) => 2,
    };
    loaded.sort_by_key(|(value, _)| rank(&value.layout));
    loaded
        .into_iter()
        .find(|(_, len)| ends_at_record(&bytes[*len..]))
        .ok_or_else(|| {
            first_error
                .unwrap_or_else(|| Error::new(ModelErrorKind::NoLayoutFits { idstr: "piix4_pm" }))
        })
}

/// Whether `rest` starts with a START or FULL section header whose idstr is
/// printable.
pub(crate) fn starts_section_header(rest: &[u8]) -> bool {
    matches!(rest.first(), Some(0x01 | 0x04)) && ends_at_record(rest)
}

/// Whether `rest` is empty or starts like what may follow a FULL payload: a
/// section footer, a section header, a command or the EOF marker.
pub(crate) fn ends_at_record(rest: &[u8]) -> bool {
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

fn decode_piix4_pm(bytes: &[u8], version_id: u32) -> Result<ModelOutput, Error> {
    let (value, len) = load_piix4_pm(bytes, version_id)?;
    Ok(ModelOutput {
        len,
        debug: format!("{value:#?}"),
        reencoded: crate::to_vec(&value)?,
    })
}

fn describe_piix4_pm(bytes: &[u8], version_id: u32) -> Result<StateDesc, Error> {
    load_piix4_pm(bytes, version_id)?
        .0
        .describe_state_at(version_id)
}

/// Builds [`MODELS`] and its documentation table from the list that
/// `qemu_models!` holds.
macro_rules! registry {
    (@models [$($done:tt)*]) => { [$($done)*] };
    (@models [$($done:tt)*] $idstr:literal [record] => $($ty:ident)::+; $($tail:tt)*) => {
        registry!(@models [$($done)*] $($tail)*)
    };
    (@models [$($done:tt)*] $idstr:literal [virtio] => $($ty:ident)::+; $($tail:tt)*) => {
        registry!(@models [$($done)* Model {
            idstr: $idstr,
            decode: decode_for_payload::<super::$($ty)::+>,
            describe: describe_for_payload::<super::$($ty)::+>,
            lower: None,
            versions: <super::$($ty)::+ as VmState>::MINIMUM_VERSION..=<super::$($ty)::+ as VmState>::VERSION,
        },] $($tail)*)
    };
    (@models [$($done:tt)*] $idstr:literal [payload] => $($ty:ident)::+; $($tail:tt)*) => {
        registry!(@models [$($done)* Model {
            idstr: $idstr,
            decode: decode_for_payload::<super::$($ty)::+>,
            describe: describe_for_payload::<super::$($ty)::+>,
            lower: None,
            versions: <super::$($ty)::+ as VmState>::MINIMUM_VERSION..=<super::$($ty)::+ as VmState>::VERSION,
        },] $($tail)*)
    };
    (@models [$($done:tt)*] $idstr:literal [layouts] => $($ty:ident)::+; $($tail:tt)*) => {
        registry!(@models [$($done)* Model {
            idstr: $idstr,
            decode: decode_piix4_pm,
            describe: describe_piix4_pm,
            lower: None,
            versions: <super::$($ty)::+ as VmState>::MINIMUM_VERSION..=<super::$($ty)::+ as VmState>::VERSION,
        },] $($tail)*)
    };
    (@models [$($done:tt)*] $idstr:literal => $($ty:ident)::+; $($tail:tt)*) => {
        registry!(@models [$($done)* Model {
            idstr: $idstr,
            decode: decode_with::<super::$($ty)::+>,
            describe: describe_with::<super::$($ty)::+>,
            lower: Some(lower_with::<super::$($ty)::+>),
            versions: <super::$($ty)::+ as VmState>::MINIMUM_VERSION..=<super::$($ty)::+ as VmState>::VERSION,
        },] $($tail)*)
    };
    ($($idstr:literal $([$kind:ident])? => $first:ident $(:: $rest:ident)* $(, $note:literal)?;)*) => {
        #[doc = concat!(
            "Every model, by section idstr. PCI devices are found by the part of \
             the idstr after the last `/` (`0000:00:03.0/e1000` is `e1000`). The \
             configuration record is not a section: its model is in the table, \
             not in the slice.\n\n",
            "| section idstr | type |\n|---|---|\n",
            $(
                "| `", $idstr, "`", $(" (", $note, ")",)? " | [`",
                stringify!($first) $(, "::", stringify!($rest))*,
                "`](super::", stringify!($first) $(, "::", stringify!($rest))*, ") |\n",
            )*
        )]
        pub static MODELS: &[Model] =
            &registry!(@models [] $($idstr $([$kind])? => $first $(:: $rest)*;)*);
    };
}

crate::qemu_models!(registry);

/// The name a section's idstr is registered under: the part after the last
/// `/` (`0000:00:03.0/e1000` is `e1000`), prefixed with `virtio-mmio/` when
/// the device sits on a virtio-mmio transport
/// (`virtio-mmio@000000000a003e00/virtio-blk` is `virtio-mmio/virtio-blk`),
/// whose payload differs from the same device's on virtio-pci.
fn registered_name(idstr: &str) -> std::borrow::Cow<'_, str> {
    let mut parts = idstr.rsplit('/');
    let short = parts.next().unwrap_or(idstr);
    match parts.next() {
        Some(parent) if parent.starts_with("virtio-mmio@") => {
            std::borrow::Cow::Owned(format!("virtio-mmio/{short}"))
        }
        _ => std::borrow::Cow::Borrowed(short),
    }
}

/// The models registered for a section's idstr, in registry order.
fn models_of(idstr: &str) -> impl Iterator<Item = &'static Model> {
    let name = registered_name(idstr);
    MODELS
        .iter()
        .filter(move |model| model.idstr == idstr || model.idstr == name)
}

/// The model for a section's idstr, if there is one. PCI devices are found by
/// the part of the idstr after the last `/` (`0000:00:03.0/e1000` is `e1000`),
/// virtio devices on virtio-mmio as `virtio-mmio/<device>`. Where two models
/// share an idstr (`cpu`: x86's, then Arm's), this is the first; prefer
/// [`model_for`], which also knows the section's version.
#[must_use]
pub fn model(idstr: &str) -> Option<&'static Model> {
    models_of(idstr).next()
}

/// The model for a section's idstr that loads its version: the x86 `cpu`
/// (versions 11 and 12) or the Arm one (22). Found as [`model`] finds them.
#[must_use]
pub fn model_for(idstr: &str, version_id: u32) -> Option<&'static Model> {
    models_of(idstr).find(|model| model.versions.contains(&version_id))
}

/// A [`Delimiter`](crate::stream::Delimiter) for streams without a description:
/// the section's length as its model reads it.
#[must_use]
pub fn delimit(info: &SectionInfo, bytes: &[u8]) -> Option<Result<usize, Error>> {
    let model = model_for(&info.idstr, info.version_id)?;
    Some((model.decode)(bytes, info.version_id).map(|decoded| decoded.len))
}
