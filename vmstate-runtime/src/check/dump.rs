//! The `-dump-vmstate` JSON, parsed into sections, descriptions and fields.
//!
//! QEMU writes one object per section (keyed by the section name) with its
//! `VMStateDescription` nested inside: fields in wire order, inlined structs
//! as nested `Description`s, and subsections. Newer QEMU adds `num` (array
//! length) to fields; our own extended dumps add `type` (the wire type).

use std::fmt;

use serde_json::Value;

mod parse;

#[cfg(test)]
mod oracle;

/// The key QEMU uses for the machine type entry, which is not a section.
const MACHINE_KEY: &str = "vmschkmachine";
/// Our own key, in the dumps shipped with the tool: the QEMU release that
/// wrote the dump and every machine type it runs (`-M help`).
const RELEASE_KEY: &str = "vmstate-release";

/// A whole `-dump-vmstate` file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dump {
    /// The machine type (`vmschkmachine.Name`), when the dump records it.
    pub machine: Option<String>,
    /// The QEMU release that wrote the dump (`vmstate-release.version`, our
    /// extension), e.g. `10.0.2`.
    pub release: Option<String>,
    /// Every machine type that release runs (`vmstate-release.machines`);
    /// empty when the dump does not say.
    pub machines: Vec<String>,
    /// The sections, in file order.
    pub sections: Vec<Section>,
    /// The Arm CPU register lists of that release, per CPU model
    /// (`parse_cpreg_lists`): QEMU's dump has no `cpu` entry, so they ship
    /// beside it; empty when not known.
    pub cpregs: Vec<(String, Vec<u64>)>,
    /// The register lists the other shipped releases migrate, per CPU model:
    /// a stream's list that is none of these and none of
    /// [`cpregs`](Self::cpregs) comes from a CPU configuration no shipped
    /// list covers, so the nearest list does not stand for DEST's CPU.
    /// Empty when not known (a dump given as a file).
    pub other_cpregs: Vec<(String, Vec<u64>)>,
    /// The ID register values of that release's CPU configurations
    /// (`parse_id_values`); empty when not known (a dump given as a file).
    pub cpu_ids: Vec<(String, super::cpregs::IdValues)>,
    /// The same of the other shipped releases.
    pub other_cpu_ids: Vec<(String, super::cpregs::IdValues)>,
}

/// One section: a device type's entry in the dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The section name (the key in the dump; QEMU's `SaveStateEntry` idstr).
    pub name: String,
    /// The version the section is saved at (`version_id`).
    pub version_id: i64,
    /// The oldest version the section loads (`minimum_version_id`), if recorded.
    pub minimum_version_id: Option<i64>,
    /// The `VMStateDescription` (`Description`); absent for old-style sections.
    pub description: Option<Description>,
}

/// A `VMStateDescription`: a section's, an inlined struct's or a subsection's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description {
    /// The VMSD name (`name`).
    pub name: String,
    /// The version it is saved at (`version_id`).
    pub version_id: i64,
    /// The oldest version it loads (`minimum_version_id`), if recorded.
    pub minimum_version_id: Option<i64>,
    /// The fields, in wire order (`Fields`; empty when absent).
    pub fields: Vec<Field>,
    /// The subsections, in declaration order (`Subsections`; empty when absent).
    pub subsections: Vec<Description>,
}

/// One entry of a description's `Fields`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field name (`field`); QEMU's `VMSTATE_UNUSED` padding is called `unused`.
    pub name: String,
    /// The first version whose stream carries the field (`version_id`; 0 = always).
    pub version_id: i64,
    /// Whether a `field_exists` test decides instead of the version (`field_exists`).
    pub field_exists: bool,
    /// Bytes per element (`size`); for an inlined struct, QEMU's `sizeof` of the C struct.
    pub size: u64,
    /// Elements, when the dump records it (`num`, QEMU 8.2 and later).
    pub num: Option<u64>,
    /// The wire type (`type`), in dumps that record it.
    pub type_name: Option<String>,
    /// The inlined struct's description (`Description`), for `VMSTATE_STRUCT` fields.
    pub description: Option<Description>,
}

impl Dump {
    /// Parses the text of a `-dump-vmstate` file.
    ///
    /// # Errors
    /// A [`DumpError`] when the text is not JSON, or naming the JSON path of the
    /// first entry that is not shaped like a dump.
    pub fn parse(text: &str) -> Result<Self, DumpError> {
        // Read straight into the dump: a tree of JSON values first took
        // about seven times the text (see `parse`).
        let mut deserializer = serde_json::Deserializer::from_str(text);
        parse::dump(&mut deserializer)
            .and_then(|dump| deserializer.end().map(|()| dump))
            .map_err(|e| DumpError::new("$", format!("not JSON: {e}")))?
    }

