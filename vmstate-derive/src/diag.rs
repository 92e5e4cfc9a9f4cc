//! Compile errors, gathered so that every mistake is reported at once.
//!
//! An [`Error`] is one or more messages, each placed on the span of the
//! attribute, key or field at fault when it is turned into `compile_error!`
//! invocations; an [`Accumulator`] collects them while the rules run.

use std::fmt;

use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;

/// One or more compile errors (never none).
#[derive(Debug)]
pub struct Error {
    messages: Vec<Message>,
}

#[derive(Debug)]
struct Message {
    text: String,
    /// `None` until [`Error::with_span`] places it; then the call site.
    span: Option<Span>,
}

/// The result of a step that reports compile errors.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error with `text`, placed by a later [`Error::with_span`].
    pub fn custom(text: impl fmt::Display) -> Self {
        Self {
            messages: vec![Message {
                text: text.to_string(),
                span: None,
            }],
        }
    }

    /// Several errors as one; `errors` must not be empty.
    pub fn multiple(errors: Vec<Self>) -> Self {
        Self {
            messages: errors.into_iter().flat_map(|e| e.messages).collect(),
        }
    }

    /// A collector for the errors of many independent rules.
    pub fn accumulator() -> Accumulator {
        Accumulator(Vec::new())
    }

    /// Adds `note`, on a line of its own, to every message.
    #[must_use]
    pub fn with_note(mut self, note: &str) -> Self {
        for message in &mut self.messages {
            message.text = format!("{}\n{note}", message.text);
        }
        self
    }

    /// Places every message that has no place yet on `node`.
    #[must_use]
    pub fn with_span<T: Spanned + ?Sized>(mut self, node: &T) -> Self {
        for message in &mut self.messages {
            message.span.get_or_insert_with(|| node.span());
        }
        self
    }

    /// One `compile_error!` per message, each at its span.
    pub fn write_errors(self) -> TokenStream {
        self.into_iter().map(|e| e.to_compile_error()).collect()
    }
}

impl From<syn::Error> for Error {
    fn from(error: syn::Error) -> Self {
        Self {
            messages: error
                .into_iter()
                .map(|e| Message {
                    text: e.to_string(),
                    span: Some(e.span()),
                })
                .collect(),
        }
    }
}

impl IntoIterator for Error {
    type Item = syn::Error;
    type IntoIter = std::vec::IntoIter<syn::Error>;

    fn into_iter(self) -> Self::IntoIter {
        let placed = self.messages.into_iter().map(|message| {
            syn::Error::new(message.span.unwrap_or_else(Span::call_site), message.text)
        });
        placed.collect::<Vec<_>>().into_iter()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let texts: Vec<&str> = self.messages.iter().map(|m| m.text.as_str()).collect();
        f.write_str(&texts.join("\n"))
    }
}

/// Errors gathered from rules that each go on after a mistake.
#[derive(Debug)]
pub struct Accumulator(Vec<Error>);

impl Accumulator {
    /// Keeps `error` for the report.
    pub fn push(&mut self, error: Error) {
        self.0.push(error);
    }

    /// The value of `result`, or `None` with its error kept.
    pub fn handle<T>(&mut self, result: Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    /// `value` if nothing was gathered, else every error gathered.
    pub fn finish_with<T>(self, value: T) -> Result<T> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(Error::multiple(self.0))
        }
    }

    /// `Ok` if nothing was gathered, else every error gathered.
    pub fn finish(self) -> Result<()> {
        self.finish_with(())
    }
}

#[cfg(test)]
mod tests {
    use super::Error;

    #[test]
    fn gathers_every_error_in_order() {
        let mut errors = Error::accumulator();
        errors.push(Error::custom("first"));
        assert_eq!(errors.handle(Ok::<_, Error>(3)), Some(3));
        assert_eq!(errors.handle::<u8>(Err(Error::custom("second"))), None);
        let all: Vec<String> = errors
            .finish()
            .unwrap_err()
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(all, ["first", "second"]);
        assert!(Error::accumulator().finish().is_ok());
    }
}
