//! What the user wrote, read from the attributes with syn's
//! `parse_nested_meta`. No policy lives here: every rule about which
//! combinations make sense is in `validate.rs`. Reading goes on after a mistake,
//! so that an unknown key, a repeated key and a value of the wrong kind are
//! all reported in one build.

mod value;

use proc_macro2::Span;
use syn::{Attribute, DeriveInput, Generics, Ident, Path, Type, WherePredicate};

use crate::diag::{Accumulator, Error, Result};
use crate::symbol::{self, Symbol};
pub use value::{Flag, Spanned};

/// `#[vmstate(...)]` on the struct or enum.
pub struct Container {
    pub ident: Ident,
    /// The keys its `#[vmstate(...)]` attributes wrote, in order, each with
    /// the span of the key.
    pub keys: Vec<(Symbol, Span)>,
    pub generics: Generics,
    pub data: Data,
    /// The `#[repr(...)]` attributes, for fieldless enums.
    pub attrs: Vec<Attribute>,
    /// The VMSD name, QEMU's `VMStateDescription::name`.
    pub name: Option<Spanned<String>>,
    /// The version this build saves, QEMU's `version_id`.
    pub version: Option<Spanned<u32>>,
    /// The oldest version this build loads, QEMU's `minimum_version_id`.
    pub minimum_version: Option<Spanned<u32>>,
    /// The section's place in a stream, QEMU's `MigrationPriority`, by name
    /// (`"iommu"`, `"pci_bus"`, ...).
    pub priority: Option<Spanned<String>>,
    /// `fn(&Self) -> Result<(), E>`, run before the fields are saved.
    pub pre_save: Option<Path>,
    /// `fn(&Self) -> Result<(), E>`, run after the subsections are saved.
    pub post_save: Option<Path>,
    /// `fn(&mut Self) -> Result<(), E>`, run before the fields are loaded.
    pub pre_load: Option<Path>,
    /// `fn(&mut Self, version_id: u32) -> Result<(), E>`, run after the subsections are loaded.
    pub post_load: Option<Path>,
    /// `fn(&Self) -> Result<(), E>`, run once the fields are loaded, before the
    /// subsections (QEMU `VMSTATE_VALIDATE` at the end of the field list).
    pub validate: Option<Path>,
    /// A layout lock file other than the crate root's `vmstate.lock`, relative
    /// to the deriving crate's directory (the one holding its `Cargo.toml`).
    /// It must exist, unless `VMSTATE_LOCK=record` is creating it.
    pub lock: Option<Spanned<String>>,
    /// A copy of an earlier release kept for tests: checked against the lock,
    /// never recorded, and allowed to be behind the lock's newest version.
    pub frozen: Flag,
    /// Where the runtime lives, `::vmstate` unless said otherwise.
    pub krate: Option<Path>,
    /// Where-predicates that replace the inferred ones.
    pub bound: Option<Spanned<Vec<WherePredicate>>>,
}

/// The body of the type: a struct's fields or an enum's variants.
pub enum Data {
    Struct(Fields),
    Enum(Vec<Variant>),
}

/// The fields of a struct or of an enum variant.
pub struct Fields {
    pub style: Style,
    pub fields: Vec<Field>,
}

/// How the fields are written: `{ a: T }`, `(T)` or none at all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Struct,
    Tuple,
    Unit,
}

