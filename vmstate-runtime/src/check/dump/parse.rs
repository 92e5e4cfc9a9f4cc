//! Reading a `-dump-vmstate` file: JSON text, or a JSON value already
//! parsed, into [`Dump`], every problem named by its JSON path.
//!
//! The text is read in one pass by serde's streaming deserializer straight
//! into the dump's types: no tree of JSON values is built first, so memory
//! is what the dump holds (a tree of values took about seven times the
//! text). A [`serde_json::Value`] goes through the same visitors, so both
//! entry points accept and refuse the same documents with the same words.
//!
//! As for the vmdesc (`stream/vmdesc/parse.rs`), two kinds of failure are
//! kept apart. Malformed JSON stops the parse (a `serde_json` error). A
//! value of the wrong kind (`"size": -1`, a missing `name`) does not: it is
//! kept as the value of its key, the document is read on to its end, and
//! the object that holds it reports it when it is complete. That keeps what
//! the tree of values gave: malformed JSON anywhere is reported before any
//! dump problem; of two values given for one key the last counts, in the
//! place of the first (`serde_json`'s `preserve_order` map), so an earlier
//! wrong one is no error; and an object's problems are reported in the order
//! of the checks below, whatever the order of its keys.

use std::collections::HashMap;
use std::collections::hash_map::Entry as Place;
use std::fmt;

use serde_core::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess};

use crate::stream::vmdesc::visit::{
    Expect, Expected, KeySeed, Keys, Site, Skip, Text, Unsigned, elements, value,
};

use super::{Description, Dump, DumpError, Field, MACHINE_KEY, RELEASE_KEY, Section};

/// A value read, or the dump problem found in it.
type Checked<T> = Result<T, DumpError>;

/// Reads a whole dump from `deserializer`: `Err` for malformed JSON, else
/// the dump or its first problem.
pub(super) fn dump<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Checked<Dump>, D::Error> {
    Expected(Root).deserialize(deserializer)
}

/// Where a value is, as a JSON path (`$["mc146818rtc"].Description.Fields[3]`):
/// a chain of frames on the stack, written out only when a message needs it.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    /// An entry of the document, by its key.
    Entry(&'a str),
    Key(&'a Path<'a>, &'static str),
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    fn key(&'a self, key: &'static str) -> Self {
        Path::Key(self, key)
    }

    fn index(&'a self, index: usize) -> Self {
        Path::Index(self, index)
    }

    fn error(&self, message: impl Into<String>) -> DumpError {
        DumpError::new(&self.to_string(), message)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("$"),
            // Rust's quoting of the name, as the paths always had it.
            Path::Entry(name) => write!(f, "$[{name:?}]"),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// The keys read inside an entry; any other is skipped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    /// `Name`, the machine entry's.
    MachineName,
    /// `version`, the release entry's.
    Release,
    Machines,
    Description,
    VersionId,
    MinimumVersionId,
    Fields,
    Subsections,
    /// `name`, a description's.
    Name,
    /// `field`, a field's name.
    Field,
    FieldExists,
    Size,
    Num,
    Type,
    /// A key no part of the dump uses.
    Other,
}

impl Keys for Key {
    const KEYS: &'static [(&'static str, Self)] = &[
        ("Name", Key::MachineName),
        ("version", Key::Release),
        ("machines", Key::Machines),
        ("Description", Key::Description),
        ("version_id", Key::VersionId),
        ("minimum_version_id", Key::MinimumVersionId),
        ("Fields", Key::Fields),
        ("Subsections", Key::Subsections),
        ("name", Key::Name),
        ("field", Key::Field),
        ("field_exists", Key::FieldExists),
        ("size", Key::Size),
        ("num", Key::Num),
        ("type", Key::Type),
    ];
    const OTHER: Self = Key::Other;
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        KeySeed::NEW.deserialize(deserializer)
    }
}

/// A scalar under `key` of the object at `object`: problems are named by
/// the object's path and the key (`$["rtc"]: "version_id" is missing`).
#[derive(Clone, Copy)]
struct Scalar<'p> {
    object: &'p Path<'p>,
    key: Key,
}

impl Site for Scalar<'_> {
    type Problem = DumpError;

    fn problem(self, what: &str) -> DumpError {
        self.object.error(format!("{:?} {what}", self.key.text()))
    }
}

