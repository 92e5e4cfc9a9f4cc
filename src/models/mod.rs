//! Models of device sections: a derived type, known by the section idstr it
//! is saved under, that tools decode, describe and re-encode a section's
//! payload with.
//!
//! `vmstate::qemu` holds the models of QEMU's devices; a
//! monitor builds a [`Registry`] of its own devices' types, so that the
//! `vmstate` tool decodes and converts its streams as it does QEMU's (see
//! `vmstate_cli::main_with` in the `vmstate-cli` package):
//!
//! ```
//! use vmstate::VmState;
//! use vmstate::models::Registry;
//!
//! #[derive(VmState, Debug, Default)]
//! #[vmstate(name = "acme-timer", version = 2, minimum_version = 1)]
//! struct Timer {
//!     count: u32,
//!     #[vmstate(since = 2)]
//!     reload: u32,
//! }
//!
//! let registry = Registry::new().with::<Timer>();
//! let model = registry.model_for("acme-timer", 2).expect("registered");
//! // A version 2 payload re-encoded for a version 1 receiver, when nothing is lost.
//! let lower = model.lower.expect("a derived type with a Default lowers");
//! let lowered = lower(&[0, 0, 0, 7, 0, 0, 0, 0], 2, 1)?;
//! assert_eq!(lowered.payload, [0, 0, 0, 7]);
//! assert_eq!(lowered.desc.version, 1);
//! # Ok::<(), vmstate::Error>(())
//! ```

mod error;
mod lower;
mod registry;

use core::fmt::Debug;
use core::ops::RangeInclusive;

pub use error::ModelErrorKind;
pub use lower::{Lowered, lower_with};
pub use registry::Registry;

use crate::desc::StateDesc;
use crate::schema::Schema;
use crate::{Error, Reader, VmState};

/// A model of one section, known by the section's idstr.
pub struct Model {
    /// The section idstr, e.g. `mc146818rtc`; for a device saved under an
    /// address (`0000:00:02.0/e1000`), the part after the last `/`.
    pub idstr: &'static str,
    /// Decodes a payload at a version; returns the bytes it took and the
    /// re-encoded payload.
    pub decode: fn(&[u8], u32) -> Result<ModelOutput, Error>,
    /// Decodes a payload at a version and describes it as QEMU's vmdesc does.
    pub describe: fn(&[u8], u32) -> Result<StateDesc, Error>,
    /// Re-encodes a payload written at the first version at the second, an
    /// older one, when that loses nothing; `None` for models whose layout
    /// depends on more than the version (virtio, `piix4_pm`).
    pub lower: Option<Lower>,
    /// The section versions the model loads (`MINIMUM_VERSION..=VERSION`):
    /// how a lookup tells apart two models of one idstr (x86's and Arm's
    /// `cpu`).
    pub versions: RangeInclusive<u32>,
}

/// Re-encodes a payload written at the first version at the second.
pub type Lower = fn(&[u8], u32, u32) -> Result<Lowered, Error>;

/// What a model made of a payload.
pub struct ModelOutput {
    /// How many bytes the payload took.
    pub len: usize,
    /// The decoded value, formatted with `{:#?}`.
    pub debug: String,
    /// The value saved again at its current version.
    pub reencoded: Vec<u8>,
}

impl Model {
    /// The model of `T`, saved as section `T::NAME`: it decodes from
    /// `T::default()`, describes with [`VmState::describe_state`] and lowers
    /// with [`lower_with`].
    #[must_use]
    pub fn of<T: VmState + Default + Debug>() -> Self {
        Self::named::<T>(T::NAME)
    }

    /// The model of `T` for sections saved under `idstr` instead of
    /// `T::NAME`.
    #[must_use]
    pub fn named<T: VmState + Default + Debug>(idstr: &'static str) -> Self {
        Self {
            idstr,
            decode: decode_with::<T>,
            describe: describe_with::<T>,
            lower: Some(lower_with::<T>),
            versions: T::MINIMUM_VERSION..=T::VERSION,
        }
    }
}

impl Debug for Model {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Model")
            .field("idstr", &self.idstr)
            .field("versions", &self.versions)
            .field("lowers", &self.lower.is_some())
            .finish_non_exhaustive()
    }
}

/// The static schema of `T`, for a registry's dump.
pub(crate) fn schema_of<T: VmState>() -> &'static Schema {
    const { &T::SCHEMA }
}

/// Loads `bytes` into `value`, then shows and saves it again.
pub(crate) fn decode_into<T: VmState + Debug>(
    mut value: T,
    bytes: &[u8],
    version_id: u32,
) -> Result<ModelOutput, Error> {
    let mut reader = Reader::new(bytes);
    value.load_state(&mut reader, version_id)?;
    Ok(ModelOutput {
        len: bytes.len() - reader.remaining(),
        debug: format!("{value:#?}"),
        reencoded: crate::to_vec(&value)?,
    })
}

/// Decodes with `T` from the start of `bytes`.
pub(crate) fn decode_with<T: VmState + Default + Debug>(
    bytes: &[u8],
    version_id: u32,
) -> Result<ModelOutput, Error> {
    decode_into(T::default(), bytes, version_id)
}

/// Decodes with `T` and describes the value as it was saved: at
/// `version_id`, so that the description delimits the payload it came from.
pub(crate) fn describe_with<T: VmState + Default>(
    bytes: &[u8],
    version_id: u32,
) -> Result<StateDesc, Error> {
    let mut value = T::default();
    value.load_state(&mut Reader::new(bytes), version_id)?;
    value.describe_state_at(version_id)
}
