//! The lock's text format and its parser.
//!
//! ```text
//! # Comments, before the first block only.
//!
//! [my_devices::rtc::Rtc v3]
//! vmsd mc146818rtc
//! field cmos_data x128 uint8 1
//! field irq_coalesced uint32 4 since 2
//! field inner struct
//!   vmsd rtc-inner v1
//!   field a uint16 2
//! field fifo view qtailq
//!   part element uint8 1
//! field state with crate::views::state State<u8>
//! subsection reinject mc146818rtc/irq_reinject_on_ack_count v1
//!
//! [release 1.0]
//! my_devices::rtc::Rtc v3
//!
//! end
//! ```
//!
//! A block is keyed by the type's module path and name (`module_path!()`
//! and the identifier) and its version. A field line is `field NAME [xLEN]...
//! WIRE [since S] [until U] [exists] [varray COUNT]`, where `WIRE` is
//! `INFO SIZE`, `unused SIZE`, `struct` (the inlined struct follows,
//! indented two spaces more), `view FORM` (a ready-made view or std type
//! whose bytes depend on the value, such as `gtree` or `option`; its parts
//! follow as `part NAME [xLEN]... WIRE` lines, indented two spaces more),
//! `with VIEW TYPE` (a view the runtime does not know: its path and the
//! field's Rust type as written, spaces as `%20`), or `opaque` (written by
//! versions that did not record views and std types: not checked, and
//! filled in by recording). The file ends with `end`, so that a
//! file cut short is told from a complete one. Every line that is none of
//! these is an error: the lock is never read in part.

use std::fmt;

use crate::schema::{Count, FieldSchema, Owned, Part, Schema, SubsectionSchema, WireType};

/// Keywords of the format, each named once.
mod kw {
    pub const VMSD: &str = "vmsd";
    pub const FIELD: &str = "field";
    pub const SUBSECTION: &str = "subsection";
    pub const RELEASE: &str = "release";
    pub const SINCE: &str = "since";
    pub const UNTIL: &str = "until";
    pub const EXISTS: &str = "exists";
    pub const VARRAY: &str = "varray";
    pub const STRUCT: &str = "struct";
    pub const UNUSED: &str = "unused";
    pub const OPAQUE: &str = "opaque";
    pub const VIEW: &str = "view";
    pub const PART: &str = "part";
    pub const WITH: &str = "with";
    pub const END: &str = "end";
}
pub(crate) use kw::*;

/// What every message about a damaged lock advises.
const RESTORE: &str = "restore the file from version control (`git checkout -- <lock>`) and record again with `VMSTATE_LOCK=record cargo test`";

/// A parsed lock file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Lock {
    /// `[Type vN]` blocks, in file order.
    pub entries: Vec<Entry>,
    /// `[release NAME]` blocks, in file order (a name may repeat: recording
    /// appends, and the blocks of one name are read as one).
    pub releases: Vec<ReleaseBlock>,
}

/// One recorded version of one type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The type's key: its module path and name, `my_devices::rtc::Rtc`.
    pub key: String,
    /// The recorded version.
    pub version: u32,
    /// The 1-based line of the block header.
    pub line: usize,
    /// What was on the wire at that version, as [`Schema::recorded_at`]
    /// gives it (its `version` is the recorded one).
    pub layout: Schema<Owned>,
    /// The 1-based line of each of the layout's fields, in order.
    pub field_lines: Vec<usize>,
    /// The 1-based line of each of the layout's subsections, in order.
    pub subsection_lines: Vec<usize>,
}

impl Entry {
    /// The module part of the key (`my_devices::rtc`; empty for a bare name).
    #[must_use]
    pub fn module(&self) -> &str {
        split_key(&self.key).0
    }

    /// The type's name, the last segment of the key.
    #[must_use]
    pub fn name(&self) -> &str {
        split_key(&self.key).1
    }
}

/// A key split into its module path and the type's name.
#[must_use]
pub fn split_key(key: &str) -> (&str, &str) {
    key.rsplit_once("::").unwrap_or(("", key))
}

