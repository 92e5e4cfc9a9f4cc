//! A layout as lock text: what recording writes, and how messages show a
//! recorded wire type.

use std::fmt::{self, Write as _};

use crate::format::{
    EXISTS, FIELD, Layout, OPAQUE, PART, SINCE, STRUCT, SUBSECTION, UNTIL, UNUSED, VARRAY, VIEW,
    VMSD, WITH, Wire, name_word,
};

/// The `[key vN]` block for `layout` at `version`, ending in a newline.
#[must_use]
pub fn render_entry(key: &str, version: u32, layout: &Layout) -> String {
    let mut out = format!("[{key} v{version}]\n{VMSD} {}\n", name_word(&layout.vmsd));
    render_layout(&mut out, layout, 0);
    out
}

fn render_layout(out: &mut String, layout: &Layout, indent: usize) {
    let pad = " ".repeat(indent);
    for field in &layout.fields {
        let _ = write!(out, "{pad}{FIELD} {}", field.name);
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
        if let Some(count) = &field.varray {
            let _ = write!(out, " {VARRAY} {count}");
        }
        out.push('\n');
        render_nested(out, wire, indent);
    }
    for sub in &layout.subsections {
        let _ = write!(
            out,
            "{pad}{SUBSECTION} {} {} v{}",
            sub.field,
            name_word(&sub.vmsd),
            sub.version
        );
        if sub.since > 0 {
            let _ = write!(out, " {SINCE} {}", sub.since);
        }
        out.push('\n');
    }
}

/// Writes a wire type's words on the current line (` x3 uint32 4`), and
/// returns the innermost type, whose lines may follow ([`render_nested`]).
fn render_wire_words<'a>(out: &mut String, mut wire: &'a Wire) -> &'a Wire {
    while let Wire::Array { element, len } = wire {
        let _ = write!(out, " x{len}");
        wire = element;
    }
    match wire {
        Wire::Scalar { info, size } => {
            let _ = write!(out, " {info} {size}");
        }
        Wire::Unused(size) => {
            let _ = write!(out, " {UNUSED} {size}");
        }
        Wire::Opaque => {
            let _ = write!(out, " {OPAQUE}");
        }
        Wire::View { form, .. } => {
            let _ = write!(out, " {VIEW} {form}");
        }
        Wire::With { view, rust_type } => {
            let _ = write!(out, " {WITH} {view} {}", name_word(rust_type));
        }
        // Arrays were unwrapped above.
        Wire::Struct { .. } | Wire::Array { .. } => {
            let _ = write!(out, " {STRUCT}");
        }
    }
    wire
}

/// The lines that follow a field or part line whose innermost type is
/// `wire`: an inlined struct's `vmsd` line and layout, a view's parts.
fn render_nested(out: &mut String, wire: &Wire, indent: usize) {
    let pad = " ".repeat(indent);
    match wire {
        Wire::Struct { version, layout } => {
            let _ = writeln!(out, "{pad}  {VMSD} {} v{version}", name_word(&layout.vmsd));
            render_layout(out, layout, indent + 2);
        }
        Wire::View { parts, .. } => {
            for part in parts {
                let _ = write!(out, "{pad}  {PART} {}", part.name);
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
impl fmt::Display for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Scalar { info, size } => write!(f, "{info}, {size} bytes"),
            Self::Array { element, len } => write!(f, "{len} x {element}"),
            Self::Struct { version, layout } => {
                write!(f, "struct {} v{version}", name_word(&layout.vmsd))
            }
            Self::Unused(size) => write!(f, "{size} unused bytes"),
            Self::View { form, parts } => {
                write!(f, "{form}")?;
                for (i, part) in parts.iter().enumerate() {
                    let open = if i == 0 { " (" } else { ", " };
                    write!(f, "{open}{}: {}", part.name, part.wire)?;
                }
                if parts.is_empty() {
                    Ok(())
                } else {
                    f.write_str(")")
                }
            }
            Self::With { view, rust_type } => write!(f, "view `{view}` of `{rust_type}`"),
            Self::Opaque => f.write_str("a custom view"),
        }
    }
}