/// `#[vmstate(...)]` on a field; `#[subsection(...)]` is kept raw and read
/// by [`Subsection::from_attribute`].
pub struct Field {
    pub ident: Option<Ident>,
    /// The keys its `#[vmstate(...)]` attributes wrote, in order, each with
    /// the span of the key.
    pub keys: Vec<(Symbol, Span)>,
    pub ty: Type,
    /// The field's `#[subsection]` attributes.
    pub attrs: Vec<Attribute>,
    /// On the wire from this stream version on (QEMU `VMSTATE_*_V`).
    pub since: Option<Spanned<u32>>,
    /// On the wire only for stream versions below this one: a removed field
    /// that is still written for older receivers.
    pub until: Option<Spanned<u32>>,
    /// `fn(&Self, version_id: u32) -> bool` that replaces the version test (QEMU `_TEST`).
    pub exists: Option<Path>,
    /// Not migrated at all.
    pub skip: Flag,
    /// Must equal the local value on load (QEMU `VMSTATE_*_EQUAL`).
    pub equal: Flag,
    /// The earlier integer field that holds this variable array's element count.
    pub len: Option<Ident>,
    /// The later variable array whose length this integer field saves.
    pub count_of: Option<Ident>,
    /// A module with `save(&T, &mut Vec<u8>)` and `load(&mut T, &mut Reader)`.
    pub with: Option<Path>,
    /// `fn(&Self) -> T`: on save, the value written instead of the field's, for
    /// fields kept only for older receivers whose value now lives elsewhere.
    pub value: Option<Path>,
    /// `fn(&Self) -> Result<(), E>` run right after this field loads (QEMU
    /// `VMSTATE_VALIDATE`): rejects a loaded value before anything uses it.
    pub validate: Option<Path>,
    /// QEMU's type name for the field in a vmdesc (`timer`, `buffer`, ...).
    pub info: Option<Spanned<String>>,
    /// QEMU's name for the field in a vmdesc, when it is no Rust identifier
    /// (`channels[0].irq_disabled`).
    pub rename: Option<Spanned<String>>,
}

/// `#[subsection(needed = path)]` on a field.
pub struct Subsection {
    /// `fn(&Self) -> bool`: whether the subsection is sent.
    pub needed: Path,
    /// The first version of the parent whose receivers know this subsection;
    /// saving for an older one fails when the subsection is needed.
    pub since: Option<u32>,
    /// Accept a name that starts with the parent's but has no `/` after it,
    /// as QEMU's loader does, for existing devices such as `pckbd_outport`.
    pub name_without_slash: Flag,
}

/// A variant of an enum; only fieldless variants are supported, and a
/// variant takes no `#[vmstate(...)]` keys.
pub struct Variant {
    pub ident: Ident,
    pub fields: Fields,
}

impl Container {
    /// Reads the item's and its fields' attributes; every mistake in them is
    /// reported at once.
    pub fn from_derive_input(input: &DeriveInput) -> Result<Self> {
        let mut errors = Error::accumulator();
        let mut container = Self {
            ident: input.ident.clone(),
            keys: Vec::new(),
            generics: input.generics.clone(),
            data: Data::Enum(Vec::new()),
            attrs: forwarded(&input.attrs, "repr"),
            name: None,
            version: None,
            minimum_version: None,
            priority: None,
            pre_save: None,
            post_save: None,
            pre_load: None,
            post_load: None,
            validate: None,
            lock: None,
            frozen: Flag::default(),
            krate: None,
            bound: None,
        };
        let c = &mut container;
        let keys = value::read_keys(
            &input.attrs,
            symbol::VMSTATE,
            symbol::CONTAINER_KEYS,
            &mut errors,
            |key, value| {
                match key {
                    symbol::NAME => c.name = Some(value.string()?),
                    symbol::VERSION => c.version = Some(value.number()?),
                    symbol::MINIMUM_VERSION => c.minimum_version = Some(value.number()?),
                    symbol::PRIORITY => c.priority = Some(value.string()?),
                    symbol::PRE_SAVE => c.pre_save = Some(value.path()?),
                    symbol::POST_SAVE => c.post_save = Some(value.path()?),
                    symbol::PRE_LOAD => c.pre_load = Some(value.path()?),
                    symbol::POST_LOAD => c.post_load = Some(value.path()?),
                    symbol::VALIDATE => c.validate = Some(value.path()?),
                    symbol::LOCK => c.lock = Some(value.string()?),
                    symbol::FROZEN => c.frozen = value.flag()?,
                    symbol::CRATE => c.krate = Some(value.path()?),
                    symbol::BOUND => c.bound = Some(value.predicates()?),
                    _ => unreachable!("`{key}` is in CONTAINER_KEYS"),
                }
                Ok(())
            },
        );
        container.keys = keys;
        container.data = match &input.data {
            syn::Data::Struct(data) => Data::Struct(read_fields(&data.fields, &mut errors)),
            syn::Data::Enum(data) => Data::Enum(
                data.variants
                    .iter()
                    .map(|variant| {
                        value::read_keys(
                            &variant.attrs,
                            symbol::VMSTATE,
                            &[],
                            &mut errors,
                            |_, _| Ok(()),
                        );
                        Variant {
                            ident: variant.ident.clone(),
                            fields: read_fields(&variant.fields, &mut errors),
                        }
                    })
                    .collect(),
            ),
            syn::Data::Union(data) => {
                errors.push(
                    Error::custom("unions cannot derive VmState: the active field is unknown")
                        .with_span(&data.union_token),
                );
                Data::Enum(Vec::new())
            }
        };
        errors.finish_with(container)
    }
}

