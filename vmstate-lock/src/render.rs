//! A layout as lock text: what recording writes, and how messages show a
//! recorded wire type.

use std::fmt::{self, Write as _};

use crate::format::{
    EXISTS, FIELD, Layout, OPAQUE, SINCE, STRUCT, SUBSECTION, UNTIL, UNUSED, VARRAY, VMSD, Wire,
    name_word,
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
        let mut wire = &field.wire;
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
            // Arrays were unwrapped above.
            Wire::Struct { .. } | Wire::Array { .. } => {
                let _ = write!(out, " {STRUCT}");
            }
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
        if let Some(count) = &field.varray {
            let _ = write!(out, " {VARRAY} {count}");
        }
        out.push('\n');
        if let Wire::Struct { version, layout } = wire {
            let _ = writeln!(out, "{pad}  {VMSD} {} v{version}", name_word(&layout.vmsd));
            render_layout(out, layout, indent + 2);
        }
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
