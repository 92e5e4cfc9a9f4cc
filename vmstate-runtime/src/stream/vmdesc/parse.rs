//! Reading a vmdesc: JSON text into [`Vmdesc`], every problem named by its
//! JSON path.
//!
//! The text is read in one pass by serde's streaming deserializer straight
//! into the description types: no tree of JSON values is built first, so
//! memory is what the description holds (a tree of values took about 16
//! times the text).
//!
//! Two kinds of failure are kept apart. Malformed JSON stops the parse (a
//! `serde_json` error). A value of the wrong kind (`"size": -1`, a missing
//! `name`) does not: it is kept as the value of its key, the document is
//! read on to its end, and the object that holds it reports it when it is
//! complete. That keeps what a tree of values gave: malformed JSON anywhere
//! is reported before any description problem; of two values given for one
//! key the last counts, so an earlier wrong one is no error; and an object's
//! problems are reported in the order of the checks below, whatever the
//! order of its keys.

use std::fmt;

use serde_core::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess};

use super::visit::{Expect, Expected, KeySeed, Keys, Site, Skip, Text, Unsigned, elements, value};

use super::{DeviceDesc, Vmdesc};
use crate::desc::{FieldDesc, StateDesc};
use crate::error::Error;
use crate::stream::StreamErrorKind;

impl Vmdesc {
    /// Parses the vmdesc JSON.
    ///
    /// Unknown keys are ignored; of a key given twice in one object, the
    /// last value counts.
    ///
    /// # Errors
    /// [`StreamErrorKind::InvalidVmdesc`] naming the JSON path of the problem, or
    /// saying where the JSON itself is malformed.
    pub fn parse(json: &[u8]) -> Result<Self, Error> {
        let mut deserializer = serde_json::Deserializer::from_slice(json);
        Expected(Root)
            .deserialize(&mut deserializer)
            .and_then(|parsed| deserializer.end().map(|()| parsed))
            .map_err(|e| invalid(format!("{e}")))?
    }
}

fn invalid(message: String) -> Error {
    Error::new(StreamErrorKind::InvalidVmdesc { message })
}

/// Nesting is bounded so that a hostile description cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

/// A value read, or the description problem found in it.
type Checked<T> = Result<T, Error>;

/// Where a value is, as a JSON path (`$.devices[3].fields[2].size`): a chain
/// of frames on the stack, written out only when a message needs it.
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
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

    fn error(&self, problem: &str) -> Error {
        invalid(format!("{self} {problem}"))
    }
}

impl Site for Path<'_> {
    type Problem = Error;

    fn problem(self, what: &str) -> Error {
        self.error(what)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("$"),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

/// The keys read; any other is skipped. One list for both directions: a key
/// is matched by its text and named in paths by the same text.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Key {
    PageSize,
    Configuration,
    Devices,
    Name,
    InstanceId,
    VmsdName,
    Version,
    Fields,
    Subsections,
    Type,
    Size,
    ArrayLen,
    Index,
    Struct,
    /// A key no part of the description uses.
    Other,
}

impl Keys for Key {
    const KEYS: &'static [(&'static str, Self)] = &[
        ("page_size", Key::PageSize),
        ("configuration", Key::Configuration),
        ("devices", Key::Devices),
        ("name", Key::Name),
        ("instance_id", Key::InstanceId),
        ("vmsd_name", Key::VmsdName),
        ("version", Key::Version),
        ("fields", Key::Fields),
        ("subsections", Key::Subsections),
        ("type", Key::Type),
        ("size", Key::Size),
        ("array_len", Key::ArrayLen),
        ("index", Key::Index),
        ("struct", Key::Struct),
    ];
    const OTHER: Self = Key::Other;
}

impl<'de> de::Deserialize<'de> for Key {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        KeySeed::NEW.deserialize(deserializer)
    }
}

/// A key that must be present: its value, or the problem of its absence.
fn required<T>(slot: Option<Checked<T>>, object: &Path<'_>, key: Key) -> Checked<T> {
    slot.unwrap_or_else(|| Err(object.key(key.text()).error("is missing")))
}

fn small(value: u64, path: &Path<'_>) -> Checked<u32> {
    u32::try_from(value).map_err(|_| path.error("is out of range"))
}

fn too_big<T: TryInto<usize>>(value: T, path: &Path<'_>) -> Checked<usize> {
    value.try_into().map_err(|_| path.error("is too large"))
}

