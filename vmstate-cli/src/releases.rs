//! The QEMU releases whose `-dump-vmstate` dumps ship inside the tool, so that
//! `--to qemu-7.2` needs no file: each dump with the release's version and the
//! machine types it runs (`-M help`), both written by the fixture scripts in
//! `tests/data/qemu-*/`, for each architecture the tool reads (`x86_64` and
//! aarch64). The architecture is the stream's: its machine type tells it.
//! For aarch64, each release's CPU register lists ship too
//! (`scripts/arm-cpregs.sh`), as QEMU's dump has no `cpu` entry.

use std::path::Path;

use vmstate::check::{Dump, parse_cpreg_lists};

use crate::CommandError;

/// What a release ships for one architecture.
struct Target {
    dump: &'static str,
    machines: &'static str,
    /// The CPU register lists per model (aarch64 only; empty otherwise).
    cpregs: &'static str,
    /// The ID register values per CPU configuration (aarch64 only).
    idregs: &'static str,
}

/// A release shipped with the tool.
struct Release {
    /// The name `--to` and `check` accept.
    name: &'static str,
    /// The full version, as `qemu-system-x86_64 --version` prints it.
    version: &'static str,
    x86_64: Target,
    aarch64: Target,
}

const RELEASES: &[Release] = &[
    Release {
        name: "qemu-7.2",
        version: "7.2.22",
        x86_64: Target {
            dump: include_str!("../../tests/data/qemu-7.2/pc-7.2.dump.json"),
            machines: include_str!("../../tests/data/qemu-7.2/machines.txt"),
            cpregs: "",
            idregs: "",
        },
        aarch64: Target {
            dump: include_str!("../../tests/data/qemu-7.2-aarch64/virt-7.2.dump.json"),
            machines: include_str!("../../tests/data/qemu-7.2-aarch64/machines.txt"),
            cpregs: include_str!("../../tests/data/qemu-7.2-aarch64/cpregs.txt"),
            idregs: include_str!("../../tests/data/qemu-7.2-aarch64/idregs.txt"),
        },
    },
    Release {
        name: "qemu-10.0",
        version: "10.0.2",
        x86_64: Target {
            dump: include_str!("../../tests/data/qemu-10.0/pc-10.0.dump.json"),
            machines: include_str!("../../tests/data/qemu-10.0/machines.txt"),
            cpregs: "",
            idregs: "",
        },
        aarch64: Target {
            dump: include_str!("../../tests/data/qemu-10.0-aarch64/virt-7.2.dump.json"),
            machines: include_str!("../../tests/data/qemu-10.0-aarch64/machines.txt"),
            cpregs: include_str!("../../tests/data/qemu-10.0-aarch64/cpregs.txt"),
            idregs: include_str!("../../tests/data/qemu-10.0-aarch64/idregs.txt"),
        },
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

/// Whether a machine type is an aarch64 one: `virt` and its versions, or a
/// name only the aarch64 emulators run (`none` is both, and stays x86).
fn is_aarch64(machine: &str) -> bool {
    let listed = |machines: &str| machines.lines().any(|m| m == machine);
    machine == "virt"
        || machine.starts_with("virt-")
        || RELEASES
            .iter()
            .any(|r| listed(r.aarch64.machines) && !listed(r.x86_64.machines))
}

/// The largest `-dump-vmstate` file read: QEMU's own are under 2 MiB (every
/// device of an emulator, every machine type). The text and the dump parsed
/// from it take about 2.3 times the file's size in memory (a 64 MiB file
/// about 150 MiB; `tests/growth.rs` bounds it), so the cap is there against
/// a file that is no dump at all, not for the parser's sake.
pub const MAX_DUMP_LEN: u64 = 64 << 20;

/// Reads a destination: a shipped release by name (its aarch64 dump when the
/// stream's `machine` is an aarch64 machine type, else its `x86_64` one), or a
/// dump file.
pub fn load(path: &Path, machine: Option<&str>) -> Result<Dump, CommandError> {
    if let Some(release) = RELEASES.iter().find(|r| Path::new(r.name) == path) {
        let target = if machine.is_some_and(is_aarch64) {
            &release.aarch64
        } else {
            &release.x86_64
        };
        let damaged = |e: String| {
            CommandError::BadInput(format!(
                "the shipped dump of {} is damaged: {e}",
                release.name
            ))
        };
        let mut dump = Dump::parse(target.dump).map_err(|e| damaged(e.to_string()))?;
        dump.release = Some(release.version.to_owned());
        dump.machines = target.machines.lines().map(str::to_owned).collect();
        dump.cpregs = parse_cpreg_lists(target.cpregs).map_err(damaged)?;
        dump.cpu_ids = vmstate::check::parse_id_values(target.idregs).map_err(damaged)?;
        // The other releases' lists of the same architecture: which CPU
        // configurations the shipped lists cover, whichever release wrote
        // the stream.
        for other in RELEASES.iter().filter(|r| r.name != release.name) {
            let other = if machine.is_some_and(is_aarch64) {
                &other.aarch64
            } else {
                &other.x86_64
            };
            dump.other_cpregs
                .extend(parse_cpreg_lists(other.cpregs).map_err(damaged)?);
            dump.other_cpu_ids
                .extend(vmstate::check::parse_id_values(other.idregs).map_err(damaged)?);
        }
        return Ok(dump);
    }
    let cannot = |e: &dyn std::fmt::Display| {
        CommandError::Usage(format!(
            "cannot read {} ({e}); a destination is a -dump-vmstate file or one of: {}",
            path.display(),
            names()
        ))
    };
    let file = std::fs::File::open(path).map_err(|e| cannot(&e))?;
    let mut text = String::new();
    std::io::Read::read_to_string(&mut std::io::Read::take(file, MAX_DUMP_LEN + 1), &mut text)
        .map_err(|e| cannot(&e))?;
    if text.len() as u64 > MAX_DUMP_LEN {
        return Err(CommandError::Usage(format!(
            "{} is larger than {} MiB, the most a -dump-vmstate dump may be (QEMU's own are \
             under 2 MiB)",
            path.display(),
            MAX_DUMP_LEN >> 20
        )));
    }
    Dump::parse(&text).map_err(|e| {
        CommandError::Usage(format!(
            "{} is not a -dump-vmstate dump: {e}",
            path.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machine_type_picks_the_architecture() {
        assert!(is_aarch64("virt-7.2") && is_aarch64("virt") && is_aarch64("sbsa-ref"));
        assert!(!is_aarch64("pc-i440fx-7.2") && !is_aarch64("q35") && !is_aarch64("none"));
        assert!(!is_aarch64("microvm"));
        for release in ["qemu-7.2", "qemu-10.0"] {
            let arm = load(Path::new(release), Some("virt-7.2")).unwrap();
            assert!(arm.runs_machine("virt-7.2") && !arm.runs_machine("pc-i440fx-7.2"));
            assert!(
                arm.cpregs
                    .iter()
                    .any(|(model, list)| model == "cortex-a57" && !list.is_empty())
            );
            let x86 = load(Path::new(release), Some("pc-i440fx-7.2")).unwrap();
            assert!(x86.runs_machine("pc-i440fx-7.2") && x86.cpregs.is_empty());
        }
    }
}
