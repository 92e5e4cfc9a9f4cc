//! Subsection framing (QEMU `vmstate_subsection_save`/`_load`): the `0x05`
//! marker, a u8 name length, the name and a be32 version, then the
//! subsection's payload. The derive's generated code and the stream layer
//! both frame subsections with these.

#![allow(
    clippy::inline_always,
    reason = "measured in docs/performance.md: the subsection test ends every struct's load"
)]

use crate::error::{Error, ErrorKind};
use crate::reader::Reader;
use crate::state::VmState;

/// QEMU's `QEMU_VM_SUBSECTION` marker byte.
pub const SUBSECTION_MARKER: u8 = 0x05;

/// The error for a needed subsection that the target version does not know.
#[cold]
#[must_use]
pub fn subsection_not_allowed(name: &'static str, version: u32) -> Error {
    Error::new(ErrorKind::SubsectionNotAllowed { name, version })
}

/// Writes one subsection: marker, name length, name, be32 version, payload
/// (QEMU `vmstate_subsection_save`).
///
/// # Errors
/// Whatever the subsection's own save returns.
pub fn save_subsection<T: VmState>(value: &T, out: &mut Vec<u8>) -> Result<(), Error> {
    // The derive rejects longer names at compile time, since QEMU's length is a u8.
    let name = T::NAME.as_bytes();
    out.push(SUBSECTION_MARKER);
    out.push(u8::try_from(name.len()).unwrap_or(u8::MAX));
    out.extend_from_slice(name);
    out.extend_from_slice(&T::VERSION.to_be_bytes());
    value.save_state(out)
}

/// If the next bytes are a subsection header whose name starts with `parent`,
/// returns that name without consuming anything.
///
/// This is QEMU's rule (`vmstate_subsection_load`): a prefix match without a
/// required `/`, since old devices such as `pckbd_outport` rely on it. Anything
/// else (another byte, another prefix, a header cut short) means "no more
/// subsections here", so that an enclosing struct can go on reading its fields.
#[inline(always)]
#[must_use]
pub fn peek_subsection<'a>(reader: &Reader<'a>, parent: &str) -> Option<&'a [u8]> {
    // Every struct ends with this test, and the marker is rarely there.
    if reader.rest().first() != Some(&SUBSECTION_MARKER) {
        return None;
    }
    subsection_name(reader.rest(), parent)
}

/// The name in the subsection header at the front of `rest`, if it claims
/// `parent`.
#[inline]
fn subsection_name<'a>(rest: &'a [u8], parent: &str) -> Option<&'a [u8]> {
    let len = usize::from(*rest.get(1)?);
    let name = rest.get(2..2 + len)?;
    (len > parent.len() && name.starts_with(parent.as_bytes())).then_some(name)
}

/// Consumes a subsection header that [`peek_subsection`] found and returns its
/// version id.
///
/// # Errors
/// [`ErrorKind::UnexpectedEof`] when the version is cut short.
#[inline]
pub fn enter_subsection(reader: &mut Reader<'_>) -> Result<u32, Error> {
    let header = reader.read_array::<2>()?;
    reader.skip(usize::from(header[1]))?;
    reader.read_be32()
}

/// The error for a subsection the parent does not declare.
#[cold]
#[must_use]
pub fn unknown_subsection(offset: u64, name: &[u8], parent: &'static str) -> Error {
    Error::at(
        ErrorKind::UnknownSubsection {
            name: String::from_utf8_lossy(name).into_owned(),
            parent,
        },
        offset,
    )
}

/// The error for a subsection that appears twice.
#[cold]
#[must_use]
pub fn duplicate_subsection(offset: u64, name: &'static str) -> Error {
    Error::at(ErrorKind::DuplicateSubsection { name }, offset)
}

/// Whether `child` is a valid subsection name of `parent`: `parent/...`, or,
/// when `require_slash` is false, anything longer that starts with `parent`.
#[must_use]
pub const fn is_subsection_name(parent: &str, child: &str, require_slash: bool) -> bool {
    let (parent, child) = (parent.as_bytes(), child.as_bytes());
    if child.len() <= parent.len() || (require_slash && child[parent.len()] != b'/') {
        return false;
    }
    let mut i = 0;
    while i < parent.len() {
        if parent[i] != child[i] {
            return false;
        }
        i += 1;
    }
    true
}