/// The document: an object with `page_size`, `configuration` and `devices`.
struct Root;

impl<'de> Expect<'de> for Root {
    type Out = Vmdesc;
    type Problem = Error;

    fn mismatch(&self) -> Error {
        Path::Root.error("is not an object")
    }

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked<Vmdesc>, A::Error> {
        let root = Path::Root;
        let (mut page_size, mut configuration, mut devices) = (None, None, None);
        while let Some(key) = map.next_key::<Key>()? {
            let path = root.key(key.text());
            match key {
                Key::PageSize => page_size = Some(value(&mut map, Unsigned(path))?),
                Key::Configuration => {
                    configuration = Some(value(&mut map, State { path, depth: 0 })?);
                }
                Key::Devices => devices = Some(value(&mut map, Devices(path))?),
                _ => map.next_value_seed(Skip)?,
            }
        }
        let vmdesc = || {
            Ok(Vmdesc {
                page_size: page_size.transpose()?.unwrap_or(4096),
                configuration: configuration.transpose()?,
                devices: devices.transpose()?.unwrap_or_default(),
            })
        };
        Ok(vmdesc())
    }
}

/// `devices`: one object per FULL section.
struct Devices<'p>(Path<'p>);

impl<'de> Expect<'de> for Devices<'_> {
    type Out = Vec<DeviceDesc>;
    type Problem = Error;

    fn mismatch(&self) -> Error {
        self.0.error("is not an array")
    }

    fn array<A: SeqAccess<'de>>(self, seq: A) -> Result<Checked<Vec<DeviceDesc>>, A::Error> {
        elements(seq, |i| Expected(Device(self.0.index(i))))
    }
}

/// A device: its `name`, `instance_id`, and the keys of its state.
struct Device<'p>(Path<'p>);

impl<'de> Expect<'de> for Device<'_> {
    type Out = DeviceDesc;
    type Problem = Error;

    fn mismatch(&self) -> Error {
        self.0.error("is not an object")
    }

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked<DeviceDesc>, A::Error> {
        let path = &self.0;
        let (mut name, mut instance) = (None, None);
        let mut state = StateKeys::default();
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Name => name = Some(value(&mut map, Text(path.key("name")))?),
                Key::InstanceId => {
                    instance = Some(value(&mut map, Unsigned(path.key("instance_id")))?);
                }
                key => state.read(key, &mut map, path, 0)?,
            }
        }
        let device = || {
            let instance = instance.transpose()?.unwrap_or(0);
            Ok(DeviceDesc {
                name: required(name, path, Key::Name)?,
                instance_id: small(instance, &path.key("instance_id"))?,
                legacy: !state.has_vmsd_name,
                state: state.finish(path, 0)?,
            })
        };
        Ok(device())
    }
}

/// The keys of a state description, as they come: a device's, a
/// subsection's, an inlined struct's, or a `tmp` field's (which carries them
/// beside its own).
#[derive(Default)]
struct StateKeys {
    /// `vmsd_name` was given: a device without one is old-style.
    has_vmsd_name: bool,
    /// Its value, when a string.
    vmsd_name: Option<String>,
    /// `fields` was given: a field with them inlines its description.
    has_fields: bool,
    version: Option<Checked<u64>>,
    fields: Option<Checked<Vec<FieldDesc>>>,
    subsections: Option<Checked<Vec<StateDesc>>>,
}

impl StateKeys {
    /// Reads the value of `key` when it is one of a state's, and skips it
    /// otherwise; `path` and `depth` are the state's. Past the depth limit
    /// the state is refused whole, so its fields and subsections are not
    /// read into anything, which bounds the recursion.
    fn read<'de, A: MapAccess<'de>>(
        &mut self,
        key: Key,
        map: &mut A,
        path: &Path<'_>,
        depth: usize,
    ) -> Result<(), A::Error> {
        let within = depth <= MAX_DEPTH;
        let at = path.key(key.text());
        match key {
            Key::VmsdName => {
                self.has_vmsd_name = true;
                self.vmsd_name = value(map, Text(at))?.ok();
            }
            Key::Version => self.version = Some(value(map, Unsigned(at))?),
            Key::Fields if within => {
                self.has_fields = true;
                self.fields = Some(value(map, Fields { path: at, depth })?);
            }
            Key::Subsections if within => {
                self.subsections = Some(value(map, Subsections { path: at, depth })?);
            }
            Key::Fields => {
                self.has_fields = true;
                map.next_value_seed(Skip)?;
            }
            _ => map.next_value_seed(Skip)?,
        }
        Ok(())
    }

