//! What the check found: one [`Finding`] per problem or warning, located the way
//! QEMU's `vmstate-static-checker.py` locates them (section, description, field).

use std::fmt;

/// The outcome of [`check`](super::check): every finding, in the order found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Report {
    /// Problems and warnings, in the order the dumps were walked.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The findings that break migration.
    pub fn problems(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|finding| finding.severity == Severity::Problem)
    }

    /// The findings that do not break this migration but deserve a look.
    pub fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|finding| finding.severity == Severity::Warning)
    }

    /// How many problems were found.
    #[must_use]
    pub fn problem_count(&self) -> usize {
        self.problems().count()
    }

    /// Whether the source can migrate to the destination: no problems.
    #[must_use]
    pub fn is_compatible(&self) -> bool {
        self.problems().next().is_none()
    }

    /// The process exit status QEMU's checker uses: the number of problems,
    /// capped at 255 so that it never wraps to 0.
    #[must_use]
    pub fn exit_status(&self) -> u8 {
        u8::try_from(self.problem_count()).unwrap_or(u8::MAX)
    }

    pub(super) fn push(&mut self, severity: Severity, location: Location, kind: Kind) {
        self.findings.push(Finding {
            severity,
            location,
            kind,
        });
    }
}

/// One line per finding.
impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            writeln!(f, "{finding}")?;
        }
        Ok(())
    }
}

/// Whether a finding breaks migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Migration from source to destination fails (or may fail) because of it.
    Problem,
    /// This migration works, but something deserves a look (printed with `Warning:`).
    Warning,
}

/// Where a finding is: QEMU's `Section "X" Description "Y" Field "Z"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The section name.
    pub section: String,
    /// The VMSD name, for findings inside a description (a subsection's own name).
    pub description: Option<String>,
    /// The field name, for findings about one field.
    pub field: Option<String>,
}

impl Location {
    pub(super) fn section(section: &str) -> Self {
        Self {
            section: section.to_owned(),
            description: None,
            field: None,
        }
    }

    pub(super) fn description(section: &str, description: &str) -> Self {
        Self {
            description: Some(description.to_owned()),
            ..Self::section(section)
        }
    }

    pub(super) fn field(&self, field: &str) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..self.clone()
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Section {:?}", self.section)?;
        if let Some(description) = &self.description {
            write!(f, " Description {description:?}")?;
        }
        if let Some(field) = &self.field {
            write!(f, " Field {field:?}")?;
        }
        Ok(())
    }
}

/// One problem or warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Whether it breaks migration.
    pub severity: Severity,
    /// Where it is.
    pub location: Location,
    /// What it is.
    pub kind: Kind,
}

/// `Section "X" Description "Y": what`, with `Warning: ` before warnings.
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.severity == Severity::Warning {
            f.write_str("Warning: ")?;
        }
        write!(f, "{}: {}", self.location, self.kind)
    }
}

