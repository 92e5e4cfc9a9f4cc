//! A type's layout at one version, from its `SCHEMA`, as lock text: what
//! recording appends, and how messages show a recorded wire type.

use std::fmt::{self, Write as _};

use super::format::{
    EXISTS, FIELD, OPAQUE, SINCE, STRUCT, SUBSECTION, UNTIL, UNUSED, VARRAY, VMSD, Wire, name_word,
};
use crate::schema::{Count, FieldSchema, Schema, WireType};

/// The `[key vN]` block for `schema` at `version`, ending in a newline.
#[must_use]
pub fn render_entry(key: &str, schema: &Schema, version: u32) -> String {
    let mut out = format!("[{key} v{version}]\n{VMSD} {}\n", name_word(schema.name));
    render_layout(&mut out, schema, version, 0);
    out
}

/// Whether a field is part of the layout at `version`: `exists` fields are,
/// with their flag, since only a value can tell.
pub(crate) fn on_wire_at(field: &FieldSchema, version: u32) -> bool {
    field.exists || (field.since <= version && field.until.is_none_or(|until| version < until))
}

fn render_layout(out: &mut String, schema: &Schema, version: u32, indent: usize) {
    let pad = " ".repeat(indent);
    for field in schema.fields.iter().filter(|f| on_wire_at(f, version)) {
        let _ = write!(out, "{pad}{FIELD} {}", field.name);
        let mut wire = &field.wire;
        while let WireType::Array { element, len } = wire {
            let _ = write!(out, " x{len}");
            wire = element;
        }
        match wire {
            WireType::Scalar { info, size } => {
                let _ = write!(out, " {info} {size}");
            }
            WireType::Unused(size) => {
                let _ = write!(out, " {UNUSED} {size}");
            }
            WireType::Opaque => {
                let _ = write!(out, " {OPAQUE}");
            }
            WireType::Struct(_) => {
                let _ = write!(out, " {STRUCT}");
            }
            WireType::Array { .. } => unreachable!("arrays are unwrapped above"),
        }
        if field.since > 0 {
            let _ = write!(out, " {SINCE} {}", field.since);
        }
        if let Some(until) = field.until {
            let _ = write!(out, " {UNTIL} {until}");
        }
        if field.exists {
            let _ = write!(out, " {EXISTS}");
        }
        if let Count::Field(count) = field.count {
            let _ = write!(out, " {VARRAY} {count}");
        }
        out.push('\n');
        if let WireType::Struct(inner) = wire {
            let _ = writeln!(
                out,
                "{pad}  {VMSD} {} v{}",
                name_word(inner.name),
                inner.version
            );
            render_layout(out, inner, inner.version, indent + 2);
        }
    }
    for sub in schema.subsections.iter().filter(|s| s.since <= version) {
        let _ = write!(
            out,
            "{pad}{SUBSECTION} {} {} v{}",
            sub.field,
            name_word(sub.schema.name),
            sub.schema.version
        );
        if sub.since > 0 {
            let _ = write!(out, " {SINCE} {}", sub.since);
        }
        out.push('\n');
    }
}

/// As messages show a recorded wire type: `uint32, 4 bytes`, `3 x uint32`,
/// `struct inner v1`.
impl fmt::Display for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scalar { info, size } => write!(f, "{info}, {size} bytes"),
            Self::Array { element, len } => write!(f, "{len} x {element}"),
            Self::Struct { version, layout } => {
                write!(f, "struct {} v{version}", name_word(&layout.vmsd))
            }
            Self::Unused(size) => write!(f, "{size} unused bytes"),
            Self::Opaque => f.write_str("a custom view"),
        }
    }
}
