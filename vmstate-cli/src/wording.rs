//! Counts in messages: "1 byte", "2 bytes".

use std::fmt::Display;

/// `count` followed by `noun`, with an `s` unless the count is one.
pub fn counted(count: impl Display, noun: &str) -> String {
    let count = count.to_string();
    let plural = if count == "1" { "" } else { "s" };
    format!("{count} {noun}{plural}")
}

#[cfg(test)]
mod tests {
    use super::counted;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(counted(1_u64, "byte"), "1 byte");
        assert_eq!(counted(0_usize, "byte"), "0 bytes");
        assert_eq!(counted(2, "zero page"), "2 zero pages");
    }
}
