//! [`Loaded`]: a subsection that is sent again when it was received.
//!
//! Many QEMU subsections are needed when the device "has" some state, and the
//! device only knows it has it because the subsection came in: a model of a
//! QEMU device, or a tool that passes a section through, must send such a
//! subsection exactly when it loaded one. `#[subsection(needed = loaded)]` on
//! a `Loaded<T>` field says so. Every load of the parent sets the flag of
//! each `Loaded` subsection (whatever decides its `needed`) before
//! `post_load` runs, so no hook has to keep it.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::{Deref, DerefMut};

use crate::desc::{FieldDesc, StateDesc};
use crate::error::Error;
use crate::reader::Reader;
use crate::schema::{Schema, WireType};
use crate::{VmState, VmStateField};

/// A subsection's state and whether the last load received it.
///
/// It has `T`'s wire form, and derefs to `T`. Declare the field
/// `#[subsection(needed = loaded)] sub: Loaded<Sub>`: a save sends the
/// subsection when the last load received it (or when
/// [`set_loaded`](Self::set_loaded) said so), and every load of the parent
/// sets the flag to whether the subsection was in the payload.
///
/// Comparisons and hashes see the state only: the flag is a note about the
/// last load, and a value saved and loaded back compares equal to itself
/// whether or not the load set it.
#[derive(Clone, Copy, Default)]
pub struct Loaded<T> {
    value: T,
    loaded: bool,
}

impl<T> Loaded<T> {
    /// `value`, not loaded: a save leaves the subsection out.
    pub const fn new(value: T) -> Self {
        Self {
            value,
            loaded: false,
        }
    }

    /// Whether the last load of the parent received the subsection: whether
    /// a save sends it.
    #[must_use]
    pub const fn was_loaded(this: &Self) -> bool {
        this.loaded
    }

    /// Sets whether a save sends the subsection, as if a load had (or had
    /// not) received it.
    pub const fn set_loaded(this: &mut Self, loaded: bool) {
        this.loaded = loaded;
    }

    /// The state, without the flag.
    pub fn into_inner(this: Self) -> T {
        this.value
    }
}

impl<T> Deref for Loaded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

impl<T> DerefMut for Loaded<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.value
    }
}

impl<T: PartialEq> PartialEq for Loaded<T> {
    fn eq(&self, other: &Self) -> bool {
        self.value == other.value
    }
}

impl<T: Eq> Eq for Loaded<T> {}

impl<T: Hash> Hash for Loaded<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.value.hash(state);
    }
}

/// Shows the flag beside the state, so that a decoded device says which
/// subsections came in.
impl<T: fmt::Debug> fmt::Debug for Loaded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaded")
            .field("loaded", &self.loaded)
            .field("value", &self.value)
            .finish()
    }
}

impl<T: VmStateField> VmStateField for Loaded<T> {
    const MIN_WIRE_SIZE: usize = T::MIN_WIRE_SIZE;
    const LOAD_INFALLIBLE: bool = T::LOAD_INFALLIBLE;
    const VMDESC_COMPRESSIBLE: bool = T::VMDESC_COMPRESSIBLE;
    const WIRE: WireType = T::WIRE;

    fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
        self.value.describe_field(name, out);
    }

    #[inline]
    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.value.save_field(out)
    }

    #[inline]
    #[allow(
        clippy::mut_mut,
        reason = "the trait's signature: `&mut &mut [u8]` is the cursor `save_fixed` writes through"
    )]
    fn save_fixed(&self, out: &mut &mut [u8]) -> Result<(), Error> {
        self.value.save_fixed(out)
    }

    #[inline]
    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        self.value.load_field(reader)
    }

    fn sync_field_counts(&mut self) {
        self.value.sync_field_counts();
    }

    fn saved_len_hint(&self) -> usize {
        self.value.saved_len_hint()
    }
}

impl<T: VmState> VmState for Loaded<T> {
    const NAME: &'static str = T::NAME;
    const VERSION: u32 = T::VERSION;
    const MINIMUM_VERSION: u32 = T::MINIMUM_VERSION;
    const SCHEMA: Schema = T::SCHEMA;
    const PRIORITY: crate::Priority = T::PRIORITY;

    fn save_state_at(&self, out: &mut Vec<u8>, version_id: u32) -> Result<(), Error> {
        self.value.save_state_at(out, version_id)
    }

    fn load_state(&mut self, reader: &mut Reader<'_>, version_id: u32) -> Result<(), Error> {
        self.value.load_state(reader, version_id)
    }

    fn describe_state(&self) -> StateDesc {
        self.value.describe_state()
    }

    fn sync_counts(&mut self) {
        self.value.sync_counts();
    }

    fn describe_state_at(&self, version_id: u32) -> Result<StateDesc, Error> {
        self.value.describe_state_at(version_id)
    }

    fn note_subsection_loaded(&mut self, loaded: bool) {
        self.loaded = loaded;
    }
}
