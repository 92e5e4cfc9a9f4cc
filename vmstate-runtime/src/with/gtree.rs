//! QEMU's GTREE (`VMSTATE_GTREE_V`, `VMSTATE_GTREE_DIRECT_KEY_V`) as a
//! `BTreeMap<K, V>`.
//!
//! Wire form (QEMU `put_gtree`/`get_gtree` in `migration/vmstate-types.c`,
//! the same in 7.2 and 10.0): a be32 node count, then for each entry in key
//! order a `0x01` byte, the key and the value's payload, then a `0x00` byte.
//! A *direct* key is the pointer-sized key itself as a be64
//! (`qemu_put_be64(f, (uint64_t)(uintptr_t)key)`); otherwise the key is a
//! struct with its own VMSD.
//!
//! - A `BTreeMap` whose key is a fixed-width integer ([`DirectKey`]) is a
//!   field as it is, with no attribute: QEMU's `VMSTATE_GTREE_DIRECT_KEY_V`
//!   (virtio-iommu's `domains`).
//! - Any other key that is a field type (a struct deriving `VmState`): this
//!   module, `#[vmstate(with = vmstate::with::gtree)]`, QEMU's
//!   `VMSTATE_GTREE_V` (virtio-iommu's `mappings`, keyed by an interval).
//!
//! Loading replaces the map, as QEMU destroys and re-creates the tree. As in
//! `get_gtree`, any non-zero byte announces another entry, more entries than
//! the count is an error, and so is fewer. Keys and values load at their
//! types' current versions.

use std::collections::BTreeMap;

use crate::desc::{FieldDesc, StateDesc};
use crate::error::{Error, ErrorKind};
use crate::field::VmStateField;
use crate::reader::Reader;
use crate::schema::{Part, WireType};

/// This view, as [`ViewLayout`](super::ViewLayout) names it: `gtree`, the
/// key's and the value's wire types as its parts.
#[derive(Debug, Clone, Copy)]
pub struct View;

impl<K: VmStateField, V: VmStateField> super::ViewLayout<BTreeMap<K, V>> for View {
    const WIRE: WireType = WireType::View {
        form: "gtree",
        parts: &[
            Part {
                name: "key",
                wire: K::WIRE,
            },
            Part {
                name: "value",
                wire: V::WIRE,
            },
        ],
    };
}

/// An integer that QEMU's `GLib` trees hold in the key pointer itself
/// (`GUINT_TO_POINTER`, `GINT_TO_POINTER`), sent as a be64.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an integer key: a `BTreeMap` field with no view is QEMU's direct-key tree",
    label = "a direct key is a fixed-width integer, written as a be64",
    note = "a key that is a struct deriving `VmState` (QEMU `VMSTATE_GTREE_V` with a key VMSD) takes `#[vmstate(with = vmstate::with::gtree)]`"
)]
pub trait DirectKey: Sized + Ord {
    /// The smallest key, for error messages.
    const MIN: i128;
    /// The largest key, for error messages.
    const MAX: i128;

    /// The be64 that QEMU writes: the value widened to a pointer, sign-extended
    /// for signed types as a C cast of a negative `intptr_t` is.
    fn to_wire(&self) -> u64;

    /// The key a be64 stands for, or `None` when it does not fit.
    fn from_wire(word: u64) -> Option<Self>;
}

macro_rules! unsigned_keys {
    ($($ty:ty),*) => {$(
        impl DirectKey for $ty {
            const MIN: i128 = 0;
            const MAX: i128 = <$ty>::MAX as i128;

            fn to_wire(&self) -> u64 {
                u64::from(*self)
            }

            fn from_wire(word: u64) -> Option<Self> {
                <$ty>::try_from(word).ok()
            }
        }
    )*};
}

