//! Reading the keys of one attribute and their values: `key = "text"`,
//! `key = 3`, `key = path` (or `key = "path"`), `key = field` and bare `key`.

use std::ops::Deref;

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned as _;
use syn::{Attribute, Expr, ExprLit, ExprPath, Ident, Lit, LitStr, Path, Token, WherePredicate};

use crate::diag::{Accumulator, Error};
use crate::symbol::Symbol;

/// A value with the span it was written at, so that a rule about it points
/// at the value rather than at the whole attribute.
#[derive(Clone, Debug)]
pub struct Spanned<T> {
    value: T,
    span: Span,
}

impl<T> Spanned<T> {
    /// Where the value was written.
    pub fn span(&self) -> Span {
        self.span
    }
}

impl<T> Deref for Spanned<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.value
    }
}

/// A key written alone (`skip`), with the span of the key when it was.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flag(Option<Span>);

impl Flag {
    /// Whether the key was written.
    pub fn is_present(self) -> bool {
        self.0.is_some()
    }
}

/// What follows one key: `= expression`, a parenthesised list, or nothing.
pub struct Value {
    key: Symbol,
    key_span: Span,
    expr: Option<Expr>,
    list: Option<Span>,
}

/// Calls `read` with each key among `keys` of each `#[attr(...)]` in `attrs`,
/// and returns the keys read, in order, each with the span of the key. An
/// unknown key, a key given twice and a value of the wrong kind are each
/// kept in `errors` and reading goes on; only text that is no attribute
/// syntax at all ends the attribute it is in.
pub fn read_keys(
    attrs: &[Attribute],
    attr: Symbol,
    keys: &[Symbol],
    errors: &mut Accumulator,
    mut read: impl FnMut(Symbol, Value) -> syn::Result<()>,
) -> Vec<(Symbol, Span)> {
    let mut seen: Vec<(Symbol, Span)> = Vec::new();
    for attribute in attrs.iter().filter(|a| a.path().is_ident(attr.as_str())) {
        let parsed = attribute.parse_nested_meta(|meta| {
            let known = keys
                .iter()
                .copied()
                .find(|key| meta.path.is_ident(key.as_str()));
            let value = Value::parse(known.unwrap_or(attr), &meta)?;
            match known {
                None => errors.push(unknown_key(&meta.path, attr, keys)),
                Some(key) if seen.iter().any(|(seen, _)| *seen == key) => errors
                    .push(Error::custom(format!("`{key}` is given twice")).with_span(&meta.path)),
                Some(key) => {
                    seen.push((key, meta.path.span()));
                    if let Err(error) = read(key, value) {
                        errors.push(error.into());
                    }
                }
            }
            Ok(())
        });
        if let Err(error) = parsed {
            errors.push(error.into());
        }
    }
    seen
}

impl Value {
    fn parse(key: Symbol, meta: &ParseNestedMeta) -> syn::Result<Self> {
        let mut value = Self {
            key,
            key_span: meta.path.span(),
            expr: None,
            list: None,
        };
        if meta.input.peek(Token![=]) {
            let mut expr = meta.value()?.parse()?;
            // A `macro_rules!` fragment (`$name:literal`, `$f:path`) comes
            // wrapped in an invisible group.
            while let Expr::Group(group) = expr {
                expr = *group.expr;
            }
            value.expr = Some(expr);
        } else if !meta.input.is_empty() && !meta.input.peek(Token![,]) {
            let group: proc_macro2::Group = meta.input.parse()?;
            value.list = Some(group.span());
        }
        Ok(value)
    }

    /// A key written alone: `frozen`.
    pub fn flag(self) -> syn::Result<Flag> {
        match (self.expr, self.list) {
            (None, None) => Ok(Flag(Some(self.key_span))),
            (expr, list) => Err(syn::Error::new(
                expr.map_or_else(|| list.unwrap_or(self.key_span), |e| e.span()),
                format!(
                    "`{key}` takes no value: write `{key}` alone",
                    key = self.key
                ),
            )),
        }
    }

    /// `key = "text"`.
    pub fn string(self) -> syn::Result<Spanned<String>> {
        let lit = self.string_literal("\"...\"")?;
        Ok(Spanned {
            value: lit.value(),
            span: lit.span(),
        })
    }