impl Data {
    /// The struct's fields, if this is a struct.
    #[cfg(test)]
    pub fn take_struct(self) -> Option<Fields> {
        match self {
            Self::Struct(fields) => Some(fields),
            Self::Enum(_) => None,
        }
    }
}

impl Fields {
    /// Whether there are no fields at all (a fieldless variant).
    pub fn is_unit(&self) -> bool {
        self.style == Style::Unit
    }
}

fn read_fields(fields: &syn::Fields, errors: &mut Accumulator) -> Fields {
    let style = match fields {
        syn::Fields::Named(_) => Style::Struct,
        syn::Fields::Unnamed(_) => Style::Tuple,
        syn::Fields::Unit => Style::Unit,
    };
    Fields {
        style,
        fields: fields
            .iter()
            .map(|field| read_field(field, errors))
            .collect(),
    }
}

fn read_field(field: &syn::Field, errors: &mut Accumulator) -> Field {
    let mut read = Field {
        ident: field.ident.clone(),
        keys: Vec::new(),
        ty: field.ty.clone(),
        attrs: forwarded(&field.attrs, symbol::SUBSECTION.as_str()),
        since: None,
        until: None,
        exists: None,
        skip: Flag::default(),
        equal: Flag::default(),
        len: None,
        count_of: None,
        with: None,
        value: None,
        validate: None,
        info: None,
        rename: None,
    };
    let f = &mut read;
    let keys = value::read_keys(
        &field.attrs,
        symbol::VMSTATE,
        symbol::FIELD_KEYS,
        errors,
        |key, value| {
            match key {
                symbol::SINCE => f.since = Some(value.number()?),
                symbol::UNTIL => f.until = Some(value.number()?),
                symbol::EXISTS => f.exists = Some(value.path()?),
                symbol::SKIP => f.skip = value.flag()?,
                symbol::EQUAL => f.equal = value.flag()?,
                symbol::LEN => f.len = Some(value.ident()?),
                symbol::COUNT_OF => f.count_of = Some(value.ident()?),
                symbol::WITH => f.with = Some(value.path()?),
                symbol::VALUE => f.value = Some(value.path()?),
                symbol::VALIDATE => f.validate = Some(value.path()?),
                symbol::INFO => f.info = Some(value.string()?),
                symbol::RENAME => f.rename = Some(value.string()?),
                _ => unreachable!("`{key}` is in FIELD_KEYS"),
            }
            Ok(())
        },
    );
    read.keys = keys;
    read
}

