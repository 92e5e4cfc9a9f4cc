//! The command line `reference` runs: the guest's, with what keeps the
//! destination paused, its disks unwritten and its standard streams free for
//! QMP. Options that would defeat that are replaced when the guest's devices
//! stay the same, refused otherwise; every refusal is reported at once.

use std::ffi::{OsStr, OsString};

/// QEMU's options that take no argument (those without `HAS_ARG` in
/// `qemu-options.hx`, 7.2 and 10.0); every other option takes exactly one,
/// which is how QEMU itself splits its command line.
const FLAGS: &[&str] = &[
    "h",
    "help",
    "version",
    "S",
    "s",
    "snapshot",
    "nographic",
    "daemonize",
    "nodefaults",
    "no-user-config",
    "no-reboot",
    "no-shutdown",
    "enable-kvm",
    "no-hpet",
    "no-acpi",
    "no-fd-bootchk",
    "win2k-hack",
    "full-screen",
    "portrait",
    "alt-grab",
    "ctrl-grab",
    "no-quit",
    "sdl",
    "curses",
    "show-cursor",
    "no-frame",
    "usb",
    "mem-prealloc",
    "preconfig",
    "only-migratable",
    "enable-fips",
    "enable-sync-profile",
    "semihosting",
    "singlestep",
    "one-insn-per-tb",
    "async-teardown",
    "xen-attach",
    "xen-domid-restrict",
    "old-param",
    "audio-help",
];

/// The guest's command line, edited for `reference`.
#[derive(Debug, PartialEq)]
pub struct QemuArgs {
    /// QEMU's arguments, the binary not included.
    pub args: Vec<OsString>,
    /// One sentence per option replaced or worth a warning, for standard error.
    pub notes: Vec<String>,
}

/// What to do with one option of the guest's command line.
enum Edit {
    Keep,
    Drop(String),
    Replace(Vec<String>, String),
    Refuse(String),
}

/// Edits `user` (the guest's options) into the destination's command line.
///
/// # Errors
/// Every option that cannot be replaced without changing what the
/// destination builds or what it writes, one sentence each.
pub fn edit(user: &[OsString]) -> Result<QemuArgs, Vec<String>> {
    let mut args = Vec::new();
    let mut notes = Vec::new();
    let mut refusals = Vec::new();
    let display_given = user
        .iter()
        .any(|arg| option_name(arg).is_some_and(|name| name == "display"));
    let mut blockdev_noted = false;
    let mut rest = user.iter();
    while let Some(arg) = rest.next() {
        let Some(name) = option_name(arg) else {
            // A disk image given alone (QEMU's `-hda`), or an argument this
            // walk does not understand: QEMU judges it.
            args.push(arg.clone());
            continue;
        };
        let value = if FLAGS.contains(&name) {
            None
        } else {
            rest.next()
        };
        let text = value.map(|v| v.to_string_lossy().into_owned());
        match edit_option(name, text.as_deref(), display_given) {
            Edit::Keep => {
                args.push(arg.clone());
                args.extend(value.cloned());
            }
            Edit::Drop(note) => notes.push(note),
            Edit::Replace(with, note) => {
                args.extend(with.into_iter().map(OsString::from));
                notes.push(note);
            }
            Edit::Refuse(why) => refusals.push(why),
        }
        if name == "blockdev" && !blockdev_noted {
            blockdev_noted = true;
            notes.push(
                "-snapshot does not cover -blockdev nodes: QEMU opens them as given (a paused \
                 guest writes nothing to them; `read-only=on` makes sure where the device allows it)"
                    .into(),
            );
        }
    }
    if !refusals.is_empty() {
        return Err(refusals);
    }
    // Paused before any guest code runs, disks behind temporary overlays, and
    // QMP on the standard streams that `reference` holds.
    args.extend(["-S", "-snapshot", "-qmp", "stdio"].map(OsString::from));
    let nographic = user
        .iter()
        .any(|arg| option_name(arg).is_some_and(|name| name == "nographic"));
    if !display_given && !nographic {
        args.extend(["-display", "none"].map(OsString::from));
    }
    Ok(QemuArgs { args, notes })
}

/// The name of the option `arg` spells (`-name` or `--name`), if it is one.
fn option_name(arg: &OsStr) -> Option<&str> {
    let text = arg.to_str()?;
    let name = text.strip_prefix("--").or_else(|| text.strip_prefix('-'))?;
    (!name.is_empty()).then_some(name)
}

