//! `vmstate check`: can a QEMU with one `-dump-vmstate` dump migrate to a QEMU
//! with another? One line per problem, then a summary line.

use std::path::Path;

use vmstate::check::{Dump, check};

use crate::Failure;
use crate::args::Check;

/// Runs the check; the problems found become the exit status.
pub fn run(args: &Check) -> Result<(), Failure> {
    let old = load(&args.old)?;
    let new = load(&args.new)?;
    let ((src, src_path), (dest, dest_path)) = if args.reverse {
        ((&new, &args.new), (&old, &args.old))
    } else {
        ((&old, &args.old), (&new, &args.new))
    };
    let report = check(src, dest);
    print!("{report}");
    let problems = report.problem_count();
    let warnings = report.warnings().count();
    println!(
        "{problems} problem{}, {warnings} warning{}: migration from {} to {} {}",
        plural(problems),
        plural(warnings),
        src_path.display(),
        dest_path.display(),
        if problems == 0 {
            "is compatible"
        } else {
            "can fail"
        },
    );
    match report.exit_status() {
        0 => Ok(()),
        count => Err(Failure::Problems(count)),
    }
}

/// Reads and parses one dump; a file that cannot be used is a usage error, so
/// that its exit status is never mistaken for one problem.
fn load(path: &Path) -> Result<Dump, Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))?;
    Dump::parse(&text).map_err(|e| {
        Failure::Usage(format!(
            "{} is not a -dump-vmstate dump: {e}",
            path.display()
        ))
    })
}

fn plural(count: usize) -> &'static str {
    if count == 1 { "" } else { "s" }
}
