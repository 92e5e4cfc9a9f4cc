//! Whether the destination reads a section's payload with the layout the
//! source wrote it in, field by field.
//!
//! QEMU's loader interprets the payload with *its own* description: a field
//! the source did not write makes it read the next field's bytes (or the
//! section footer), a field the source wrote and it does not know is left in
//! the stream, and either way the load fails a few bytes later ("Missing
//! section footer for ..."). The version number alone does not show this: a
//! nested struct's version never goes on the wire, so a release that adds a
//! field to one (QEMU 10.0's `esp.drq_state`) keeps the section's version.
//!
//! The stream's side is what was written (its vmdesc, or a model's
//! description): fields, element counts, sizes, nested structs and the
//! subsections present. The destination's side is a `-dump-vmstate`
//! [`Description`] evaluated as QEMU's loader does: a field is read when its
//! `version_id` is at most the version being loaded; a field with a
//! `field_exists` test may or may not be, which only the test knows, so it is
//! matched when the stream has it in that place and skipped otherwise.
//!
//! Names align the two sides and name the difference; the verdict is about
//! bytes. Where the names disagree but every written field falls on a field
//! of the same size (a rename, fields turned into `VMSTATE_UNUSED` padding, a
//! buffer split in several fields), QEMU loads the payload, and so does this
//! check.

use std::collections::HashMap;

use crate::desc::{FieldDesc, StateDesc};

use super::dump::{Description, Field};

/// The first place where the destination's layout departs from the stream's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutDifference {
    /// The field path, dotted through nested structs and subsections
    /// (`esp.drq_state`, `cpu/xsave.xsave.zmm`).
    pub path: String,
    /// What the stream has there.
    pub stream: String,
    /// What the destination reads there.
    pub dest: String,
}

/// Compares the payload the stream carries (`stream`) with the description
/// the destination loads it with, at the stream's `version`. Subsections the
/// destination lacks are another obstacle and are not looked into here.
#[must_use]
pub fn compare_section(
    stream: &StateDesc,
    dest: &Description,
    version: i64,
) -> Option<LayoutDifference> {
    compare_state(stream, dest, version, "")
}

/// The destination's description as a reference stream shows it: every field
/// it wrote, with its element count and size, so that a stream is compared
/// with what the destination itself writes for its guest. The reference guest
/// was paused where the stream's may have run, and a `field_exists` test can
/// depend on the state: a field the reference has and the stream lacks counts
/// as tested, one the stream has and the reference lacks is a difference.
#[must_use]
pub fn description_of(state: &StateDesc) -> Description {
    description_with(state, &[])
}

/// [`description_of`], with every inlined struct that `known` describes (by
/// VMSD name: DEST's dump, where another device inlines the same struct)
/// taken from there, since a dump marks the fields a `field_exists` test
/// guards, which the reference wrote or left out by its own state.
#[must_use]
pub fn description_with(state: &StateDesc, known: &[Description]) -> Description {
    let nested = |inner: &StateDesc| {
        known
            .iter()
            .find(|d| d.name == inner.vmsd_name)
            .cloned()
            .unwrap_or_else(|| description_with(inner, known))
    };
    Description {
        name: state.vmsd_name.clone(),
        version_id: i64::from(state.version),
        minimum_version_id: None,
        fields: group(&state.fields)
            .into_iter()
            .map(|group| Field {
                name: group.name.to_owned(),
                version_id: 0,
                field_exists: true,
                size: group.element_size() as u64,
                num: Some(group.count() as u64),
                type_name: Some(group.type_name().to_owned()),
                description: group.nested().map(nested),
            })
            .collect(),
        subsections: state
            .subsections
            .iter()
            .map(|sub| description_with(sub, known))
            .collect(),
    }
}