/// A `[release NAME]` block: the version of each type in a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseBlock {
    /// The release's name.
    pub name: String,
    /// `(type key, version)` pairs.
    pub members: Vec<(String, u32)>,
}

/// Why a lock file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockError {
    /// The 1-based line at fault.
    pub line: usize,
    /// What is wrong.
    pub kind: LockErrorKind,
}

/// What is wrong with a lock file.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LockErrorKind {
    /// The bytes are not UTF-8.
    NotUtf8,
    /// A line that the format has no place for.
    UnknownLine(String),
    /// A line before any `[...]` block.
    OutsideBlock(String),
    /// A comment inside a block: recording writes none there, so it is a
    /// line that was commented out.
    CommentInBlock(String),
    /// The file ends before its `end` line: it was cut short.
    Truncated {
        /// The header of the block the file ends in, if any.
        block: Option<String>,
    },
    /// A line after the `end` line.
    AfterEnd(String),
    /// A block recorded twice.
    Duplicate {
        /// The type.
        key: String,
        /// The version.
        version: u32,
        /// The line of the first one.
        first: usize,
    },
}

impl fmt::Display for LockError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line;
        match &self.kind {
            LockErrorKind::NotUtf8 => write!(
                f,
                "line {line}: the lock is not valid UTF-8, so it was damaged: {RESTORE}"
            ),
            LockErrorKind::UnknownLine(text) => write!(
                f,
                "line {line}: `{text}` is no line of the lock format, so the file was damaged or edited: {RESTORE}; the lock is never read in part"
            ),
            LockErrorKind::OutsideBlock(text) => write!(
                f,
                "line {line}: `{text}` comes before any `[Type vN]` or `[release NAME]` block: {RESTORE}"
            ),
            LockErrorKind::CommentInBlock(text) => write!(
                f,
                "line {line}: `{text}` is a comment inside a block, where recording writes none: a line of a released layout was commented out; {RESTORE}"
            ),
            LockErrorKind::Truncated { block: Some(block) } => write!(
                f,
                "line {line}: the lock ends inside `[{block}]`, without its closing `{END}` line: it was cut short (a crash while recording, or an edit); {RESTORE}"
            ),
            LockErrorKind::Truncated { block: None } => write!(
                f,
                "line {line}: the lock ends without its closing `{END}` line: it was cut short (a crash while recording, or an edit); {RESTORE}"
            ),
            LockErrorKind::AfterEnd(text) => write!(
                f,
                "line {line}: `{text}` comes after the lock's closing `{END}` line: {RESTORE}"
            ),
            LockErrorKind::Duplicate {
                key,
                version,
                first,
            } => write!(
                f,
                "line {line}: `[{key} v{version}]` is already recorded on line {first}: {RESTORE}"
            ),
        }
    }
}

impl std::error::Error for LockError {}

/// A line that carries content: its 1-based number, its indent, its text
/// without surrounding blanks.
#[derive(Clone, Copy)]
struct Line<'a> {
    number: usize,
    indent: usize,
    text: &'a str,
}

impl Line<'_> {
    fn error(&self, kind: impl FnOnce(String) -> LockErrorKind) -> LockError {
        LockError {
            line: self.number,
            kind: kind(self.text.to_owned()),
        }
    }

    fn unknown(&self) -> LockError {
        self.error(LockErrorKind::UnknownLine)
    }

    fn is_header(&self) -> bool {
        self.text.starts_with('[')
    }
}

/// The lines being read, and where.
struct Cursor<'a> {
    lines: Vec<Line<'a>>,
    at: usize,
    /// The number of the file's last line, for a file cut short.
    last: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.at).copied()
    }

    fn next(&mut self) -> Option<Line<'a>> {
        let line = self.peek()?;
        self.at += 1;
        Some(line)
    }

    /// The block ended here: a header or `end` must follow.
    fn truncated(&self, block: &str) -> LockError {
        LockError {
            line: self.last,
            kind: LockErrorKind::Truncated {
                block: Some(block.to_owned()),
            },
        }
    }
}