macro_rules! signed_keys {
    ($($ty:ty),*) => {$(
        impl DirectKey for $ty {
            const MIN: i128 = <$ty>::MIN as i128;
            const MAX: i128 = <$ty>::MAX as i128;

            fn to_wire(&self) -> u64 {
                u64::from_be_bytes(i64::from(*self).to_be_bytes())
            }

            fn from_wire(word: u64) -> Option<Self> {
                <$ty>::try_from(i64::from_be_bytes(word.to_be_bytes())).ok()
            }
        }
    )*};
}

unsigned_keys!(u8, u16, u32, u64);
signed_keys!(i8, i16, i32, i64);

/// A tree key with a VMSD of its own (QEMU `VMSTATE_GTREE_V`'s key VMSD),
/// which [`save`] and [`load`] write as its payload. `#[derive(VmState)]`
/// implements it for every struct with named fields.
///
/// Integers are left out on purpose: QEMU keeps an integer key in the key
/// pointer itself and writes it as a be64 (`VMSTATE_GTREE_DIRECT_KEY_V`), so
/// writing a `u32` key as its own 4 bytes would be silently wrong. Such a map
/// is a field as it is ([`DirectKey`]).
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a tree key with a VMSD of its own, which `with::gtree` needs",
    label = "`with::gtree` writes the key as its own payload",
    note = "a `BTreeMap` with an integer key is QEMU's direct-key tree (`VMSTATE_GTREE_DIRECT_KEY_V`, the key as a be64): remove `with = vmstate::with::gtree`, the map is a field as it is",
    note = "a key with its own VMSD is a struct that derives `VmState`"
)]
pub trait StructKey {}

/// The first bytes of every tree: the count and the closing `0x00`.
const EMPTY_TREE_SIZE: usize = 5;

/// `BTreeMap<K, V>` with an integer key is QEMU's
/// `VMSTATE_GTREE_DIRECT_KEY_V`: see the [module](self) for the bytes.
impl<K: DirectKey, V: VmStateField + Default> VmStateField for BTreeMap<K, V> {
    const MIN_WIRE_SIZE: usize = EMPTY_TREE_SIZE;
    const VMDESC_COMPRESSIBLE: bool = false;
    /// The key is a be64 whatever its width; signed keys are sign-extended.
    const WIRE: WireType = WireType::View {
        form: "gtree_direct_key",
        parts: &[
            Part {
                name: "key",
                wire: WireType::Scalar {
                    info: if K::MIN < 0 { "int64" } else { "uint64" },
                    size: 8,
                },
            },
            Part {
                name: "value",
                wire: V::WIRE,
            },
        ],
    };

    /// A `gtree` of the whole size, whose nested description is one entry:
    /// the key as the be64 it is on the wire, then the value (the first
    /// entry's, or a default one's for an empty map), so that a reader
    /// shows the entries. QEMU describes a tree by its value's VMSD alone.
    fn describe_field(&self, name: &str, out: &mut Vec<FieldDesc>) {
        describe(name, out, |bytes| self.save_field(bytes));
        let key_type = if K::MIN < 0 { "int64" } else { "uint64" };
        let mut fields = vec![FieldDesc::scalar("key", key_type, 8)];
        match self.values().next() {
            Some(value) => value.describe_field("value", &mut fields),
            None => V::default().describe_field("value", &mut fields),
        }
        if let Some(tree) = out.last_mut() {
            tree.nested = Some(Box::new(StateDesc {
                fields,
                ..StateDesc::default()
            }));
        }
    }

    fn save_field(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        save_entries(self, out, |key, out| {
            out.extend_from_slice(&key.to_wire().to_be_bytes());
            Ok(())
        })
    }

    fn load_field(&mut self, reader: &mut Reader<'_>) -> Result<(), Error> {
        load_entries(self, reader, |reader| {
            let offset = reader.offset();
            let word = reader.read_be64()?;
            K::from_wire(word).ok_or_else(|| {
                let value = if K::MIN < 0 {
                    i128::from(i64::from_be_bytes(word.to_be_bytes()))
                } else {
                    i128::from(word)
                };
                Error::at(
                    ErrorKind::OutOfRange {
                        what: "tree key",
                        value,
                        minimum: K::MIN,
                        maximum: K::MAX,
                        note: None,
                    },
                    offset,
                )
            })
        })
    }
}

