//! `vmstate reference -o REF -- QEMU_BINARY ARGS...`: the state a destination
//! QEMU builds for a guest's command line, saved before any guest code runs.
//! QEMU starts paused (`-S`) with its disks behind temporary overlays
//! (`-snapshot`), migrates over QMP into REF's unnamed file, and quits; REF
//! takes its name only once QEMU wrote a whole stream, so a failed run
//! leaves REF as it was and nothing beside it.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;
use vmstate::check::StreamFacts;
use vmstate::stream::StreamReader;

use crate::CommandError;
use crate::args::Reference;
use crate::atomic_output::Output;
use crate::qmp::Qmp;
use crate::wording::counted;

/// How long the save may take: a paused guest's RAM is mostly zero pages,
/// so even gigabytes are seconds; beyond this QEMU is stuck.
const SAVE_TIMEOUT: Duration = Duration::from_mins(1);

/// How often `query-migrate` is asked while the save runs.
const POLL_INTERVAL: Duration = Duration::from_millis(50);

/// Runs the destination QEMU paused and saves its state to REF.
pub fn run(args: &Reference) -> Result<(), CommandError> {
    let Some((binary, user_args)) = args.qemu.split_first() else {
        return Err(CommandError::Usage(
            "no QEMU binary after `--`: vmstate reference -o REF -- QEMU_BINARY ARGS...".into(),
        ));
    };
    let command = crate::qemu_args::edit(user_args).map_err(|refusals| {
        CommandError::Usage(format!(
            "the command line cannot make a reference:\n  {}",
            refusals.join("\n  ")
        ))
    })?;
    for note in &command.notes {
        eprintln!("vmstate: note: {note}");
    }
    let output = Output::create(&args.output)?;
    let mut qemu = Qmp::start(binary, &command.args)?;
    save(&mut qemu, &destination(&output))?;
    let messages = qemu.quit();
    if !messages.is_empty() {
        // QEMU's warnings about the command line concern the guest too.
        eprintln!("vmstate: QEMU's messages{messages}");
    }
    let summary = match output.seekable()? {
        Some(file) => Some(summary(file, &args.output)?),
        None => None,
    };
    output.commit()?;
    if let Some(summary) = summary {
        crate::output::print(&format!("{summary}\n"))?;
    }
    Ok(())
}

/// Migrates QEMU's state into the file at `path` and waits until the
/// migration ended.
fn save(qemu: &mut Qmp, path: &Path) -> Result<(), CommandError> {
    // With `validate-uuid`, a guest given `-uuid` sends it, and `check`
    // compares it with a stream's (every QEMU that loads a stream carrying a
    // UUID refuses another). A QEMU before 4.2 lacks the capability: its
    // reference has no UUID, as one of a guest without `-uuid` has none.
    let _ = qemu.execute(
        "migrate-set-capabilities",
        &json!({ "capabilities": [{ "capability": "validate-uuid", "state": true }] }),
    );
    // `exec:` rather than `file:`, which QEMU 7.2 does not know.
    let uri = format!("exec:cat > {}", shell_quoted(path));
    qemu.execute("migrate", &json!({ "uri": uri }))?;
    let deadline = Instant::now() + SAVE_TIMEOUT;
    loop {
        let status = qemu.execute("query-migrate", &serde_json::Value::Null)?;
        match status["status"].as_str() {
            Some("completed") => return Ok(()),
            Some("failed" | "cancelled") => {
                let why = status["error-desc"].as_str().unwrap_or("no reason given");
                return Err(CommandError::Qemu(format!(
                    "QEMU's save failed: {why}{}",
                    qemu.messages()
                )));
            }
            _ => {}
        }
        if Instant::now() >= deadline {
            return Err(CommandError::Qemu(format!(
                "QEMU's save did not complete within {} s (status {})",
                SAVE_TIMEOUT.as_secs(),
                status["status"]
            )));
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// A path QEMU's `exec:` child can open to write the output: the unnamed
/// file through this process's descriptor table, the named one by its name.
fn destination(output: &Output) -> PathBuf {
    output.path_for_others()
}

/// `path` in single quotes for `/bin/sh`, which QEMU's `exec:` runs.
fn shell_quoted(path: &Path) -> String {
    format!("'{}'", path.to_string_lossy().replace('\'', r"'\''"))
}

/// Reads back what QEMU wrote, so that only a whole stream takes REF's
/// name, and describes it in a line.
fn summary(mut file: File, name: &Path) -> Result<String, CommandError> {
    let bad = |e: &dyn std::fmt::Display| {
        CommandError::Qemu(format!("QEMU wrote no readable stream: {e}"))
    };
    let bytes = file.seek(SeekFrom::End(0)).map_err(|e| bad(&e))?;
    file.seek(SeekFrom::Start(0)).map_err(|e| bad(&e))?;
    let reader = StreamReader::new(file)
        .map_err(|e| bad(&e))?
        .with_delimiter(crate::models::delimit);
    let facts = StreamFacts::read(reader, &crate::check::describe_by_model).map_err(|e| bad(&e))?;
    Ok(format!(
        "{}: machine {}, {}, {}",
        name.display(),
        facts.machine.as_deref().unwrap_or("(none)"),
        counted(facts.sections.len(), "section"),
        counted(bytes, "byte"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_survives_quotes_and_spaces() {
        assert_eq!(shell_quoted(Path::new("/a b/it's")), r"'/a b/it'\''s'");
    }
}