    /// The state at `path`, nested `depth` deep, checked in a fixed order.
    fn finish(self, path: &Path<'_>, depth: usize) -> Checked<StateDesc> {
        if depth > MAX_DEPTH {
            return Err(path.error(&format!("nests deeper than {MAX_DEPTH} levels")));
        }
        let version = self.version.transpose()?.unwrap_or(0);
        let fields = self.fields.transpose()?.unwrap_or_default();
        let subsections = self.subsections.transpose()?.unwrap_or_default();
        Ok(StateDesc {
            vmsd_name: self.vmsd_name.unwrap_or_default(),
            version: small(version, &path.key("version"))?,
            fields,
            subsections,
        })
    }
}

/// A state description on its own: `configuration`, a subsection or a
/// `struct`.
struct State<'p> {
    path: Path<'p>,
    depth: usize,
}

impl<'de> Expect<'de> for State<'_> {
    type Out = StateDesc;
    type Problem = Error;

    fn mismatch(&self) -> Error {
        self.path.error("is not an object")
    }

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked<StateDesc>, A::Error> {
        let mut state = StateKeys::default();
        while let Some(key) = map.next_key::<Key>()? {
            state.read(key, &mut map, &self.path, self.depth)?;
        }
        Ok(state.finish(&self.path, self.depth))
    }
}

/// `subsections`: states one level deeper than their parent.
struct Subsections<'p> {
    path: Path<'p>,
    depth: usize,
}

impl<'de> Expect<'de> for Subsections<'_> {
    type Out = Vec<StateDesc>;
    type Problem = Error;

    fn mismatch(&self) -> Error {
        self.path.error("is not an array")
    }

    fn array<A: SeqAccess<'de>>(self, seq: A) -> Result<Checked<Vec<StateDesc>>, A::Error> {
        elements(seq, |i| {
            Expected(State {
                path: self.path.index(i),
                depth: self.depth + 1,
            })
        })
    }
}

/// `fields` of a state `depth` deep.
struct Fields<'p> {
    path: Path<'p>,
    depth: usize,
}

impl<'de> Expect<'de> for Fields<'_> {
    type Out = Vec<FieldDesc>;
    type Problem = Error;

    fn mismatch(&self) -> Error {
        self.path.error("is not an array")
    }

    fn array<A: SeqAccess<'de>>(self, seq: A) -> Result<Checked<Vec<FieldDesc>>, A::Error> {
        elements(seq, |i| {
            Expected(Field {
                path: self.path.index(i),
                depth: self.depth,
            })
        })
    }
}

/// One field of a state `depth` deep.
struct Field<'p> {
    path: Path<'p>,
    depth: usize,
}

impl<'de> Expect<'de> for Field<'_> {
    type Out = FieldDesc;
    type Problem = Error;

    fn mismatch(&self) -> Error {
        self.path.error("is not an object")
    }

    fn object<A: MapAccess<'de>>(self, mut map: A) -> Result<Checked<FieldDesc>, A::Error> {
        let path = &self.path;
        let (mut name, mut type_name, mut size) = (None, None, None);
        let (mut array_len, mut index, mut structure) = (None, None, None);
        // `tmp` fields (VMSTATE_WITH_TMP) carry their description inline,
        // one level deeper; `struct` fields carry it under "struct".
        let mut inline = StateKeys::default();
        while let Some(key) = map.next_key::<Key>()? {
            let at = path.key(key.text());
            match key {
                Key::Name => name = Some(value(&mut map, Text(at))?),
                Key::Type => type_name = Some(value(&mut map, Text(at))?),
                Key::Size => size = Some(value(&mut map, Unsigned(at))?),
                Key::ArrayLen => array_len = Some(value(&mut map, Unsigned(at))?),
                Key::Index => index = Some(value(&mut map, Unsigned(at))?),
                Key::Struct => {
                    let depth = self.depth + 1;
                    structure = Some(value(&mut map, State { path: at, depth })?);
                }
                key => inline.read(key, &mut map, path, self.depth + 1)?,
            }
        }
        let field = || {
            let type_name = required(type_name, path, Key::Type)?;
            let size = size.transpose()?.unwrap_or(0);
            let array_len = array_len.transpose()?;
            let index = index.transpose()?;
            let nested = match structure {
                Some(nested) => Some(Box::new(nested?)),
                None if inline.has_fields => Some(Box::new(inline.finish(path, self.depth + 1)?)),
                None => None,
            };
            Ok(FieldDesc {
                size: too_big(size, &path.key("size"))?,
                array_len: array_len
                    .map(|len| too_big(len, &path.key("array_len")))
                    .transpose()?,
                name: required(name, path, Key::Name)?,
                type_name,
                index,
                nested,
            })
        };
        Ok(field())
    }
}

