//! The lock's text format and its parser.
//!
//! ```text
//! [Rtc v3]
//! vmsd mc146818rtc
//! field cmos_data x128 uint8 1
//! field irq_coalesced uint32 4 since 2
//! field inner struct
//!   vmsd rtc-inner v1
//!   field a uint16 2
//! subsection reinject mc146818rtc/irq_reinject_on_ack_count v1
//!
//! [release 1.0]
//! Rtc v3
//! ```
//!
//! A field line is `field NAME [xLEN]... WIRE [since S] [until U] [exists]
//! [varray COUNT]`, where `WIRE` is `INFO SIZE`, `unused SIZE`, `opaque` or
//! `struct` (the inlined struct follows, indented two spaces more). Every
//! line that is none of these is an error: the lock is never read in part.

use std::fmt;

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
}
pub(crate) use kw::*;

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
    /// The Rust type's name.
    pub key: String,
    /// The recorded version.
    pub version: u32,
    /// The 1-based line of the block header.
    pub line: usize,
    /// What was on the wire at that version.
    pub layout: Layout,
}

/// A struct's wire layout at one version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The VMSD name.
    pub vmsd: String,
    /// The fields on the wire, in wire order.
    pub fields: Vec<Field>,
    /// The subsections that may follow, in wire order.
    pub subsections: Vec<Subsection>,
}

/// One field on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field's name in wire descriptions.
    pub name: String,
    /// Its wire type (of one element, for a variable array).
    pub wire: Wire,
    /// `since` as declared (0: none).
    pub since: u32,
    /// `until` as declared.
    pub until: Option<u32>,
    /// Whether an `exists` predicate decides whether it is sent.
    pub exists: bool,
    /// The earlier field that counts a variable array's elements.
    pub varray: Option<String>,
    /// The 1-based line.
    pub line: usize,
}

/// A recorded wire type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wire {
    /// QEMU's type name and the size in bytes.
    Scalar {
        /// QEMU's `VMStateInfo` name.
        info: String,
        /// Bytes on the wire.
        size: usize,
    },
    /// Elements back to back.
    Array {
        /// The element type.
        element: Box<Wire>,
        /// How many.
        len: usize,
    },
    /// An inlined struct at its version then.
    Struct {
        /// The struct's version.
        version: u32,
        /// Its layout at that version.
        layout: Box<Layout>,
    },
    /// Zero bytes written, skipped on load.
    Unused(usize),
    /// A custom view whose layout only a value knows.
    Opaque,
}

/// A subsection that may follow the fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subsection {
    /// The parent's field that holds it.
    pub field: String,
    /// Its VMSD name, on the wire.
    pub vmsd: String,
    /// Its version, on the wire.
    pub version: u32,
    /// The parent's first version whose receivers know it (0: all).
    pub since: u32,
    /// The 1-based line.
    pub line: usize,
}

/// A `[release NAME]` block: the version of each type in a release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseBlock {
    /// The release's name.
    pub name: String,
    /// `(type, version)` pairs.
    pub members: Vec<(String, u32)>,
}

/// Why a lock file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockError {
    /// The 1-based line at fault (0: the whole file).
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
        match &self.kind {
            LockErrorKind::NotUtf8 => {
                write!(f, "line {}: the lock is not valid UTF-8", self.line)
            }
            LockErrorKind::UnknownLine(text) => write!(
                f,
                "line {}: `{text}` is no line of the lock format; the lock is never read in part, so fix or remove it",
                self.line
            ),
            LockErrorKind::OutsideBlock(text) => write!(
                f,
                "line {}: `{text}` comes before any `[Type vN]` or `[release NAME]` block",
                self.line
            ),
            LockErrorKind::Duplicate {
                key,
                version,
                first,
            } => write!(
                f,
                "line {}: `[{key} v{version}]` is already recorded on line {first}",
                self.line
            ),
        }
    }
}

impl std::error::Error for LockError {}

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
                let before = &bytes[..e.valid_up_to()];
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
    /// A [`LockError`] naming the first line that is not part of the format.
    pub fn parse(text: &str) -> Result<Self, LockError> {
        let lines: Vec<(usize, usize, &str)> = text
            .lines()
            .enumerate()
            .filter_map(|(i, raw)| {
                let trimmed = raw.trim_start();
                let content = trimmed.trim_end();
                (!content.is_empty() && !content.starts_with('#'))
                    .then(|| (i + 1, raw.len() - trimmed.len(), content))
            })
            .collect();
        let mut lock = Lock::default();
        let mut at = 0;
        while at < lines.len() {
            let (line, _, text) = lines[at];
            at += 1;
            let Some(header) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) else {
                return Err(LockError {
                    line,
                    kind: LockErrorKind::OutsideBlock(text.to_owned()),
                });
            };
            let unknown = || LockError {
                line,
                kind: LockErrorKind::UnknownLine(text.to_owned()),
            };
            if let Some(name) = header
                .strip_prefix(RELEASE)
                .and_then(|n| n.strip_prefix(' '))
            {
                let mut members = Vec::new();
                while at < lines.len() && !lines[at].2.starts_with('[') {
                    let (line, _, text) = lines[at];
                    at += 1;
                    let member = text
                        .split_once(' ')
                        .and_then(|(key, v)| Some((key.to_owned(), version(v)?)));
                    members.push(member.ok_or_else(|| LockError {
                        line,
                        kind: LockErrorKind::UnknownLine(text.to_owned()),
                    })?);
                }
                lock.releases.push(ReleaseBlock {
                    name: name.trim().to_owned(),
                    members,
                });
                continue;
            }
            let (key, v) = header.split_once(' ').ok_or_else(unknown)?;
            let v = version(v).ok_or_else(unknown)?;
            if let Some(first) = lock.entry(key, v) {
                return Err(LockError {
                    line,
                    kind: LockErrorKind::Duplicate {
                        key: key.to_owned(),
                        version: v,
                        first: first.line,
                    },
                });
            }
            let vmsd = match lines.get(at) {
                Some(&(_, 0, vtext))
                    if vtext.split(' ').count() == 2 && vtext.starts_with(VMSD) =>
                {
                    word_name(&vtext[VMSD.len() + 1..])
                }
                Some(&(vline, _, vtext)) => {
                    return Err(LockError {
                        line: vline,
                        kind: LockErrorKind::UnknownLine(vtext.to_owned()),
                    });
                }
                None => return Err(unknown()),
            };
            at += 1;
            let layout = parse_layout(&lines, &mut at, 0, vmsd)?;
            lock.entries.push(Entry {
                key: key.to_owned(),
                version: v,
                line,
                layout,
            });
        }
        Ok(lock)
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
    text.strip_prefix('v')?.parse().ok()
}

