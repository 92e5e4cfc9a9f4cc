//! Re-encoding a section at an older version, for a destination that loads
//! only that one, when the older layout holds all of the state.

use crate::desc::StateDesc;
use crate::schema::Schema;
use crate::{Error, ErrorKind, Reader, VmState};

/// A section re-encoded at an older version.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    /// The payload at the older version.
    pub payload: Vec<u8>,
    /// Its description, for the stream's vmdesc.
    pub desc: StateDesc,
}

/// Loads `bytes` (written at version `from`) with `T` and saves it at version
/// `to`, when nothing is lost: the state must come back byte for byte when the
/// older payload is loaded and saved at `from` again. A subsection that `to`
/// does not know and that is needed is an error, as
/// [`to_vec_at`](crate::to_vec_at) says.
pub(super) fn lower_with<T: VmState + Default>(
    bytes: &[u8],
    from: u32,
    to: u32,
) -> Result<Lowered, Error> {
    let mut value = T::default();
    value.load_state(&mut Reader::new(bytes), from)?;
    let payload = crate::to_vec_at(&value, to)?;
    let mut back = T::default();
    back.load_state(&mut Reader::new(&payload), to)?;
    if crate::to_vec_at(&back, from)? != bytes {
        let newer: Vec<&str> = T::SCHEMA
            .fields
            .iter()
            .filter(|field| field.since > to && !field.exists)
            .map(|field| field.name)
            .collect();
        return Err(Error::new(ErrorKind::CannotLower {
            name: T::NAME,
            version: to,
            fields: newer,
        }));
    }
    Ok(Lowered {
        payload,
        desc: describe_at(value.describe_state(), &T::SCHEMA, to),
    })
}

/// `desc` (the description at the current version) without what version
/// `to` does not send: fields added later, and subsections its receivers do
/// not know.
fn describe_at(mut desc: StateDesc, schema: &Schema, to: u32) -> StateDesc {
    let on_wire = |name: &str| {
        schema
            .fields
            .iter()
            .find(|field| field.name == name)
            .is_none_or(|field| field.exists || field.since <= to)
    };
    desc.fields.retain(|field| on_wire(&field.name));
    desc.subsections.retain(|sub| {
        schema
            .subsections
            .iter()
            .find(|s| s.schema.name == sub.vmsd_name)
            .is_none_or(|s| s.since <= to)
    });
    desc.version = to;
    desc
}
