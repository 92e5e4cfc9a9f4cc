//! Release-level targets: which version of each type, and so which
//! subsections, a named release of a monitor knows, read from the
//! `[release NAME]` blocks that `VMSTATE_RELEASE=NAME VMSTATE_LOCK=record cargo
//! test` writes into the layout lock. Saving for a release then needs no
//! version numbers at the call site.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::desc::StateDesc;
use crate::error::{Error, ErrorKind, Kind};
use crate::lock::{Lock, LockError};
use crate::schema::{Owned, Schema, WireType};
use crate::state::VmState;

/// What one release knows: a version for every type it has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// The release's name, e.g. `1.0`.
    pub name: String,
    members: Vec<Member>,
}

/// One `KEY vN` line of a release, with what the lock records for it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Member {
    /// The VMSD name (the key's type name when the lock has no entry).
    vmsd: String,
    version: u32,
    /// The recorded layout, which tells apart types that share a VMSD name.
    layout: Option<Schema<Owned>>,
}

/// Why a release could not be read from a lock. (Saving for a release that
/// lacks what the state needs is a [`ReleaseErrorKind`] of an [`Error`].)
#[derive(Debug)]
#[non_exhaustive]
pub enum ReleaseError {
    /// The lock file could not be read.
    Io {
        /// The lock file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The lock does not parse.
    Lock(LockError),
    /// The lock has no `[release NAME]` block of this name.
    UnknownRelease {
        /// The release asked for.
        release: String,
    },
}

impl fmt::Display for ReleaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Self::Lock(source) => write!(f, "the lock, {source}"),
            Self::UnknownRelease { release } => {
                write!(f, "the lock has no `[release {release}]` block")
            }
        }
    }
}

impl std::error::Error for ReleaseError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Io { source, .. } => Some(source),
            Self::Lock(source) => Some(source),
            Self::UnknownRelease { .. } => None,
        }
    }
}

/// What saving for a release can hit beyond a save's own errors: the
/// release lacks what the state needs. An [`Error`] carries it with the
/// section; `error.kind::<ReleaseErrorKind>()` gives it back.
#[derive(Debug)]
#[non_exhaustive]
pub enum ReleaseErrorKind {
    /// A release does not list the type being saved.
    NotInRelease {
        /// The release.
        release: String,
        /// The VMSD name of the type.
        name: &'static str,
    },
    /// A needed subsection that the target release does not know.
    SubsectionNotInRelease {
        /// The subsection's VMSD name.
        name: String,
        /// The release.
        release: String,
    },
}

impl fmt::Display for ReleaseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotInRelease { release, name } => {
                write!(f, "release `{release}` has no `{name}`")
            }
            Self::SubsectionNotInRelease { name, release } => write!(
                f,
                "subsection `{name}` is needed, but release `{release}` does not know it"
            ),
        }
    }
}

impl Kind for ReleaseErrorKind {}

impl Release {
    /// Release `name` from the text of a lock file: its `[release NAME]`
    /// blocks list `Type vN`, and each type's recorded entry gives its VMSD
    /// name and layout.
    ///
    /// # Errors
    /// [`ReleaseError::Lock`] when the lock does not parse (naming the line),
    /// [`ReleaseError::UnknownRelease`] when it has no such release.
    pub fn from_lock(text: &str, name: &str) -> Result<Self, ReleaseError> {
        let lock = Lock::parse(text).map_err(ReleaseError::Lock)?;
        let mut blocks = lock
            .releases
            .iter()
            .filter(|block| block.name == name)
            .peekable();
        if blocks.peek().is_none() {
            return Err(ReleaseError::UnknownRelease {
                release: name.to_owned(),
            });
        }
        let mut members: Vec<Member> = Vec::new();
        for (key, version) in blocks.flat_map(|block| &block.members) {
            let entry = lock.entry(key, *version);
            let member = Member {
                vmsd: entry.map_or_else(
                    || crate::lock::split_key(key).1.to_owned(),
                    |entry| entry.layout.name.clone(),
                ),
                version: *version,
                layout: entry.map(|entry| entry.layout.clone()),
            };
            if !members.contains(&member) {
                members.push(member);
            }
        }
        Ok(Self {
            name: name.to_owned(),
            members,
        })
    }

    /// Release `name` from the lock file at `path`.
    ///
    /// # Errors
    /// [`ReleaseError::Io`] when the file cannot be read; else as [`Release::from_lock`].
    pub fn load(path: impl AsRef<Path>, name: &str) -> Result<Self, ReleaseError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| ReleaseError::Io {
            path: path.to_owned(),
            source,
        })?;
        Self::from_lock(&text, name)
    }

    /// The version of the type named `vmsd` in this release, if it has it and
    /// every type of that VMSD name it lists has the same version (see
    /// [`Release::version_for`] to tell them apart).
    #[must_use]
    pub fn version_of(&self, vmsd: &str) -> Option<u32> {
        let mut versions = self
            .members
            .iter()
            .filter(|member| member.vmsd == vmsd)
            .map(|member| member.version);
        let first = versions.next()?;
        versions.all(|version| version == first).then_some(first)
    }

    /// Whether the release has some type named `vmsd`.
    #[must_use]
    pub fn knows(&self, vmsd: &str) -> bool {
        self.members.iter().any(|member| member.vmsd == vmsd)
    }

    /// The version of the type whose schema is `schema` in this release. When
    /// several types the release lists share its VMSD name at different
    /// versions, the one whose recorded layout is `schema`'s at that version.
    #[must_use]
    pub fn version_for(&self, schema: &Schema) -> Option<u32> {
        if let Some(version) = self.version_of(schema.name) {
            return Some(version);
        }
        let mut matching = self.members.iter().filter(|member| {
            member.vmsd == schema.name
                && (schema.minimum_version..=schema.version).contains(&member.version)
                && member
                    .layout
                    .as_ref()
                    .is_some_and(|layout| *layout == schema.recorded_at(member.version))
        });
        let first = matching.next()?.version;
        matching
            .all(|member| member.version == first)
            .then_some(first)
    }
}

/// Saves `value` for a receiver that runs `release`: at the version of `T`
/// that the release has, refusing (naming it) any needed subsection that the
/// release does not know. Never a silent loss.
///
/// # Errors
/// [`ReleaseErrorKind::NotInRelease`] when the release has no `T`;
/// [`ErrorKind::SubsectionNotAllowed`] for a needed subsection it does not
/// know; else as [`VmState::save_state_at`].
pub fn to_vec_for<T: VmState>(value: &T, release: &Release) -> Result<Vec<u8>, Error> {
    let version = release.version_for(&T::SCHEMA).ok_or_else(|| {
        Error::new(ReleaseErrorKind::NotInRelease {
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
        if !release.knows(&sub.vmsd_name) {
            return Err(match static_name(schema, &sub.vmsd_name) {
                Some(name) => Error::new(ErrorKind::SubsectionNotAllowed { name, version }),
                None => Error::new(ReleaseErrorKind::SubsectionNotInRelease {
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
