//! Short, readable descriptions of how two byte strings or two values differ,
//! for failure messages: where the first difference is, not a full dump.

use std::fmt::{Debug, Write as _};

/// Bytes shown on each side of the first difference.
const CONTEXT: usize = 8;
/// Differing lines of `{:#?}` output shown at most.
const MAX_LINES: usize = 6;

/// Where `found` first differs from `expected`, with the bytes around it, e.g.
/// `11 bytes expected, 10 found; first difference at byte 7: expected
/// [.. 05 06 | 07 ff ..], found [.. 05 06 | ff 00 ..]`.
pub(crate) fn bytes(expected: &[u8], found: &[u8]) -> String {
    let at = expected
        .iter()
        .zip(found)
        .position(|(a, b)| a != b)
        .unwrap_or_else(|| expected.len().min(found.len()));
    let mut out = if expected.len() == found.len() {
        format!("{} bytes each", expected.len())
    } else {
        format!("{} bytes expected, {} found", expected.len(), found.len())
    };
    let _ = write!(
        out,
        "; first difference at byte {at}: expected {}, found {}",
        window(expected, at),
        window(found, at)
    );
    out
}

/// The bytes around `at` in hex, `|` marking `at`.
fn window(bytes: &[u8], at: usize) -> String {
    let start = at.saturating_sub(CONTEXT);
    let end = at.saturating_add(CONTEXT).min(bytes.len());
    let hex = |part: &[u8]| {
        part.iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = String::from("[");
    if start > 0 {
        out.push_str(".. ");
    }
    out.push_str(&hex(&bytes[start..at.min(bytes.len())]));
    out.push_str(" | ");
    if at >= bytes.len() {
        out.push_str("(end)");
    } else {
        out.push_str(&hex(&bytes[at..end]));
    }
    if end < bytes.len() {
        out.push_str(" ..");
    }
    out.push(']');
    out
}

/// The lines of the two values' `{:#?}` output that differ, as `- expected`
/// / `+ found` pairs, at most [`MAX_LINES`] of them.
pub(crate) fn values<T: Debug>(expected: &T, found: &T) -> String {
    let expected = format!("{expected:#?}");
    let found = format!("{found:#?}");
    let left: Vec<&str> = expected.lines().collect();
    let right: Vec<&str> = found.lines().collect();
    let mut out = String::new();
    let mut shown = 0;
    let mut differing = 0;
    for at in 0..left.len().max(right.len()) {
        let (a, b) = (left.get(at), right.get(at));
        if a == b {
            continue;
        }
        differing += 1;
        if shown < MAX_LINES {
            shown += 1;
            let _ = write!(
                out,
                "\n- {}\n+ {}",
                a.map_or("(nothing)", |line| line.trim()),
                b.map_or("(nothing)", |line| line.trim())
            );
        }
    }
    if differing == 0 {
        out.push_str("\n(their Debug output is the same: the comparison differs on something Debug does not show)");
    } else if differing > shown {
        let _ = write!(out, "\n({} more differing lines)", differing - shown);
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn bytes_point_at_the_first_difference() {
        assert_eq!(
            super::bytes(&[1, 2, 3], &[1, 9, 3]),
            "3 bytes each; first difference at byte 1: expected [01 | 02 03], found [01 | 09 03]"
        );
        assert_eq!(
            super::bytes(&[1, 2], &[1, 2, 3]),
            "2 bytes expected, 3 found; first difference at byte 2: expected [01 02 | (end)], found [01 02 | 03]"
        );
    }

    #[test]
    fn values_show_the_differing_lines() {
        let out = super::values(&(1, 2), &(1, 3));
        assert_eq!(out, "\n- 2,\n+ 3,");
    }
}
