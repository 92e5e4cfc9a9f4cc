//! The rules for sections, descriptions, versions and subsections. Field lists
//! are walked in `fields.rs`.
//!
//! Direction matters: the source writes the stream, the destination reads it.
//! A section's or subsection's stream carries the source's version and the
//! destination loads at that version; an inlined struct carries no version, and
//! each side uses its own.

use super::dump::{Description, Dump, Section};
use super::renames;
use super::report::{Kind, Location, Report, Severity};

/// How a description is reached, which decides the versions it is read at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    /// A section's own description. `versions_checked`: the section entry had the
    /// same version numbers, so they were already compared there.
    Section { versions_checked: bool },
    /// An inlined struct (`VMSTATE_STRUCT`): no version on the wire.
    Struct,
    /// A subsection: its version is on the wire.
    Subsection,
}

/// Collects findings while the two dumps are walked.
#[derive(Debug, Default)]
pub(super) struct Checker {
    pub(super) report: Report,
}

/// Compares every section of `src` with `dest`.
pub(super) fn check(src: &Dump, dest: &Dump) -> Report {
    let mut checker = Checker::default();
    // The machine type is not a section: differing types are worth knowing but
    // are not a problem (QEMU's checker only warns too).
    if let (Some(src_machine), Some(dest_machine)) = (&src.machine, &dest.machine)
        && src_machine != dest_machine
    {
        checker.warning(
            Location::section("vmschkmachine"),
            Kind::MachineMismatch {
                src: src_machine.clone(),
                dest: dest_machine.clone(),
            },
        );
    }
    for section in &src.sections {
        let found = dest.section(&section.name).or_else(|| {
            renames::other_section_name(&section.name).and_then(|name| dest.section(name))
        });
        match found {
            Some(dest_section) => checker.section(section, dest_section),
            // A section the destination does not know makes it refuse the stream.
            None => checker.problem(Location::section(&section.name), Kind::SectionMissing),
        }
    }
    checker.report
}

impl Checker {
    pub(super) fn problem(&mut self, location: Location, kind: Kind) {
        self.report.push(Severity::Problem, location, kind);
    }

    pub(super) fn warning(&mut self, location: Location, kind: Kind) {
        self.report.push(Severity::Warning, location, kind);
    }

    fn section(&mut self, src: &Section, dest: &Section) {
        let location = Location::section(&src.name);
        self.versions(
            &location,
            src.version_id,
            dest.version_id,
            dest.minimum_version_id,
        );
        // An entry the source has and the destination lacks is QEMU's `Entry missing`.
        if src.minimum_version_id.is_some() && dest.minimum_version_id.is_none() {
            self.problem(
                location.clone(),
                Kind::EntryMissing {
                    entry: "minimum_version_id".to_owned(),
                },
            );
        }
        match (&src.description, &dest.description) {
            (Some(src_desc), Some(dest_desc)) => {
                let versions_checked = src_desc.version_id == src.version_id
                    && dest_desc.version_id == dest.version_id
                    && dest_desc.minimum_version_id == dest.minimum_version_id;
                self.description(
                    &src.name,
                    src_desc,
                    dest_desc,
                    Role::Section { versions_checked },
                );
            }
            (Some(_), None) => self.problem(
                location,
                Kind::EntryMissing {
                    entry: "Description".to_owned(),
                },
            ),
            (None, _) => {}
        }
    }

    /// The destination refuses a stream version above its own or below its minimum.
    fn versions(&mut self, location: &Location, src: i64, dest: i64, dest_minimum: Option<i64>) {
        if src > dest {
            self.problem(location.clone(), Kind::VersionTooNew { src, dest });
        }
        if let Some(dest_minimum) = dest_minimum
            && src < dest_minimum
        {
            self.problem(location.clone(), Kind::VersionTooOld { src, dest_minimum });
        }
    }

    /// Compares two descriptions reached the same way: versions, name, fields and
    /// subsections.
    pub(super) fn description(
        &mut self,
        section: &str,
        src: &Description,
        dest: &Description,
        role: Role,
    ) {
        let location = Location::description(section, &src.name);
        match role {
            Role::Section {
                versions_checked: true,
            } => {}
            Role::Section { .. } | Role::Struct => self.versions(
                &location,
                src.version_id,
                dest.version_id,
                dest.minimum_version_id,
            ),
            Role::Subsection => self.subsection_versions(&location, src, dest),
        }
        // Subsections were matched by name already; other descriptions are
        // compared only when they are the same one.
        if role != Role::Subsection && !renames::same_name(section, &src.name, &dest.name) {
            self.problem(
                location,
                Kind::DescriptionRenamed {
                    dest: dest.name.clone(),
                },
            );
            return;
        }
        // Sections and subsections are read at the version the source wrote;
        // an inlined struct at the destination's own version.
        let load_version = match role {
            Role::Struct => dest.version_id,
            Role::Section { .. } | Role::Subsection => src.version_id,
        };
        self.fields(section, (src, dest), load_version, role);
        for src_sub in &src.subsections {
            match dest.subsection(&src_sub.name) {
                Some(dest_sub) => self.description(section, src_sub, dest_sub, Role::Subsection),
                // The source sends it whenever its `needed` test says so, and the
                // destination then fails on an unknown subsection.
                None => self.problem(
                    location.clone(),
                    Kind::SubsectionMissing {
                        name: src_sub.name.clone(),
                    },
                ),
            }
        }
    }

    /// A subsection's version: QEMU's version rules, and a warning when it rose,
    /// because subsections exist so that migrating back keeps working.
    fn subsection_versions(&mut self, location: &Location, src: &Description, dest: &Description) {
        let before = self.report.findings.len();
        self.versions(
            location,
            src.version_id,
            dest.version_id,
            dest.minimum_version_id,
        );
        if self.report.findings.len() == before && src.version_id < dest.version_id {
            self.warning(
                location.clone(),
                Kind::SubsectionVersionChanged {
                    src: src.version_id,
                    dest: dest.version_id,
                },
            );
        }
    }
}
