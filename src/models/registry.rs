//! A monitor's own models, built from its derived types, looked up as
//! `vmstate::qemu`'s are.

use core::fmt::Debug;

use super::{Model, schema_of};
use crate::schema::Schema;
use crate::{Error, VmState};

/// The models of a monitor's own devices, by section idstr.
///
/// Build it once from the derived types of the release it runs, and hand it
/// to the tools that read streams: `vmstate_cli::main_with` makes `inspect`,
/// `check`, `set` and `convert` decode, delimit and re-encode these sections
/// as they do QEMU's. A model registered here is found before QEMU's.
#[derive(Debug, Default)]
pub struct Registry {
    entries: Vec<Entry>,
}

#[derive(Debug)]
struct Entry {
    model: Model,
    schema: &'static Schema,
}

impl Registry {
    /// An empty registry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// This registry with `T` registered under `T::NAME`.
    #[must_use]
    pub fn with<T: VmState + Default + Debug>(mut self) -> Self {
        self.register::<T>();
        self
    }

    /// Registers `T` under its section idstr `T::NAME`.
    pub fn register<T: VmState + Default + Debug>(&mut self) -> &mut Self {
        self.register_as::<T>(T::NAME)
    }

    /// Registers `T` for sections saved under `idstr` (for a device saved
    /// under an address, the part after the last `/`).
    pub fn register_as<T: VmState + Default + Debug>(&mut self, idstr: &'static str) -> &mut Self {
        self.entries.push(Entry {
            model: Model::named::<T>(idstr),
            schema: schema_of::<T>(),
        });
        self
    }

    /// Every registered model, in registration order.
    pub fn models(&self) -> impl Iterator<Item = &Model> {
        self.entries.iter().map(|entry| &entry.model)
    }

    /// Whether nothing is registered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The model for a section's idstr that loads `version_id`: registered
    /// under the whole idstr, or under the part after its last `/`
    /// (`0000:00:05.0/acme-nic` is `acme-nic`).
    #[must_use]
    pub fn model_for(&self, idstr: &str, version_id: u32) -> Option<&Model> {
        self.entry_for(idstr, version_id).map(|entry| &entry.model)
    }

    /// The static description of the type registered for a section's idstr
    /// that loads `version_id`, found as [`model_for`](Self::model_for)
    /// finds the model.
    #[must_use]
    pub fn schema_for(&self, idstr: &str, version_id: u32) -> Option<&'static Schema> {
        self.entry_for(idstr, version_id).map(|entry| entry.schema)
    }

    fn entry_for(&self, idstr: &str, version_id: u32) -> Option<&Entry> {
        let short = idstr.rsplit('/').next().unwrap_or(idstr);
        self.entries.iter().find(|entry| {
            let model = &entry.model;
            (model.idstr == idstr || model.idstr == short) && model.versions.contains(&version_id)
        })
    }

    /// Whether some model is registered for `idstr`, at any version.
    #[must_use]
    pub fn knows(&self, idstr: &str) -> bool {
        let short = idstr.rsplit('/').next().unwrap_or(idstr);
        self.models()
            .any(|model| model.idstr == idstr || model.idstr == short)
    }

    /// The length of a section's payload as its model reads it, for a
    /// stream without a description; `None` when no model loads the section.
    ///
    /// # Errors
    /// Inside the option: the model's load failed.
    #[must_use]
    pub fn delimit(
        &self,
        info: &crate::stream::SectionInfo,
        bytes: &[u8],
    ) -> Option<Result<usize, Error>> {
        let model = self.model_for(&info.idstr, info.version_id)?;
        Some((model.decode)(bytes, info.version_id).map(|decoded| decoded.len))
    }

    /// The registered types' static descriptions, by idstr: what a dump of
    /// this release lists.
    #[must_use]
    pub fn schemas(&self) -> Vec<(&'static str, &'static Schema)> {
        self.entries
            .iter()
            .map(|entry| (entry.model.idstr, entry.schema))
            .collect()
    }

    /// A dump in QEMU's `-dump-vmstate` format of the registered types, for
    /// machine type `machine`: what `vmstate check` and `vmstate convert
    /// --to` take as the release that loads a stream. Build it from the
    /// types of the release that is the destination.
    #[cfg(feature = "check")]
    #[must_use]
    pub fn dump(&self, machine: &str) -> crate::check::Value {
        let schemas: Vec<(&str, &Schema)> = self.schemas();
        crate::check::dump(machine, &schemas, false)
    }
}