impl Lock {
    /// Parses a lock file's bytes.
    ///
    /// # Errors
    /// A [`LockError`] naming the first line that is not valid UTF-8 or not
    /// part of the format.
    pub fn parse_bytes(bytes: &[u8]) -> Result<Self, LockError> {
        match std::str::from_utf8(bytes) {
            Ok(text) => Self::parse(text),
            Err(e) => {
                let before = bytes.get(..e.valid_up_to()).unwrap_or_default();
                let line = 1 + before.split(|&b| b == b'\n').count() - 1;
                Err(LockError {
                    line,
                    kind: LockErrorKind::NotUtf8,
                })
            }
        }
    }

    /// Parses a lock file's text.
    ///
    /// # Errors
    /// A [`LockError`] naming the first line that is not part of the format,
    /// or the last line when the file was cut short.
    pub fn parse(text: &str) -> Result<Self, LockError> {
        let mut cursor = Cursor {
            lines: Vec::new(),
            at: 0,
            last: text.lines().count().max(1),
        };
        let mut in_block = false;
        for (i, raw) in text.lines().enumerate() {
            let trimmed = raw.trim_start_matches(' ');
            let content = trimmed.trim_end();
            let line = Line {
                number: i + 1,
                indent: raw.len() - trimmed.len(),
                text: content,
            };
            if content.is_empty() {
                continue;
            }
            if content.starts_with('#') {
                // Recording writes comments only above the first block.
                if in_block {
                    return Err(line.error(LockErrorKind::CommentInBlock));
                }
                continue;
            }
            in_block = true;
            cursor.lines.push(line);
        }
        let mut lock = Lock::default();
        loop {
            let Some(line) = cursor.next() else {
                return Err(LockError {
                    line: cursor.last,
                    kind: LockErrorKind::Truncated { block: None },
                });
            };
            if line.text == END && line.indent == 0 {
                if let Some(after) = cursor.next() {
                    return Err(after.error(LockErrorKind::AfterEnd));
                }
                return Ok(lock);
            }
            let Some(header) = line
                .text
                .strip_prefix('[')
                .and_then(|t| t.strip_suffix(']'))
                .filter(|_| line.indent == 0)
            else {
                return Err(
                    line.error(if lock.entries.is_empty() && lock.releases.is_empty() {
                        LockErrorKind::OutsideBlock
                    } else {
                        LockErrorKind::UnknownLine
                    }),
                );
            };
            if let Some(name) = header
                .strip_prefix(RELEASE)
                .and_then(|n| n.strip_prefix(' '))
            {
                lock.releases.push(parse_release(&mut cursor, name)?);
                continue;
            }
            let (key, v) = header.split_once(' ').ok_or_else(|| line.unknown())?;
            let v = version(v).ok_or_else(|| line.unknown())?;
            if key.is_empty() || key.contains(' ') {
                return Err(line.unknown());
            }
            if let Some(first) = lock.entry(key, v) {
                return Err(LockError {
                    line: line.number,
                    kind: LockErrorKind::Duplicate {
                        key: key.to_owned(),
                        version: v,
                        first: first.line,
                    },
                });
            }
            let vmsd = match cursor.next() {
                Some(vline) => match (vline.indent, &vline.text.split(' ').collect::<Vec<_>>()[..])
                {
                    (0, [VMSD, name]) => word_name(name),
                    _ => return Err(vline.unknown()),
                },
                None => return Err(cursor.truncated(header)),
            };
            let parsed = parse_layout(&mut cursor, 0, &vmsd, v, header)?;
            lock.entries.push(Entry {
                key: key.to_owned(),
                version: v,
                line: line.number,
                layout: parsed.layout,
                field_lines: parsed.field_lines,
                subsection_lines: parsed.subsection_lines,
            });
        }
    }

    /// The entry of `key` at `version`, if recorded.
    #[must_use]
    pub fn entry(&self, key: &str, version: u32) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|entry| entry.key == key && entry.version == version)
    }

    /// Every recorded version of `key`, lowest first.
    #[must_use]
    pub fn versions_of<'a>(&'a self, key: &str) -> Vec<&'a Entry> {
        let mut found: Vec<&Entry> = self.entries.iter().filter(|e| e.key == key).collect();
        found.sort_by_key(|entry| entry.version);
        found
    }

    /// Every key recorded, in file order, each once.
    #[must_use]
    pub fn keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        for entry in &self.entries {
            if !keys.contains(&entry.key.as_str()) {
                keys.push(&entry.key);
            }
        }
        keys
    }
}