    /// Reads a dump already parsed as JSON: the same checks and messages as
    /// [`parse`](Self::parse).
    ///
    /// # Errors
    /// A [`DumpError`] naming the JSON path of the first entry that is not shaped
    /// like a dump (a missing `version_id`, a size that is not a number, ...).
    pub fn from_value(value: &Value) -> Result<Self, DumpError> {
        // A value has no syntax to get wrong: the visitors raise no error of
        // their own, so this one is only `serde_json`'s, never seen.
        parse::dump(value).map_err(|e| DumpError::new("$", format!("not a dump: {e}")))?
    }

    /// The section called `name`.
    #[must_use]
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|section| section.name == name)
    }

    /// The sections whose `VMStateDescription` is called `vmsd_name`: the
    /// dump is keyed by device type, and several types can share one
    /// description (`isa-i8259` and `kvm-i8259` both save `i8259`).
    pub fn sections_saving(&self, vmsd_name: &str) -> impl Iterator<Item = &Section> {
        self.sections.iter().filter(move |section| {
            section
                .description
                .as_ref()
                .is_some_and(|description| description.name == vmsd_name)
        })
    }

    /// The description of the struct of VMSD name `vmsd_name` where any
    /// section inlines it (`ide_drive` inside `ich9-ahci`), at any depth;
    /// the first found, in file order.
    #[must_use]
    pub fn struct_description(&self, vmsd_name: &str) -> Option<&Description> {
        fn within<'a>(description: &'a Description, name: &str) -> Option<&'a Description> {
            description
                .fields
                .iter()
                .filter_map(|field| field.description.as_ref())
                .chain(&description.subsections)
                .find_map(|inner| {
                    if inner.name == name {
                        Some(inner)
                    } else {
                        within(inner, name)
                    }
                })
        }
        self.sections
            .iter()
            .filter_map(|section| section.description.as_ref())
            .find_map(|description| within(description, vmsd_name))
    }

    /// The QEMU release that wrote the dump as (major, minor): recorded in
    /// our dumps, otherwise read from a versioned machine type's name
    /// (`pc-q35-7.2` is at least 7.2; a dump of an older machine type on a
    /// newer QEMU reads older than it is, which errs towards refusing).
    #[must_use]
    pub fn release_version(&self) -> Option<(u32, u32)> {
        let text = match &self.release {
            Some(release) => release.as_str(),
            None => self.machine.as_deref()?.rsplit('-').next()?,
        };
        let mut parts = text.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next()?.parse().ok()?;
        Some((major, minor))
    }

    /// Whether a QEMU with this dump's devices runs machine type `machine`:
    /// one of its listed machines, or else the one the dump was made with.
    #[must_use]
    pub fn runs_machine(&self, machine: &str) -> bool {
        if self.machines.is_empty() {
            self.machine.as_deref() == Some(machine)
        } else {
            self.machines.iter().any(|m| m == machine)
        }
    }
}

impl Description {
    /// The subsection called `name`.
    #[must_use]
    pub fn subsection(&self, name: &str) -> Option<&Description> {
        self.subsections.iter().find(|sub| sub.name == name)
    }

    /// The bytes its fields take on the wire, when every size is known.
    ///
    /// Subsections are not counted: they are optional and carry their own header.
    #[must_use]
    pub fn wire_size(&self) -> Option<u64> {
        self.fields
            .iter()
            .try_fold(0u64, |sum, field| sum.checked_add(field.wire_size()?))
    }
}

impl Field {
    /// Whether this is `VMSTATE_UNUSED` padding: bytes written as zeros and skipped on load.
    #[must_use]
    pub fn is_unused(&self) -> bool {
        self.name == "unused"
    }

    /// `size` times `num`: the bytes of a scalar or buffer field.
    #[must_use]
    pub fn total_size(&self) -> u64 {
        self.size.saturating_mul(self.num.unwrap_or(1))
    }

    /// The bytes the field takes on the wire, when known: for an inlined struct,
    /// its fields' sizes (QEMU's `size` is then the C struct's, not the wire's).
    #[must_use]
    pub fn wire_size(&self) -> Option<u64> {
        match &self.description {
            Some(nested) => nested.wire_size()?.checked_mul(self.num.unwrap_or(1)),
            None => Some(self.total_size()),
        }
    }
}

/// A dump that is not shaped like `-dump-vmstate` output, with the JSON path of
/// the entry at fault (`$["mc146818rtc"].Description.Fields[3]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DumpError {
    /// The JSON path of the entry at fault.
    pub path: String,
    /// What is wrong with it.
    pub message: String,
}

impl DumpError {
    fn new(path: &str, message: impl Into<String>) -> Self {
        Self {
            path: path.to_owned(),
            message: message.into(),
        }
    }
}

impl fmt::Display for DumpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

impl std::error::Error for DumpError {}
