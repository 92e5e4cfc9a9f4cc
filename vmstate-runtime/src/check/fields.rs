//! Walking two field lists side by side, the way the bytes meet on the wire.
//!
//! Fields pair up by name. Around that, three things keep the wire the same
//! while the lists differ: a field not on the wire at the version in use (it
//! is skipped), fields moved into an inlined struct (the struct is opened),
//! and `unused` padding standing for fields of the same total size (the bytes
//! are counted). Anything else ends the walk, as in QEMU's checker, since the
//! fields after a mismatch no longer line up.

use super::dump::{Description, Field};
use super::renames;
use super::report::{Kind, Location};
use super::rules::{Checker, Role};

/// A position in a field list that can step into inlined structs and back out.
struct Cursor<'a> {
    /// Open levels, outermost first; never empty.
    levels: Vec<Level<'a>>,
}

struct Level<'a> {
    fields: &'a [Field],
    next: usize,
    /// The version this level is written or read at.
    version: i64,
    /// Whether this level is an inlined struct, read at the reader's own version.
    in_struct: bool,
}

impl<'a> Cursor<'a> {
    fn new(fields: &'a [Field], version: i64, in_struct: bool) -> Self {
        Self {
            levels: vec![Level {
                fields,
                next: 0,
                version,
                in_struct,
            }],
        }
    }

    /// Whether the current field is inside an inlined struct.
    fn in_struct(&self) -> bool {
        self.levels.last().is_some_and(|level| level.in_struct)
    }

    /// The next field and the version it is written or read at; leaves opened
    /// structs that are used up.
    fn peek(&mut self) -> Option<(&'a Field, i64)> {
        loop {
            let level = self.levels.last()?;
            if let Some(field) = level.fields.get(level.next) {
                return Some((field, level.version));
            }
            if self.levels.len() == 1 {
                return None;
            }
            self.levels.pop();
        }
    }

    fn advance(&mut self) {
        if self.peek().is_some()
            && let Some(level) = self.levels.last_mut()
        {
            level.next += 1;
        }
    }

    /// Steps past the current field and into `nested`, its struct's fields.
    fn enter(&mut self, nested: &'a Description) {
        self.advance();
        self.levels.push(Level {
            fields: &nested.fields,
            next: 0,
            version: nested.version_id,
            in_struct: true,
        });
    }
}

/// Whether `field` is on the wire at `version`; `None` when a `field_exists`
/// test decides, which a dump cannot evaluate.
fn on_wire(field: &Field, version: i64) -> Option<bool> {
    (!field.field_exists).then_some(field.version_id <= version)
}

/// The struct to open when `field` is an inlined struct whose first field is
/// `wanted`: fields moved into a struct keep their place on the wire.
fn opens_struct<'a>(field: &'a Field, wanted: &str) -> Option<&'a Description> {
    let nested = field.description.as_ref()?;
    let first = nested.fields.first()?;
    renames::same_name(&nested.name, &first.name, wanted).then_some(nested)
}

impl Checker {
    /// Compares the fields of two descriptions reached as `role`. The source
    /// writes at its description's version; the destination reads at
    /// `load_version`.
    pub(super) fn fields(
        &mut self,
        section: &str,
        (src, dest): (&Description, &Description),
        load_version: i64,
        role: Role,
    ) {
        let location = Location::description(section, &src.name);
        let in_struct = role == Role::Struct;
        let mut src_fields = Cursor::new(&src.fields, src.version_id, in_struct);
        let mut dest_fields = Cursor::new(&dest.fields, load_version, in_struct);
        loop {
            let (s, s_version, d, d_version) = match (src_fields.peek(), dest_fields.peek()) {
                (None, None) => return,
                (None, Some(_)) => {
                    self.added_fields(&location, &mut dest_fields);
                    return;
                }
                (Some((s, _)), None) => {
                    let kind = Kind::DestEnds {
                        src: s.name.clone(),
                    };
                    self.problem(location, kind);
                    return;
                }
                (Some((s, s_version)), Some((d, d_version))) => (s, s_version, d, d_version),
            };
            if renames::same_name(&src.name, &s.name, &d.name)
                && !(s.is_unused() && d.is_unused() && s.wire_size() != d.wire_size())
            {
                self.field(
                    section,
                    &location.field(&s.name),
                    (s, s_version),
                    (d, d_version),
                );
                src_fields.advance();
                dest_fields.advance();
            } else if on_wire(d, d_version) == Some(false) {
                // Added later and not read at this version: not on this stream.
                dest_fields.advance();
            } else if on_wire(s, s_version) == Some(false) {
                src_fields.advance();
            } else if let Some(nested) = opens_struct(d, &s.name) {
                dest_fields.enter(nested);
            } else if let Some(nested) = opens_struct(s, &d.name) {
                src_fields.enter(nested);
            } else if s.is_unused() || d.is_unused() {
                if let Err(near) = line_up_unused(&mut src_fields, &mut dest_fields) {
                    self.problem(location, Kind::UnusedSizeMismatch { near });
                    return;
                }
            } else {
                let kind = Kind::FieldMismatch {
                    src: s.name.clone(),
                    dest: d.name.clone(),
                };
                self.problem(location, kind);
                return;
            }
        }
    }

