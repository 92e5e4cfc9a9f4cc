//! What the user wrote, parsed declaratively with darling. No policy lives here:
//! every rule about which combinations make sense is in `check.rs`.

#![allow(
    clippy::needless_continue,
    reason = "darling's generated parsers trip it, not our code"
)]

use darling::util::{Flag, SpannedValue};
use darling::{FromDeriveInput, FromField, FromMeta, FromVariant, ast};
use syn::{Attribute, Generics, Ident, Path, Type, WherePredicate};

/// `#[vmstate(...)]` on the struct or enum.
#[derive(FromDeriveInput)]
#[darling(attributes(vmstate), forward_attrs(repr))]
pub struct Container {
    pub ident: Ident,
    pub generics: Generics,
    pub data: ast::Data<Variant, Field>,
    /// The `#[repr(...)]` attributes, for fieldless enums.
    pub attrs: Vec<Attribute>,
    /// The VMSD name, QEMU's `VMStateDescription::name`.
    pub name: Option<SpannedValue<String>>,
    /// The version this build saves, QEMU's `version_id`.
    pub version: Option<SpannedValue<u32>>,
    /// The oldest version this build loads, QEMU's `minimum_version_id`.
    pub minimum_version: Option<SpannedValue<u32>>,
    /// The section's place in a stream, QEMU's `MigrationPriority`, by name
    /// (`"iommu"`, `"pci_bus"`, ...).
    pub priority: Option<SpannedValue<String>>,
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
    pub lock: Option<SpannedValue<String>>,
    /// A copy of an earlier release kept for tests: checked against the lock,
    /// never recorded, and allowed to be behind the lock's newest version.
    pub frozen: Flag,
    /// Where the runtime lives, `::vmstate` unless said otherwise.
    #[darling(rename = "crate")]
    pub krate: Option<Path>,
    /// Where-predicates that replace the inferred ones.
    pub bound: Option<SpannedValue<Vec<WherePredicate>>>,
}

/// `#[vmstate(...)]` on a field; `#[subsection(...)]` is forwarded raw and parsed
/// by [`Subsection`].
#[derive(FromField)]
#[darling(attributes(vmstate), forward_attrs(subsection))]
pub struct Field {
    pub ident: Option<Ident>,
    pub ty: Type,
    pub attrs: Vec<Attribute>,
    /// On the wire from this stream version on (QEMU `VMSTATE_*_V`).
    pub since: Option<SpannedValue<u32>>,
    /// On the wire only for stream versions below this one: a removed field
    /// that is still written for older receivers.
    pub until: Option<SpannedValue<u32>>,
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
    pub info: Option<SpannedValue<String>>,
    /// QEMU's name for the field in a vmdesc, when it is no Rust identifier
    /// (`channels[0].irq_disabled`).
    pub rename: Option<SpannedValue<String>>,
}

/// `#[subsection(needed = path)]` on a field.
#[derive(FromMeta)]
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

/// A variant of an enum; only fieldless variants are supported.
#[derive(FromVariant)]
#[darling(attributes(vmstate))]
pub struct Variant {
    pub ident: Ident,
    pub fields: ast::Fields<Field>,
}

#[cfg(test)]
mod tests {
    use darling::{FromDeriveInput, FromField, FromMeta};
    use syn::{DeriveInput, parse_quote};

    use super::{Container, Field, Subsection};
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

    fn first_field(input: &DeriveInput) -> &syn::Field {
        match &input.data {
            syn::Data::Struct(data) => data.fields.iter().next().unwrap(),
            _ => unreachable!("a struct"),
        }
    }

    #[test]
    fn the_field_receiver_takes_every_field_key() {
        for key in symbol::FIELD_KEYS {
            let source = format!("struct S {{ #[vmstate({})] x: u32 }}", written(*key));
            let input: DeriveInput = syn::parse_str(&source).unwrap();
            let parsed = Field::from_field(first_field(&input));
            assert!(parsed.is_ok(), "`{key}` is named but not parsed");
        }
    }

    #[test]
    fn the_field_receiver_refuses_other_keys() {
        let input: DeriveInput = parse_quote!(
            struct S {
                #[vmstate(sinse = 1)]
                x: u32,
            }
        );
        let error = Field::from_field(first_field(&input)).err().unwrap();
        assert!(error.to_string().contains("sinse"), "{error}");
    }

    #[test]
    fn the_container_receiver_takes_every_container_key() {
        for key in symbol::CONTAINER_KEYS {
            let source = format!("#[vmstate({})] struct S {{ x: u32 }}", written(*key));
            let input: DeriveInput = syn::parse_str(&source).unwrap();
            assert!(
                Container::from_derive_input(&input).is_ok(),
                "`{key}` is named but not parsed"
            );
        }
        let input: DeriveInput = parse_quote!(
            #[vmstate(nmae = "x")]
            struct S {
                x: u32,
            }
        );
        assert!(Container::from_derive_input(&input).is_err());
    }

    #[test]
    fn the_subsection_receiver_takes_every_subsection_key() {
        let all: Vec<String> = symbol::SUBSECTION_KEYS
            .iter()
            .map(|key| written(*key))
            .collect();
        let source = format!("#[subsection({})] struct S;", all.join(", "));
        let input: DeriveInput = syn::parse_str(&source).unwrap();
        let parsed = Subsection::from_meta(&input.attrs[0].meta).unwrap();
        assert_eq!(parsed.since, Some(1));
        assert!(parsed.name_without_slash.is_present());
        // `needed` is required.
        let input: DeriveInput = parse_quote!(
            #[subsection(since = 1)]
            struct S;
        );
        assert!(Subsection::from_meta(&input.attrs[0].meta).is_err());
    }

    #[test]
    fn the_container_receiver_keeps_what_the_rules_need() {
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
        assert_eq!(container.attrs.len(), 1, "`repr` is forwarded");
        assert_eq!(container.generics.params.len(), 1);
        let fields = container.data.take_struct().unwrap().fields;
        assert_eq!(fields[0].attrs.len(), 1, "`subsection` is forwarded");
        assert_eq!(fields[1].len.as_ref().unwrap(), "x");
    }
}
