//! The device models' error kinds: what decoding, re-encoding or lowering a
//! section with a model can hit beyond the codec core's payload errors. An
//! [`Error`](crate::Error) carries them with its location;
//! `error.kind::<ModelErrorKind>()` gives them back.

use std::fmt;

use crate::Kind;

/// What a device model refuses or cannot do.
#[derive(Debug)]
#[non_exhaustive]
pub enum ModelErrorKind {
    /// Saved state that the model of a device does not decode (QEMU's raw
    /// `VirtQueueElement` images).
    UnmodelledElement {
        /// What holds the element.
        holder: &'static str,
    },
    /// A name too long for its length byte.
    NameTooLong {
        /// What the name names, e.g. `capability name`.
        what: &'static str,
        /// The name.
        name: String,
        /// The most bytes the wire can hold.
        max: usize,
    },
    /// A payload that the model does not save back byte for byte: it holds
    /// what the model does not read, which an edit through the model would
    /// lose, so nothing is rewritten.
    Lossy {
        /// The model, e.g. `Arm cpu`.
        model: &'static str,
    },
    /// None of the layouts a section may have fits the payload.
    NoLayoutFits {
        /// The section idstr.
        idstr: &'static str,
    },
    /// A payload cannot be written at an older version without loss: fields
    /// added after it carry values other than their defaults.
    CannotLower {
        /// The VMSD name.
        name: &'static str,
        /// The older version asked for.
        version: u32,
        /// The fields added after that version.
        fields: Vec<&'static str>,
    },
}

impl fmt::Display for ModelErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnmodelledElement { holder } => {
                write!(f, "{holder}: its saved VirtQueueElement is not modelled")
            }
            Self::NameTooLong { what, name, max } => {
                write!(f, "{what} `{name}` is longer than {max} bytes")
            }
            Self::Lossy { model } => write!(
                f,
                "the {model} model does not save this payload back byte for byte"
            ),
            Self::NoLayoutFits { idstr } => {
                write!(f, "no {idstr} layout ends where a record starts")
            }
            Self::CannotLower {
                name,
                version,
                fields,
            } => write!(
                f,
                "`{name}` version {version} cannot hold this state: fields added after it carry \
                 values other than their defaults ({})",
                fields.join(", ")
            ),
        }
    }
}

impl Kind for ModelErrorKind {}