    /// Two fields with the same name: on the wire for both sides or neither, same
    /// size and type, and for inlined structs the same description.
    fn field(
        &mut self,
        section: &str,
        location: &Location,
        (s, s_version): (&Field, i64),
        (d, d_version): (&Field, i64),
    ) {
        match (on_wire(s, s_version), on_wire(d, d_version)) {
            (Some(written), Some(read)) if written != read => self.problem(
                location.clone(),
                Kind::PresenceMismatch {
                    src_version_id: s.version_id,
                    src_version: s_version,
                    dest_version_id: d.version_id,
                    dest_version: d_version,
                },
            ),
            // QEMU's rule: a field may not appear at a later version in the source.
            _ if s.version_id > d.version_id => self.problem(
                location.clone(),
                Kind::VersionTooNew {
                    src: s.version_id,
                    dest: d.version_id,
                },
            ),
            _ => {}
        }
        if let (Some(src_num), Some(dest_num)) = (s.num, d.num)
            && src_num != dest_num
        {
            let kind = Kind::LengthMismatch {
                src: src_num,
                dest: dest_num,
            };
            self.problem(location.clone(), kind);
        }
        match (&s.description, &d.description) {
            (Some(src_desc), Some(dest_desc)) => {
                self.description(section, src_desc, dest_desc, Role::Struct);
            }
            (Some(_), None) => self.problem(location.clone(), Kind::DescriptionMissing),
            // A scalar became a struct: only the struct's wire size can match it.
            (None, Some(_)) => {
                let dest_size = d.wire_size().unwrap_or(d.size);
                if s.total_size() != dest_size {
                    let kind = Kind::SizeMismatch {
                        src: s.total_size(),
                        dest: dest_size,
                    };
                    self.problem(location.clone(), kind);
                }
            }
            (None, None) if s.size != d.size => {
                let kind = Kind::SizeMismatch {
                    src: s.size,
                    dest: d.size,
                };
                self.problem(location.clone(), kind);
            }
            (None, None) => {
                // Equal sizes hide a changed meaning (`int32` -> `uint32`,
                // `uint8` -> `bool`); only dumps that record types can tell.
                if let (Some(src_type), Some(dest_type)) = (&s.type_name, &d.type_name)
                    && src_type != dest_type
                {
                    let kind = Kind::TypeMismatch {
                        src: src_type.clone(),
                        dest: dest_type.clone(),
                    };
                    self.problem(location.clone(), kind);
                }
            }
        }
    }

    /// The destination's fields after the source's last one: each that is read at
    /// the version in use waits for bytes the source never writes.
    fn added_fields(&mut self, location: &Location, dest: &mut Cursor<'_>) {
        while let Some((field, version)) = dest.peek() {
            let at = location.field(&field.name);
            match on_wire(field, version) {
                Some(true) => self.problem(
                    at,
                    Kind::FieldAdded {
                        version_id: field.version_id,
                        load_version: version,
                        in_struct: dest.in_struct(),
                    },
                ),
                None => self.warning(at, Kind::FieldAddedWithTest),
                Some(false) => {}
            }
            dest.advance();
        }
    }
}

/// Lines up `unused` padding with fields on the other side, byte for byte, from
/// the two current fields on. Real fields on one side may only face padding on
/// the other; a field that straddles the end of the padding moves the bytes
/// after it. On success both cursors are past the lined-up fields; on failure,
/// the name of the field where the counts part.
fn line_up_unused<'a>(src: &mut Cursor<'a>, dest: &mut Cursor<'a>) -> Result<(), String> {
    let mut sides = [Side::default(), Side::default()];
    let (Some((s, _)), Some((d, _))) = (src.peek(), dest.peek()) else {
        return Ok(());
    };
    sides[0].take(s)?;
    sides[1].take(d)?;
    src.advance();
    dest.advance();
    while sides[0].bytes != sides[1].bytes {
        // The side that is behind takes its next field.
        let (grow, other, cursor) = if sides[0].bytes < sides[1].bytes {
            (0, 1, &mut *src)
        } else {
            (1, 0, &mut *dest)
        };
        let Some((next, version)) = cursor.peek() else {
            return Err(sides[grow].last.clone());
        };
        if on_wire(next, version) != Some(false) {
            if !next.is_unused() && !sides[other].all_unused {
                return Err(next.name.clone());
            }
            sides[grow].take(next)?;
        }
        cursor.advance();
    }
    Ok(())
}

/// One side of a run being lined up.
struct Side {
    bytes: u64,
    all_unused: bool,
    last: String,
}

impl Default for Side {
    fn default() -> Self {
        Self {
            bytes: 0,
            all_unused: true,
            last: String::new(),
        }
    }
}

impl Side {
    fn take(&mut self, field: &Field) -> Result<(), String> {
        let size = field.wire_size().ok_or_else(|| field.name.clone())?;
        self.bytes = self.bytes.saturating_add(size);
        self.all_unused &= field.is_unused();
        field.name.clone_into(&mut self.last);
        Ok(())
    }
}