/// The fields and subsections at `indent`, after a `vmsd` line.
fn parse_layout(
    lines: &[(usize, usize, &str)],
    at: &mut usize,
    indent: usize,
    vmsd: String,
) -> Result<Layout, LockError> {
    let mut layout = Layout {
        vmsd,
        fields: Vec::new(),
        subsections: Vec::new(),
    };
    while let Some(&(line, this_indent, text)) = lines.get(*at) {
        if text.starts_with('[') || this_indent < indent {
            break;
        }
        *at += 1;
        let unknown = || LockError {
            line,
            kind: LockErrorKind::UnknownLine(text.to_owned()),
        };
        if this_indent != indent {
            return Err(unknown());
        }
        let words: Vec<&str> = text.split(' ').collect();
        match words.first().copied() {
            Some(FIELD) if words.len() >= 3 => {
                let field =
                    parse_field(&words[1..], line, lines, at, indent).ok_or_else(unknown)??;
                layout.fields.push(field);
            }
            Some(SUBSECTION) => {
                let sub = match words[1..] {
                    [field, vmsd, v] => Some((field, vmsd, v, 0)),
                    [field, vmsd, v, SINCE, since] => {
                        since.parse().ok().map(|since| (field, vmsd, v, since))
                    }
                    _ => None,
                };
                let (field, vmsd, v, since) = sub.ok_or_else(unknown)?;
                layout.subsections.push(Subsection {
                    field: field.to_owned(),
                    vmsd: word_name(vmsd),
                    version: version(v).ok_or_else(unknown)?,
                    since,
                    line,
                });
            }
            _ => return Err(unknown()),
        }
    }
    Ok(layout)
}

/// A field line's words after `field`; `None` when they do not parse. An
/// inlined struct's lines follow it, and their errors are returned inside.
fn parse_field(
    words: &[&str],
    line: usize,
    lines: &[(usize, usize, &str)],
    at: &mut usize,
    indent: usize,
) -> Option<Result<Field, LockError>> {
    let (name, mut rest) = words.split_first()?;
    let mut lens = Vec::new();
    while let Some(len) = rest
        .first()
        .and_then(|w| w.strip_prefix('x')?.parse::<usize>().ok())
    {
        lens.push(len);
        rest = &rest[1..];
    }
    let (mut wire, rest) = match rest {
        [OPAQUE, rest @ ..] => (Wire::Opaque, rest),
        [UNUSED, size, rest @ ..] => (Wire::Unused(size.parse().ok()?), rest),
        [STRUCT, rest @ ..] => {
            // The inlined struct's own `vmsd NAME vN` line, then its layout.
            let &(vline, vindent, vtext) = lines.get(*at)?;
            let nested = vindent == indent + 2;
            let words: Vec<&str> = vtext.split(' ').collect();
            let (vmsd, v) = match (nested, &words[..]) {
                (true, [VMSD, name, v]) => (word_name(name), version(v)),
                _ => {
                    return Some(Err(LockError {
                        line: vline,
                        kind: LockErrorKind::UnknownLine(vtext.to_owned()),
                    }));
                }
            };
            *at += 1;
            let layout = match parse_layout(lines, at, indent + 2, vmsd) {
                Ok(layout) => layout,
                Err(e) => return Some(Err(e)),
            };
            (
                Wire::Struct {
                    version: v?,
                    layout: Box::new(layout),
                },
                rest,
            )
        }
        [info, size, rest @ ..] => (
            Wire::Scalar {
                info: (*info).to_owned(),
                size: size.parse().ok()?,
            },
            rest,
        ),
        _ => return None,
    };
    for len in lens.into_iter().rev() {
        wire = Wire::Array {
            element: Box::new(wire),
            len,
        };
    }
    let mut field = Field {
        name: (*name).to_owned(),
        wire,
        since: 0,
        until: None,
        exists: false,
        varray: None,
        line,
    };
    let mut rest = rest;
    while let Some((word, tail)) = rest.split_first() {
        rest = match (*word, tail) {
            (SINCE, [v, tail @ ..]) => {
                field.since = v.parse().ok()?;
                tail
            }
            (UNTIL, [v, tail @ ..]) => {
                field.until = Some(v.parse().ok()?);
                tail
            }
            (EXISTS, tail) => {
                field.exists = true;
                tail
            }
            (VARRAY, [count, tail @ ..]) => {
                field.varray = Some((*count).to_owned());
                tail
            }
            _ => return None,
        };
    }
    Some(Ok(field))
}