/// The rule for option `name` with its argument `value`.
fn edit_option(name: &str, value: Option<&str>, display_given: bool) -> Edit {
    let value_or_empty = value.unwrap_or_default();
    match name {
        // What the destination builds from the command line is the point;
        // loaded or restored state is not the destination's own.
        "incoming" | "loadvm" => Edit::Refuse(format!(
            "-{name}: a reference is the state QEMU builds from the command line, \
             not state it loads; leave -{name} out"
        )),
        "daemonize" => Edit::Refuse(
            "-daemonize: vmstate drives QEMU over its standard streams; leave -daemonize out"
                .into(),
        ),
        "preconfig" => Edit::Refuse(
            "-preconfig: the machine must be built before its state is saved; \
             leave -preconfig out"
                .into(),
        ),
        "drive" if drive_writes_image(value_or_empty) => Edit::Refuse(format!(
            "-drive {value_or_empty}: snapshot=off writes to the image; leave it out \
             (-snapshot keeps the image as it is)"
        )),
        // Monitors hold no guest state: theirs on the standard streams goes.
        "qmp" | "qmp-pretty" if grabs_stdio(value_or_empty) => Edit::Drop(format!(
            "-{name} {value_or_empty} left out: vmstate's own QMP uses the standard streams"
        )),
        "monitor" if grabs_stdio(value_or_empty) => Edit::Replace(
            vec!["-monitor".into(), "none".into()],
            format!("-monitor {value_or_empty} replaced by -monitor none"),
        ),
        // A port stays (its device is part of the state); only its backend
        // moves off the standard streams.
        "serial" | "parallel" | "debugcon" if grabs_stdio(value_or_empty) => Edit::Replace(
            vec![format!("-{name}"), "null".into()],
            format!("-{name} {value_or_empty} replaced by -{name} null"),
        ),
        "chardev" if chardev_backend(value_or_empty) == Some("stdio") => {
            let null = null_chardev(value_or_empty);
            Edit::Replace(
                vec!["-chardev".into(), null.clone()],
                format!("-chardev {value_or_empty} replaced by -chardev {null}"),
            )
        }
        // -nographic only moves the default serial port and monitor to the
        // standard streams; the devices are the same with -display none.
        "nographic" if display_given => {
            Edit::Drop("-nographic left out: the command line gives -display".into())
        }
        "nographic" => Edit::Replace(
            vec!["-display".into(), "none".into()],
            "-nographic replaced by -display none".into(),
        ),
        _ => Edit::Keep,
    }
}

/// Whether a character device specification (`-serial`, `-monitor`, ...)
/// is the standard streams.
fn grabs_stdio(spec: &str) -> bool {
    matches!(spec, "stdio" | "mon:stdio") || spec.starts_with("stdio,")
}

/// The backend of a `-chardev` option: its first item, or `backend=`.
fn chardev_backend(spec: &str) -> Option<&str> {
    let first = spec.split(',').next()?;
    Some(first.strip_prefix("backend=").unwrap_or(first))
}

/// A `null` character device with the identity and multiplexing of `spec`,
/// so that the frontends that name it still attach.
fn null_chardev(spec: &str) -> String {
    let mut null = String::from("null");
    for item in spec.split(',').skip(1) {
        if item.starts_with("id=") || item.starts_with("mux=") {
            null.push(',');
            null.push_str(item);
        }
    }
    null
}

/// Whether a `-drive` specification opts out of `-snapshot`.
fn drive_writes_image(spec: &str) -> bool {
    spec.split(',')
        .any(|item| matches!(item, "snapshot=off" | "snapshot=no" | "snapshot=false"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edited(user: &[&str]) -> Result<QemuArgs, Vec<String>> {
        let user: Vec<OsString> = user.iter().map(OsString::from).collect();
        edit(&user)
    }

    fn strings(args: &QemuArgs) -> Vec<String> {
        args.args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn a_plain_command_line_gets_paused_snapshot_qmp_and_no_display() {
        let args = edited(&["-M", "pc-i440fx-7.2", "-m", "16", "-S"]).unwrap();
        assert_eq!(
            strings(&args),
            [
                "-M",
                "pc-i440fx-7.2",
                "-m",
                "16",
                "-S",
                "-S",
                "-snapshot",
                "-qmp",
                "stdio",
                "-display",
                "none"
            ]
        );
        assert!(args.notes.is_empty());
    }

    #[test]
    fn the_users_display_is_kept() {
        let args = edited(&["--display", "none"]).unwrap();
        assert_eq!(
            strings(&args),
            ["--display", "none", "-S", "-snapshot", "-qmp", "stdio"]
        );
    }

    #[test]
    fn options_on_the_standard_streams_move_off_them() {
        let args = edited(&[
            "-nographic",
            "-serial",
            "mon:stdio",
            "-qmp",
            "stdio",
            "-monitor",
            "stdio",
            "-chardev",
            "stdio,id=c0,mux=on,signal=off",
        ])
        .unwrap();
        assert_eq!(
            strings(&args),
            [
                "-display",
                "none",
                "-serial",
                "null",
                "-monitor",
                "none",
                "-chardev",
                "null,id=c0,mux=on",
                "-S",
                "-snapshot",
                "-qmp",
                "stdio"
            ]
        );
        assert_eq!(args.notes.len(), 5, "{:?}", args.notes);
    }

    #[test]
    fn option_values_are_not_taken_for_options() {
        // `-append`'s value looks like an option and is only a value.
        let args = edited(&["-append", "-incoming", "-snapshot"]).unwrap();
        assert_eq!(strings(&args)[..3], ["-append", "-incoming", "-snapshot"]);
    }

    #[test]
    fn every_conflicting_option_is_refused_at_once() {
        let refusals = edited(&[
            "-incoming",
            "defer",
            "-loadvm",
            "snap",
            "-daemonize",
            "-drive",
            "file=d.qcow2,snapshot=off",
        ])
        .unwrap_err();
        assert_eq!(refusals.len(), 4, "{refusals:?}");
        assert!(refusals[0].starts_with("-incoming: "), "{refusals:?}");
        assert!(refusals[3].contains("snapshot=off"), "{refusals:?}");
    }

    #[test]
    fn blockdev_gets_one_note() {
        let args = edited(&[
            "-blockdev",
            "driver=null-co,node-name=a",
            "-blockdev",
            "driver=null-co,node-name=b",
        ])
        .unwrap();
        assert_eq!(args.notes.len(), 1);
        assert!(args.notes[0].contains("-blockdev"));
    }
}