/// Writes the tree with a key that has its own VMSD (QEMU `put_gtree` with a
/// key VMSD).
///
/// # Errors
/// [`ErrorKind::Unrepresentable`] for more than `u32::MAX` entries, or
/// whatever saving a key or value returns.
pub fn save<K, V>(map: &BTreeMap<K, V>, out: &mut Vec<u8>) -> Result<(), Error>
where
    K: StructKey + VmStateField + Ord + Default,
    V: VmStateField + Default,
{
    save_entries(map, out, K::save_field)
}

/// Replaces the map with the tree read from `reader` (QEMU `get_gtree` with a
/// key VMSD).
///
/// # Errors
/// Truncated input, [`ErrorKind::LengthMismatch`] when the entries disagree
/// with the count, or whatever loading a key or value returns.
pub fn load<K, V>(map: &mut BTreeMap<K, V>, reader: &mut Reader<'_>) -> Result<(), Error>
where
    K: StructKey + VmStateField + Ord + Default,
    V: VmStateField + Default,
{
    load_entries(map, reader, |reader| {
        let mut key = K::default();
        key.load_field(reader)?;
        Ok(key)
    })
}

fn describe(
    name: &str,
    out: &mut Vec<FieldDesc>,
    save: impl FnOnce(&mut Vec<u8>) -> Result<(), Error>,
) {
    let mut bytes = Vec::new();
    let size = save(&mut bytes).map_or(0, |()| bytes.len());
    out.push(FieldDesc::scalar(name, "gtree", size));
}

/// `put_gtree`: the count, each entry after a `0x01`, then `0x00`.
fn save_entries<K, V: VmStateField>(
    map: &BTreeMap<K, V>,
    out: &mut Vec<u8>,
    save_key: impl Fn(&K, &mut Vec<u8>) -> Result<(), Error>,
) -> Result<(), Error> {
    let count = u32::try_from(map.len()).map_err(|_| {
        Error::new(ErrorKind::Unrepresentable {
            view: "gtree",
            reason: format!("{} entries do not fit QEMU's be32 node count", map.len()),
        })
    })?;
    out.extend_from_slice(&count.to_be_bytes());
    for (index, (key, value)) in map.iter().enumerate() {
        out.push(1);
        save_key(key, out)
            .and_then(|()| value.save_field(out))
            .map_err(|e| e.in_element(index))?;
    }
    out.push(0);
    Ok(())
}

/// `get_gtree`: the count, then entries while the marker is non-zero; more
/// entries than the count fail at the first extra marker, fewer at the
/// closing one.
fn load_entries<K: Ord, V: VmStateField + Default>(
    map: &mut BTreeMap<K, V>,
    reader: &mut Reader<'_>,
    load_key: impl Fn(&mut Reader<'_>) -> Result<K, Error>,
) -> Result<(), Error> {
    let declared = u64::from(reader.read_be32()?);
    map.clear();
    let mut found = 0u64;
    loop {
        let offset = reader.offset();
        if reader.read_u8()? == 0 {
            if found == declared {
                return Ok(());
            }
            return Err(count_mismatch(declared, found, offset));
        }
        found += 1;
        if found > declared {
            return Err(count_mismatch(declared, found, offset));
        }
        let index = usize::try_from(found - 1).unwrap_or(usize::MAX);
        let key = load_key(reader).map_err(|e| e.in_element(index))?;
        let mut value = V::default();
        value.load_field(reader).map_err(|e| e.in_element(index))?;
        map.insert(key, value);
    }
}

#[cold]
fn count_mismatch(declared: u64, found: u64, offset: u64) -> Error {
    Error::at(
        ErrorKind::LengthMismatch {
            what: "tree",
            found,
            count_field: "nnodes",
            count: i128::from(declared),
            expected: i128::from(declared),
        },
        offset,
    )
}
