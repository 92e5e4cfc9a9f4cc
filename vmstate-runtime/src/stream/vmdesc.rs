//! The JSON description QEMU appends to a stream (the "vmdesc"): for every FULL
//! section, the fields and subsections that were actually written, with their
//! type names and sizes. It lets a reader delimit and decode sections that no
//! Rust model knows.

use std::collections::HashMap;

use serde_json::{Map, Value};

use crate::desc::{FieldDesc, StateDesc};
use crate::error::{Error, ErrorKind};

/// The parsed vmdesc: page size and one entry per FULL section, in stream order.
#[derive(Debug, Clone, PartialEq)]
pub struct Vmdesc {
    /// The configuration section's description (`configuration`), which QEMU
    /// 10.0 writes first and 7.2 does not write at all.
    pub configuration: Option<StateDesc>,
    /// The target page size (`page_size`), 4096 on x86.
    pub page_size: u64,
    /// One entry per FULL section.
    pub devices: Vec<DeviceDesc>,
}

/// Where each (name, instance) first appears in [`Vmdesc::devices`]: a
/// search of the list per section made a stream of N sections cost O(N²).
/// Built once by [`Vmdesc::index`], valid while the list is unchanged.
#[derive(Debug, Clone, Default)]
pub struct DeviceIndex(HashMap<(String, u32), usize>);

impl DeviceIndex {
    /// The description of section `name`, instance `instance_id` in
    /// `vmdesc` (the one this index was built from), in constant time.
    #[must_use]
    pub fn device<'v>(
        &self,
        vmdesc: &'v Vmdesc,
        name: &str,
        instance_id: u32,
    ) -> Option<&'v DeviceDesc> {
        self.0
            .get(&(name.to_owned(), instance_id))
            .and_then(|&i| vmdesc.devices.get(i))
            .filter(|d| d.name == name && d.instance_id == instance_id)
    }
}

/// A FULL section as the vmdesc describes it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceDesc {
    /// The section idstr (`name`).
    pub name: String,
    /// The section instance id.
    pub instance_id: u32,
    /// The fields and subsections of the payload.
    pub state: StateDesc,
    /// An old-style section (QEMU `register_savevm_live` without a VMSD, such
    /// as `slirp`): described as one opaque buffer, without name or version.
    pub legacy: bool,
}

impl Vmdesc {
    /// Parses the vmdesc JSON.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidVmdesc`] naming the JSON path of the problem.
    pub fn parse(json: &[u8]) -> Result<Self, Error> {
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
        Ok(Self {
            configuration,
            page_size,
            devices,
        })
    }

    /// The description of section `name`, instance `instance_id` (the
    /// first, when the vmdesc repeats it). A search of the list: for a
    /// lookup per section, build an [`index`](Self::index) once.
    #[must_use]
    pub fn device(&self, name: &str, instance_id: u32) -> Option<&DeviceDesc> {
        self.devices
            .iter()
            .find(|d| d.name == name && d.instance_id == instance_id)
    }

    /// Where each device is, for lookups in constant time.
    #[must_use]
    pub fn index(&self) -> DeviceIndex {
        let mut index = HashMap::with_capacity(self.devices.len());
        for (i, device) in self.devices.iter().enumerate() {
            index
                .entry((device.name.clone(), device.instance_id))
                .or_insert(i);
        }
        DeviceIndex(index)
    }
}

fn invalid(message: String) -> Error {
    Error::new(ErrorKind::InvalidVmdesc { message })
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

/// Serialization in QEMU's own layout (`migration/vmstate.c` through its
/// `JSONWriter`): keys in QEMU's order, `", "` and `": "` as separators, so a
/// parsed description writes back byte for byte.
impl Vmdesc {
    /// The JSON text, as QEMU writes it after the EOF record.
    #[must_use]
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        out.push('{');
        if let Some(configuration) = &self.configuration {
            out.push_str("\"configuration\": {");
            configuration.push_body(&mut out);
            out.push_str("}, ");
        }
        out.push_str("\"page_size\": ");
        out.push_str(&self.page_size.to_string());
        out.push_str(", \"devices\": [");
        for (i, device) in self.devices.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str("{\"name\": ");
            push_str_literal(&mut out, &device.name);
            out.push_str(", \"instance_id\": ");
            out.push_str(&device.instance_id.to_string());
            if device.legacy {
                device.state.push_legacy_body(&mut out);
            } else {
                out.push_str(", ");
                device.state.push_body(&mut out);
            }
            out.push('}');
        }
        out.push_str("]}");
        out
    }
}

impl StateDesc {
    /// `"vmsd_name": ..., "version": ..., "fields": [...]` and, when any were
    /// sent, `"subsections": [...]`.
    fn push_body(&self, out: &mut String) {
        out.push_str("\"vmsd_name\": ");
        push_str_literal(out, &self.vmsd_name);
        out.push_str(", \"version\": ");
        out.push_str(&self.version.to_string());
        out.push_str(", \"fields\": [");
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            field.push_json(out);
        }
        out.push(']');
        if !self.subsections.is_empty() {
            out.push_str(", \"subsections\": [");
            for (i, sub) in self.subsections.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push('{');
                sub.push_body(out);
                out.push('}');
            }
            out.push(']');
        }
    }
}

impl StateDesc {
    /// An old-style section: its size, then its buffers as
    /// `{"name": ..., "size": ..., "type": ...}`.
    fn push_legacy_body(&self, out: &mut String) {
        out.push_str(", \"size\": ");
        out.push_str(&self.wire_len().to_string());
        out.push_str(", \"fields\": [");
        for (i, field) in self.fields.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str("{\"name\": ");
            push_str_literal(out, &field.name);
            out.push_str(", \"size\": ");
            out.push_str(&field.size.to_string());
            out.push_str(", \"type\": ");
            push_str_literal(out, &field.type_name);
            out.push('}');
        }
        out.push(']');
    }
}

impl FieldDesc {
    fn push_json(&self, out: &mut String) {
        out.push_str("{\"name\": ");
        push_str_literal(out, &self.name);
        if let Some(len) = self.array_len {
            out.push_str(", \"array_len\": ");
            out.push_str(&len.to_string());
        }
        if let Some(index) = self.index {
            out.push_str(", \"index\": ");
            out.push_str(&index.to_string());
        }
        out.push_str(", \"type\": ");
        push_str_literal(out, &self.type_name);
        match &self.nested {
            // `tmp` fields (VMSTATE_WITH_TMP) inline their description.
            Some(nested) if self.type_name == "tmp" => {
                out.push_str(", ");
                nested.push_body(out);
            }
            Some(nested) => {
                out.push_str(", \"struct\": {");
                nested.push_body(out);
                out.push('}');
            }
            None => {}
        }
        out.push_str(", \"size\": ");
        out.push_str(&self.size.to_string());
        out.push('}');
    }
}

fn push_str_literal(out: &mut String, text: &str) {
    out.push_str(&Value::String(text.to_owned()).to_string());
}