fn compare_state(
    stream: &StateDesc,
    dest: &Description,
    version: i64,
    prefix: &str,
) -> Option<LayoutDifference> {
    let written = group(&stream.fields);
    // Names guide the alignment and the message; when they disagree, QEMU
    // still loads a payload whose bytes fall on fields of the same sizes.
    if let Some(difference) = compare_fields(&written, dest, version, prefix)
        && !bytes_fit(&written, dest, version)
    {
        return Some(difference);
    }
    for sub in &stream.subsections {
        let Some(theirs) = dest.subsections.iter().find(|d| d.name == sub.vmsd_name) else {
            continue;
        };
        let inner = join(prefix, &sub.vmsd_name);
        if let Some(difference) = compare_state(sub, theirs, i64::from(sub.version), &inner) {
            return Some(difference);
        }
    }
    None
}

/// The first field where the destination's fields, aligned with the
/// stream's by name, read something else than was written.
fn compare_fields(
    written: &[Group<'_>],
    dest: &Description,
    version: i64,
    prefix: &str,
) -> Option<LayoutDifference> {
    let names = vmdesc_names(&dest.fields);
    let at = positions(&names);
    let mut next = 0;
    for (i, (field, name)) in dest.fields.iter().zip(&names).enumerate() {
        let read = if field.field_exists {
            Read::Maybe
        } else if field.version_id <= version {
            Read::Always
        } else {
            continue;
        };
        let path = join(prefix, name);
        match written.get(next) {
            // A tested field is taken for a renamed one only when the
            // stream's entry is not a later field of the destination's.
            Some(group)
                if same_field(group.name, name)
                    || (renamed(group, field)
                        && (read == Read::Always
                            || !at.get(split_index(group.name).0).is_some_and(|later| {
                                later
                                    .iter()
                                    .any(|&k| k > i && same_field(group.name, &names[k]))
                            }))) =>
            {
                next += 1;
                if let Some(difference) = compare_field(group, field, &path) {
                    return Some(difference);
                }
            }
            // Padding of the same byte count as a field on the other side
            // (10.0's `e1000e` turned `eitr_intr_pending[5]` into
            // `VMSTATE_UNUSED(5)`): QEMU reads the bytes all the same, and
            // the walk goes on, so that a difference after it is the one
            // named.
            Some(group) if read == Read::Always && padding_for(group, field) => next += 1,
            _ if read == Read::Maybe || may_be_empty(field) => {}
            other => {
                return Some(LayoutDifference {
                    stream: other.map_or_else(
                        || "no more fields".to_owned(),
                        |group| format!("`{}` there", join(prefix, group.name)),
                    ),
                    dest: format!("reads `{path}` ({})", shape_of_dest(field)),
                    path,
                });
            }
        }
    }
    written.get(next).map(|extra| LayoutDifference {
        path: join(prefix, extra.name),
        stream: format!("`{}` ({})", join(prefix, extra.name), extra.shape()),
        dest: "has no such field there".to_owned(),
    })
}

/// Whether the destination's fields read the written bytes field for field
/// by size, names aside: QEMU reads by position, so a field renamed, moved
/// into padding (`VMSTATE_UNUSED`) or split into fields of the same total
/// size loads. A tested field is only ever matched by its name: whether its
/// test holds depends on values a dump does not show, and a size-only match
/// there could call a stream that QEMU refuses loadable (10.0's `esp` reads a
/// 7.2 `lun` either as its tested `lun` or, wrongly, as `drq_state`). A
/// search over (stream field, destination field) pairs: every step consumes
/// at least one destination field.
fn bytes_fit(written: &[Group<'_>], dest: &Description, version: i64) -> bool {
    let fields = &dest.fields;
    // The stream's description is as hostile as its payload: past these
    // bounds the names' verdict stands, and the search neither allocates nor
    // runs without limit.
    if written.len().saturating_mul(fields.len()) > MAX_SEARCH_CELLS {
        return false;
    }
    let names = vmdesc_names(fields);
    let read = |field: &Field| !field.field_exists && field.version_id <= version;
    let mut reachable = vec![vec![false; fields.len() + 1]; written.len() + 1];
    reachable[0][0] = true;
    for j in 0..fields.len() {
        for i in 0..=written.len() {
            if !reachable[i][j] {
                continue;
            }
            let field = &fields[j];
            if !read(field) || may_be_empty(field) {
                reachable[i][j + 1] = true;
            }
            if field.field_exists {
                if let Some(group) = written.get(i)
                    && same_field(group.name, &names[j])
                    && field_fits(group, field)
                {
                    reachable[i + 1][j + 1] = true;
                }
                continue;
            }
            if !read(field) {
                continue;
            }
            if let Some(group) = written.get(i)
                && field_fits(group, field)
            {
                reachable[i + 1][j + 1] = true;
            }
            // Padding of the destination's taking several written fields.
            if field.name == "unused"
                && let Some(len) = dest_len(field).filter(|len| *len <= MAX_PADDING)
            {
                let mut sum = 0;
                for (k, group) in written.iter().enumerate().skip(i).take(MAX_SPAN) {
                    let Some(bytes) = written_len(group) else {
                        break;
                    };
                    sum += bytes;
                    if sum >= len {
                        reachable[k + 1][j + 1] |= sum == len;
                        break;
                    }
                }
            }
            // Written padding taking several of the destination's fields.
            if let Some(group) = written.get(i)
                && group.type_name() == "unused_buffer"
                && let Some(len) = written_len(group).filter(|len| *len <= MAX_PADDING)
            {
                // The byte counts the fields so far can take together.
                let mut sums = vec![0u64];
                for (l, next) in fields.iter().enumerate().skip(j).take(MAX_SPAN) {
                    if next.field_exists || sums.is_empty() {
                        break;
                    }
                    if !read(next) {
                        continue;
                    }
                    let Some(lens) = dest_lens(next, len) else {
                        break;
                    };
                    sums = sums
                        .iter()
                        .flat_map(|sum| lens.iter().map(move |l| sum + l))
                        .filter(|sum| *sum <= len)
                        .collect();
                    sums.sort_unstable();
                    sums.dedup();
                    reachable[i + 1][l + 1] |= sums.contains(&len);
                }
            }
        }
    }
    reachable[written.len()][fields.len()]
}

/// The most (stream field, destination field) pairs the byte search visits.
const MAX_SEARCH_CELLS: usize = 1 << 20;
/// The largest padding matched against several fields: QEMU's
/// `VMSTATE_UNUSED` paddings are a few bytes to a few hundred.
const MAX_PADDING: u64 = 4096;
/// The most fields one padding stands for.
const MAX_SPAN: usize = 64;

/// Whether one written field is read whole by one destination field.
fn field_fits(written: &Group<'_>, read: &Field) -> bool {
    match (written.nested(), &read.description) {
        (Some(_), Some(_)) => compare_field(written, read, "").is_none(),
        (None, None) => {
            read.size == 0
                || (read
                    .num
                    .is_none_or(|n| usize::try_from(n).ok() == Some(written.count()))
                    && (written.element_size() as u64 == read.size
                        || written_len(written) == dest_len(read)))
        }
        _ => false,
    }
}

/// The bytes a written scalar field took.
fn written_len(group: &Group<'_>) -> Option<u64> {
    if group.nested().is_some() {
        return None;
    }
    Some((group.element_size() * group.count()) as u64)
}

/// The byte counts, at most `max`, a destination's scalar field may read:
/// exact where the dump records the element count (`num`), any number of
/// elements where it does not (QEMU 7.2's dumps have no `num`, so an array
/// looks like one element).
fn dest_lens(field: &Field, max: u64) -> Option<Vec<u64>> {
    if field.num.is_some() {
        return dest_len(field).map(|len| vec![len]);
    }
    let size = dest_len(field)?;
    Some((1..=max / size).map(|k| k * size).collect())
}

/// The bytes a destination's scalar field reads, where the dump tells.
fn dest_len(field: &Field) -> Option<u64> {
    if field.description.is_some() || field.size == 0 {
        return None;
    }
    Some(field.size.saturating_mul(field.num.unwrap_or(1)))
}

/// The names the vmdesc gives `fields`: QEMU tells apart fields of one name
/// in a description by their order among them (`vmsd_field_index`), as
/// `cur_offset[0]`, `cur_offset[1]`; a name used once stays bare.
fn vmdesc_names(fields: &[Field]) -> Vec<String> {
    let mut total: HashMap<&str, usize> = HashMap::new();
    for field in fields {
        *total.entry(&field.name).or_default() += 1;
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    fields
        .iter()
        .map(|field| {
            let k = seen.entry(&field.name).or_default();
            *k += 1;
            if total[field.name.as_str()] > 1 {
                format!("{}[{}]", field.name, *k - 1)
            } else {
                field.name.clone()
            }
        })
        .collect()
}

/// A name without the `[k]` QEMU's vmdesc adds to tell apart fields of one
/// name, and whether it had one.
fn split_index(name: &str) -> (&str, bool) {
    match name.strip_suffix(']').and_then(|n| n.rsplit_once('[')) {
        Some((base, index)) if index.bytes().all(|b| b.is_ascii_digit()) => (base, true),
        _ => (name, false),
    }
}

/// Where each base name stands among the destination's fields, so that
/// "is this a later field's name" costs a lookup (a reference's description
/// is as long as a hostile stream makes it).
fn positions(names: &[String]) -> HashMap<&str, Vec<usize>> {
    let mut at: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, name) in names.iter().enumerate() {
        at.entry(split_index(name).0).or_default().push(i);
    }
    at
}

/// Whether the stream's entry `written` is the destination's field `read`
/// (both as the vmdesc names them). Where one side has a name once and the
/// other several times, the bare name matches any of them.
fn same_field(written: &str, read: &str) -> bool {
    let ((ours, our_index), (theirs, their_index)) = (split_index(written), split_index(read));
    written == read || (ours == theirs && !(our_index && their_index))
}

/// Whether the stream's entry is the destination's field under another name:
/// QEMU reads by position, not by name, so a scalar renamed between releases
/// (`hpet`'s `num_timers`, `num_timers_save` in 10.0) with the same size
/// loads (`esp`'s `data_in_ready` is `data_ready` in 10.0, behind a test).
fn renamed(written: &Group<'_>, read: &Field) -> bool {
    written.nested().is_none()
        && read.description.is_none()
        && size_is_wire_size(written.type_name())
        && written.count() == 1
        && read.num.is_none_or(|n| n == 1)
        && written.element_size() as u64 == read.size
}

/// Whether one side's `VMSTATE_UNUSED` padding stands where the other has a
/// scalar field of the same byte count (of some element count, where the
/// dump does not record it).
fn padding_for(written: &Group<'_>, read: &Field) -> bool {
    (written.type_name() == "unused_buffer" || read.name == "unused")
        && read.description.is_none()
        && written_len(written).is_some_and(|len| {
            // A 7.2 dump records no element count: any multiple of the size.
            len <= MAX_PADDING && dest_lens(read, len).is_some_and(|lens| lens.contains(&len))
        })
}

/// Whether a field the destination reads may have no bytes at all, so that
/// a vmdesc without it says nothing: an array of structs whose length comes
/// from another field (`VMSTATE_STRUCT_VARRAY_*`: a dump does not tell it
/// from a single struct, and QEMU's vmdesc leaves out an array with no
/// elements), or a buffer whose size does (`size` 0 in the dump).
fn may_be_empty(read: &Field) -> bool {
    (read.description.is_some() && read.num.is_none()) || read.size == 0
}

/// Whether QEMU's loader reads a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// Its version says so.
    Always,
    /// Its `field_exists` test decides at load time.
    Maybe,
}

/// One field as the stream wrote it: its vmdesc entries (one for a scalar or
/// a compressed array, one per element for an array of structs).
struct Group<'a> {
    name: &'a str,
    entries: Vec<&'a FieldDesc>,
}

