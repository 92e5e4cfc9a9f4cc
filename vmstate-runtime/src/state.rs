//! Whole device states: the `VmState` trait and the payload entry points.

use crate::desc::StateDesc;
use crate::error::Error;
use crate::field::VmStateField;
use crate::reader::Reader;

/// A device state with a QEMU VMState description: a name, a version, the oldest
/// version it can still load, and code to save and load its payload.
///
/// Implement it with `#[derive(VmState)]`. A payload is what QEMU's
/// `vmstate_save_state` writes for one `VMStateDescription`: the fields back to
/// back, then the subsections that are needed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a vmstate device state",
    label = "this type has no VMState description",
    note = "if `{Self}` is a struct of your crate, add `#[derive(VmState)]` and `#[vmstate(name = \"...\", version = N)]` to it",
    note = "integers, arrays and std types are fields of a device state, not device states: put the value in a struct that derives `VmState`"
)]
pub trait VmState: VmStateField {
    /// The VMSD name (QEMU `VMStateDescription::name`), also the section idstr.
    const NAME: &'static str;
    /// The version this build writes (QEMU `version_id`).
    const VERSION: u32;
    /// The oldest version this build can load (QEMU `minimum_version_id`).
    const MINIMUM_VERSION: u32;
    /// The static description: every field of every version, and the
    /// subsections (what QEMU's `-dump-vmstate` prints).
    const SCHEMA: crate::schema::Schema;
    /// Where the section goes in a stream (QEMU `VMStateDescription::priority`):
    /// `#[vmstate(priority = "...")]`, [`Priority::Default`](crate::Priority::Default) otherwise.
    const PRIORITY: crate::Priority = crate::Priority::Default;

    /// Appends the payload at [`VERSION`](Self::VERSION): fields, then needed
    /// subsections.
    ///
    /// # Errors
    /// A failing `pre_save`/`post_save` hook or custom view, or a variable array
    /// whose length disagrees with its count field.
    #[inline]
    fn save_state(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        self.save_state_at(out, Self::VERSION)
    }

    /// Appends the payload that a receiver at `version_id` expects: the fields
    /// on the wire at that version (`since`, `until`, `exists`), then the
    /// needed subsections, each of which must be known at that version.
    ///
    /// # Errors
    /// As [`save_state`](Self::save_state); also a version outside
    /// `MINIMUM_VERSION..=VERSION`, and [`ErrorKind::SubsectionNotAllowed`](crate::ErrorKind::SubsectionNotAllowed)
    /// when a needed subsection is newer than the target: never a silent loss.
    fn save_state_at(&self, out: &mut Vec<u8>, version_id: u32) -> Result<(), Error>;

    /// Loads a payload that was written at `version_id`, in place.
    ///
    /// This is the raw, non-transactional load: on error `self` may be partly
    /// overwritten. Use [`load_into`] to keep the old state on failure.
    ///
    /// # Errors
    /// A version outside `MINIMUM_VERSION..=VERSION`, truncated or malformed
    /// input, an unknown subsection, or a failing hook; the error names the field
    /// path and byte offset.
    fn load_state(&mut self, reader: &mut Reader<'_>, version_id: u32) -> Result<(), Error>;

    /// How QEMU's vmdesc describes the payload that [`save_state`](Self::save_state)
    /// writes for this value: the fields that exist and the subsections that
    /// are needed, with QEMU's type names and sizes.
    fn describe_state(&self) -> StateDesc;

    /// Sets every `#[vmstate(count_of = array)]` count to the length of its
    /// array, in this value, its inlined structs and its subsections: the
    /// value a load gives the count. A save always writes the array's length
    /// whatever the field holds, so a value compared with what it loads back
    /// (`PartialEq` in a test) compares equal after this. A length the count's
    /// type cannot hold leaves the count as it is (saving it fails).
    /// The default has no counts to set.
    fn sync_counts(&mut self) {}

    /// Told, after every load of a parent that declares this type as a
    /// subsection, whether the subsection was in the payload. [`Loaded`]
    /// keeps it; other types ignore it.
    ///
    /// [`Loaded`]: crate::Loaded
    #[doc(hidden)]
    #[inline]
    fn note_subsection_loaded(&mut self, _loaded: bool) {}

    /// How QEMU's vmdesc describes the payload that
    /// [`save_state_at`](Self::save_state_at) writes for this value at
    /// `version_id`: the fields on the wire at that version, the needed
    /// subsections, and `version_id` as the description's version. A stream
    /// written for an older release carries this in its vmdesc.
    ///
    /// The derive implements it with the same decisions as the save; the
    /// default, for hand-written impls, knows only [`VERSION`](Self::VERSION).
    ///
    /// # Errors
    /// As [`save_state_at`](Self::save_state_at) for a version outside
    /// `MINIMUM_VERSION..=VERSION` and for a needed subsection newer than the
    /// target; the default also refuses any version but `VERSION`.
    fn describe_state_at(&self, version_id: u32) -> Result<StateDesc, Error> {
        if version_id == Self::VERSION {
            return Ok(self.describe_state());
        }
        Err(Error::new(crate::error::ErrorKind::VersionTooOld {
            name: Self::NAME,
            found: version_id,
            minimum: Self::VERSION,
        }))
    }
}

/// Saves `value`'s payload at its current version into a new buffer.
///
/// # Errors
/// See [`VmState::save_state`].
pub fn to_vec<T: VmState>(value: &T) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(capacity_for(value));
    save_into(value, &mut out)?;
    Ok(out)
}

