//! Layout facts of a derived struct, computed once, in `const` context, from
//! its `SCHEMA`: which fields are on the wire at the current version, and
//! what that makes of the struct. The derive emits only what the schema
//! cannot know (each field type's own constants, in schema order) and calls
//! these.

use crate::schema::{Count, FieldSchema, Schema};

/// Whether `field` is always on the wire when the struct is saved at its
/// current version: no `exists` predicate, and within its `since..until`.
#[must_use]
pub const fn always_at_version(schema: &Schema, field: &FieldSchema) -> bool {
    !field.exists && field.versions_include(schema.version)
}

/// `VmStateField::MIN_WIRE_SIZE` of a struct: the sum of `field_sizes` (one
/// per schema field, the type's `MIN_WIRE_SIZE`, 0 for variable arrays and
/// custom views) over the fields that are always on the wire.
#[must_use]
pub const fn min_wire_size(schema: &Schema, field_sizes: &[usize]) -> usize {
    let mut total = 0usize;
    let mut i = 0;
    while i < schema.fields.len() && i < field_sizes.len() {
        let field = &schema.fields[i];
        if always_at_version(schema, field) && matches!(field.count, Count::One) {
            total = total.saturating_add(field_sizes[i]);
        }
        i += 1;
    }
    total
}

/// `VmStateField::VMDESC_COMPRESSIBLE` of a struct, QEMU's
/// `vmsd_can_compress`: no subsections, no `exists` fields, and every field's
/// flag set (`field_flags` in schema order; a variable array or custom view
/// passes `true`, as QEMU does not look at them).
#[must_use]
pub const fn vmdesc_compressible(schema: &Schema, field_flags: &[bool]) -> bool {
    if !schema.subsections.is_empty() {
        return false;
    }
    let mut i = 0;
    while i < schema.fields.len() {
        if schema.fields[i].exists {
            return false;
        }
        i += 1;
    }
    let mut i = 0;
    while i < field_flags.len() {
        if !field_flags[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{always_at_version, min_wire_size, vmdesc_compressible};
    use crate::schema::{Count, FieldSchema, Schema, SubsectionSchema, WireType};

    const U8: WireType = WireType::Scalar {
        info: "uint8",
        size: 1,
    };

    const fn field(since: u32, until: Option<u32>, exists: bool, count: Count) -> FieldSchema {
        FieldSchema {
            name: "f",
            rust_type: "u8",
            wire: U8,
            count,
            since,
            until,
            exists,
            equal: false,
            info: None,
        }
    }

    const FIELDS: &[FieldSchema] = &[
        field(0, None, false, Count::One),
        field(2, None, false, Count::One),
        field(0, Some(2), false, Count::One),
        field(0, None, true, Count::One),
        field(0, None, false, Count::Field("f")),
    ];

    const fn schema(subsections: &'static [SubsectionSchema]) -> Schema {
        Schema {
            name: "s",
            version: 2,
            minimum_version: 1,
            fields: FIELDS,
            subsections,
        }
    }

    #[test]
    fn only_fields_always_on_the_wire_count() {
        let s = schema(&[]);
        let on: Vec<bool> = FIELDS.iter().map(|f| always_at_version(&s, f)).collect();
        assert_eq!(on, [true, true, false, false, true]);
        assert_eq!(min_wire_size(&s, &[1, 10, 100, 1000, 10000]), 11);
        assert_eq!(min_wire_size(&s, &[usize::MAX, 1, 0, 0, 0]), usize::MAX);
    }

    #[test]
    fn exists_fields_and_subsections_do_not_compress() {
        const PLAIN: &[FieldSchema] = &[field(0, None, false, Count::One)];
        const SUB: Schema = Schema {
            name: "s/sub",
            version: 1,
            minimum_version: 1,
            fields: PLAIN,
            subsections: &[],
        };
        let plain = Schema {
            fields: PLAIN,
            ..schema(&[])
        };
        assert!(vmdesc_compressible(&plain, &[true]));
        assert!(!vmdesc_compressible(&plain, &[false]));
        assert!(!vmdesc_compressible(&schema(&[]), &[true; 5]));
        let with_sub = Schema {
            fields: PLAIN,
            ..schema(&[SubsectionSchema {
                field: "sub",
                since: 0,
                schema: &SUB,
            }])
        };
        assert!(!vmdesc_compressible(&with_sub, &[true]));
    }
}