impl Group<'_> {
    /// Elements written.
    fn count(&self) -> usize {
        match self.entries.as_slice() {
            [single] => single.array_len.unwrap_or(1),
            entries => entries.len(),
        }
    }

    fn element_size(&self) -> usize {
        self.entries.first().map_or(0, |e| e.size)
    }

    fn type_name(&self) -> &str {
        self.entries.first().map_or("", |e| e.type_name.as_str())
    }

    fn nested(&self) -> Option<&StateDesc> {
        self.entries.first().and_then(|e| e.nested.as_deref())
    }

    fn shape(&self) -> String {
        shape(self.type_name(), self.element_size(), Some(self.count()))
    }
}

/// Groups vmdesc entries into fields: the elements of an array of structs
/// are consecutive entries of one name with `index` 0, 1, ... (QEMU 10.0
/// leaves the last one's out).
fn group(fields: &[FieldDesc]) -> Vec<Group<'_>> {
    let mut groups: Vec<Group<'_>> = Vec::new();
    for field in fields {
        let continues = groups.last().is_some_and(|last| {
            let previous = last.entries[last.entries.len() - 1];
            last.name == field.name
                && previous.index.is_some()
                && (field.index.is_none() || field.index == previous.index.map(|i| i + 1))
        });
        match groups.last_mut() {
            Some(last) if continues => last.entries.push(field),
            _ => groups.push(Group {
                name: &field.name,
                entries: vec![field],
            }),
        }
    }
    groups
}

