//! What a libvirt domain XML says of the guest that the stream should match:
//! its name, machine type and devices. A small reader of the XML that libvirt
//! writes (elements, attributes in either quote, the five named entities and
//! character references; comments, processing instructions, CDATA and the
//! doctype skipped), total on any input: malformed XML gives what was read
//! before the fault.

use std::fmt::Write as _;

/// The guest, as the domain XML describes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Domain {
    /// `<name>`.
    pub name: Option<String>,
    /// `<os><type machine='...'>`: the machine type, e.g. `pc-i440fx-7.2`.
    pub machine: Option<String>,
    /// `<os><type arch='...'>`, e.g. `x86_64`.
    pub arch: Option<String>,
    /// The children of `<devices>`, in order.
    pub devices: Vec<Device>,
}

/// One child of `<devices>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Device {
    /// The element's name: `interface`, `disk`, `memballoon`, ...
    pub kind: String,
    /// The element's attributes, in order (`type`, `device`, `model`, ...).
    pub attributes: Vec<(String, String)>,
    /// The model: a `<model>` child's `type` or `name`, or the element's own
    /// `model` attribute.
    pub model: Option<String>,
    /// A `<target>` child's `dev`, `type` or `name`.
    pub target: Option<String>,
    /// The PCI address of an `<address type='pci'>` child, as QEMU names
    /// the device's sections: `0000:00:02.0`.
    pub pci_address: Option<String>,
    /// The text of a device element without children, such as `<emulator>`.
    pub text: Option<String>,
}

impl Device {
    /// The value of the element's attribute `name`.
    #[must_use]
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    /// A one-line description: kind, type, model, target and address, e.g.
    /// `interface user e1000 0000:00:02.0`.
    #[must_use]
    pub fn summary(&self) -> String {
        let mut line = self.kind.clone();
        let mut add = |part: Option<&str>| {
            if let Some(part) = part.filter(|p| !p.is_empty()) {
                let _ = write!(line, " {part}");
            }
        };
        add(self.attribute("type"));
        add(self.attribute("device"));
        add(self.attribute("bus"));
        add(self.model.as_deref());
        add(self.target.as_deref());
        add(self.pci_address.as_deref());
        add(self.text.as_deref());
        line
    }
}

impl Domain {
    /// Reads what the XML says; elements it lacks stay `None` or empty.
    #[must_use]
    pub fn parse(xml: &str) -> Self {
        let mut domain = Self::default();
        let mut path: Vec<String> = Vec::new();
        let mut in_name = false;
        for token in Tokens::new(xml) {
            match token {
                Token::Start {
                    name,
                    attributes,
                    empty,
                } => {
                    domain.start(&path, &name, attributes);
                    in_name = !empty && path.len() == 1 && name == "name";
                    if !empty {
                        path.push(name);
                    }
                }
                Token::End => {
                    path.pop();
                    in_name = false;
                }
                Token::Text(text) => {
                    let text = text.trim();
                    if in_name && path.first().is_some_and(|root| root == "domain") {
                        domain.name = Some(text.to_owned());
                    } else if path.len() == 3
                        && path[1] == "devices"
                        && let Some(device) = domain.devices.last_mut()
                        && !text.is_empty()
                    {
                        device.text = Some(text.to_owned());
                    }
                }
            }
        }
        domain
    }