/// A key that must be present: its value, or the problem of its absence.
fn required<T>(slot: Option<Checked<T>>, scalar: Scalar<'_>) -> Checked<T> {
    slot.unwrap_or_else(|| Err(scalar.problem("is missing")))
}

/// Any integer that fits in an `i64`.
struct Integer<'p>(Scalar<'p>);

impl Expect<'_> for Integer<'_> {
    type Out = i64;
    type Problem = DumpError;

    fn mismatch(&self) -> DumpError {
        self.0.problem("is not an integer")
    }

    fn unsigned(self, value: u64) -> Checked<i64> {
        i64::try_from(value).map_err(|_| self.mismatch())
    }

    fn negative(self, value: i64) -> Checked<i64> {
        Ok(value)
    }
}

/// `true` or `false`.
struct Flag<'p>(Scalar<'p>);

impl Expect<'_> for Flag<'_> {
    type Out = bool;
    type Problem = DumpError;

    fn mismatch(&self) -> DumpError {
        self.0.problem("is not true or false")
    }

    fn boolean(self, value: bool) -> Checked<bool> {
        Ok(value)
    }
}

/// An entry of the document, by its key.
enum Entry {
    /// `vmschkmachine`: the machine type.
    Machine(Option<String>),
    /// Our `vmstate-release`: the release and its machine types.
    Release(Option<String>, Vec<String>),
    Section(Section),
}

/// The document: an object of entries.
struct Root;

impl<'de> Expect<'de> for Root {
    type Out = Dump;
    type Problem = DumpError;

    fn mismatch(&self) -> DumpError {
        Path::Root.error("expected a JSON object")
    }

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked<Dump>, A::Error> {
        let mut entries: Vec<Checked<Entry>> = Vec::new();
        // Where each key's entry is: a key given again replaces its value
        // in its first place.
        let mut places: HashMap<String, usize> = HashMap::new();
        while let Some(name) = map.next_key::<String>()? {
            let path = Path::Entry(&name);
            let entry = match name.as_str() {
                MACHINE_KEY => value(&mut map, Machine(path))?.map(Entry::Machine),
                RELEASE_KEY => value(&mut map, Release(path))?
                    .map(|(release, machines)| Entry::Release(release, machines)),
                _ => value(&mut map, SectionEntry { name: &name, path })?.map(Entry::Section),
            };
            match places.entry(name) {
                Place::Occupied(place) => entries[*place.get()] = entry,
                Place::Vacant(place) => {
                    place.insert(entries.len());
                    entries.push(entry);
                }
            }
        }
        drop(places);
        let mut dump = Dump::default();
        for entry in entries {
            match entry {
                Err(problem) => return Ok(Err(problem)),
                Ok(Entry::Machine(machine)) => dump.machine = machine,
                Ok(Entry::Release(release, machines)) => {
                    dump.release = release;
                    dump.machines = machines;
                }
                Ok(Entry::Section(section)) => dump.sections.push(section),
            }
        }
        dump.sections.shrink_to_fit();
        Ok(Ok(dump))
    }
}

/// An entry that must be an object.
fn not_an_object(path: &Path<'_>) -> DumpError {
    path.error("expected a JSON object")
}

/// `vmschkmachine`: `Name`.
struct Machine<'p>(Path<'p>);

impl<'de> Expect<'de> for Machine<'_> {
    type Out = Option<String>;
    type Problem = DumpError;

    fn mismatch(&self) -> DumpError {
        not_an_object(&self.0)
    }

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked<Self::Out>, A::Error> {
        let mut name = None;
        while let Some(key) = map.next_key::<Key>()? {
            let at = Scalar {
                object: &self.0,
                key,
            };
            match key {
                Key::MachineName => name = Some(value(&mut map, Text(at))?),
                _ => map.next_value_seed(Skip)?,
            }
        }
        Ok(name.transpose())
    }
}

/// `vmstate-release`: `version` and `machines`.
struct Release<'p>(Path<'p>);

impl<'de> Expect<'de> for Release<'_> {
    type Out = (Option<String>, Vec<String>);
    type Problem = DumpError;

    fn mismatch(&self) -> DumpError {
        not_an_object(&self.0)
    }

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked<Self::Out>, A::Error> {
        let (mut release, mut machines) = (None, None);
        while let Some(key) = map.next_key::<Key>()? {
            let at = Scalar {
                object: &self.0,
                key,
            };
            match key {
                Key::Release => release = Some(value(&mut map, Text(at))?),
                Key::Machines => machines = Some(value(&mut map, Machines(at))?),
                _ => map.next_value_seed(Skip)?,
            }
        }
        let entry = || {
            Ok((
                release.transpose()?,
                machines.transpose()?.unwrap_or_default(),
            ))
        };
        Ok(entry())
    }
}