/// A VMSD name as one word of a lock line: QEMU names may hold spaces
/// (`APM State`, `memory hotplug state`), written `%20`, and `%` is `%25`.
#[must_use]
pub fn name_word(name: &str) -> String {
    name.replace('%', "%25").replace(' ', "%20")
}

/// The name a [`name_word`] stands for.
fn word_name(word: &str) -> String {
    word.replace("%20", " ").replace("%25", "%")
}

/// `vN` as a number.
fn version(text: &str) -> Option<u32> {
    let digits = text.strip_prefix('v')?;
    // `parse` takes a leading `+`, which recording never writes.
    digits
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| digits.parse().ok())?
}

/// A decimal number as recording writes it.
fn number<T: std::str::FromStr>(text: &str) -> Option<T> {
    text.bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| text.parse().ok())?
}

/// A `[release NAME]` block's `KEY vN` lines.
fn parse_release(cursor: &mut Cursor<'_>, name: &str) -> Result<ReleaseBlock, LockError> {
    let mut members = Vec::new();
    while let Some(line) = cursor.peek() {
        if line.is_header() || (line.text == END && line.indent == 0) {
            break;
        }
        cursor.next();
        let member = (line.indent == 0)
            .then(|| line.text.split_once(' '))
            .flatten()
            .and_then(|(key, v)| Some((key.to_owned(), version(v)?)));
        members.push(member.ok_or_else(|| line.unknown())?);
    }
    if cursor.peek().is_none() {
        return Err(cursor.truncated(&format!("{RELEASE} {name}")));
    }
    Ok(ReleaseBlock {
        name: name.trim().to_owned(),
        members,
    })
}

/// A layout being read, with the lines of its fields and subsections.
struct Parsed {
    layout: Schema<Owned>,
    field_lines: Vec<usize>,
    subsection_lines: Vec<usize>,
}

/// The fields and subsections at `indent`, after a `vmsd` line that named
/// the layout and its version.
fn parse_layout(
    cursor: &mut Cursor<'_>,
    indent: usize,
    vmsd: &str,
    at: u32,
    block: &str,
) -> Result<Parsed, LockError> {
    let mut parsed = Parsed {
        layout: Schema::named(vmsd, at),
        field_lines: Vec::new(),
        subsection_lines: Vec::new(),
    };
    loop {
        let Some(line) = cursor.peek() else {
            return Err(cursor.truncated(block));
        };
        if line.is_header() || line.indent < indent || (line.text == END && line.indent == 0) {
            return Ok(parsed);
        }
        cursor.next();
        if line.indent != indent {
            return Err(line.unknown());
        }
        let words: Vec<&str> = line.text.split(' ').collect();
        match words.split_first() {
            Some((&FIELD, rest)) if rest.len() >= 2 => {
                let field = parse_field(rest, line, cursor, indent, block)?;
                parsed.layout.fields.push(field);
                parsed.field_lines.push(line.number);
            }
            Some((&SUBSECTION, rest)) => {
                let sub = match *rest {
                    [field, vmsd, v] => Some((field, vmsd, v, 0)),
                    [field, vmsd, v, SINCE, since] => number(since).map(|s| (field, vmsd, v, s)),
                    _ => None,
                };
                let (field, vmsd, v, since) = sub.ok_or_else(|| line.unknown())?;
                let v = version(v).ok_or_else(|| line.unknown())?;
                parsed.layout.subsections.push(SubsectionSchema {
                    field: field.to_owned(),
                    since,
                    schema: Box::new(Schema::named(&word_name(vmsd), v)),
                });
                parsed.subsection_lines.push(line.number);
            }
            _ => return Err(line.unknown()),
        }
    }
}