/// What a finding is. The first group are the checks of QEMU's
/// `vmstate-static-checker.py`, worded as it words them; the rest are checks it
/// does not make.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    /// The source has a section the destination lacks: it cannot load the stream.
    SectionMissing,
    /// A key the source has is missing in the destination (`Description`, ...).
    EntryMissing {
        /// The missing key.
        entry: String,
    },
    /// The source saves a newer version than the destination loads.
    VersionTooNew {
        /// The source's `version_id`.
        src: i64,
        /// The destination's `version_id`.
        dest: i64,
    },
    /// The source saves an older version than the destination still loads.
    VersionTooOld {
        /// The source's `version_id`.
        src: i64,
        /// The destination's `minimum_version_id`.
        dest_minimum: i64,
    },
    /// An inlined struct's description has another name in the destination.
    DescriptionRenamed {
        /// The destination's VMSD name.
        dest: String,
    },
    /// At the same place in the stream the two sides have different fields; the
    /// rest of the description is not compared.
    FieldMismatch {
        /// The source's field.
        src: String,
        /// The destination's field.
        dest: String,
    },
    /// The destination's fields end where the source still writes one.
    DestEnds {
        /// The first source field the destination does not read.
        src: String,
    },
    /// `unused` padding on one side does not line up with fields on the other.
    UnusedSizeMismatch {
        /// The field where the byte counts part.
        near: String,
    },
    /// A field's element size differs.
    SizeMismatch {
        /// The source's size.
        src: u64,
        /// The destination's size.
        dest: u64,
    },
    /// The source's field is an inlined struct, the destination's is not.
    DescriptionMissing,
    /// A subsection the source may send is unknown to the destination.
    SubsectionMissing {
        /// The subsection's name.
        name: String,
    },
    /// Machine types differ: the comparison may not mean much (a warning).
    MachineMismatch {
        /// The source's machine type.
        src: String,
        /// The destination's machine type.
        dest: String,
    },
    /// An array's element count differs (dumps with `num`).
    LengthMismatch {
        /// The source's count.
        src: u64,
        /// The destination's count.
        dest: u64,
    },
    /// A field both sides have is on the wire for one side and not the other, at
    /// the versions they use: its `version_id` changed.
    PresenceMismatch {
        /// The field's `version_id` in the source.
        src_version_id: i64,
        /// The version the source writes its description at.
        src_version: i64,
        /// The field's `version_id` in the destination.
        dest_version_id: i64,
        /// The version the destination reads the description at.
        dest_version: i64,
    },
    /// The destination reads a field the source never writes: it was added after
    /// the source's last field without raising the version, or inside an inlined
    /// struct, which the destination reads at its own version.
    FieldAdded {
        /// The field's `version_id`.
        version_id: i64,
        /// The version the destination reads the description at.
        load_version: i64,
        /// Whether the field is inside an inlined struct (`VMSTATE_STRUCT`).
        in_struct: bool,
    },
    /// A field was added at the end behind a `field_exists` test, which a dump cannot
    /// evaluate (a warning).
    FieldAddedWithTest,
    /// Same size, different wire type (dumps that record `type`).
    TypeMismatch {
        /// The source's type.
        src: String,
        /// The destination's type.
        dest: String,
    },
    /// A subsection's version rose; the destination still loads the source's
    /// version, but the way back fails whenever the subsection is sent (a warning).
    SubsectionVersionChanged {
        /// The source's `version_id`.
        src: i64,
        /// The destination's `version_id`.
        dest: i64,
    },
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SectionMissing => f.write_str("does not exist in dest"),
            Self::EntryMissing { entry } => write!(f, "Entry {entry:?} missing"),
            Self::VersionTooNew { src, dest } => write!(f, "version error: {src} > {dest}"),
            Self::VersionTooOld { src, dest_minimum } => {
                write!(f, "minimum version error: {src} < {dest_minimum}")
            }
            Self::DescriptionRenamed { dest } => {
                write!(f, "missing, got {dest:?} instead; skipping")
            }
            Self::FieldMismatch { src, dest } => {
                write!(f, "expected field {src:?}, got {dest:?}; skipping rest")
            }
            Self::DestEnds { src } => {
                write!(
                    f,
                    "expected field {src:?}, while dest has no further fields"
                )
            }
            Self::UnusedSizeMismatch { near } => write!(f, "unused size mismatch near {near:?}"),
            Self::SizeMismatch { src, dest } => write!(f, "size mismatch: {src} , {dest}"),
            Self::DescriptionMissing => f.write_str("missing description"),
            Self::SubsectionMissing { name } => write!(f, "Subsection {name:?} not found"),
            Self::MachineMismatch { src, dest } => {
                write!(f, "checking incompatible machine types: {src:?}, {dest:?}")
            }
            Self::LengthMismatch { src, dest } => {
                write!(f, "array length mismatch: {src} , {dest}")
            }
            Self::PresenceMismatch {
                src_version_id,
                src_version,
                dest_version_id,
                dest_version,
            } => {
                let written = src_version_id <= src_version;
                write!(
                    f,
                    "src {} it at version {src_version} (version_id {src_version_id}), \
                     dest {} it at version {dest_version} (version_id {dest_version_id})",
                    if written { "writes" } else { "does not write" },
                    if written { "does not read" } else { "reads" },
                )
            }
            Self::FieldAdded {
                version_id,
                load_version,
                in_struct: false,
            } => write!(
                f,
                "added without a version bump: dest reads it at version {load_version} \
                 (version_id {version_id}), src never writes it; raise the version and \
                 add the field at the new one, or send it in a subsection"
            ),
            Self::FieldAdded {
                version_id,
                load_version,
                in_struct: true,
            } => write!(
                f,
                "added to an inlined struct: dest reads it at its own version \
                 {load_version} (version_id {version_id}), src never writes it; a struct's \
                 version is not on the wire, so send the field in a subsection"
            ),
            Self::FieldAddedWithTest => f.write_str(
                "added at the end behind a field_exists test, which a dump cannot \
                 evaluate: make sure the test is false for streams from src",
            ),
            Self::TypeMismatch { src, dest } => {
                write!(
                    f,
                    "type mismatch: {src} , {dest} (same size, different meaning)"
                )
            }
            Self::SubsectionVersionChanged { src, dest } => write!(
                f,
                "subsection version changed: {src} -> {dest}; dest loads version {src}, \
                 but migrating back fails whenever dest sends this subsection"
            ),
        }
    }
}
