//! Static compatibility check of two `-dump-vmstate` dumps: can a QEMU (or a
//! vmstate build) whose devices the first dump describes migrate to one the
//! second dump describes?
//!
//! It makes every check of QEMU's `scripts/vmstate-static-checker.py`, with its
//! wording (sections and subsections missing, version and minimum version
//! errors, field names and sizes, `unused` padding that stands for fields), and
//! the ones that script misses where the dump has the facts:
//!
//! - a field the destination reads that the source never writes: added after
//!   the last field, or given a new `version_id`, without a version bump;
//! - a subsection whose version rose (a warning: migrating back then fails);
//! - an equal-size type change, in dumps that record field types (`type`);
//! - a changed array length, in dumps that record it (`num`).
//!
//! ```
//! # extern crate vmstate_runtime as vmstate;
//! use vmstate::check::{Dump, check};
//!
//! let old = Dump::parse(r#"{"rtc": {"Name": "rtc", "version_id": 1, "minimum_version_id": 1,
//!     "Description": {"name": "rtc", "version_id": 1, "minimum_version_id": 1,
//!         "Fields": [{"field": "index", "version_id": 0, "field_exists": false, "size": 1}]}}}"#)?;
//! let mut new = old.clone();
//! let fields = &mut new.sections[0].description.as_mut().unwrap().fields;
//! fields[0].size = 2;
//!
//! let report = check(&old, &new);
//! assert_eq!(report.exit_status(), 1);
//! assert_eq!(
//!     report.to_string(),
//!     "Section \"rtc\" Description \"rtc\" Field \"index\": size mismatch: 1 , 2\n",
//! );
//! # Ok::<(), vmstate::check::DumpError>(())
//! ```

mod cpregs;
mod crashes;
mod dump;
mod facts;
mod fields;
mod from_schema;
mod instances;
mod layout;
mod obstacle;
mod pci;
mod pci_defaults;
mod renames;
mod report;
mod rules;
mod stream;
mod tsc;
mod virtio_features;

pub use cpregs::{
    CpReg, DROPPABLE_CPREGS, DroppableCpreg, Dropping, IdValues, RELEASE_CONSTANTS,
    ReleaseConstant, compare_cpregs, dest_constant, is_id_register, is_implementation_defined,
    is_table_constant, known_id_registers, nearest_model, parse_cpreg_lists, parse_id_values,
    register_value, supplied_value, virt_rename_changes_cpu, why_not_droppable,
};
pub use dump::{Description, Dump, DumpError, Field, Section};
pub use facts::{
    Describer, DeviceFacts, FactsCollector, HdaStreams, SectionFacts, StreamFacts, SubsectionFacts,
};
pub use from_schema::dump;
pub use instances::{RENUMBERABLE, Renumbering, instance_renumbering};
pub use layout::{LayoutDifference, compare_section, description_of, description_with};
pub use obstacle::Obstacle;
pub use pci::{ConfigDifference, config_differences};
pub use pci_defaults::{Devices, PCI_DEFAULTS, PciDefault, Position, dest_config};
pub use report::{Finding, Kind, Location, Report, Severity};
/// The JSON value [`Dump::from_value`] reads, so that callers need no
/// `serde_json` of their own.
#[doc(no_inline)]
pub use serde_json::Value;
pub use stream::{StreamVerdict, check_reference, check_stream};
pub use virtio_features::{
    MSIX_DEFAULTS, MsixDefault, VIRTIO_FEATURES, VirtioFeature, machine_version,
};

/// Checks whether a source described by `src` can migrate to a destination
/// described by `dest`. Run it both ways round for migration in both directions.
#[must_use]
pub fn check(src: &Dump, dest: &Dump) -> Report {
    rules::check(src, dest)
}