/// A field line's words after `field`. An inlined struct's lines follow it.
fn parse_field(
    words: &[&str],
    line: Line<'_>,
    cursor: &mut Cursor<'_>,
    indent: usize,
    block: &str,
) -> Result<FieldSchema<Owned>, LockError> {
    let Some((name, mut rest)) = words.split_first() else {
        return Err(line.unknown());
    };
    let mut lens = Vec::new();
    while let Some(len) = rest
        .first()
        .and_then(|w| number::<usize>(w.strip_prefix('x')?))
    {
        lens.push(len);
        rest = &rest[1..];
    }
    let (mut wire, rest) = match rest {
        [OPAQUE, rest @ ..] => (WireType::Opaque, rest),
        [WITH, view, rust_type, rest @ ..] => (
            WireType::With {
                view: (*view).to_owned(),
                rust_type: word_name(rust_type),
            },
            rest,
        ),
        [VIEW, form, rest @ ..] => {
            let parts = parse_parts(cursor, indent + 2, block)?;
            (
                WireType::View {
                    form: (*form).to_owned(),
                    parts,
                },
                rest,
            )
        }
        [UNUSED, size, rest @ ..] => (
            WireType::Unused(number(size).ok_or_else(|| line.unknown())?),
            rest,
        ),
        [STRUCT, rest @ ..] => {
            // The inlined struct's own `vmsd NAME vN` line, then its layout.
            let Some(vline) = cursor.next() else {
                return Err(cursor.truncated(block));
            };
            let words: Vec<&str> = vline.text.split(' ').collect();
            let (vmsd, v) = match (vline.indent == indent + 2, &words[..]) {
                (true, [VMSD, name, v]) => (word_name(name), version(v)),
                _ => return Err(vline.unknown()),
            };
            let v = v.ok_or_else(|| vline.unknown())?;
            let inner = parse_layout(cursor, indent + 2, &vmsd, v, block)?;
            (WireType::Struct(Box::new(inner.layout)), rest)
        }
        [info, size, rest @ ..] => (
            WireType::Scalar {
                info: (*info).to_owned(),
                size: number(size).ok_or_else(|| line.unknown())?,
            },
            rest,
        ),
        _ => return Err(line.unknown()),
    };
    for len in lens.into_iter().rev() {
        wire = WireType::Array {
            element: Box::new(wire),
            len,
        };
    }
    let mut field = FieldSchema {
        name: (*name).to_owned(),
        rust_type: String::new(),
        wire,
        count: Count::One,
        since: 0,
        until: None,
        exists: false,
        equal: false,
        info: None,
    };
    let mut rest = rest;
    while let Some((word, tail)) = rest.split_first() {
        rest = match (*word, tail) {
            (SINCE, [v, tail @ ..]) => {
                field.since = number(v).ok_or_else(|| line.unknown())?;
                tail
            }
            (UNTIL, [v, tail @ ..]) => {
                field.until = Some(number(v).ok_or_else(|| line.unknown())?);
                tail
            }
            (EXISTS, tail) => {
                field.exists = true;
                tail
            }
            (VARRAY, [count, tail @ ..]) => {
                field.count = Count::Field((*count).to_owned());
                tail
            }
            _ => return Err(line.unknown()),
        };
    }
    Ok(field)
}

/// A view's `part NAME WIRE` lines at `indent`, after its field line. A part
/// is a wire type alone: versions and counts belong to the field.
fn parse_parts(
    cursor: &mut Cursor<'_>,
    indent: usize,
    block: &str,
) -> Result<Vec<Part<Owned>>, LockError> {
    let mut parts = Vec::new();
    while let Some(line) = cursor.peek() {
        if line.indent != indent || !line.text.starts_with("part ") {
            break;
        }
        cursor.next();
        let words: Vec<&str> = line.text.split(' ').collect();
        let Some((&PART, rest)) = words.split_first() else {
            return Err(line.unknown());
        };
        if rest.len() < 2 {
            return Err(line.unknown());
        }
        let field = parse_field(rest, line, cursor, indent, block)?;
        if field.since != 0 || field.until.is_some() || field.exists || field.count != Count::One {
            return Err(line.unknown());
        }
        parts.push(Part {
            name: field.name,
            wire: field.wire,
        });
    }
    Ok(parts)
}
