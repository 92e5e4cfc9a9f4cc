//! The JSON description QEMU appends to a stream (the "vmdesc"): for every FULL
//! section, the fields and subsections that were actually written, with their
//! type names and sizes. It lets a reader delimit and decode sections that no
//! Rust model knows. Writing it needs no JSON crate; reading it (`parse.rs`, with the
//! visitors it shares with the checker's dump reader, `visit.rs`) is the
//! `vmdesc` feature's.

#[cfg(feature = "vmdesc")]
mod parse;
#[cfg(feature = "vmdesc")]
pub(crate) mod visit;

use std::collections::HashMap;

use crate::desc::{FieldDesc, StateDesc};

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
        self.position(vmdesc, name, instance_id)
            .and_then(|i| vmdesc.devices.get(i))
    }

    /// Where the description of section `name`, instance `instance_id` is
    /// in `vmdesc.devices`, in constant time.
    #[must_use]
    pub fn position(&self, vmdesc: &Vmdesc, name: &str, instance_id: u32) -> Option<usize> {
        self.0
            .get(&(name.to_owned(), instance_id))
            .copied()
            .filter(|&i| {
                vmdesc
                    .devices
                    .get(i)
                    .is_some_and(|d| d.name == name && d.instance_id == instance_id)
            })
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

/// A JSON string as QEMU's `JSONWriter` quotes it (`qobject/json-writer.c`):
/// the two-character escapes JSON names, and `\uXXXX` (upper-case hex, a
/// surrogate pair beyond the BMP) for control characters and for everything
/// from DEL on, so the text is plain ASCII.
fn push_str_literal(out: &mut String, text: &str) {
    use std::fmt::Write as _;
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            ' '..='~' => out.push(c),
            _ => {
                let mut units = [0; 2];
                for unit in c.encode_utf16(&mut units) {
                    // Writing to a String cannot fail.
                    let _ = write!(out, "\\u{unit:04X}");
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::push_str_literal;

    #[test]
    fn strings_are_quoted_as_qemu_quotes_them() {
        let mut out = String::new();
        push_str_literal(&mut out, "a\"b\\c\u{8}\u{c}\n\r\t\u{1}\u{7f}é😀 ~");
        assert_eq!(
            out,
            r#""a\"b\\c\b\f\n\r\t\u0001\u007F\u00E9\uD83D\uDE00 ~""#
        );
    }
}
