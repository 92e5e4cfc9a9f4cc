//! The reading the streaming parser replaced, through a tree of
//! `serde_json::Value`s, kept as the oracle it is compared with: both must
//! give the same description, or the same message, for any input.

use serde_json::{Map, Value};

use super::super::{DeviceDesc, Vmdesc};
use crate::desc::{FieldDesc, StateDesc};
use crate::error::Error;
use crate::stream::StreamErrorKind;

/// The vmdesc in `json`, read through a tree of values.
pub fn parse(json: &[u8]) -> Result<Vmdesc, Error> {
    let value: Value = serde_json::from_slice(json).map_err(|e| invalid(format!("{e}")))?;
    let root = object(&value, "$")?;
    let page_size = root
        .get("page_size")
        .map_or(Ok(4096), |v| number(v, "$.page_size"))?;
    let configuration = match root.get("configuration") {
        Some(value) => Some(parse_state(
            object(value, "$.configuration")?,
            "$.configuration",
            0,
        )?),
        None => None,
    };
    let devices = match root.get("devices") {
        Some(Value::Array(devices)) => devices
            .iter()
            .enumerate()
            .map(|(i, device)| parse_device(device, &format!("$.devices[{i}]")))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid("$.devices is not an array".into())),
        None => Vec::new(),
    };
    Ok(Vmdesc {
        configuration,
        page_size,
        devices,
    })
}

fn invalid(message: String) -> Error {
    Error::new(StreamErrorKind::InvalidVmdesc { message })
}

fn object<'a>(value: &'a Value, path: &str) -> Result<&'a Map<String, Value>, Error> {
    value
        .as_object()
        .ok_or_else(|| invalid(format!("{path} is not an object")))
}

fn number(value: &Value, path: &str) -> Result<u64, Error> {
    value
        .as_u64()
        .ok_or_else(|| invalid(format!("{path} is not a non-negative integer")))
}

fn string(map: &Map<String, Value>, key: &str, path: &str) -> Result<String, Error> {
    match map.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(invalid(format!("{path}.{key} is not a string"))),
        None => Err(invalid(format!("{path}.{key} is missing"))),
    }
}

fn small(value: u64, path: &str) -> Result<u32, Error> {
    u32::try_from(value).map_err(|_| invalid(format!("{path} is out of range")))
}

fn parse_device(value: &Value, path: &str) -> Result<DeviceDesc, Error> {
    let map = object(value, path)?;
    let instance = map
        .get("instance_id")
        .map_or(Ok(0), |v| number(v, &format!("{path}.instance_id")))?;
    Ok(DeviceDesc {
        name: string(map, "name", path)?,
        instance_id: small(instance, &format!("{path}.instance_id"))?,
        state: parse_state(map, path, 0)?,
        legacy: !map.contains_key("vmsd_name"),
    })
}

/// Nesting is bounded so that a hostile description cannot exhaust the stack.
const MAX_DEPTH: usize = 64;

fn parse_state(map: &Map<String, Value>, path: &str, depth: usize) -> Result<StateDesc, Error> {
    if depth > MAX_DEPTH {
        return Err(invalid(format!(
            "{path} nests deeper than {MAX_DEPTH} levels"
        )));
    }
    let version = map
        .get("version")
        .map_or(Ok(0), |v| number(v, &format!("{path}.version")))?;
    let fields = match map.get("fields") {
        Some(Value::Array(fields)) => fields
            .iter()
            .enumerate()
            .map(|(i, field)| parse_field(field, &format!("{path}.fields[{i}]"), depth))
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid(format!("{path}.fields is not an array"))),
        None => Vec::new(),
    };
    let subsections = match map.get("subsections") {
        Some(Value::Array(subs)) => subs
            .iter()
            .enumerate()
            .map(|(i, sub)| {
                let sub_path = format!("{path}.subsections[{i}]");
                parse_state(object(sub, &sub_path)?, &sub_path, depth + 1)
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(invalid(format!("{path}.subsections is not an array"))),
        None => Vec::new(),
    };
    let vmsd_name = match map.get("vmsd_name") {
        Some(Value::String(s)) => s.clone(),
        _ => String::new(),
    };
    Ok(StateDesc {
        vmsd_name,
        version: small(version, &format!("{path}.version"))?,
        fields,
        subsections,
    })
}

fn parse_field(value: &Value, path: &str, depth: usize) -> Result<FieldDesc, Error> {
    let map = object(value, path)?;
    let type_name = string(map, "type", path)?;
    let size = map
        .get("size")
        .map_or(Ok(0), |v| number(v, &format!("{path}.size")))?;
    let array_len = map
        .get("array_len")
        .map(|v| number(v, &format!("{path}.array_len")))
        .transpose()?;
    let index = map
        .get("index")
        .map(|v| number(v, &format!("{path}.index")))
        .transpose()?;
    // `struct` fields carry their description under "struct"; `tmp` fields
    // (VMSTATE_WITH_TMP) carry it inline.
    let nested = if let Some(nested) = map.get("struct") {
        let nested_path = format!("{path}.struct");
        Some(Box::new(parse_state(
            object(nested, &nested_path)?,
            &nested_path,
            depth + 1,
        )?))
    } else if map.contains_key("fields") {
        Some(Box::new(parse_state(map, path, depth + 1)?))
    } else {
        None
    };
    let too_big = |what: &str| invalid(format!("{path}.{what} is too large"));
    Ok(FieldDesc {
        name: string(map, "name", path)?,
        type_name,
        size: usize::try_from(size).map_err(|_| too_big("size"))?,
        array_len: array_len
            .map(usize::try_from)
            .transpose()
            .map_err(|_| too_big("array_len"))?,
        index,
        nested,
    })
}