    /// Takes in an element that starts inside the elements of `path`.
    fn start(&mut self, path: &[String], name: &str, attributes: Vec<(String, String)>) {
        let value = |key: &str| {
            attributes
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let under: Vec<&str> = path.iter().map(String::as_str).collect();
        match (under.as_slice(), name) {
            (["domain", "os"], "type") => {
                self.machine = value("machine");
                self.arch = value("arch");
            }
            (["domain", "devices"], _) => {
                let model = value("model");
                self.devices.push(Device {
                    kind: name.to_owned(),
                    attributes,
                    model,
                    ..Device::default()
                });
            }
            (["domain", "devices", _], child) => {
                let Some(device) = self.devices.last_mut() else {
                    return;
                };
                match child {
                    "model" => {
                        if let Some(model) = value("type").or_else(|| value("name")) {
                            device.model = Some(model);
                        }
                    }
                    "target" => {
                        device.target = value("dev").or_else(|| value("type")).or(value("name"));
                    }
                    "address" if value("type").as_deref() == Some("pci") => {
                        device.pci_address = pci_address(
                            &value("domain").unwrap_or_default(),
                            &value("bus").unwrap_or_default(),
                            &value("slot").unwrap_or_default(),
                            &value("function").unwrap_or_default(),
                        );
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// `xml` with the machine type of `<os><type machine='...'>` replaced by
/// `machine` (escaped as an attribute value), every other byte kept; `None`
/// when the XML has no such attribute.
#[must_use]
pub fn with_machine(xml: &str, machine: &str) -> Option<String> {
    let mut path: Vec<String> = Vec::new();
    let mut tokens = Tokens::new(xml);
    loop {
        if !tokens.skip_ignored() {
            return None;
        }
        // Where the next token starts: a start tag's `<`.
        let at = xml.len() - tokens.rest.len();
        match tokens.next()? {
            Token::Start { name, empty, .. } => {
                let under: Vec<&str> = path.iter().map(String::as_str).collect();
                if under == ["domain", "os"] && name == "type" {
                    let (text, _) = tag_text(&xml[at..])?;
                    let (_, value) = attribute_ranges(text)?
                        .into_iter()
                        .find(|(key, _)| *key == "machine")?;
                    // The tag's text starts one byte after its `<`.
                    let start = at + 1 + value.start;
                    let end = at + 1 + value.end;
                    return Some(format!(
                        "{}{}{}",
                        &xml[..start],
                        escape(machine),
                        &xml[end..]
                    ));
                }
                if !empty {
                    path.push(name);
                }
            }
            Token::End => {
                path.pop();
            }
            Token::Text(_) => {}
        }
    }
}

/// `text` escaped for an attribute value in either quote.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\'' => out.push_str("&apos;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// `0000:00:02.0` from libvirt's `0x0000`, `0x00`, `0x02`, `0x0`; `None`
/// unless all four are numbers.
fn pci_address(domain: &str, bus: &str, slot: &str, function: &str) -> Option<String> {
    let number = |text: &str| match text.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    };
    Some(format!(
        "{:04x}:{:02x}:{:02x}.{:x}",
        number(domain)?,
        number(bus)?,
        number(slot)?,
        number(function)?
    ))
}

/// A piece of XML.
#[derive(Debug, PartialEq)]
enum Token {
    /// A start tag, or an empty-element tag when `empty`.
    Start {
        name: String,
        attributes: Vec<(String, String)>,
        empty: bool,
    },
    /// An end tag.
    End,
    /// Text between tags, entities replaced.
    Text(String),
}

/// The tokens of an XML text, ending at its end or at its first fault.
struct Tokens<'a> {
    rest: &'a str,
}

impl<'a> Tokens<'a> {
    fn new(xml: &'a str) -> Self {
        Self { rest: xml }
    }

    /// Skips the comments, processing instructions, CDATA sections and
    /// doctype that the rest starts with; `false` when one is unterminated.
    fn skip_ignored(&mut self) -> bool {
        loop {
            let skipped = [
                ("<!--", "-->"),
                ("<?", "?>"),
                ("<![CDATA[", "]]>"),
                ("<!", ">"),
            ]
            .into_iter()
            .find(|(open, _)| self.rest.starts_with(open));
            match skipped {
                Some((_, close)) if !self.skip_past(close) => return false,
                Some(_) => {}
                None => return true,
            }
        }
    }

    /// Skips past the first `end` in the rest; `false` when there is none.
    fn skip_past(&mut self, end: &str) -> bool {
        match self.rest.find(end) {
            Some(at) => {
                self.rest = &self.rest[at + end.len()..];
                true
            }
            None => false,
        }
    }
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        if !self.skip_ignored() || self.rest.is_empty() {
            return None;
        }
        if !self.rest.starts_with('<') {
            let end = self.rest.find('<').unwrap_or(self.rest.len());
            let text = unescape(&self.rest[..end]);
            self.rest = &self.rest[end..];
            return Some(Token::Text(text));
        }
        let (tag, after) = tag_text(self.rest)?;
        self.rest = after;
        Some(match tag.strip_prefix('/') {
            Some(_) => Token::End,
            None => start_tag(tag)?,
        })
    }
}

/// The text of the tag that `rest` starts with (between `<` and `>`), and
/// what follows it; `>` inside quoted attribute values does not end it.
fn tag_text(rest: &str) -> Option<(&str, &str)> {
    let mut quote = None;
    for (at, c) in rest.char_indices().skip(1) {
        match (quote, c) {
            (None, '>') => return Some((&rest[1..at], &rest[at + 1..])),
            (None, '\'' | '"') => quote = Some(c),
            (Some(open), c) if c == open => quote = None,
            _ => {}
        }
    }
    None
}

/// A start or empty-element tag's name and attributes.
fn start_tag(tag: &str) -> Option<Token> {
    let (tag, empty) = match tag.strip_suffix('/') {
        Some(tag) => (tag, true),
        None => (tag, false),
    };
    let name_end = tag
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(tag.len());
    let name = &tag[..name_end];
    if name.is_empty() {
        return None;
    }
    let attributes = attribute_ranges(tag)?
        .into_iter()
        .map(|(key, value)| (key.to_owned(), unescape(&tag[value])))
        .collect();
    Some(Token::Start {
        name: name.to_owned(),
        attributes,
        empty,
    })
}

/// The attributes of a tag's text (between `<` and `>`, the name first), as
/// each key and where its value is in `tag`, still escaped; `None` when one
/// is malformed.
fn attribute_ranges(tag: &str) -> Option<Vec<(&str, std::ops::Range<usize>)>> {
    let tag = tag.strip_suffix('/').unwrap_or(tag);
    let name_end = tag
        .find(|c: char| c.is_ascii_whitespace())
        .unwrap_or(tag.len());
    let mut attributes = Vec::new();
    let mut rest = tag[name_end..].trim_start();
    while !rest.is_empty() {
        let (key, after) = rest.split_once('=')?;
        let after = after.trim_start();
        let quote = after.chars().next().filter(|c| matches!(c, '\'' | '"'))?;
        let value_and_rest = &after[1..];
        let close = value_and_rest.find(quote)?;
        // `value_and_rest` is a slice of `tag`: its offset in it.
        let start = tag.len() - value_and_rest.len();
        attributes.push((key.trim(), start..start + close));
        rest = value_and_rest[close + 1..].trim_start();
    }
    Some(attributes)
}

/// `text` with XML's named entities and character references replaced; an
/// unknown or malformed reference is kept as written.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let replaced = rest.find(';').and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "lt" => '<',
                "gt" => '>',
                "amp" => '&',
                "apos" => '\'',
                "quot" => '"',
                _ => {
                    let code = match entity.strip_prefix("#x") {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => entity.strip_prefix('#')?.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((c, end))
        });
        if let Some((c, end)) = replaced {
            out.push(c);
            rest = &rest[end + 1..];
        } else {
            out.push('&');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const XML: &str = "<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>fix&amp;ture</name>
  <!-- a comment with <name>not this</name> -->
  <os>
    <type arch='x86_64' machine=\"pc-i440fx-7.2\">hvm</type>
  </os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='user'>
      <mac address='52:54:00:12:34:56'/>
      <model type='e1000'/>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/>
    </interface>
    <serial type='null'>
      <target type='isa-serial' port='0'>
        <model name='isa-serial'/>
      </target>
    </serial>
    <memballoon model='virtio'>
      <address type='pci' domain='0x0000' bus='0x00' slot='0x03' function='0x0'/>
    </memballoon>
  </devices>
</domain>
";

    #[test]
    fn the_machine_type_is_replaced_and_nothing_else() {
        let xml = "<domain><!-- <os><type machine='no'> -->\n  <os>\n    <type arch='x86_64' \
                   machine = \"pc-i440fx-10.0\">hvm</type>\n  </os><devices><type \
                   machine='x'/></devices></domain>";
        let renamed = with_machine(xml, "pc-i440fx-7.2").unwrap();
        assert_eq!(renamed, xml.replace("pc-i440fx-10.0", "pc-i440fx-7.2"));
        assert_eq!(
            Domain::parse(&renamed).machine.as_deref(),
            Some("pc-i440fx-7.2")
        );
        let odd = with_machine(xml, "a'b&c").unwrap();
        assert!(odd.contains("machine = \"a&apos;b&amp;c\""), "{odd}");
        assert_eq!(Domain::parse(&odd).machine.as_deref(), Some("a'b&c"));
        assert_eq!(
            with_machine("<domain><os><type>hvm</type></os></domain>", "m"),
            None
        );
        assert_eq!(with_machine("<domain><os><type machine='pc", "m"), None);
    }

    #[test]
    fn reads_name_machine_and_devices() {
        let domain = Domain::parse(XML);
        assert_eq!(domain.name.as_deref(), Some("fix&ture"));
        assert_eq!(domain.machine.as_deref(), Some("pc-i440fx-7.2"));
        assert_eq!(domain.arch.as_deref(), Some("x86_64"));
        let summaries: Vec<String> = domain.devices.iter().map(Device::summary).collect();
        assert_eq!(
            summaries,
            [
                "emulator /usr/bin/qemu-system-x86_64",
                "interface user e1000 0000:00:02.0",
                "serial null isa-serial",
                "memballoon virtio 0000:00:03.0",
            ]
        );
    }

    #[test]
    fn malformed_xml_gives_what_came_before_the_fault() {
        for cut in 0..XML.len() {
            let Some(prefix) = XML.get(..cut) else {
                continue;
            };
            let domain = Domain::parse(prefix);
            assert!(domain.devices.len() <= 4);
        }
        let domain = Domain::parse("<domain><os><type machine='pc' arch='x86_64");
        assert_eq!(domain.machine, None);
    }

    #[test]
    fn entities_and_references_are_replaced() {
        assert_eq!(unescape("a&lt;b&#x41;&#66;&bogus;&"), "a<bAB&bogus;&");
    }

    #[test]
    fn a_quoted_angle_bracket_does_not_end_a_tag() {
        let domain = Domain::parse("<domain><os><type machine='a>b'>hvm</type></os></domain>");
        assert_eq!(domain.machine.as_deref(), Some("a>b"));
    }
}
