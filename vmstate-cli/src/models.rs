//! Which model decodes a section: a monitor's own (installed by
//! [`main_with`](crate::main_with)) before QEMU's.

use std::sync::OnceLock;

use vmstate::Error;

use crate::CommandError;
use vmstate::models::{Model, Registry};
use vmstate::stream::SectionInfo;

/// The monitor's models; empty for the plain `vmstate` binary.
static OWN: OnceLock<Registry> = OnceLock::new();

/// Installs the monitor's models, once per process; a second call is
/// ignored, as the commands have already looked models up.
pub fn install(registry: Registry) {
    let _ = OWN.set(registry);
}

/// The model for a section's idstr that loads its version.
pub fn model_for(idstr: &str, version_id: u32) -> Option<&'static Model> {
    OWN.get()
        .and_then(|own| own.model_for(idstr, version_id))
        .or_else(|| vmstate::qemu::model_for(idstr, version_id))
}

/// The static description of the monitor's own type for a section, which
/// shapes how its values are shown (arrays at any length).
pub fn own_schema(info: &SectionInfo) -> Option<&'static vmstate::schema::Schema> {
    OWN.get()?.schema_for(&info.idstr, info.version_id)
}

/// A [`Delimiter`](vmstate::stream::Delimiter): the section's length as its
/// model reads it.
pub fn delimit(info: &SectionInfo, bytes: &[u8]) -> Option<Result<usize, Error>> {
    match OWN.get().and_then(|own| own.delimit(info, bytes)) {
        Some(found) => Some(found),
        None => vmstate::qemu::delimit(info, bytes),
    }
}

/// Refuses an edit after which the section's model no longer loads the
/// payload and saves it back byte for byte: a count that the device derives
/// from its array (`count_of`) set alone, a discriminant the device does not
/// know, a value an `equal` field refuses. The stream is then never written.
pub fn check_edit(
    info: &SectionInfo,
    payload: &[u8],
    edits: &[(&str, &str)],
) -> Result<(), CommandError> {
    let Some(model) = model_for(&info.idstr, info.version_id) else {
        return Ok(());
    };
    let fields: Vec<String> = edits
        .iter()
        .map(|(path, value)| format!("{path}={value}"))
        .collect();
    let why = match (model.decode)(payload, info.version_id) {
        Err(error) => error.to_string(),
        Ok(decoded) if decoded.len != payload.len() => format!(
            "the device reads {} of the payload's {} bytes (a count set apart from its array?)",
            decoded.len,
            payload.len()
        ),
        Ok(decoded) if decoded.reencoded != payload => {
            "the device saves other bytes back (a count that the device derives from its array?)"
                .to_owned()
        }
        Ok(_) => return Ok(()),
    };
    Err(CommandError::BadInput(format!(
        "section `{}` instance {}: `{}` leaves a payload that the device refuses: {why}; \
         nothing written",
        info.idstr,
        info.instance_id,
        fields.join(" ")
    )))
}
