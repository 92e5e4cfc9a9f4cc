//! Decoding a payload from its vmdesc description: named values for every
//! field, and the byte position of each, so that a field can be edited in place.

use serde_json::{Map, Value};

use super::StreamErrorKind;
use crate::desc::{FieldDesc, StateDesc};
use crate::error::Error;
use crate::reader::Reader;
use crate::subsection::SUBSECTION_MARKER;

/// A payload decoded from its description.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// Field name to value, in wire order; subsections under their VMSD name.
    pub value: Value,
    /// Every scalar or buffer field with its position.
    pub leaves: Vec<Leaf>,
}

/// One field's place in a payload.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// Dotted path: `channels[1].count`, `fw_cfg/dma.dma_addr`.
    pub path: String,
    /// Offset of the field's first byte within the payload.
    pub offset: usize,
    /// Size in bytes.
    pub size: usize,
    /// QEMU's type name.
    pub type_name: String,
}

/// What decoding may produce (values, leaves and their paths, roughly in
/// bytes) per payload byte, on top of [`BASE_BUDGET`].
///
/// The description comes from the stream, so it is as hostile as the payload:
/// a huge `array_len` of zero-sized elements passes every bounds check (it
/// needs no input), and nesting such arrays multiplies them. Without a budget
/// a few hundred bytes of vmdesc could make `decode` loop and allocate for
/// ever. Real descriptions stay far below it: an
/// array of 1-byte fields costs about 170 per byte, an array of structs of
/// one byte each about twice that.
const BUDGET_PER_BYTE: usize = 1024;
/// What decoding may produce regardless of the payload's size: some 8000
/// empty elements.
const BASE_BUDGET: usize = 1 << 20;
/// What one element (a scalar, a buffer or a struct) costs on top of its
/// path: about the size of its `Value` and `Leaf`.
const ELEMENT_COST: usize = 128;

/// Decodes `payload` (which starts at absolute offset `base`) as `desc` says.
///
/// # Errors
/// A payload that is shorter than the description, a subsection header that
/// does not match it, or bytes left over; [`StreamErrorKind::LimitExceeded`] when
/// the description would produce far more values than the payload has bytes
/// (arrays of empty elements, for example).
pub fn decode(desc: &StateDesc, payload: &[u8], base: u64) -> Result<Decoded, Error> {
    let budget = payload
        .len()
        .saturating_mul(BUDGET_PER_BYTE)
        .saturating_add(BASE_BUDGET);
    let mut walker = Walker {
        reader: Reader::with_base_offset(payload, base),
        base,
        leaves: Vec::new(),
        spent: 0,
        budget,
    };
    let value = walker.state(desc, "")?;
    walker.reader.finish()?;
    Ok(Decoded {
        value,
        leaves: walker.leaves,
    })
}

struct Walker<'a> {
    reader: Reader<'a>,
    base: u64,
    leaves: Vec<Leaf>,
    /// What the output has cost so far, and may cost at most.
    spent: usize,
    budget: usize,
}