#[cfg(test)]
#[path = "oracle.rs"]
mod oracle;

#[cfg(test)]
mod tests {
    use super::{Vmdesc, oracle};

    /// The vmdesc of every committed stream that has one.
    fn fixture_vmdescs() -> Vec<(String, Vec<u8>)> {
        let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/data");
        let mut found = Vec::new();
        for dir in std::fs::read_dir(data).unwrap() {
            let dir = dir.unwrap().path();
            if !dir.is_dir() {
                continue;
            }
            for file in std::fs::read_dir(&dir).unwrap() {
                let path = file.unwrap().path();
                if path.extension().is_none_or(|e| e != "mig") {
                    continue;
                }
                let bytes = std::fs::read(&path).unwrap();
                // EOF, 0x06, a be32 length reaching the end, the JSON.
                let tail = (1..bytes.len().saturating_sub(4)).rev().find(|&p| {
                    let len = u32::from_be_bytes(bytes[p + 1..p + 5].try_into().unwrap());
                    bytes[p - 1] == 0 && bytes[p] == 6 && len as usize == bytes.len() - p - 5
                });
                if let Some(p) = tail {
                    found.push((path.display().to_string(), bytes[p + 5..].to_vec()));
                }
            }
        }
        found.sort();
        found
    }

    /// The streaming parser and the tree of values agree on `json`: the
    /// same description, or the same message.
    fn agree(json: &[u8]) {
        let (new, old) = (Vmdesc::parse(json), oracle::parse(json));
        match (&new, &old) {
            (Ok(new), Ok(old)) => assert!(new == old, "{}", String::from_utf8_lossy(json)),
            (Err(new), Err(old)) => assert_eq!(
                new.to_string(),
                old.to_string(),
                "{}",
                String::from_utf8_lossy(json)
            ),
            _ => panic!(
                "streaming {:?}, tree {:?}: {}",
                new.as_ref().err().map(ToString::to_string),
                old.as_ref().err().map(ToString::to_string),
                String::from_utf8_lossy(json)
            ),
        }
    }

    #[test]
    fn every_fixture_reads_as_the_tree_of_values_read_it() {
        let fixtures = fixture_vmdescs();
        assert!(fixtures.len() > 10, "{} fixtures", fixtures.len());
        for (_, json) in &fixtures {
            agree(json);
        }
    }

    /// Descriptions whose problems the streaming parser sees in another
    /// order than a tree of values would: each gives the message the tree
    /// gave.
    #[test]
    fn problems_are_reported_as_the_tree_of_values_reported_them() {
        let cases: &[&str] = &[
            // The last of two values for a key counts; an earlier wrong one is no error.
            r#"{"devices": [{"name": 1, "name": "a", "fields": [{"name": "x", "type": "uint8", "size": -1, "size": 1}]}]}"#,
            r#"{"devices": [{"name": "a", "fields": 3, "fields": []}], "devices": []}"#,
            r#"{"devices": [{"name": "a", "fields": []}], "devices": 1}"#,
            r#"{"devices": [{"name": "a", "vmsd_name": "a", "vmsd_name": 1}]}"#,
            // A field's checks in their order, whatever the order of its keys.
            r#"{"devices": [{"name": "a", "fields": [{"size": -1, "name": 1, "type": 2}]}]}"#,
            r#"{"devices": [{"name": "a", "fields": [{"size": -1, "type": "t", "index": "i"}]}]}"#,
            r#"{"devices": [{"name": "a", "fields": [{"struct": 1, "type": "t", "index": -1}]}]}"#,
            r#"{"devices": [{"name": "a", "fields": [{"name": "x", "type": "t", "size": 1, "struct": {"fields": [{}]}, "fields": 1}]}]}"#,
            r#"{"devices": [{"name": "a", "fields": [{"name": "x", "type": "tmp", "size": 1, "fields": [{"name": "y"}]}]}]}"#,
            r#"{"devices": [{"name": "a", "fields": [{"name": "x", "type": "t", "subsections": 1}]}]}"#,
            // A device's: instance_id, name, then its state.
            r#"{"devices": [{"fields": 1, "instance_id": -1}]}"#,
            r#"{"devices": [{"fields": 1, "instance_id": 4294967296, "name": "a"}]}"#,
            r#"{"devices": [{"version": 4294967296, "fields": [{}], "name": "a"}]}"#,
            r#"{"devices": [{"name": "a", "subsections": [1], "fields": [{}]}]}"#,
            // The root's: page_size, configuration, devices.
            r#"{"devices": [1], "configuration": 2, "page_size": -3}"#,
            r#"{"devices": [1], "configuration": {"fields": 1}}"#,
            r#"{"devices": [{"name": "a"}, 7, {"name": 3}]}"#,
            // Malformed JSON anywhere before any description problem.
            r#"{"devices": [{"name": 1}], }"#,
            r#"{"devices": [{"name": 1}]} x"#,
            r#"{"devices": [{"name": 1}], "x": "\ud800"}"#,
            r#"{"devices": [{"name": "a"}], "x": 1e400}"#,
            // Not objects or arrays where they must be.
            "[]",
            "null",
            r#"{"devices": {}}"#,
            r#"{"devices": [{"name": "a", "subsections": {}}]}"#,
            // Numbers that are no non-negative integers.
            r#"{"page_size": 1.0}"#,
            r#"{"page_size": 18446744073709551616}"#,
            r#"{"page_size": 18446744073709551615}"#,
            // Unknown keys are skipped, whatever they hold.
            r#"{"x": {"devices": 1}, "devices": [{"name": "a", "y": [[{}]], "fields": [{"name": "b", "type": "t", "z": null}]}]}"#,
        ];
        for case in cases {
            agree(case.as_bytes());
        }
    }