    /// `key = 3`.
    pub fn number(mut self) -> syn::Result<Spanned<u32>> {
        match self.expr.take() {
            Some(Expr::Lit(ExprLit {
                lit: Lit::Int(int), ..
            })) => Ok(Spanned {
                value: int.base10_parse()?,
                span: int.span(),
            }),
            other => Err(self.expected(other, "a version number", "1")),
        }
    }

    /// `key = path::to::function`, or the path in a string.
    pub fn path(mut self) -> syn::Result<Path> {
        match self.expr.take() {
            Some(Expr::Path(ExprPath {
                qself: None, path, ..
            })) => Ok(path),
            Some(Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            })) => lit.parse(),
            other => Err(self.expected(other, "a path", "path::to::item")),
        }
    }

    /// `key = field`, a field of the same struct.
    pub fn ident(self) -> syn::Result<Ident> {
        let (key, key_span) = (self.key, self.key_span);
        let path = self.path()?;
        path.get_ident().cloned().ok_or_else(|| {
            let span = if path.segments.is_empty() {
                key_span
            } else {
                path.span()
            };
            syn::Error::new(
                span,
                format!("`{key}` names a field of this struct: `{key} = field`"),
            )
        })
    }

    /// `key = "T: Trait, U: Other"`, where-predicates in a string.
    pub fn predicates(self) -> syn::Result<Spanned<Vec<WherePredicate>>> {
        let lit = self.string_literal("\"T: Trait\"")?;
        let predicates =
            lit.parse_with(Punctuated::<WherePredicate, Token![,]>::parse_terminated)?;
        Ok(Spanned {
            value: predicates.into_iter().collect(),
            span: lit.span(),
        })
    }

    fn string_literal(mut self, example: &str) -> syn::Result<LitStr> {
        match self.expr.take() {
            Some(Expr::Lit(ExprLit {
                lit: Lit::Str(lit), ..
            })) => Ok(lit),
            other => Err(self.expected(other, "a string", example)),
        }
    }

    /// The error for a value of the wrong kind, or for none.
    fn expected(&self, found: Option<Expr>, what: &str, example: &str) -> syn::Error {
        let span = found.map_or_else(|| self.list.unwrap_or(self.key_span), |e| e.span());
        syn::Error::new(
            span,
            format!("`{key}` takes {what}: `{key} = {example}`", key = self.key),
        )
    }
}

/// The error for a key `attr` does not take, with the closest one it does.
fn unknown_key(path: &Path, attr: Symbol, keys: &[Symbol]) -> Error {
    let written = path
        .get_ident()
        .map_or_else(|| quote::quote!(#path).to_string(), Ident::to_string);
    let message = if keys.is_empty() {
        format!("`{written}`: an enum variant takes no `#[{attr}(...)]` keys")
    } else if let Some(close) = closest(&written, keys) {
        format!("unknown key `{written}` in `#[{attr}(...)]`; did you mean `{close}`?")
    } else {
        let all: Vec<String> = keys.iter().map(|key| format!("`{key}`")).collect();
        format!(
            "unknown key `{written}` in `#[{attr}(...)]`; it takes {}",
            all.join(", ")
        )
    };
    Error::custom(message).with_span(path)
}

/// The key nearest `written` in edit distance, if it is near enough to be
/// a typo of it (a third of its letters).
fn closest(written: &str, keys: &[Symbol]) -> Option<Symbol> {
    let limit = (written.len() / 3).max(1);
    keys.iter()
        .map(|key| (edit_distance(written, key.as_str()), *key))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, key)| key)
}

/// Levenshtein distance, counting an adjacent swap (`verison`) as one edit.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    // rows[i][j]: the distance between a[..i] and b[..j].
    let mut rows = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    rows[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let substitution = rows[i - 1][j - 1] + usize::from(a[i - 1] != b[j - 1]);
            let mut best = substitution.min(rows[i - 1][j] + 1).min(rows[i][j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = best;
        }
    }
    rows[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::{closest, edit_distance};
    use crate::symbol;

    #[test]
    fn a_typo_is_matched_to_its_key() {
        assert_eq!(edit_distance("verison", "version"), 1);
        assert_eq!(edit_distance("sinse", "since"), 1);
        assert_eq!(edit_distance("", "len"), 3);
        assert_eq!(closest("sinse", symbol::FIELD_KEYS), Some(symbol::SINCE));
        assert_eq!(
            closest("verison", symbol::CONTAINER_KEYS),
            Some(symbol::VERSION)
        );
        assert_eq!(closest("colour", symbol::FIELD_KEYS), None);
    }
}