/// `machines`: a list of strings.
struct Machines<'p>(Scalar<'p>);

impl<'de> Expect<'de> for Machines<'_> {
    type Out = Vec<String>;
    type Problem = DumpError;

    fn mismatch(&self) -> DumpError {
        self.0.problem("is not a list")
    }

    fn array<A: SeqAccess<'de>>(self, seq: A) -> Result<Checked<Vec<String>>, A::Error> {
        elements(seq, |_| Expected(MachineType(self.0)))
    }
}

/// One of `machines`.
struct MachineType<'p>(Scalar<'p>);

impl Expect<'_> for MachineType<'_> {
    type Out = String;
    type Problem = DumpError;

    fn mismatch(&self) -> DumpError {
        self.0.problem("holds a non-string")
    }

    fn string(self, value: &str) -> Checked<String> {
        Ok(value.to_owned())
    }
}

/// A section: `Description`, `version_id`, `minimum_version_id`.
struct SectionEntry<'p> {
    name: &'p str,
    path: Path<'p>,
}

impl<'de> Expect<'de> for SectionEntry<'_> {
    type Out = Section;
    type Problem = DumpError;

    fn mismatch(&self) -> DumpError {
        not_an_object(&self.path)
    }

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked<Section>, A::Error> {
        let path = &self.path;
        let (mut description, mut version, mut minimum) = (None, None, None);
        while let Some(key) = map.next_key::<Key>()? {
            let at = Scalar { object: path, key };
            match key {
                Key::Description => {
                    let path = path.key(key.text());
                    description = Some(value(&mut map, Desc(path))?);
                }
                Key::VersionId => version = Some(value(&mut map, Integer(at))?),
                Key::MinimumVersionId => minimum = Some(value(&mut map, Integer(at))?),
                _ => map.next_value_seed(Skip)?,
            }
        }
        let section = || {
            let description = description.transpose()?;
            Ok(Section {
                name: self.name.to_owned(),
                version_id: required(
                    version,
                    Scalar {
                        object: path,
                        key: Key::VersionId,
                    },
                )?,
                minimum_version_id: minimum.transpose()?,
                description,
            })
        };
        Ok(section())
    }
}

/// A `VMStateDescription`: `Fields`, `Subsections`, `name`, `version_id`,
/// `minimum_version_id`.
struct Desc<'p>(Path<'p>);

impl<'de> Expect<'de> for Desc<'_> {
    type Out = Description;
    type Problem = DumpError;

    fn mismatch(&self) -> DumpError {
        not_an_object(&self.0)
    }

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked<Description>, A::Error> {
        let path = &self.0;
        let (mut fields, mut subsections) = (None, None);
        let (mut name, mut version, mut minimum) = (None, None, None);
        while let Some(key) = map.next_key::<Key>()? {
            let at = Scalar { object: path, key };
            match key {
                Key::Fields => fields = Some(value(&mut map, Fields(at))?),
                Key::Subsections => subsections = Some(value(&mut map, Subsections(at))?),
                Key::Name => name = Some(value(&mut map, Text(at))?),
                Key::VersionId => version = Some(value(&mut map, Integer(at))?),
                Key::MinimumVersionId => minimum = Some(value(&mut map, Integer(at))?),
                _ => map.next_value_seed(Skip)?,
            }
        }
        let scalar = |key| Scalar { object: path, key };
        let description = || {
            let fields = fields.transpose()?.unwrap_or_default();
            let subsections = subsections.transpose()?.unwrap_or_default();
            Ok(Description {
                name: required(name, scalar(Key::Name))?,
                version_id: required(version, scalar(Key::VersionId))?,
                minimum_version_id: minimum.transpose()?,
                fields,
                subsections,
            })
        };
        Ok(description())
    }
}

/// A description's `Fields`.
struct Fields<'p>(Scalar<'p>);

