//! The `const` side of the lock: the derive emits each recorded wire type as
//! a [`WireType`] literal and asks these functions, at compile time, whether
//! the type's `SCHEMA` still has it. Comparing what the compiler resolved,
//! not how the type is spelled, a widened alias, a changed array-length
//! constant or a nested struct that gained a field all fail the build, and a
//! respelled type does not.

#![allow(
    clippy::large_types_passed_by_value,
    clippy::result_large_err,
    reason = "const fns run at compile time only, where a message cannot be boxed"
)]
#![allow(
    clippy::many_single_char_names,
    reason = "a and b, x and y: the recorded and the current side"
)]

use vmstate_lock::str_eq;

use crate::schema::{Count, FieldSchema, Schema, WireType};

/// Room for one message; longer ones are cut.
const CAPACITY: usize = 1024;

/// A message built at compile time, for `panic!("{}", message.as_str())`.
#[derive(Clone, Copy)]
pub struct Message {
    buf: [u8; CAPACITY],
    len: usize,
}

impl Message {
    /// `text` to begin with.
    #[must_use]
    pub const fn new(text: &str) -> Self {
        Self {
            buf: [0; CAPACITY],
            len: 0,
        }
        .push(text)
    }

    /// Appends `text`, cut at a character boundary when the room runs out.
    #[must_use]
    pub const fn push(mut self, text: &str) -> Self {
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() && self.len < CAPACITY {
            self.buf[self.len] = bytes[i];
            self.len += 1;
            i += 1;
        }
        // Never end inside a UTF-8 sequence.
        while self.len > 0 && !is_boundary(&self.buf, self.len) {
            self.len -= 1;
        }
        self
    }

    /// Appends `n` in decimal.
    #[must_use]
    pub const fn push_num(self, n: usize) -> Self {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = n;
        loop {
            at -= 1;
            #[allow(clippy::cast_possible_truncation, reason = "a digit fits in a byte")]
            let digit = (rest % 10) as u8;
            digits[at] = b'0' + digit;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        match core::str::from_utf8(digits.split_at(at).1) {
            Ok(text) => self.push(text),
            Err(_) => self,
        }
    }

    /// The text so far.
    #[must_use]
    pub const fn as_str(&self) -> &str {
        match core::str::from_utf8(self.buf.split_at(self.len).0) {
            Ok(text) => text,
            Err(_) => "",
        }
    }
}

const fn is_boundary(buf: &[u8; CAPACITY], len: usize) -> bool {
    len == CAPACITY || buf[len].cast_signed() >= -0x40 || len == 0
}

/// `None` when `current` has the recorded wire type; else `prefix`, what
/// differs, and `advice`.
#[must_use]
pub const fn wire_diff(
    recorded: &WireType,
    current: &WireType,
    prefix: &str,
    advice: &str,
) -> Option<Message> {
    match diff(recorded, current, Message::new(prefix)) {
        Ok(()) => None,
        Err(message) => Some(message.push(advice)),
    }
}

/// `None` when `module_path` (as `module_path!()` gives it, with the crate's
/// own name first) is the module `recorded` (as the lock writes it, with
/// `crate` first); else `prefix`, the module now, and `advice`.
#[must_use]
pub const fn moved(
    module_path: &str,
    recorded: &str,
    prefix: &str,
    advice: &str,
) -> Option<Message> {
    let bytes = module_path.as_bytes();
    let mut at = 0;
    while at + 1 < bytes.len() && !(bytes[at] == b':' && bytes[at + 1] == b':') {
        at += 1;
    }
    let within = if at + 1 < bytes.len() {
        match core::str::from_utf8(bytes.split_at(at + 2).1) {
            Ok(text) => text,
            Err(_) => "",
        }
    } else {
        ""
    };
    let same = match recorded.as_bytes().split_first_chunk::<7>() {
        Some((b"crate::", rest)) => str_eq_bytes(rest, within.as_bytes()),
        _ => within.is_empty() && str_eq(recorded, "crate"),
    };
    if same {
        return None;
    }
    let m = Message::new(prefix).push("crate");
    let m = if within.is_empty() {
        m
    } else {
        m.push("::").push(within)
    };
    Some(m.push(advice))
}

const fn str_eq_bytes(a: &[u8], b: &[u8]) -> bool {
    match (core::str::from_utf8(a), core::str::from_utf8(b)) {
        (Ok(a), Ok(b)) => str_eq(a, b),
        _ => false,
    }
}

/// `None` when subsection type `current` still loads what version `version`
/// of `name` sent; else `prefix`, what differs, and `advice`.
#[must_use]
pub const fn subsection_diff(
    name: &str,
    version: u32,
    current: &Schema,
    prefix: &str,
    advice: &str,
) -> Option<Message> {
    let m = Message::new(prefix);
    if !str_eq(name, current.name) {
        return Some(
            m.push("recorded VMSD name `")
                .push(name)
                .push("`, now `")
                .push(current.name)
                .push("`")
                .push(advice),
        );
    }
    if version < current.minimum_version || version > current.version {
        return Some(
            m.push("recorded at version ")
                .push_num(version as usize)
                .push(", which it no longer loads (now versions ")
                .push_num(current.minimum_version as usize)
                .push(" to ")
                .push_num(current.version as usize)
                .push(")")
                .push(advice),
        );
    }
    None
}

const fn diff(recorded: &WireType, current: &WireType, m: Message) -> Result<(), Message> {
    match (recorded, current) {
        (WireType::Scalar { info: a, size: x }, WireType::Scalar { info: b, size: y })
            if str_eq(a, b) && *x == *y =>
        {
            Ok(())
        }
        (WireType::Array { element: a, len: x }, WireType::Array { element: b, len: y }) => {
            if *x != *y {
                return Err(m
                    .push("recorded ")
                    .push_num(*x)
                    .push(" elements, now ")
                    .push_num(*y)
                    .push(" (")
                    .push_wire(recorded)
                    .push(" -> ")
                    .push_wire(current)
                    .push(")"));
            }
            diff(a, b, m)
        }
        (WireType::Struct(a), WireType::Struct(b)) => struct_diff(a, b, m),
        (WireType::Unused(x), WireType::Unused(y)) if *x == *y => Ok(()),
        // Older versions wrote `opaque` for what is a view now: it says
        // nothing to compare (recording fills it in).
        (WireType::Opaque, WireType::Opaque | WireType::View { .. } | WireType::With { .. }) => {
            Ok(())
        }
        (WireType::View { .. }, WireType::View { .. }) if same_view(recorded, current) => Ok(()),
        (
            WireType::With {
                view: a,
                rust_type: x,
            },
            WireType::With {
                view: b,
                rust_type: y,
            },
        ) if str_eq(a, b) && str_eq(x, y) => Ok(()),
        _ => Err(m
            .push("recorded ")
            .push_wire(recorded)
            .push(", now ")
            .push_wire(current)),
    }
}

/// Whether two views have the same form and parts: a difference anywhere
/// inside is reported as the whole view, recorded and now, which is what the
/// user changed.
const fn same_view(recorded: &WireType, current: &WireType) -> bool {
    let (WireType::View { form: f, parts: a }, WireType::View { form: g, parts: b }) =
        (recorded, current)
    else {
        return false;
    };
    if !str_eq(f, g) || a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if !str_eq(a[i].name, b[i].name) || diff(&a[i].wire, &b[i].wire, Message::new("")).is_err()
        {
            return false;
        }
        i += 1;
    }
    true
}

