//! The reading of a dump that [`parse`](super::parse) replaced, through a
//! tree of JSON values: kept to check that the streaming parser accepts and
//! refuses the same documents, with the same messages.

use serde_json::{Map, Value};

use super::{Description, Dump, DumpError, Field, MACHINE_KEY, RELEASE_KEY, Section};

/// Parses `text` as the tree of values did.
pub fn parse(text: &str) -> Result<Dump, DumpError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| DumpError::new("$", format!("not JSON: {e}")))?;
    from_value(&value)
}

/// Reads a dump already parsed as JSON.
pub fn from_value(value: &Value) -> Result<Dump, DumpError> {
    let root = object(value, "$")?;
    let mut dump = Dump::default();
    for (name, entry) in root {
        let path = format!("$[{name:?}]");
        if name == MACHINE_KEY {
            let entry = object(entry, &path)?;
            dump.machine = optional_string(entry, "Name", &path)?;
        } else if name == RELEASE_KEY {
            let entry = object(entry, &path)?;
            dump.release = optional_string(entry, "version", &path)?;
            dump.machines = match entry.get("machines") {
                None => Vec::new(),
                Some(Value::Array(machines)) => machines
                    .iter()
                    .map(|m| m.as_str().map(str::to_owned))
                    .collect::<Option<_>>()
                    .ok_or_else(|| DumpError::new(&path, "\"machines\" holds a non-string"))?,
                Some(_) => return Err(DumpError::new(&path, "\"machines\" is not a list")),
            };
        } else {
            dump.sections.push(section(name, entry, &path)?);
        }
    }
    Ok(dump)
}

fn section(name: &str, value: &Value, path: &str) -> Result<Section, DumpError> {
    let map = object(value, path)?;
    let description = match map.get("Description") {
        Some(nested) => Some(description(nested, &format!("{path}.Description"))?),
        None => None,
    };
    Ok(Section {
        name: name.to_owned(),
        version_id: integer(map, "version_id", path)?,
        minimum_version_id: optional_integer(map, "minimum_version_id", path)?,
        description,
    })
}

fn description(value: &Value, path: &str) -> Result<Description, DumpError> {
    let map = object(value, path)?;
    let fields = list(map, "Fields", path, field)?;
    let subsections = list(map, "Subsections", path, description)?;
    Ok(Description {
        name: string(map, "name", path)?,
        version_id: integer(map, "version_id", path)?,
        minimum_version_id: optional_integer(map, "minimum_version_id", path)?,
        fields,
        subsections,
    })
}

fn field(value: &Value, path: &str) -> Result<Field, DumpError> {
    let map = object(value, path)?;
    let field_exists = match map.get("field_exists") {
        None => false,
        Some(Value::Bool(exists)) => *exists,
        Some(_) => {
            return Err(DumpError::new(
                path,
                "\"field_exists\" is not true or false",
            ));
        }
    };
    let description = match map.get("Description") {
        Some(nested) => Some(description(nested, &format!("{path}.Description"))?),
        None => None,
    };
    Ok(Field {
        name: string(map, "field", path)?,
        version_id: integer(map, "version_id", path)?,
        field_exists,
        size: unsigned(map, "size", path)?,
        num: optional_unsigned(map, "num", path)?,
        type_name: optional_string(map, "type", path)?,
        description,
    })
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, DumpError> {
    value
        .as_object()
        .ok_or_else(|| DumpError::new(path, "expected a JSON object"))
}

/// The array under `key` (none when absent), each element read by `item`.
fn list<T>(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
    item: impl Fn(&Value, &str) -> Result<T, DumpError>,
) -> Result<Vec<T>, DumpError> {
    match map.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, value)| item(value, &format!("{path}.{key}[{i}]")))
            .collect(),
        Some(_) => Err(DumpError::new(path, format!("{key:?} is not an array"))),
    }
}

fn string(map: &Map<String, Value>, key: &str, path: &str) -> Result<String, DumpError> {
    optional_string(map, key, path)?
        .ok_or_else(|| DumpError::new(path, format!("{key:?} is missing")))
}

fn optional_string(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<String>, DumpError> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text.clone())),
        Some(_) => Err(DumpError::new(path, format!("{key:?} is not a string"))),
    }
}

fn integer(map: &Map<String, Value>, key: &str, path: &str) -> Result<i64, DumpError> {
    optional_integer(map, key, path)?
        .ok_or_else(|| DumpError::new(path, format!("{key:?} is missing")))
}

fn optional_integer(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<i64>, DumpError> {
    match map.get(key) {
        None => Ok(None),
        Some(value) => value
            .as_i64()
            .map(Some)
            .ok_or_else(|| DumpError::new(path, format!("{key:?} is not an integer"))),
    }
}

fn unsigned(map: &Map<String, Value>, key: &str, path: &str) -> Result<u64, DumpError> {
    optional_unsigned(map, key, path)?
        .ok_or_else(|| DumpError::new(path, format!("{key:?} is missing")))
}

fn optional_unsigned(
    map: &Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<u64>, DumpError> {
    match map.get(key) {
        None => Ok(None),
        Some(value) => value
            .as_u64()
            .map(Some)
            .ok_or_else(|| DumpError::new(path, format!("{key:?} is not a non-negative integer"))),
    }
}
