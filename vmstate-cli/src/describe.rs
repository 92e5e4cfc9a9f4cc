//! Which description names a section's fields: the stream's own vmdesc where
//! it names them, a model where the vmdesc has no entry or only an opaque one
//! (QEMU describes a virtio device's state as one `virtio` field, and an
//! old-style section such as `slirp` as one buffer), and the
//! vmdesc again where no model reads the payload. A model that fails on a
//! payload (a layout it does not know) never makes a valid stream fail.

use vmstate::desc::StateDesc;
use vmstate::stream::{SectionInfo, Vmdesc};

/// Whether a model decodes `payload` completely and writes it back byte for byte.
pub fn model_round_trips(info: &SectionInfo, payload: &[u8]) -> bool {
    crate::models::model_for(&info.idstr, info.version_id)
        .and_then(|model| (model.decode)(payload, info.version_id).ok())
        .is_some_and(|decoded| decoded.len == payload.len() && decoded.reencoded == payload)
}

/// The description that names the most of `payload`'s fields, its arrays
/// shown as arrays at any length where the monitor's own model says which
/// fields are arrays.
pub fn describe(vmdesc: Option<&Vmdesc>, info: &SectionInfo, payload: &[u8]) -> Option<StateDesc> {
    let mut desc = describe_fields(vmdesc, info, payload)?;
    if let Some(schema) = crate::models::own_schema(info) {
        desc.shape_arrays(schema);
    }
    Some(desc)
}

/// The description that names the most of `payload`'s fields, as written.
fn describe_fields(
    vmdesc: Option<&Vmdesc>,
    info: &SectionInfo,
    payload: &[u8],
) -> Option<StateDesc> {
    let device = vmdesc.and_then(|v| v.device(&info.idstr, info.instance_id));
    // An old-style section (`slirp`) is described as one buffer.
    let opaque = device.is_none_or(|device| device.legacy || is_opaque(&device.state));
    let from_vmdesc = device.map(|device| device.state.clone());
    if opaque && model_round_trips(info, payload) {
        let model = crate::models::model_for(&info.idstr, info.version_id)?;
        if let Ok(desc) = (model.describe)(payload, info.version_id) {
            return Some(desc);
        }
    }
    from_vmdesc
}

/// A description that shows state only as a blob: a field whose type QEMU
/// saves with a hand-written function (`virtio`).
fn is_opaque(desc: &StateDesc) -> bool {
    desc.fields
        .iter()
        .any(|field| field.type_name == "virtio" || field.nested.as_deref().is_some_and(is_opaque))
}