/// QEMU types whose bytes on the wire are the field's size in memory, which
/// is what a dump records: only for these does a size difference mean a
/// different layout (a custom `VMStateInfo` may write more or less).
fn size_is_wire_size(type_name: &str) -> bool {
    matches!(
        type_name,
        "bool" | "float64" | "timer" | "unused_buffer" | "int32 le"
    ) || [
        "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    ]
    .iter()
    .any(|int| {
        type_name == *int
            || type_name
                .strip_prefix(int)
                .is_some_and(|rest| rest == " equal")
    })
}

fn compare_field(written: &Group<'_>, read: &Field, path: &str) -> Option<LayoutDifference> {
    let differs = |stream: String, dest: String| {
        Some(LayoutDifference {
            path: path.to_owned(),
            stream,
            dest,
        })
    };
    if let Some(num) = read.num
        && usize::try_from(num).ok() != Some(written.count())
    {
        return differs(
            format!("{} element(s)", written.count()),
            format!("reads {num}"),
        );
    }
    match (written.nested(), &read.description) {
        (Some(_), Some(theirs)) => {
            for (i, entry) in written.entries.iter().enumerate() {
                let Some(ours) = entry.nested.as_deref() else {
                    continue;
                };
                let inner = if written.entries.len() > 1 {
                    format!("{path}[{i}]")
                } else {
                    path.to_owned()
                };
                // A nested struct is loaded at the destination's own version
                // of it: its version never goes on the wire.
                if let Some(difference) = compare_state(ours, theirs, theirs.version_id, &inner) {
                    return Some(difference);
                }
            }
            None
        }
        (None, None)
            if read.size != 0
                && size_is_wire_size(written.type_name())
                && written.element_size() as u64 != read.size =>
        {
            differs(
                written.shape(),
                format!("reads {} byte(s) per element", read.size),
            )
        }
        _ => None,
    }
}

fn shape(type_name: &str, size: usize, count: Option<usize>) -> String {
    match count {
        Some(count) if count != 1 => format!("{count} x {type_name}, {size} byte(s) each"),
        _ => format!("{type_name}, {size} byte(s)"),
    }
}

fn shape_of_dest(field: &Field) -> String {
    if let Some(nested) = &field.description {
        return format!("struct `{}`", nested.name);
    }
    let count = field.num.and_then(|n| usize::try_from(n).ok());
    let size = usize::try_from(field.size).unwrap_or(usize::MAX);
    shape(field.type_name.as_deref().unwrap_or("field"), size, count)
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dest_field(name: &str, version_id: i64, field_exists: bool, size: u64) -> Field {
        Field {
            name: name.to_owned(),
            version_id,
            field_exists,
            size,
            num: None,
            type_name: None,
            description: None,
        }
    }

    fn dest(fields: Vec<Field>) -> Description {
        Description {
            name: "dev".into(),
            version_id: 3,
            minimum_version_id: Some(1),
            fields,
            subsections: Vec::new(),
        }
    }

    fn written(fields: &[(&str, usize)]) -> StateDesc {
        StateDesc {
            vmsd_name: "dev".into(),
            version: 3,
            fields: fields
                .iter()
                .map(|(name, size)| FieldDesc::scalar(name, "uint32", *size))
                .collect(),
            subsections: Vec::new(),
        }
    }

    #[test]
    fn equal_layouts_and_skipped_versions_compare_equal() {
        let d = dest(vec![
            dest_field("a", 0, false, 4),
            dest_field("b", 3, false, 4),
            dest_field("c", 4, false, 4),
        ]);
        assert_eq!(
            compare_section(&written(&[("a", 4), ("b", 4)]), &d, 3),
            None
        );
        // Loaded at version 2, `b` is not read either.
        let diff = compare_section(&written(&[("a", 4), ("b", 4)]), &d, 2).unwrap();
        assert_eq!(diff.path, "b");
        assert_eq!(diff.dest, "has no such field there");
    }

    #[test]
    fn a_field_dest_reads_and_the_stream_lacks_is_named() {
        let d = dest(vec![
            dest_field("a", 0, false, 4),
            dest_field("t", 0, true, 4),
            dest_field("drq_state", 0, false, 1),
        ]);
        // The tested field is skipped when absent, matched when present.
        assert_eq!(
            compare_section(&written(&[("a", 4), ("drq_state", 1)]), &d, 3),
            None
        );
        let diff = compare_section(&written(&[("a", 4), ("t", 4)]), &d, 3).unwrap();
        assert_eq!(diff.path, "drq_state");
        assert_eq!(diff.stream, "no more fields");
    }

    #[test]
    fn repeated_names_are_told_apart_as_the_vmdesc_does() {
        // fw_cfg: `cur_offset` twice, the first behind a test; the stream
        // wrote the second, which its vmdesc calls `cur_offset[1]`.
        let d = dest(vec![
            dest_field("cur_entry", 0, false, 2),
            dest_field("cur_offset", 0, true, 4),
            dest_field("cur_offset", 2, false, 4),
        ]);
        let stream = written(&[("cur_entry", 2), ("cur_offset[1]", 4)]);
        assert_eq!(compare_section(&stream, &d, 3), None);
    }

    #[test]
    fn renamed_fields_load_and_the_missing_one_is_named() {
        // 10.0's esp: `data_in_ready` became the tested `data_ready`, and
        // `drq_state` is read unconditionally at the end.
        let d = dest(vec![
            dest_field("dma", 0, false, 4),
            dest_field("mig_dma_left", 0, true, 4),
            dest_field("data_ready", 0, true, 1),
            dest_field("lun", 0, true, 1),
            dest_field("drq_state", 0, false, 1),
        ]);
        let mut stream = written(&[("dma", 4), ("data_in_ready", 1), ("lun", 1)]);
        stream.fields[1].type_name = "bool".into();
        stream.fields[2].type_name = "uint8".into();
        let diff = compare_section(&stream, &d, 3).unwrap();
        assert_eq!(diff.path, "drq_state");
        stream
            .fields
            .push(FieldDesc::scalar("drq_state", "uint8", 1));
        assert_eq!(compare_section(&stream, &d, 3), None);
    }

    #[test]
    fn padding_that_takes_the_same_bytes_loads() {
        // 10.0's e1000e made two fields into `VMSTATE_UNUSED(5)`.
        let d = dest(vec![
            dest_field("a", 0, false, 4),
            dest_field("unused", 0, false, 5),
            dest_field("z", 0, false, 4),
        ]);
        let mut stream = written(&[("a", 4), ("b", 4), ("c", 1), ("z", 4)]);
        stream.fields[2].type_name = "uint8".into();
        assert_eq!(compare_section(&stream, &d, 3), None);
        // And back: the stream's padding over the destination's fields.
        let back = dest(vec![
            dest_field("a", 0, false, 4),
            dest_field("b", 0, false, 4),
            dest_field("c", 0, false, 1),
            dest_field("z", 0, false, 4),
        ]);
        let mut padded = written(&[("a", 4), ("unused", 5), ("z", 4)]);
        padded.fields[1].type_name = "unused_buffer".into();
        assert_eq!(compare_section(&padded, &back, 3), None);
        // Padding of another size does not, where the dump records element
        // counts; where it does not (QEMU 7.2's), `c` may be an array.
        padded.fields[1].size = 6;
        assert_eq!(compare_section(&padded, &back, 3), None);
        let mut counted = back.clone();
        for field in &mut counted.fields {
            field.num = Some(1);
        }
        assert!(compare_section(&padded, &counted, 3).is_some());
    }

    #[test]
    fn a_difference_after_padding_is_the_one_named() {
        // 10.0's e1000e on a 10.0 machine type: `eitr_intr_pending[5]` is
        // padding now, and `timadj` follows, which 7.2 has not; the reason
        // names `timadj`, not the padding QEMU reads all the same.
        let d = dest(vec![
            dest_field("itr", 0, false, 4),
            dest_field("eitr_intr_pending", 0, false, 1),
            dest_field("vet", 0, false, 2),
        ]);
        let mut stream = written(&[("itr", 4), ("unused", 5), ("timadj", 8), ("vet", 2)]);
        stream.fields[1].type_name = "unused_buffer".into();
        stream.fields[2].type_name = "int64".into();
        let diff = compare_section(&stream, &d, 3).unwrap();
        assert_eq!(diff.stream, "`timadj` there", "{diff:?}");
        stream.fields.remove(2);
        assert_eq!(compare_section(&stream, &d, 3), None);
    }

    #[test]
    fn a_hostile_description_is_judged_in_bounded_work() {
        // Four billion bytes of padding and a million fields: the names'
        // verdict stands, at once and without a large allocation.
        let d = dest(vec![
            dest_field("a", 0, false, 1),
            dest_field("b", 0, false, 1),
        ]);
        let mut stream = written(&[("unused", 1 << 32)]);
        stream.fields[0].type_name = "unused_buffer".into();
        assert!(compare_section(&stream, &d, 3).is_some());
        let many = written(&vec![("x", 1); 1 << 20]);
        assert!(compare_section(&many, &d, 3).is_some());
        // A reference as long: its names are counted in linear time.
        assert_eq!(compare_section(&many, &description_of(&many), 3), None);
    }

    #[test]
    fn sizes_count_only_where_the_type_writes_its_memory_size() {
        let d = dest(vec![dest_field("a", 0, false, 2)]);
        assert!(compare_section(&written(&[("a", 4)]), &d, 3).is_some());
        let mut custom = written(&[("a", 4)]);
        custom.fields[0].type_name = "qtailq".into();
        assert_eq!(compare_section(&custom, &d, 3), None);
    }

    #[test]
    fn nested_structs_are_compared_at_the_destinations_version() {
        let inner = StateDesc {
            vmsd_name: "esp".into(),
            version: 6,
            fields: vec![FieldDesc::scalar("ti_size", "int32", 4)],
            subsections: Vec::new(),
        };
        let stream = StateDesc {
            vmsd_name: "dev".into(),
            version: 2,
            fields: vec![FieldDesc::structure("esp", inner)],
            subsections: Vec::new(),
        };
        let mut theirs = dest(vec![
            dest_field("ti_size", 0, false, 4),
            dest_field("drq_state", 0, false, 1),
        ]);
        theirs.name = "esp".into();
        theirs.version_id = 7;
        let outer = dest(vec![Field {
            description: Some(theirs),
            ..dest_field("esp", 0, false, 568)
        }]);
        let diff = compare_section(&stream, &outer, 2).unwrap();
        assert_eq!(diff.path, "esp.drq_state");
    }

    #[test]
    fn a_reference_description_counts_elements() {
        let mut ours = written(&[("regs", 4)]);
        ours.fields[0].array_len = Some(274);
        let mut theirs = ours.clone();
        theirs.fields[0].array_len = Some(258);
        let diff = compare_section(&ours, &description_of(&theirs), 3).unwrap();
        assert_eq!(diff.path, "regs");
        assert_eq!(diff.stream, "274 element(s)");
        assert_eq!(compare_section(&ours, &description_of(&ours), 3), None);
    }
}
