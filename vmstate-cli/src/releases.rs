//! The QEMU releases whose `-dump-vmstate` dumps ship inside the tool, so that
//! `--to qemu-7.2` needs no file: each dump with the release's version and the
//! machine types it runs (`-M help`), both written by the fixture scripts in
//! `tests/data/qemu-*/`.

use std::path::Path;

use vmstate::check::Dump;

use crate::Failure;

/// A release shipped with the tool.
struct Release {
    /// The name `--to` and `check` accept.
    name: &'static str,
    /// The full version, as `qemu-system-x86_64 --version` prints it.
    version: &'static str,
    dump: &'static str,
    machines: &'static str,
}

const RELEASES: &[Release] = &[
    Release {
        name: "qemu-7.2",
        version: "7.2.22",
        dump: include_str!("../../tests/data/qemu-7.2/pc-7.2.dump.json"),
        machines: include_str!("../../tests/data/qemu-7.2/machines.txt"),
    },
    Release {
        name: "qemu-10.0",
        version: "10.0.2",
        dump: include_str!("../../tests/data/qemu-10.0/pc-10.0.dump.json"),
        machines: include_str!("../../tests/data/qemu-10.0/machines.txt"),
    },
];

/// The names of the shipped releases, for messages.
pub fn names() -> String {
    RELEASES
        .iter()
        .map(|r| r.name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads a destination: a shipped release by name, or a dump file.
pub fn load(path: &Path) -> Result<Dump, Failure> {
    if let Some(release) = RELEASES.iter().find(|r| Path::new(r.name) == path) {
        let mut dump = Dump::parse(release.dump).map_err(|e| {
            Failure::BadInput(format!(
                "the shipped dump of {} is damaged: {e}",
                release.name
            ))
        })?;
        dump.release = Some(release.version.to_owned());
        dump.machines = release.machines.lines().map(str::to_owned).collect();
        return Ok(dump);
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        Failure::Usage(format!(
            "cannot read {} ({e}); a destination is a -dump-vmstate file or one of: {}",
            path.display(),
            names()
        ))
    })?;
    Dump::parse(&text).map_err(|e| {
        Failure::Usage(format!(
            "{} is not a -dump-vmstate dump: {e}",
            path.display()
        ))
    })
}
