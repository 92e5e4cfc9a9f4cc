//! Re-encoding a section at an older version, for a destination that loads
//! only that one, when the older layout holds all of the state.

use super::ModelErrorKind;
use crate::desc::StateDesc;
use crate::{Error, Reader, VmState};

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
/// [`to_vec_at`](crate::to_vec_at) says. The description is
/// [`VmState::describe_state_at`]'s, so it says what the payload holds.
///
/// # Errors
/// A load or save that fails, or [`ModelErrorKind::CannotLower`] naming the
/// fields that version `to` cannot carry.
pub fn lower_with<T: VmState + Default>(
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
        return Err(Error::new(ModelErrorKind::CannotLower {
            name: T::NAME,
            version: to,
            fields: newer,
        }));
    }
    Ok(Lowered {
        desc: value.describe_state_at(to)?,
        payload,
    })
}
