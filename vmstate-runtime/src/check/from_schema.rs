//! Dumps in QEMU's `-dump-vmstate` format written from [`Schema`]s, so that a
//! build's own types can be checked against a QEMU release or an older build.

use serde_json::{Map, Value, json};

use crate::schema::{FieldSchema, Schema, WireType};

/// `schema` as QEMU's `-dump-vmstate` prints one `Description`. With
/// `extended`, every field also carries its wire `type` and Rust type.
#[must_use]
fn description(schema: &Schema, extended: bool) -> Value {
    let fields: Vec<Value> = schema.fields.iter().map(|f| field(*f, extended)).collect();
    let mut desc = Map::new();
    desc.insert("name".into(), json!(schema.name));
    desc.insert("version_id".into(), json!(schema.version));
    desc.insert("minimum_version_id".into(), json!(schema.minimum_version));
    desc.insert("Fields".into(), Value::Array(fields));
    if !schema.subsections.is_empty() {
        let subs = schema
            .subsections
            .iter()
            .map(|sub| description(sub.schema, extended))
            .collect();
        desc.insert("Subsections".into(), Value::Array(subs));
    }
    Value::Object(desc)
}

/// `field` as QEMU's `-dump-vmstate` prints it. The size is that of one
/// element, as QEMU's is; a byte array given its own `info` (a `buffer`) is
/// one element of the whole size.
fn field(this: FieldSchema, extended: bool) -> Value {
    let (element, whole) = match this.wire {
        WireType::Array { element, len } => (*element, element.fixed_size().map(|s| s * len)),
        wire => (wire, wire.fixed_size()),
    };
    let is_buffer = this.info.is_some() && element.fixed_size() == Some(1);
    let size = if is_buffer || !matches!(this.wire, WireType::Array { .. }) {
        whole
    } else {
        element.fixed_size()
    };
    let mut field = Map::new();
    let name = if matches!(this.wire, WireType::Unused(_)) {
        "unused"
    } else {
        this.name
    };
    field.insert("field".into(), json!(name));
    field.insert("version_id".into(), json!(this.since));
    field.insert(
        "field_exists".into(),
        json!(this.exists || this.until.is_some()),
    );
    field.insert("size".into(), json!(size.unwrap_or(0)));
    if extended {
        field.insert("type".into(), json!(this.info.unwrap_or(element.info())));
        field.insert("rust_type".into(), json!(this.rust_type));
    }
    if let WireType::Struct(schema) = element {
        field.insert("Description".into(), description(schema, extended));
    }
    Value::Object(field)
}

/// A dump in QEMU's `-dump-vmstate` format of the given devices, keyed by
/// their device names, as `vmstate check` and QEMU's
/// `vmstate-static-checker.py` read it.
#[must_use]
pub fn dump(machine: &str, devices: &[(&str, &Schema)], extended: bool) -> Value {
    let mut root = Map::new();
    root.insert("vmschkmachine".into(), json!({ "Name": machine }));
    for (device, schema) in devices {
        root.insert(
            (*device).to_owned(),
            json!({
                "Name": device,
                "version_id": schema.version,
                "minimum_version_id": schema.minimum_version,
                "Description": description(schema, extended),
            }),
        );
    }
    Value::Object(root)
}
