//! The description model of a payload: the fields and subsections a VMState
//! description writes, with their QEMU type names and sizes, as QEMU's vmdesc
//! JSON states them. Derived types describe themselves in it
//! ([`VmState::describe_state`](crate::VmState::describe_state)); the stream
//! layer parses and prints the JSON form, which this module does not need.

use crate::schema::{Count, Schema, WireType};

/// One VMState description as written: a section payload, an inlined struct
/// or a subsection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StateDesc {
    /// The VMSD name (`vmsd_name`); empty for old-style sections.
    pub vmsd_name: String,
    /// The version (`version`), 0 when absent.
    pub version: u32,
    /// The fields, in wire order.
    pub fields: Vec<FieldDesc>,
    /// The subsections that were sent, in wire order.
    pub subsections: Vec<StateDesc>,
}

/// One field entry.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDesc {
    /// The field name (may repeat, with [`index`](Self::index) telling them apart).
    pub name: String,
    /// QEMU's `VMStateInfo` name: `uint32`, `bool`, `timer`, `buffer`, `struct`, ...
    pub type_name: String,
    /// Bytes per element.
    pub size: usize,
    /// Elements, for arrays written as one entry (`array_len`).
    pub array_len: Option<usize>,
    /// Element index, for arrays written as one entry per element (`index`).
    pub index: Option<u64>,
    /// The inlined description, for `struct` and `tmp` fields.
    pub nested: Option<Box<StateDesc>>,
}

impl FieldDesc {
    /// A field with no nested description.
    #[must_use]
    pub fn scalar(name: &str, type_name: &str, size: usize) -> Self {
        Self {
            name: name.to_owned(),
            type_name: type_name.to_owned(),
            size,
            array_len: None,
            index: None,
            nested: None,
        }
    }

    /// A `struct` field holding `state`, whose size is the state's wire length.
    #[must_use]
    pub fn structure(name: &str, state: StateDesc) -> Self {
        Self {
            name: name.to_owned(),
            type_name: "struct".to_owned(),
            size: state.wire_len(),
            array_len: None,
            index: None,
            nested: Some(Box::new(state)),
        }
    }
}

/// How a QEMU release writes arrays of structs element by element in its
/// vmdesc: the two forms seen in real streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VmdescStyle {
    /// QEMU 7.2: every element carries `"index"`.
    #[default]
    Qemu7_2,
    /// QEMU 10.0: the last element carries none (QEMU passes it
    /// `max_elems = n - i`, which is 1 there).
    Qemu10_0,
}

impl StateDesc {
    /// The description as `style`'s release writes it; descriptions are made
    /// in the 7.2 form, which this turns into 10.0's by dropping the `index`
    /// of each array's last element (its elements are consecutive entries
    /// with one name and increasing indices).
    #[must_use]
    pub fn in_style(mut self, style: VmdescStyle) -> Self {
        self.apply_style(style);
        self
    }

    fn apply_style(&mut self, style: VmdescStyle) {
        for field in &mut self.fields {
            if let Some(nested) = &mut field.nested {
                nested.apply_style(style);
            }
        }
        for sub in &mut self.subsections {
            sub.apply_style(style);
        }
        if style == VmdescStyle::Qemu10_0 {
            let last_of_run = |i: usize, fields: &[FieldDesc]| {
                fields.get(i + 1).is_none_or(|next| {
                    next.name != fields[i].name || next.index != fields[i].index.map(|n| n + 1)
                })
            };
            for i in 0..self.fields.len() {
                if self.fields[i].index.is_some() && last_of_run(i, &self.fields) {
                    self.fields[i].index = None;
                }
            }
        }
    }
}

impl StateDesc {
    /// Makes every array of scalars that `schema` declares an array entry at
    /// any length, for showing values: QEMU's vmdesc (which this crate
    /// writes as QEMU does) gives a one-element array no `array_len` and an
    /// empty one no entry at all, so a reader would show a scalar or
    /// nothing. A one-element entry gets `array_len` 1; an empty variable
    /// array on the wire at this description's version gets an entry of
    /// `array_len` 0 where the schema puts it. Inlined structs and
    /// subsections are shaped by their own schemas. Fields an `exists`
    /// predicate decides, and byte arrays given a type with `info`, are left
    /// as described.
    pub fn shape_arrays(&mut self, schema: &Schema) {
        let mut cursor = 0;
        for field in schema.fields {
            let on_wire = !field.exists && field.versions_include(self.version);
            let found: Vec<usize> = (cursor..self.fields.len())
                .filter(|&i| self.fields[i].name == field.name)
                .collect();
            if let (WireType::Struct(inner), [at]) = (&field.wire, found.as_slice())
                && let Some(nested) = &mut self.fields[*at].nested
            {
                nested.shape_arrays(inner);
            }
            let scalar = match (field.count, &field.wire) {
                (_, _) if field.info.is_some() => None,
                (Count::Field(_), WireType::Scalar { info, size })
                | (
                    Count::One,
                    WireType::Array {
                        element: WireType::Scalar { info, size },
                        ..
                    },
                ) => Some((*info, *size)),
                _ => None,
            };
            match (scalar, found.as_slice()) {
                (Some(_), [at]) => {
                    let entry = &mut self.fields[*at];
                    if entry.array_len.is_none() && entry.index.is_none() && entry.nested.is_none()
                    {
                        entry.array_len = Some(1);
                    }
                }
                (Some((info, size)), []) if on_wire && matches!(field.count, Count::Field(_)) => {
                    let mut entry = FieldDesc::scalar(field.name, info, size);
                    entry.array_len = Some(0);
                    self.fields.insert(cursor, entry);
                    cursor += 1;
                    continue;
                }
                _ => {}
            }
            if let Some(&last) = found.last() {
                cursor = last + 1;
            }
        }
        for sub in &mut self.subsections {
            if let Some(known) = schema
                .subsections
                .iter()
                .find(|known| known.schema.name == sub.vmsd_name)
            {
                sub.shape_arrays(known.schema);
            }
        }
    }
}

