//! Release-level targets: which version of each type, and so which
//! subsections, a named release of a monitor knows, read from the
//! `[release NAME]` blocks that `VMSTATE_RELEASE=NAME VMSTATE_LOCK=record cargo
//! test` writes into the layout lock. Saving for a release then needs no
//! version numbers at the call site.

use std::collections::BTreeMap;
use std::path::Path;

use crate::desc::StateDesc;
use crate::error::{Error, ErrorKind};
use crate::lock::Lock;
use crate::schema::{Schema, WireType};
use crate::state::VmState;

/// What one release knows: a version for every type it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The release's name, e.g. `1.0`.
    pub name: String,
    versions: BTreeMap<String, u32>,
}

impl Release {
    /// Release `name` from the text of a lock file: its `[release NAME]`
    /// blocks list `Type vN`, and each type's recorded entry gives its VMSD
    /// name.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidLock`] when the lock does not parse (naming the
    /// line), [`ErrorKind::UnknownRelease`] when it has no such release.
    pub fn from_lock(text: &str, name: &str) -> Result<Self, Error> {
        let lock =
            Lock::parse(text).map_err(|source| Error::new(ErrorKind::InvalidLock { source }))?;
        let mut blocks = lock
            .releases
            .iter()
            .filter(|block| block.name == name)
            .peekable();
        if blocks.peek().is_none() {
            return Err(Error::new(ErrorKind::UnknownRelease {
                release: name.to_owned(),
            }));
        }
        let mut versions = BTreeMap::new();
        for (key, version) in blocks.flat_map(|block| &block.members) {
            // A type recorded under its Rust name answers to its VMSD name.
            let vmsd = lock
                .entry(key, *version)
                .map_or(key.as_str(), |entry| entry.layout.vmsd.as_str());
            versions.insert(vmsd.to_owned(), *version);
        }
        Ok(Self {
            name: name.to_owned(),
            versions,
        })
    }

    /// Release `name` from the lock file at `path`.
    ///
    /// # Errors
    /// [`ErrorKind::Io`] when the file cannot be read; else as [`Release::from_lock`].
    pub fn load(path: impl AsRef<Path>, name: &str) -> Result<Self, Error> {
        let text =
            std::fs::read_to_string(path).map_err(|source| Error::new(ErrorKind::Io { source }))?;
        Self::from_lock(&text, name)
    }

    /// The version of the type named `vmsd` in this release, if it has it.
    #[must_use]
    pub fn version_of(&self, vmsd: &str) -> Option<u32> {
        self.versions.get(vmsd).copied()
    }
}

/// Saves `value` for a receiver that runs `release`: at the version of `T`
/// that the release has, refusing (naming it) any needed subsection that the
/// release does not know. Never a silent loss.
///
/// # Errors
/// [`ErrorKind::NotInRelease`] when the release has no `T`;
/// [`ErrorKind::SubsectionNotAllowed`] for a needed subsection it does not
/// know; else as [`VmState::save_state_at`].
pub fn to_vec_for<T: VmState>(value: &T, release: &Release) -> Result<Vec<u8>, Error> {
    let version = release.version_of(T::NAME).ok_or_else(|| {
        Error::new(ErrorKind::NotInRelease {
            release: release.name.clone(),
            name: T::NAME,
        })
        .in_section(T::NAME, None)
    })?;
    check_subsections(&value.describe_state(), &T::SCHEMA, release, version)
        .map_err(|e| e.in_section(T::NAME, None))?;
    crate::to_vec_at(value, version)
}

/// Every subsection that the value would send must be one the release knows.
fn check_subsections(
    state: &StateDesc,
    schema: &'static Schema,
    release: &Release,
    version: u32,
) -> Result<(), Error> {
    for sub in &state.subsections {
        if release.version_of(&sub.vmsd_name).is_none() {
            return Err(match static_name(schema, &sub.vmsd_name) {
                Some(name) => Error::new(ErrorKind::SubsectionNotAllowed { name, version }),
                None => Error::new(ErrorKind::SubsectionNotInRelease {
                    name: sub.vmsd_name.clone(),
                    release: release.name.clone(),
                }),
            });
        }
        check_subsections(sub, schema, release, version)?;
    }
    for field in &state.fields {
        if let Some(nested) = &field.nested {
            check_subsections(nested, schema, release, version)?;
        }
    }
    Ok(())
}

/// The `'static` name of subsection `name` anywhere in `schema`, so that the
/// error can carry it as the other subsection errors do.
fn static_name(schema: &'static Schema, name: &str) -> Option<&'static str> {
    fn in_wire(wire: &WireType, name: &str) -> Option<&'static str> {
        match wire {
            WireType::Struct(schema) => static_name(schema, name),
            WireType::Array { element, .. } => in_wire(element, name),
            _ => None,
        }
    }
    schema
        .subsections
        .iter()
        .find_map(|sub| {
            (sub.schema.name == name)
                .then_some(sub.schema.name)
                .or_else(|| static_name(sub.schema, name))
        })
        .or_else(|| {
            schema
                .fields
                .iter()
                .find_map(|field| in_wire(&field.wire, name))
        })
}
