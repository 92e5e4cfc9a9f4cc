//! A layout as lock text: what recording writes, and how messages show a
//! recorded wire type.

use std::fmt::{self, Write as _};

use crate::format::{
    EXISTS, FIELD, OPAQUE, PART, SINCE, STRUCT, SUBSECTION, UNTIL, UNUSED, VARRAY, VIEW, VMSD,
    WITH, name_word,
};
use crate::schema::{Count, Form, Schema, WireType};

/// The `[key vN]` block of `layout`, a layout as the lock records it at
/// its version ([`Schema::recorded_at`]), ending in a newline.
#[must_use]
pub fn render_entry<F: Form>(key: &str, layout: &Schema<F>) -> String {
    let mut out = format!(
        "[{key} v{}]\n{VMSD} {}\n",
        layout.version,
        name_word(&layout.name)
    );
    render_layout(&mut out, layout, 0);
    out
}

fn render_layout<F: Form>(out: &mut String, layout: &Schema<F>, indent: usize) {
    let pad = " ".repeat(indent);
    for field in layout.fields.iter() {
        let _ = write!(out, "{pad}{FIELD} {}", &*field.name);
        let wire = render_wire_words(out, &field.wire);
        if field.since > 0 {
            let _ = write!(out, " {SINCE} {}", field.since);
        }
        if let Some(until) = field.until {
            let _ = write!(out, " {UNTIL} {until}");
        }
        if field.exists {
            let _ = write!(out, " {EXISTS}");
        }
        if let Count::Field(count) = &field.count {
            let _ = write!(out, " {VARRAY} {}", &**count);
        }
        out.push('\n');
        render_nested(out, wire, indent);
    }
    for sub in layout.subsections.iter() {
        let _ = write!(
            out,
            "{pad}{SUBSECTION} {} {} v{}",
            &*sub.field,
            name_word(&sub.schema.name),
            sub.schema.version
        );
        if sub.since > 0 {
            let _ = write!(out, " {SINCE} {}", sub.since);
        }
        out.push('\n');
    }
}

/// Writes a wire type's words on the current line (` x3 uint32 4`), and
/// returns the innermost type, whose lines may follow ([`render_nested`]).
fn render_wire_words<'a, F: Form>(out: &mut String, mut wire: &'a WireType<F>) -> &'a WireType<F> {
    while let WireType::Array { element, len } = wire {
        let _ = write!(out, " x{len}");
        wire = element;
    }
    match wire {
        WireType::Scalar { info, size } => {
            let _ = write!(out, " {} {size}", &**info);
        }
        WireType::Unused(size) => {
            let _ = write!(out, " {UNUSED} {size}");
        }
        WireType::Opaque => {
            let _ = write!(out, " {OPAQUE}");
        }
        WireType::View { form, .. } => {
            let _ = write!(out, " {VIEW} {}", &**form);
        }
        WireType::With { view, rust_type } => {
            let _ = write!(out, " {WITH} {} {}", &**view, name_word(rust_type));
        }
        // Arrays were unwrapped above.
        WireType::Struct(_) | WireType::Array { .. } => {
            let _ = write!(out, " {STRUCT}");
        }
    }
    wire
}

/// The lines that follow a field or part line whose innermost type is
/// `wire`: an inlined struct's `vmsd` line and layout, a view's parts.
fn render_nested<F: Form>(out: &mut String, wire: &WireType<F>, indent: usize) {
    let pad = " ".repeat(indent);
    match wire {
        WireType::Struct(layout) => {
            let _ = writeln!(
                out,
                "{pad}  {VMSD} {} v{}",
                name_word(&layout.name),
                layout.version
            );
            render_layout(out, layout, indent + 2);
        }
        WireType::View { parts, .. } => {
            for part in parts.iter() {
                let _ = write!(out, "{pad}  {PART} {}", &*part.name);
                let inner = render_wire_words(out, &part.wire);
                out.push('\n');
                render_nested(out, inner, indent + 2);
            }
        }
        _ => {}
    }
}

/// As messages show a recorded wire type: `uint32, 4 bytes`, `3 x uint32`,
/// `struct inner v1`.
impl<F: Form> fmt::Display for WireType<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scalar { info, size } => write!(f, "{}, {size} bytes", &**info),
            Self::Array { element, len } => write!(f, "{len} x {}", &**element),
            Self::Struct(layout) => {
                write!(f, "struct {} v{}", name_word(&layout.name), layout.version)
            }
            Self::Unused(size) => write!(f, "{size} unused bytes"),
            Self::View { form, parts } => {
                f.write_str(form)?;
                for (i, part) in parts.iter().enumerate() {
                    let open = if i == 0 { " (" } else { ", " };
                    write!(f, "{open}{}: {}", &*part.name, part.wire)?;
                }
                if parts.is_empty() {
                    Ok(())
                } else {
                    f.write_str(")")
                }
            }
            Self::With { view, rust_type } => {
                write!(f, "view `{}` of `{}`", &**view, &**rust_type)
            }
            Self::Opaque => f.write_str("a custom view"),
        }
    }
}