/// A recorded inlined struct lists only the fields on the wire at its
/// version then; the current one is compared at its version now.
const fn struct_diff(recorded: &Schema, current: &Schema, m: Message) -> Result<(), Message> {
    let fields = current.fields;
    let (mut i, mut j) = (0, 0);
    loop {
        while j < fields.len() && !fields[j].in_layout_at(current.version) {
            j += 1;
        }
        match (i < recorded.fields.len(), j < fields.len()) {
            (false, false) => break,
            (true, true) => {}
            (true, false) => {
                return Err(m
                    .push("inlined struct `")
                    .push(current.name)
                    .push("` no longer sends field `")
                    .push(recorded.fields[i].name)
                    .push("`"));
            }
            (false, true) => {
                return Err(m
                    .push("inlined struct `")
                    .push(current.name)
                    .push("` now also sends field `")
                    .push(fields[j].name)
                    .push("` (")
                    .push_wire(&fields[j].wire)
                    .push(")"));
            }
        }
        let (old, new) = (&recorded.fields[i], &fields[j]);
        let mut inner = m.push("field `").push(new.name).push("`");
        // Positions are compared: say which recorded field this one faces.
        if !str_eq(old.name, new.name) {
            inner = inner.push(" (where `").push(old.name).push("` was)");
        }
        let inner = inner
            .push(" of inlined struct `")
            .push(current.name)
            .push("`: ");
        if old.exists != new.exists || is_varray(old) != is_varray(new) {
            return Err(inner.push("its `exists` or `len` changed"));
        }
        if let Err(message) = diff(&old.wire, &new.wire, inner) {
            return Err(message);
        }
        i += 1;
        j += 1;
    }
    let subs = current.subsections;
    let mut k = 0;
    let mut n = 0;
    while k < subs.len() || n < recorded.subsections.len() {
        while k < subs.len() && subs[k].since > current.version {
            k += 1;
        }
        if k == subs.len() && n == recorded.subsections.len() {
            break;
        }
        if k == subs.len() || n == recorded.subsections.len() {
            return Err(m
                .push("inlined struct `")
                .push(current.name)
                .push("` has other subsections than recorded"));
        }
        let (old, new) = (recorded.subsections[n].schema, subs[k].schema);
        if !str_eq(old.name, new.name)
            || old.version < new.minimum_version
            || old.version > new.version
        {
            return Err(m
                .push("subsection `")
                .push(old.name)
                .push("` v")
                .push_num(old.version as usize)
                .push(" of inlined struct `")
                .push(current.name)
                .push("` is now `")
                .push(new.name)
                .push("`, versions ")
                .push_num(new.minimum_version as usize)
                .push(" to ")
                .push_num(new.version as usize));
        }
        k += 1;
        n += 1;
    }
    Ok(())
}

const fn is_varray(field: &FieldSchema) -> bool {
    matches!(field.count, Count::Field(_))
}

impl Message {
    /// Appends a wire type as messages show it: `uint32 (4 bytes)`.
    const fn push_wire(self, wire: &WireType) -> Self {
        match wire {
            WireType::Scalar { info, size } => {
                self.push(info).push(" (").push_num(*size).push(" bytes)")
            }
            WireType::Array { element, len } => self.push_num(*len).push(" x ").push_wire(element),
            WireType::Struct(schema) => self.push("struct `").push(schema.name).push("`"),
            WireType::Unused(size) => self.push_num(*size).push(" unused bytes"),
            WireType::View { form, parts } => {
                let mut m = self.push(form);
                let mut i = 0;
                while i < parts.len() {
                    m = m
                        .push(if i == 0 { " (" } else { ", " })
                        .push(parts[i].name)
                        .push(": ")
                        .push_wire(&parts[i].wire);
                    i += 1;
                }
                if parts.is_empty() { m } else { m.push(")") }
            }
            WireType::With { view, rust_type } => self
                .push("view `")
                .push(view)
                .push("` of `")
                .push(rust_type)
                .push("`"),
            WireType::Opaque => self.push("a custom view"),
        }
    }
}