    /// Nesting past the description's limit, or past `serde_json`'s, in read
    /// and in skipped values.
    #[test]
    fn deep_nesting_is_refused_as_before() {
        let subsections = |depth: usize| {
            let mut json = String::from(r#"{"vmsd_name": "x", "fields": []}"#);
            for _ in 0..depth {
                json = format!(r#"{{"vmsd_name": "x", "fields": [], "subsections": [{json}]}}"#);
            }
            format!(r#"{{"devices": [{{"name": "a", "subsections": [{json}]}}]}}"#)
        };
        let tmp = |depth: usize| {
            let mut json = String::from(r#"{"name": "t", "type": "uint8", "size": 1}"#);
            for _ in 0..depth {
                json = format!(r#"{{"name": "t", "type": "tmp", "size": 1, "fields": [{json}]}}"#);
            }
            format!(r#"{{"devices": [{{"name": "a", "fields": [{json}]}}]}}"#)
        };
        for depth in [10, 62, 63, 64, 65, 70] {
            agree(subsections(depth).as_bytes());
            agree(tmp(depth).as_bytes());
        }
        // Each level of description is two of JSON, so serde_json's limit
        // (128) is met first.
        let error = Vmdesc::parse(tmp(64).as_bytes()).unwrap_err().to_string();
        assert!(error.contains("recursion limit exceeded"), "{error}");
        for depth in [127, 128, 129, 500] {
            let skipped = format!(r#"{{"x": {}1{}}}"#, "[".repeat(depth), "]".repeat(depth));
            agree(skipped.as_bytes());
        }
    }

    /// Byte mutations of a description that uses every form (structs, `tmp`
    /// fields, subsections, old-style sections, arrays): both readings
    /// agree on each.
    #[test]
    fn mutated_descriptions_read_as_the_tree_of_values_read_them() {
        let fixtures = fixture_vmdescs();
        let (_, json) = fixtures
            .iter()
            .find(|(name, _)| name.ends_with("qemu-7.2/pc-ran.mig"))
            .unwrap();
        let full = Vmdesc::parse(json).unwrap();
        // A few devices of each form keep each mutation cheap.
        let mut seed = full.clone();
        seed.devices.retain(|d| {
            d.legacy
                || !d.state.subsections.is_empty()
                || d.state.fields.iter().any(|f| f.nested.is_some())
        });
        seed.devices.truncate(6);
        let seed = seed.to_json().into_bytes();
        let tokens: [&[u8]; 14] = [
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
            b"\"fields\": 1, ",
            b"\"size\": 2, ",
            b"4294967296",
            b"\\u00e9",
        ];
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = |bound: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            usize::try_from(state % bound as u64).unwrap()
        };
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
            agree(&json);
        }
    }
}