impl Walker<'_> {
    /// Charges one element at `path` against the budget.
    fn charge(&mut self, path: &str) -> Result<(), Error> {
        self.spent = self
            .spent
            .saturating_add(ELEMENT_COST)
            .saturating_add(path.len());
        if self.spent > self.budget {
            return Err(Error::at(
                StreamErrorKind::LimitExceeded {
                    what: "decoded output size",
                    found: self.spent as u64,
                    limit: self.budget as u64,
                },
                self.reader.offset(),
            )
            .in_field_owned(path));
        }
        Ok(())
    }

    fn position(&self) -> usize {
        // The reader never goes past its slice, whose length is a usize.
        usize::try_from(self.reader.offset() - self.base).unwrap_or(usize::MAX)
    }

    fn state(&mut self, desc: &StateDesc, prefix: &str) -> Result<Value, Error> {
        let mut map = Map::new();
        let mut previous: Option<(&str, u64)> = None;
        for field in &desc.fields {
            let index = element_index(field, previous);
            previous = index.map(|index| (field.name.as_str(), index));
            self.field(field, index, prefix, &mut map)?;
        }
        for sub in &desc.subsections {
            let at = self.reader.offset();
            let marker = self.reader.read_u8()?;
            let len = self.reader.read_u8()?;
            let name = self.reader.read_bytes(usize::from(len))?;
            if marker != SUBSECTION_MARKER || name != sub.vmsd_name.as_bytes() {
                return Err(Error::at(
                    StreamErrorKind::SubsectionMismatch {
                        expected: sub.vmsd_name.clone(),
                    },
                    at,
                ));
            }
            let _version = self.reader.read_be32()?;
            let path = join(prefix, &sub.vmsd_name);
            self.charge(&path)?;
            let value = self.state(sub, &path)?;
            map.insert(sub.vmsd_name.clone(), value);
        }
        Ok(Value::Object(map))
    }

    /// One field entry; `index` is its element index when it is one entry
    /// of an array written element by element.
    fn field(
        &mut self,
        field: &FieldDesc,
        index: Option<u64>,
        prefix: &str,
        map: &mut Map<String, Value>,
    ) -> Result<(), Error> {
        let path = join(prefix, &field.name);
        let path = match index {
            Some(index) => format!("{path}[{index}]"),
            None => path,
        };
        // Every field costs, even an empty array: a description can repeat
        // one many times inside an array of empty structs.
        self.charge(&path)?;
        let value = match field.array_len {
            Some(len) => {
                // An array of scalars must fit in the input before anything
                // is read. Arrays of structs are checked element by element:
                // their wire length would walk the nested description again
                // for every enclosing element. Either way the budget bounds
                // the loop, since an element may take no input.
                if field.nested.is_none()
                    && field.size.saturating_mul(len) > self.reader.remaining()
                {
                    let needed = field.size.saturating_mul(len);
                    return Err(self.reader.eof(needed).in_field_owned(&path));
                }
                // The capacity is bounded too: the budget, not `array_len`,
                // decides how far an array of empty elements may grow.
                let mut items = Vec::with_capacity(len.min(self.reader.remaining()).min(1024));
                for i in 0..len {
                    let element = format!("{path}[{i}]");
                    self.charge(&element)?;
                    items.push(self.element(field, &element)?);
                }
                Value::Array(items)
            }
            None => self.element(field, &path)?,
        };
        if field.type_name == "unused_buffer" {
            return Ok(());
        }
        if index.is_some() {
            match map.get_mut(&field.name) {
                Some(Value::Array(items)) => items.push(value),
                _ => {
                    map.insert(field.name.clone(), Value::Array(vec![value]));
                }
            }
        } else {
            map.insert(field.name.clone(), value);
        }
        Ok(())
    }

    fn element(&mut self, field: &FieldDesc, path: &str) -> Result<Value, Error> {
        // A list or tree is described by its first element's VMSD, whose
        // buffers may be sized for that element alone, and by its whole wire
        // size: it is kept as the bytes that size covers (and an option, its
        // presence byte included).
        let whole = field.sized_whole();
        if let (Some(nested), false) = (&field.nested, whole) {
            return self.state(nested, path);
        }
        let offset = self.position();
        let bytes = self
            .reader
            .read_bytes(field.size)
            .map_err(|e| e.in_field_owned(path))?;
        if field.type_name != "unused_buffer" {
            self.leaves.push(Leaf {
                path: path.to_owned(),
                offset,
                size: field.size,
                type_name: field.type_name.clone(),
            });
        }
        Ok(self
            .shown(field, bytes)
            .unwrap_or_else(|| scalar(&field.type_name, bytes)))
    }

    /// A value of a type that this crate describes for Rust's std types, as
    /// that value: `string` as text, `option` as `null` or the value,
    /// `gtree` with a `key`/`value` entry description as its entries. `None`
    /// when the type is another or the bytes do not fit it, which are then
    /// shown as their kind says (hex for anything unknown).
    fn shown(&mut self, field: &FieldDesc, bytes: &[u8]) -> Option<Value> {
        match field.type_name.as_str() {
            "string" => {
                let (count, text) = bytes.split_first_chunk::<4>()?;
                let count = usize::try_from(u32::from_be_bytes(*count)).ok()?;
                let text = core::str::from_utf8(text)
                    .ok()
                    .filter(|t| t.len() == count)?;
                Some(Value::String(text.to_owned()))
            }
            "option" => match bytes.split_first()? {
                (0, []) => Some(Value::Null),
                (1, rest) => {
                    let nested = field.nested.as_deref()?;
                    let mut inner = self.beside(rest);
                    let mut value = inner.state(nested, "").ok()?;
                    inner.reader.finish().ok()?;
                    self.spent = inner.spent;
                    value.as_object_mut()?.remove("value")
                }
                _ => None,
            },
            "gtree" => {
                let entry = field.nested.as_deref()?;
                let names: Vec<&str> = entry.fields.iter().map(|f| f.name.as_str()).collect();
                if names != ["key", "value"] {
                    return None;
                }
                let mut inner = self.beside(bytes);
                let count = inner.reader.read_be32().ok()?;
                let mut entries = Vec::new();
                while inner.reader.read_u8().ok()? != 0 {
                    entries.push(inner.state(entry, "").ok()?);
                }
                inner.reader.finish().ok()?;
                if u32::try_from(entries.len()).ok()? != count {
                    return None;
                }
                self.spent = inner.spent;
                Some(Value::Array(entries))
            }
            _ => None,
        }
    }

    /// A walker over `bytes`, a part of this payload that is shown as a
    /// value, sharing this one's budget; its leaves are not kept, as the
    /// part is edited as a whole.
    fn beside<'b>(&self, bytes: &'b [u8]) -> Walker<'b> {
        Walker {
            reader: Reader::new(bytes),
            base: 0,
            leaves: Vec::new(),
            spent: self.spent,
            budget: self.budget,
        }
    }
}