impl Subsection {
    /// Reads `#[subsection(needed = path, since = N, name_without_slash)]`.
    pub fn from_attribute(attr: &Attribute) -> Result<Self> {
        let mut errors = Error::accumulator();
        let (mut needed, mut since, mut name_without_slash) = (None, None, Flag::default());
        value::read_keys(
            std::slice::from_ref(attr),
            symbol::SUBSECTION,
            symbol::SUBSECTION_KEYS,
            &mut errors,
            |key, value| {
                match key {
                    symbol::NEEDED => needed = Some(value.path()?),
                    symbol::SINCE => since = Some(*value.number()?),
                    symbol::NAME_WITHOUT_SLASH => name_without_slash = value.flag()?,
                    _ => unreachable!("`{key}` is in SUBSECTION_KEYS"),
                }
                Ok(())
            },
        );
        errors.finish()?;
        let needed = needed.ok_or_else(|| {
            Error::custom(format!(
                "`#[{attr}]` needs `{needed} = path` naming a `fn(&Self) -> bool`",
                attr = symbol::SUBSECTION,
                needed = symbol::NEEDED,
            ))
            .with_span(attr)
        })?;
        Ok(Self {
            needed,
            since,
            name_without_slash,
        })
    }
}

/// The attributes named `name`, kept for the rules.
fn forwarded(attrs: &[Attribute], name: &str) -> Vec<Attribute> {
    attrs
        .iter()
        .filter(|attr| attr.path().is_ident(name))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use syn::{DeriveInput, parse_quote};

    use super::{Container, Subsection};
    use crate::symbol::{self, Symbol};

    /// A value each key accepts; `None` for flags.
    fn sample(key: Symbol) -> Option<&'static str> {
        let flags = [
            symbol::SKIP,
            symbol::EQUAL,
            symbol::FROZEN,
            symbol::NAME_WITHOUT_SLASH,
        ];
        if flags.contains(&key) {
            return None;
        }
        Some(match key.as_str() {
            "since" | "until" | "version" | "minimum_version" => "1",
            "name" | "info" | "rename" | "lock" => "\"x\"",
            "priority" => "\"iommu\"",
            "bound" => "\"T: Copy\"",
            "crate" => "\"::vmstate\"",
            "len" | "count_of" => "n",
            _ => "f",
        })
    }

    fn written(key: Symbol) -> String {
        sample(key).map_or_else(|| key.to_string(), |value| format!("{key} = {value}"))
    }

    /// Every message reading `source` reports; empty when it reads.
    fn reported(source: &str) -> Vec<String> {
        let input: DeriveInput = syn::parse_str(source).unwrap();
        match Container::from_derive_input(&input) {
            Ok(_) => Vec::new(),
            Err(errors) => errors.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn every_field_key_is_read() {
        for key in symbol::FIELD_KEYS {
            let source = format!("struct S {{ #[vmstate({})] x: u32 }}", written(*key));
            assert_eq!(reported(&source), Vec::<String>::new(), "`{key}`");
        }
    }

    #[test]
    fn every_container_key_is_read() {
        for key in symbol::CONTAINER_KEYS {
            let source = format!("#[vmstate({})] struct S {{ x: u32 }}", written(*key));
            assert_eq!(reported(&source), Vec::<String>::new(), "`{key}`");
        }
    }

    #[test]
    fn an_unknown_key_is_named_with_the_nearest_one() {
        let errors = reported("struct S { #[vmstate(sinse = 1)] x: u32 }");
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].contains("`sinse`") && errors[0].contains("did you mean `since`"));
        let errors = reported("#[vmstate(colour = 1)] struct S { x: u32 }");
        assert!(errors[0].contains("it takes `name`"), "{errors:?}");
        let errors = reported("enum E { #[vmstate(skip)] A }");
        assert!(errors[0].contains("variant takes no"), "{errors:?}");
    }

    #[test]
    fn every_mistake_is_reported_at_once() {
        let errors = reported(
            r#"#[vmstate(name = 3, version = "1", version = 2)]
            struct S {
                #[vmstate(sinse = 1, skip = true, len = a::b)]
                x: u32,
                #[vmstate(since)]
                y: u32,
            }"#,
        );
        let expected = [
            "`name` takes a string",
            "`version` takes a version number",
            "`version` is given twice",
            "unknown key `sinse`",
            "`skip` takes no value",
            "`len` names a field",
            "`since` takes a version number: `since = 1`",
        ];
        assert_eq!(errors.len(), expected.len(), "{errors:#?}");
        for (error, words) in errors.iter().zip(expected) {
            assert!(error.contains(words), "`{error}` lacks `{words}`");
        }
    }

    #[test]
    fn the_keys_written_are_kept_in_order_with_their_spans() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", frozen)]
            struct S {
                #[vmstate(since = 2, equal)]
                #[doc = "not ours"]
                #[vmstate(value = Self::count, info = "timer", sinse = 1)]
                #[subsection(needed = Self::f)]
                x: u32,
            }
        };
        let written = |keys: &[(Symbol, proc_macro2::Span)]| -> Vec<Symbol> {
            keys.iter().map(|(key, _)| *key).collect()
        };
        let Err(error) = Container::from_derive_input(&input) else {
            panic!("`sinse` is no key");
        };
        assert!(error.to_string().contains("sinse"), "{error}");
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", frozen)]
            struct S {
                #[vmstate(since = 2, equal)]
                #[vmstate(value = Self::count, info = "timer")]
                x: u32,
            }
        };
        let container = Container::from_derive_input(&input).unwrap();
        assert_eq!(written(&container.keys), [symbol::NAME, symbol::FROZEN]);
        let fields = container.data.take_struct().unwrap().fields;
        assert_eq!(
            written(&fields[0].keys),
            [symbol::SINCE, symbol::EQUAL, symbol::VALUE, symbol::INFO]
        );
    }

    #[test]
    fn paths_are_read_bare_or_in_strings() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(pre_save = "Self::a", post_load = Self::b, crate = ::vmstate)]
            struct S { x: u32 }
        };
        let container = Container::from_derive_input(&input).unwrap();
        let path = |p: &Option<syn::Path>| quote::quote!(#p).to_string();
        assert_eq!(path(&container.pre_save), "Self :: a");
        assert_eq!(path(&container.post_load), "Self :: b");
        assert_eq!(path(&container.krate), ":: vmstate");
    }

    #[test]
    fn the_subsection_attribute_takes_its_keys() {
        let all: Vec<String> = symbol::SUBSECTION_KEYS
            .iter()
            .map(|key| written(*key))
            .collect();
        let source = format!("#[subsection({})] struct S;", all.join(", "));
        let input: DeriveInput = syn::parse_str(&source).unwrap();
        let parsed = Subsection::from_attribute(&input.attrs[0]).unwrap();
        assert_eq!(parsed.since, Some(1));
        assert!(parsed.name_without_slash.is_present());
        // `needed` is required.
        let input: DeriveInput = parse_quote!(
            #[subsection(since = 1)]
            struct S;
        );
        let error = Subsection::from_attribute(&input.attrs[0]).err().unwrap();
        assert!(
            error.to_string().contains("needs `needed = path`"),
            "{error}"
        );
    }

    #[test]
    fn the_container_keeps_what_the_rules_need() {
        let input: DeriveInput = parse_quote! {
            #[vmstate(name = "dev", version = 3, priority = "pci_bus", frozen)]
            #[repr(C)]
            struct S<T> { #[subsection(needed = S::f)] x: T, #[vmstate(len = x)] y: Vec<u8> }
        };
        let container = Container::from_derive_input(&input).unwrap();
        assert_eq!(container.name.as_deref().map(String::as_str), Some("dev"));
        assert_eq!(container.version.as_deref(), Some(&3));
        assert_eq!(
            container.priority.as_deref().map(String::as_str),
            Some("pci_bus")
        );
        assert!(container.frozen.is_present());
        assert_eq!(container.attrs.len(), 1, "`repr` is kept");
        assert_eq!(container.generics.params.len(), 1);
        let fields = container.data.take_struct().unwrap().fields;
        assert_eq!(fields[0].attrs.len(), 1, "`subsection` is kept");
        assert_eq!(fields[1].len.as_ref().unwrap(), "x");
    }
}
