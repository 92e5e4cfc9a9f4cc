//! `vmstate inspect disk.qcow2`: the image's internal snapshots that hold a
//! VM state, each readable as `disk.qcow2@NAME`.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};
use vmstate::container::qcow2::Snapshot;

use crate::CommandError;

/// Prints the snapshots of `image` that hold a VM state, as a table or JSON.
pub fn list(image: &Path, json: bool) -> Result<(), CommandError> {
    let opened = crate::input::open_image(image)?;
    let with_state: Vec<&Snapshot> = opened
        .snapshots()
        .iter()
        .filter(|s| s.has_vm_state())
        .collect();
    let disk_only = opened.snapshots().len() - with_state.len();
    let text = if json {
        let list: Vec<Value> = with_state
            .iter()
            .map(|s| {
                json!({
                    "id": s.id,
                    "name": s.name,
                    "vm_state_size": s.vm_state_size,
                    "date_sec": s.date_sec,
                    "date_nsec": s.date_nsec,
                    "vm_clock_nsec": s.vm_clock_nsec,
                    "disk_size": s.disk_size,
                    "icount": s.icount,
                })
            })
            .collect();
        let value = json!({
            "image": image.display().to_string(),
            "snapshots": list,
            "disk_only_snapshots": disk_only,
        });
        serde_json::to_string_pretty(&value)
            .map_err(|e| CommandError::Io(format!("formatting JSON: {e}")))?
            + "\n"
    } else {
        table(image, &with_state, disk_only)
    };
    crate::output::print(&text)
}

fn table(image: &Path, snapshots: &[&Snapshot], disk_only: usize) -> String {
    let mut text = String::new();
    let id_width = snapshots
        .iter()
        .map(|s| s.id.len())
        .max()
        .unwrap_or(0)
        .max(2);
    let name_width = snapshots
        .iter()
        .map(|s| s.name.len())
        .max()
        .unwrap_or(0)
        .max(4);
    let _ = writeln!(
        text,
        "{:<id_width$}  {:<name_width$}  {:>12}  {:>14}",
        "ID", "NAME", "VM STATE", "VM CLOCK"
    );
    for snapshot in snapshots {
        let _ = writeln!(
            text,
            "{:<id_width$}  {:<name_width$}  {:>12}  {:>14}",
            snapshot.id,
            snapshot.name,
            snapshot.vm_state_size,
            vm_clock(snapshot.vm_clock_nsec),
        );
    }
    let _ = writeln!(
        text,
        "{} with a VM state{}; read one as {}@NAME",
        crate::wording::counted(snapshots.len(), "snapshot"),
        if disk_only > 0 {
            format!(" ({disk_only} more saved the disks only)")
        } else {
            String::new()
        },
        image.display()
    );
    text
}

/// `HH:MM:SS.mmm`, as `qemu-img snapshot -l` shows the guest clock.
fn vm_clock(nanoseconds: u64) -> String {
    let millis = nanoseconds / 1_000_000;
    let seconds = millis / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60,
        millis % 1000
    )
}