/// The element index of a field entry: its `index`, or, for an entry without
/// one that repeats the name of the indexed entry before it, the next index.
///
/// QEMU 7.2 marks every element of an array of structs with `index`; QEMU 10.0
/// leaves it off the last element (`vmsd_desc_field_start` gets
/// `max_elems = n - i`, which is 1 there), so that element is told apart by
/// its name alone.
fn element_index(field: &FieldDesc, previous: Option<(&str, u64)>) -> Option<u64> {
    field.index.or_else(|| {
        previous
            .filter(|(name, _)| *name == field.name)
            .map(|(_, index)| index.saturating_add(1))
    })
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

/// How a QEMU type is read: signed, unsigned, boolean, float or raw bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarKind {
    /// `uint8` .. `uint64`, and their `equal` variants.
    Unsigned,
    /// `int8` .. `int64`, `timer`, `int32 le`, and `equal` variants.
    Signed,
    /// `bool`.
    Bool,
    /// `float64`, and `float32` (an `f32`'s bits, which this crate
    /// describes so).
    Float,
    /// Anything else: shown as hex.
    Bytes,
}

/// The kind of a QEMU type name at a given size.
#[must_use]
pub fn scalar_kind(type_name: &str, size: usize) -> ScalarKind {
    let word = type_name.split(' ').next().unwrap_or("");
    match (word, size) {
        ("bool", 1) => ScalarKind::Bool,
        ("float64", 8) | ("float32", 4) => ScalarKind::Float,
        ("timer", 8) => ScalarKind::Signed,
        (w, 1 | 2 | 4 | 8) if w.starts_with("uint") => ScalarKind::Unsigned,
        (w, 1 | 2 | 4 | 8) if w.starts_with("int") => ScalarKind::Signed,
        _ => ScalarKind::Bytes,
    }
}

fn scalar(type_name: &str, bytes: &[u8]) -> Value {
    let unsigned = || {
        let mut word = [0u8; 8];
        word[8 - bytes.len()..].copy_from_slice(bytes);
        u64::from_be_bytes(word)
    };
    match scalar_kind(type_name, bytes.len()) {
        ScalarKind::Bool => Value::Bool(bytes[0] != 0),
        ScalarKind::Unsigned => Value::from(unsigned()),
        ScalarKind::Signed => {
            let bits = (8 - bytes.len()) * 8;
            let raw = unsigned();
            // Sign-extend from the field's width.
            #[allow(
                clippy::cast_possible_wrap,
                reason = "reinterpreting the bits is the point"
            )]
            let signed = ((raw << bits) as i64) >> bits;
            Value::from(signed)
        }
        ScalarKind::Float if bytes.len() == 4 => {
            let bits = u32::try_from(unsigned()).unwrap_or(u32::MAX);
            Value::from(f64::from(f32::from_bits(bits)))
        }
        ScalarKind::Float => Value::from(f64::from_bits(unsigned())),
        ScalarKind::Bytes => Value::String(hex(bytes)),
    }
}

/// Lowercase hex, two digits per byte.
#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