impl<'de> Expect<'de> for Fields<'_> {
    type Out = Vec<Field>;
    type Problem = DumpError;

    fn mismatch(&self) -> DumpError {
        self.0.problem("is not an array")
    }

    fn array<A: SeqAccess<'de>>(self, seq: A) -> Result<Checked<Vec<Field>>, A::Error> {
        let list = self.0.object.key(self.0.key.text());
        elements(seq, |i| Expected(FieldEntry(list.index(i))))
    }
}

/// A description's `Subsections`.
struct Subsections<'p>(Scalar<'p>);

impl<'de> Expect<'de> for Subsections<'_> {
    type Out = Vec<Description>;
    type Problem = DumpError;

    fn mismatch(&self) -> DumpError {
        self.0.problem("is not an array")
    }

    fn array<A: SeqAccess<'de>>(self, seq: A) -> Result<Checked<Vec<Description>>, A::Error> {
        let list = self.0.object.key(self.0.key.text());
        elements(seq, |i| Expected(Desc(list.index(i))))
    }
}

/// One of `Fields`: `field_exists`, `Description`, `field`, `version_id`,
/// `size`, `num`, `type`.
struct FieldEntry<'p>(Path<'p>);

impl<'de> Expect<'de> for FieldEntry<'_> {
    type Out = Field;
    type Problem = DumpError;

    fn mismatch(&self) -> DumpError {
        not_an_object(&self.0)
    }

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked<Field>, A::Error> {
        let path = &self.0;
        let (mut exists, mut description, mut name, mut version) = (None, None, None, None);
        let (mut size, mut num, mut type_name) = (None, None, None);
        while let Some(key) = map.next_key::<Key>()? {
            let at = Scalar { object: path, key };
            match key {
                Key::FieldExists => exists = Some(value(&mut map, Flag(at))?),
                Key::Description => {
                    let path = path.key(key.text());
                    description = Some(value(&mut map, Desc(path))?);
                }
                Key::Field => name = Some(value(&mut map, Text(at))?),
                Key::VersionId => version = Some(value(&mut map, Integer(at))?),
                Key::Size => size = Some(value(&mut map, Unsigned(at))?),
                Key::Num => num = Some(value(&mut map, Unsigned(at))?),
                Key::Type => type_name = Some(value(&mut map, Text(at))?),
                _ => map.next_value_seed(Skip)?,
            }
        }
        let scalar = |key| Scalar { object: path, key };
        let field = || {
            let field_exists = exists.transpose()?.unwrap_or(false);
            let description = description.transpose()?;
            Ok(Field {
                name: required(name, scalar(Key::Field))?,
                version_id: required(version, scalar(Key::VersionId))?,
                field_exists,
                size: required(size, scalar(Key::Size))?,
                num: num.transpose()?,
                type_name: type_name.transpose()?,
                description,
            })
        };
        Ok(field())
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Dump, oracle};

    /// The `-dump-vmstate` files QEMU 7.2 and 10.0 wrote, x86 and Arm.
    fn fixture_dumps() -> Vec<(String, String)> {
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data");
        let mut found = Vec::new();
        for dir in std::fs::read_dir(data).unwrap() {
            let dir = dir.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&dir).unwrap() {
                let path = file.unwrap().path();
                if path.to_string_lossy().ends_with(".dump.json") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    found.push((path.display().to_string(), text));
                }
            }
        }
        found.sort();
        found
    }

    /// The streaming parser, from text and from a value, and the tree of
    /// values agree on `text`: the same dump, or the same message.
    fn agree(text: &str) {
        let (new, old) = (Dump::parse(text), oracle::parse(text));
        assert!(new == old, "streaming {new:?}, tree {old:?}: {text}");
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(text) {
            let (new, old) = (Dump::from_value(&value), oracle::from_value(&value));
            assert!(new == old, "from a value {new:?}, tree {old:?}: {text}");
        }
    }

    #[test]
    fn every_fixture_reads_as_the_tree_of_values_read_it() {
        let fixtures = fixture_dumps();
        assert!(fixtures.len() >= 4, "{} fixtures", fixtures.len());
        for (name, text) in &fixtures {
            let dump = Dump::parse(text).unwrap();
            assert!(dump.sections.len() > 50, "{name}");
            agree(text);
        }
    }

    /// Dumps whose problems the streaming parser sees in another order than
    /// a tree of values would: each gives the message the tree gave.
    #[test]
    fn problems_are_reported_as_the_tree_of_values_reported_them() {
        let cases: &[&str] = &[
            // The last of two values for a key counts, in the first one's place.
            r#"{"b": 1, "a": {"version_id": 1}, "b": {"version_id": 2}}"#,
            r#"{"a": {"version_id": -1, "version_id": 1.5}, "b": 7}"#,
            r#"{"a": {"version_id": 1}, "vmschkmachine": 1, "vmschkmachine": {"Name": "pc"}}"#,
            r#"{"vmstate-release": {"machines": 1, "machines": ["a"], "version": "7.2"}}"#,
            // An entry's checks in their order, whatever the order of its keys.
            r#"{"a": {"minimum_version_id": "x", "Description": 1}}"#,
            r#"{"a": {"minimum_version_id": "x", "version_id": 1}}"#,
            r#"{"a": {"Description": {"version_id": "x", "Subsections": 1, "Fields": [{}]}}}"#,
            r#"{"a": {"Description": {"name": 1, "Subsections": [{"name": "s"}], "Fields": []}}}"#,
            r#"{"a": {"Description": {"minimum_version_id": -1, "version_id": 2, "name": "a"}, "version_id": 1}}"#,
            r#"{"a": {"Description": {"name": "a", "version_id": 1, "Fields": [{"type": 1, "num": -1, "size": -1, "version_id": 0.5, "field": 2, "Description": 3, "field_exists": 4}]}}}"#,
            r#"{"a": {"Description": {"name": "a", "version_id": 1, "Fields": [{"type": 1, "num": -1, "size": -1, "version_id": 0, "field": "f"}]}}}"#,
            r#"{"a": {"Description": {"name": "a", "version_id": 1, "Fields": [{"type": 1, "num": -1, "size": 4, "version_id": 0, "field": "f"}]}}}"#,
            r#"{"a": {"Description": {"name": "a", "version_id": 1, "Fields": [{"type": 1, "size": 4, "version_id": 0, "field": "f", "field_exists": null}]}}}"#,
            r#"{"a": {"Description": {"name": "a", "version_id": 1, "Fields": [{"size": 4, "version_id": 0, "field": "f", "Description": {"name": "n"}}]}}}"#,
            r#"{"a": {"version_id": 1, "Description": {"name": "a", "version_id": 1, "Fields": [{"field": "f", "version_id": 0, "size": 1}, 5, {"field": 1}]}}}"#,
            // The release entry's: version, then machines.
            r#"{"vmstate-release": {"machines": [1], "version": 7}}"#,
            r#"{"vmstate-release": {"machines": ["a", 1, "b"]}}"#,
            r#"{"vmstate-release": {"machines": {}}}"#,
            r#"{"vmstate-release": {"version": "10.0.2", "machines": ["pc", "q35"]}, "vmschkmachine": {"Name": null}}"#,
            // Entries in order: the first one with a problem.
            r#"{"a": 1, "vmschkmachine": []}"#,
            r#"{"vmschkmachine": [], "a": 1}"#,
            // Integers: `version_id` any i64, `size` and `num` non-negative.
            r#"{"a": {"version_id": 9223372036854775807, "minimum_version_id": -9223372036854775808}}"#,
            r#"{"a": {"version_id": 9223372036854775808}}"#,
            r#"{"a": {"version_id": 1, "Description": {"name": "a", "version_id": 1, "Fields": [{"field": "f", "version_id": 0, "size": 18446744073709551615, "num": 0}]}}}"#,
            r#"{"a": {"version_id": 1, "Description": {"name": "a", "version_id": 1, "Fields": [{"field": "f", "version_id": 0, "size": 18446744073709551616}]}}}"#,
            r#"{"a": {"version_id": 1e2}}"#,
            // Malformed JSON anywhere before any dump problem.
            r#"{"a": 1, }"#,
            r#"{"a": 1} x"#,
            r#"{"a": 1, "x": "\ud800"}"#,
            r#"{"a": 1, "x": 1e400}"#,
            r#"{"a": [1, "#,
            "",
            // Not an object where one must be.
            "[]",
            "null",
            "3",
            r#"{"a": {"version_id": 1, "Description": []}}"#,
            // Unknown keys are skipped, whatever they hold.
            r#"{"a": {"x": {"version_id": "y"}, "version_id": 3, "Description": {"name": "a", "version_id": 3, "z": [[{}]], "Fields": [{"field": "f", "version_id": 0, "size": 2, "w": null}]}}}"#,
            // Keys are case-sensitive: `Name` is the machine's, `name` a description's.
            r#"{"vmschkmachine": {"name": "pc"}, "a": {"version_id": 1, "Description": {"Name": "a", "version_id": 1}}}"#,
            // Names that Rust quotes in paths.
            r#"{"a\"b\\c\u00e9\n": {"version_id": "x"}}"#,
            r#"{"": 1}"#,
        ];
        for case in cases {
            agree(case);
        }
    }

    /// Nesting past `serde_json`'s limit, in read and in skipped values.
    #[test]
    fn deep_nesting_is_refused_as_before() {
        let subsections = |depth: usize| {
            let mut json = String::from(r#"{"name": "x", "version_id": 1}"#);
            for _ in 0..depth {
                json = format!(r#"{{"name": "x", "version_id": 1, "Subsections": [{json}]}}"#);
            }
            format!(r#"{{"a": {{"version_id": 1, "Description": {json}}}}}"#)
        };
        let structs = |depth: usize| {
            let mut json = String::from(r#"{"name": "x", "version_id": 1}"#);
            for _ in 0..depth {
                json = format!(
                    r#"{{"name": "x", "version_id": 1, "Fields": [{{"field": "s", "version_id": 0, "size": 1, "Description": {json}}}]}}"#
                );
            }
            format!(r#"{{"a": {{"version_id": 1, "Description": {json}}}}}"#)
        };
        for depth in [10, 40, 41, 42, 62, 63, 64, 65, 70] {
            agree(&subsections(depth));
            agree(&structs(depth));
        }
        let error = Dump::parse(&subsections(70)).unwrap_err().to_string();
        assert!(error.contains("recursion limit exceeded"), "{error}");
        for depth in [127, 128, 129, 500] {
            agree(&format!(
                r#"{{"x": {}1{}}}"#,
                "[".repeat(depth),
                "]".repeat(depth)
            ));
        }
    }

    /// Byte mutations of a dump that uses every form (structs, subsections,
    /// `num`, `field_exists`, the machine entry): both readings agree on each.
    #[test]
    fn mutated_dumps_read_as_the_tree_of_values_read_them() {
        let fixtures = fixture_dumps();
        let (_, text) = fixtures
            .iter()
            .find(|(name, _)| name.ends_with("qemu-10.0/pc-10.0.dump.json"))
            .unwrap();
        // A few entries of each form keep each mutation cheap.
        let value: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut seed = serde_json::Map::new();
        for (name, entry) in value.as_object().unwrap() {
            let text = entry.to_string();
            let wanted = name == "vmschkmachine"
                || (text.contains("Subsections") && seed.len() < 3)
                || (text.contains("\"num\"") && text.contains("field_exists\":true"));
            if wanted && seed.len() < 6 {
                seed.insert(name.clone(), entry.clone());
            }
        }
        assert!(seed.len() >= 4, "{seed:?}");
        let seed = serde_json::to_string_pretty(&seed).unwrap().into_bytes();
        let tokens: [&[u8]; 13] = [
            b"{",
            b"}",
            b"[",
            b"]",
            b",",
            b":",
            b"\"",
            b"-1",
            b"1.5",
            b"null",
            b"\"Fields\": 1, ",
            b"9223372036854775808",
            b"\\u00e9",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % bound as u64).unwrap()
        };
        let mut accepted = 0;
        for _ in 0..1500 {
            let mut json = seed.clone();
            for _ in 0..=next(3) {
                let at = next(json.len());
                match next(4) {
                    0 => json[at] = b"{}[],:\"-0123456789 ex\\"[next(22)],
                    1 => {
                        let end = (at + next(40)).min(json.len());
                        json.drain(at..end);
                    }
                    2 => {
                        let end = (at + next(200)).min(json.len());
                        let copy = json[at..end].to_vec();
                        let to = next(json.len());
                        json.splice(to..to, copy);
                    }
                    _ => {
                        let token = tokens[next(tokens.len())];
                        json.splice(at..at, token.iter().copied());
                    }
                }
                if json.is_empty() {
                    break;
                }
            }
            // Dumps are text: a mutation that breaks UTF-8 never reaches the parser.
            if let Ok(text) = std::str::from_utf8(&json) {
                agree(text);
                accepted += usize::from(Dump::parse(text).is_ok());
            }
        }
        // Enough mutations still read as dumps that the good path is tested too.
        assert!(accepted > 50, "{accepted} of 1500 read");
    }
}