/// The wire size of the subsection header for `name`: marker, length, name, version.
fn subsection_header_len(name: &str) -> usize {
    1 + 1 + name.len() + 4
}

impl StateDesc {
    /// The payload's exact wire length: fields, then subsections with headers.
    ///
    /// Saturates at `usize::MAX`: sizes and counts come from the stream, so a
    /// plain sum could overflow.
    #[must_use]
    pub fn wire_len(&self) -> usize {
        let fields = self
            .fields
            .iter()
            .fold(0usize, |sum, field| sum.saturating_add(field.wire_len()));
        self.subsections.iter().fold(fields, |sum, sub| {
            sum.saturating_add(subsection_header_len(&sub.vmsd_name))
                .saturating_add(sub.wire_len())
        })
    }
}

impl FieldDesc {
    /// Whether `size` is the field's whole wire length even though it has a
    /// nested description: a list or tree describes the VMSD of its first
    /// element, while `size` counts every element and marker QEMU wrote; an
    /// `option` describes its value, without the presence byte.
    #[must_use]
    pub fn sized_whole(&self) -> bool {
        matches!(
            self.type_name.as_str(),
            "qtailq" | "qlist" | "gtree" | "option"
        )
    }

    /// The field's wire length: every element, nested structs included.
    #[must_use]
    pub fn wire_len(&self) -> usize {
        let element = match &self.nested {
            Some(_) if self.sized_whole() => self.size,
            Some(nested) => nested.wire_len(),
            None => self.size,
        };
        element.saturating_mul(self.array_len.unwrap_or(1))
    }
}

/// A struct's description: its name, version, described fields and sent
/// subsections.
#[must_use]
pub fn state_desc(
    name: &str,
    version: u32,
    fields: Vec<FieldDesc>,
    subsections: Vec<StateDesc>,
) -> StateDesc {
    StateDesc {
        vmsd_name: name.to_owned(),
        version,
        fields,
        subsections,
    }
}

/// The description at `VERSION`, which cannot fail (every gate is known
/// there and no subsection is newer); the bare header if it did.
#[doc(hidden)]
#[must_use]
pub fn described_at_version(
    described: Result<StateDesc, crate::error::Error>,
    name: &str,
    version: u32,
) -> StateDesc {
    described.unwrap_or_else(|_| state_desc(name, version, Vec::new(), Vec::new()))
}

/// Describes a field with a custom wire view as a `buffer` of its saved size.
pub fn describe_with(
    name: &str,
    out: &mut Vec<FieldDesc>,
    save: impl FnOnce(&mut Vec<u8>) -> Result<(), crate::error::Error>,
) {
    let mut bytes = Vec::new();
    let size = save(&mut bytes).map_or(0, |()| bytes.len());
    out.push(FieldDesc::scalar(name, "buffer", size));
}

/// Replaces the QEMU type name of freshly described entries (`info = "..."`).
/// A byte array given a type of its own is one entry of the whole size, as
/// QEMU's `VMSTATE_BUFFER` and `VMSTATE_BUFFER_UNSAFE_INFO` describe it
/// (`buffer`, `pci config`); arrays of wider elements keep their `array_len`.
pub fn set_info(entries: &mut [FieldDesc], info: &str) {
    for entry in entries {
        if entry.size == 1
            && entry.nested.is_none()
            && let Some(len) = entry.array_len.take()
        {
            entry.size = len;
        }
        info.clone_into(&mut entry.type_name);
    }
}

/// Describes a struct field: a `struct` entry holding its state.
pub fn describe_struct(name: &str, state: StateDesc, out: &mut Vec<FieldDesc>) {
    out.push(FieldDesc::structure(name, state));
}
