//! Every attribute key, named once. `ast.rs` reads the keys by these names
//! and keeps which ones each attribute wrote, with the span of each; the
//! rules in `validate.rs` match on these constants, so no rule keeps its own
//! list of keys.

use std::fmt;

use syn::Ident;

/// An attribute key (or attribute name) as the user writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Symbol(&'static str);

/// The field and container attribute, `#[vmstate(...)]`.
pub const VMSTATE: Symbol = Symbol("vmstate");
/// The field attribute `#[subsection(...)]`.
pub const SUBSECTION: Symbol = Symbol("subsection");

pub const NAME: Symbol = Symbol("name");
pub const VERSION: Symbol = Symbol("version");
pub const MINIMUM_VERSION: Symbol = Symbol("minimum_version");
pub const PRIORITY: Symbol = Symbol("priority");
pub const PRE_SAVE: Symbol = Symbol("pre_save");
pub const POST_SAVE: Symbol = Symbol("post_save");
pub const PRE_LOAD: Symbol = Symbol("pre_load");
pub const POST_LOAD: Symbol = Symbol("post_load");
pub const VALIDATE: Symbol = Symbol("validate");
pub const LOCK: Symbol = Symbol("lock");
pub const FROZEN: Symbol = Symbol("frozen");
pub const CRATE: Symbol = Symbol("crate");
pub const BOUND: Symbol = Symbol("bound");

pub const SINCE: Symbol = Symbol("since");
pub const UNTIL: Symbol = Symbol("until");
pub const EXISTS: Symbol = Symbol("exists");
pub const SKIP: Symbol = Symbol("skip");
pub const EQUAL: Symbol = Symbol("equal");
pub const LEN: Symbol = Symbol("len");
pub const COUNT_OF: Symbol = Symbol("count_of");
pub const WITH: Symbol = Symbol("with");
pub const VALUE: Symbol = Symbol("value");
pub const INFO: Symbol = Symbol("info");
pub const RENAME: Symbol = Symbol("rename");

pub const NEEDED: Symbol = Symbol("needed");
pub const NAME_WITHOUT_SLASH: Symbol = Symbol("name_without_slash");
/// `needed = loaded`: the subsection is sent when the last load received it.
pub const LOADED: Symbol = Symbol("loaded");

/// The keys of `#[vmstate(...)]` on a struct or enum.
pub const CONTAINER_KEYS: &[Symbol] = &[
    NAME,
    VERSION,
    MINIMUM_VERSION,
    PRIORITY,
    PRE_SAVE,
    POST_SAVE,
    PRE_LOAD,
    POST_LOAD,
    VALIDATE,
    LOCK,
    FROZEN,
    CRATE,
    BOUND,
];

/// The container keys that every shape takes; the others belong to a VMState
/// description (a struct with named fields).
pub const SHAPE_KEYS: &[Symbol] = &[CRATE, BOUND];

/// The keys of `#[vmstate(...)]` on a field.
pub const FIELD_KEYS: &[Symbol] = &[
    SINCE, UNTIL, EXISTS, SKIP, EQUAL, LEN, COUNT_OF, WITH, VALUE, VALIDATE, INFO, RENAME,
];

/// The keys of `#[subsection(...)]`.
pub const SUBSECTION_KEYS: &[Symbol] = &[NEEDED, SINCE, NAME_WITHOUT_SLASH];

impl Symbol {
    pub const fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl PartialEq<Symbol> for Ident {
    fn eq(&self, word: &Symbol) -> bool {
        self == word.0
    }
}

impl PartialEq<Symbol> for syn::Path {
    fn eq(&self, word: &Symbol) -> bool {
        self.is_ident(word.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use syn::parse_quote;

    #[test]
    fn symbols_compare_with_identifiers_and_paths() {
        let ident: Ident = parse_quote!(since);
        let path: syn::Path = parse_quote!(since);
        let long: syn::Path = parse_quote!(a::since);
        assert!(ident == SINCE);
        assert!(path == SINCE);
        assert!(long != SINCE);
        assert_eq!(SINCE.to_string(), "since");
    }

    #[test]
    fn shape_keys_are_container_keys() {
        for key in SHAPE_KEYS {
            assert!(CONTAINER_KEYS.contains(key), "{key}");
        }
    }
}