/// The capacity that [`to_vec`] starts with: the exact payload size when the
/// schema fixes it, otherwise what the value says it will write
/// ([`VmStateField::saved_len_hint`]: exact for derived types whose fields
/// all know their size), so that the one allocation is the only one.
fn capacity_for<T: VmState>(value: &T) -> usize {
    match const { T::SCHEMA.fixed_size() } {
        Some(size) => size,
        None => value.saved_len_hint(),
    }
}

/// Appends `value`'s payload to `out`. Reusing `out` across saves (after
/// `out.clear()`) avoids allocating.
///
/// # Errors
/// See [`VmState::save_state`]; on error `out` holds a partial payload.
pub fn save_into<T: VmState>(value: &T, out: &mut Vec<u8>) -> Result<(), Error> {
    value
        .save_state(out)
        .map_err(|e| e.in_section(T::NAME, None))
}

/// Saves `value`'s payload as version `version_id` of its type, for an older
/// receiver (backward migration).
///
/// # Errors
/// See [`VmState::save_state_at`].
pub fn to_vec_at<T: VmState>(value: &T, version_id: u32) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(capacity_for(value));
    value
        .save_state_at(&mut out, version_id)
        .map_err(|e| e.in_section(T::NAME, None))?;
    Ok(out)
}

/// Loads a value from a whole payload that was written at `version_id`. Fields
/// that the payload does not carry (later `since`, `skip`, absent subsections)
/// keep their `Default` value.
///
/// # Errors
/// See [`VmState::load_state`]; also [`ErrorKind::TrailingBytes`](crate::ErrorKind::TrailingBytes)
/// when bytes are left after the payload.
pub fn from_slice<T: VmState + Default>(bytes: &[u8], version_id: u32) -> Result<T, Error> {
    from_slice_with(bytes, version_id, T::default)
}

/// [`from_slice`] for a type without `Default`: the payload loads over the
/// value `init` builds, whose fields the payload does not carry (`skip`
/// fields, a device's host handles) keep what `init` gave them.
///
/// # Errors
/// As [`from_slice`].
pub fn from_slice_with<T: VmState>(
    bytes: &[u8],
    version_id: u32,
    init: impl FnOnce() -> T,
) -> Result<T, Error> {
    let mut value = init();
    load_payload(&mut value, bytes, version_id)?;
    Ok(value)
}

/// Loads a whole payload written at `version_id` into an existing device. Fields
/// that the payload does not carry keep their current value. On error `device`
/// is left exactly as it was.
///
/// When the payload is exactly as long as the type's schema says (its fixed
/// size, or the one its counts give), at the current version of a type
/// whose load cannot fail on such input ([`VmStateField::LOAD_INFALLIBLE`]),
/// the load goes straight into `device`. Otherwise it goes into a clone that replaces
/// `device` only on success; use [`VmState::load_state`] directly where that
/// copy matters more than atomicity, and [`load_into_with`] for a type that
/// is not `Clone`.
///
/// # Errors
/// As [`from_slice`].
pub fn load_into<T: VmState + Clone>(
    device: &mut T,
    bytes: &[u8],
    version_id: u32,
) -> Result<(), Error> {
    load_into_with(device, bytes, version_id, T::clone)
}

/// [`load_into`] for a type that is not `Clone` (a device holding a file, an
/// event fd, a channel): the payload loads into the copy that `stage` makes
/// of `device`, which replaces `device` only on success, so that a failed
/// load leaves it exactly as it was. `stage` copies the migrated state and
/// gives the copy what it cannot clone: a shared handle (`Arc::clone`), a
/// duplicated descriptor, or a placeholder that the caller moves back in
/// after success. A load that cannot fail goes straight into `device`, as
/// in [`load_into`], and `stage` is not called.
///
/// # Errors
/// As [`from_slice`].
pub fn load_into_with<T: VmState>(
    device: &mut T,
    bytes: &[u8],
    version_id: u32,
    stage: impl FnOnce(&T) -> T,
) -> Result<(), Error> {
    if cannot_fail::<T>(bytes, version_id) {
        return load_payload(device, bytes, version_id);
    }
    let mut staged = stage(device);
    load_payload(&mut staged, bytes, version_id)?;
    *device = staged;
    Ok(())
}

/// Whether loading `bytes` cannot fail: the payload is exactly as long as
/// the schema says at the current version (its fixed size, or the one its
/// counts give) of a type whose load cannot fail on such input
/// ([`VmStateField::LOAD_INFALLIBLE`]). Such a load needs no staging copy.
fn cannot_fail<T: VmState>(bytes: &[u8], version_id: u32) -> bool {
    if !const { T::LOAD_INFALLIBLE } || version_id != T::VERSION {
        return false;
    }
    let len = match const { T::SCHEMA.fixed_size() } {
        Some(size) => Some(size),
        None => T::SCHEMA.payload_len(bytes),
    };
    len == Some(bytes.len())
}

fn load_payload<T: VmState>(value: &mut T, bytes: &[u8], version_id: u32) -> Result<(), Error> {
    let mut reader = Reader::new(bytes);
    value
        .load_state(&mut reader, version_id)
        .and_then(|()| reader.finish())
        .map_err(|e| e.in_section(T::NAME, None))
}
