//! The layout lock in a real cargo workspace, built by cargo as a VMM team
//! builds theirs: a member crate whose devices name their lock by a path
//! relative to the member (rustc runs in the workspace's directory), a
//! configured lock that is missing, recording it, and the mistakes that must
//! fail the build or warn: a widened field, a widened `BTreeMap` value, a
//! changed `Option` or `VecDeque` element, a virtqueue nested in a device
//! that grows, a longer MSI-X table, a renamed type, and a deleted module
//! file whose types nothing checks any more.
//!
//! Each step rewrites the member's sources and runs `cargo build` (or
//! `VMSTATE_LOCK=record cargo test`) on it; the target directory is kept
//! between runs of this test, so only the member crate is rebuilt.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The member crate's manifest.
const MANIFEST: &str = r#"[package]
name = "devices"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
vmstate = { path = "REPO", default-features = false }
"#;

/// The member's crate root: four device modules.
const LIB: &str = "mod msix;\nmod pit;\nmod uart;\nmod virtio;\n";

/// An MSI-X table: an array of structs and the pending bits.
const MSIX: &str = r#"use vmstate::VmState;

#[derive(VmState, Default, Clone, Copy)]
#[vmstate(name = "ws-msix-entry", version = 1, lock = "locks/devices.lock")]
pub struct MsixEntry {
    pub addr: u64,
    pub data: u32,
    pub vector_control: u32,
}

#[derive(VmState, Default)]
#[vmstate(name = "ws-msix", version = 1, lock = "locks/devices.lock")]
pub struct Msix {
    pub table: [MsixEntry; 8],
    pub pba: u8,
}
"#;

/// A 16550 with its FIFO, a deadline and a map, locked by a path relative
/// to the member crate.
const UART: &str = r#"use std::collections::{BTreeMap, VecDeque};
use vmstate::VmState;

#[derive(VmState, Default)]
#[vmstate(name = "ws-uart", version = 1, lock = "locks/devices.lock")]
pub struct Uart {
    pub dll: u8,
    #[vmstate(count_of = rx_fifo)]
    pub rx_len: u8,
    #[vmstate(len = rx_len)]
    pub rx_fifo: VecDeque<u8>,
    #[vmstate(with = vmstate::with::option)]
    pub deadline: Option<u64>,
    pub regions: BTreeMap<u64, u32>,
}
"#;

/// A virtio device whose queues are structs of their own, with wrapping
/// indices and an atomic.
const VIRTIO: &str = r#"use std::num::Wrapping;
use std::sync::atomic::AtomicU32;
use vmstate::VmState;

#[derive(VmState, Default)]
#[vmstate(name = "ws-virtqueue", version = 1, lock = "locks/devices.lock")]
pub struct Queue {
    pub size: u16,
    pub next_avail: Wrapping<u16>,
    pub next_used: Wrapping<u16>,
}

#[derive(VmState, Default)]
#[vmstate(name = "ws-virtio-blk", version = 1, lock = "locks/devices.lock")]
pub struct VirtioBlk {
    pub interrupt_status: AtomicU32,
    pub num_queues: u16,
    #[vmstate(len = num_queues)]
    pub queues: Vec<Queue>,
}
"#;

/// A timer in its own file.
const PIT: &str = r#"use vmstate::VmState;

#[derive(VmState, Default)]
#[vmstate(name = "ws-pit", version = 1, lock = "locks/devices.lock")]
pub struct Pit {
    pub count: u16,
}
"#;

/// A scratch workspace with the `devices` member, rewritten from scratch.
struct Workspace {
    root: PathBuf,
    target: PathBuf,
}

impl Workspace {
    fn new() -> Self {
        let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lock-workspace");
        let root = base.join("ws");
        let _ = std::fs::remove_dir_all(&root);
        let repo = env!("CARGO_MANIFEST_DIR");
        let workspace = Self {
            root,
            target: base.join("target"),
        };
        workspace.write(
            "Cargo.toml",
            "[workspace]\nmembers = [\"crates/devices\"]\nresolver = \"3\"\n",
        );
        // The repository's resolved versions: no new downloads, and the
        // same dependencies the rest of the tests built.
        std::fs::copy(
            Path::new(repo).join("Cargo.lock"),
            workspace.root.join("Cargo.lock"),
        )
        .expect("copy Cargo.lock");
        workspace.write("crates/devices/Cargo.toml", &MANIFEST.replace("REPO", repo));
        workspace.write("crates/devices/src/lib.rs", LIB);
        workspace.write("crates/devices/src/uart.rs", UART);
        workspace.write("crates/devices/src/pit.rs", PIT);
        workspace.write("crates/devices/src/virtio.rs", VIRTIO);
        workspace.write("crates/devices/src/msix.rs", MSIX);
        workspace
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn lock(&self) -> PathBuf {
        self.root.join("crates/devices/locks/devices.lock")
    }

    /// Runs `cargo ARGS` in the workspace's root directory; whether it
    /// succeeded, and what it printed on stderr.
    fn cargo(&self, args: &[&str], record: bool) -> (bool, String) {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .args(args)
            .args(["--quiet", "--color", "never"])
            .current_dir(&self.root)
            .env("CARGO_TARGET_DIR", &self.target)
            .env_remove("VMSTATE_LOCK")
            .env_remove("CARGO_MANIFEST_DIR")
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS");
        if record {
            command.env("VMSTATE_LOCK", "record");
        }
        let output = command.output().expect("run cargo");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn build(&self) -> (bool, String) {
        self.cargo(&["build", "-p", "devices"], false)
    }
}

#[test]
fn the_lock_holds_in_a_cargo_workspace() {
    let ws = Workspace::new();

    // A configured lock that is missing fails the build, at the path taken
    // from the member's directory (not rustc's, the workspace root).
    let (ok, stderr) = ws.build();
    assert!(
        !ok,
        "a missing configured lock must fail the build:\n{stderr}"
    );
    assert!(
        stderr.contains("crates/devices/locks/devices.lock does not exist"),
        "{stderr}"
    );

    // Recording creates it there, with every type, and lists the new ones
    // (past the test harness, which captures what passing tests print).
    let (ok, stderr) = ws.cargo(&["test", "-p", "devices"], true);
    assert!(ok, "recording failed:\n{stderr}");
    for key in [
        "uart::Uart",
        "pit::Pit",
        "virtio::Queue",
        "virtio::VirtioBlk",
    ] {
        assert!(
            stderr.contains(&format!("vmstate: recorded new type `crate::{key}`")),
            "{key}:\n{stderr}"
        );
    }
    let lock = std::fs::read_to_string(ws.lock()).expect("recording writes the lock");
    assert!(lock.contains("[crate::uart::Uart v1]"), "{lock}");
    assert!(lock.contains("[crate::pit::Pit v1]"), "{lock}");
    assert!(lock.contains("[crate::virtio::Queue v1]"), "{lock}");
    let (ok, stderr) = ws.build();
    assert!(ok && !stderr.contains("VMSTATE_LOCK"), "{stderr}");

    each_mistake_fails_the_build(&ws);
    gone_types_are_reported(&ws);
}

/// Changes to released layouts fail the build, each at its field, with the
/// advice that fits; the sources are as recorded again afterwards.
fn each_mistake_fails_the_build(ws: &Workspace) {
    // A widened field without a new version fails, at the field.
    ws.write(
        "crates/devices/src/uart.rs",
        &UART.replace("dll: u8", "dll: u16"),
    );
    let (ok, stderr) = ws.build();
    assert!(!ok, "a widened field must fail the build:\n{stderr}");
    assert!(stderr.contains("dll"), "{stderr}");
    assert!(stderr.contains("src/uart.rs"), "{stderr}");

    // So does a widened map value: the view's layout is recorded.
    ws.write(
        "crates/devices/src/uart.rs",
        &UART.replace("BTreeMap<u64, u32>", "BTreeMap<u64, u64>"),
    );
    let (ok, stderr) = ws.build();
    assert!(!ok, "a widened map value must fail the build:\n{stderr}");
    assert!(stderr.contains("regions"), "{stderr}");

    // And a changed element inside an `Option` or a `VecDeque`.
    for (from, to) in [
        ("deadline: Option<u64>", "deadline: Option<u32>"),
        ("VecDeque<u8>,", "VecDeque<u16>,"),
    ] {
        ws.write("crates/devices/src/uart.rs", &UART.replace(from, to));
        let (ok, stderr) = ws.build();
        assert!(!ok, "`{to}` must fail the build:\n{stderr}");
        assert!(stderr.contains(to.split(':').next().unwrap()), "{stderr}");
    }
    ws.write("crates/devices/src/uart.rs", UART);

    // A queue that grows changes its device's layout too: the build fails,
    // and says what works.
    ws.write(
        "crates/devices/src/virtio.rs",
        &VIRTIO.replace("pub size: u16,", "pub size: u16,\n    pub ready: bool,"),
    );
    let (ok, stderr) = ws.build();
    assert!(!ok, "a grown nested struct must fail the build:\n{stderr}");
    assert!(
        stderr.contains("`Queue` is inlined in `crate::virtio::VirtioBlk` (field `queues`")
            && stderr.contains("field `ready` (where `next_avail` was) of inlined struct"),
        "{stderr}"
    );
    ws.write("crates/devices/src/virtio.rs", VIRTIO);

    // So does a table that grows: the array length is in the layout.
    ws.write("crates/devices/src/msix.rs", &MSIX.replace("; 8]", "; 16]"));
    let (ok, stderr) = ws.build();
    assert!(!ok, "a longer MSI-X table must fail the build:\n{stderr}");
    assert!(stderr.contains("table"), "{stderr}");
    ws.write("crates/devices/src/msix.rs", MSIX);

    // A rename is reported as one, with the advice to keep the old name.
    ws.write("crates/devices/src/pit.rs", &PIT.replace("Pit", "Timer"));
    let (ok, stderr) = ws.build();
    assert!(!ok, "a renamed type must fail the build:\n{stderr}");
    assert!(stderr.contains("keep the old name `Pit`"), "{stderr}");
    ws.write("crates/devices/src/pit.rs", PIT);
}

/// A recorded type whose file is deleted is reported, once; a frozen copy
/// of its last release keeps it checked.
fn gone_types_are_reported(ws: &Workspace) {
    // A deleted file builds, but says which recorded type nothing checks.
    std::fs::remove_file(ws.root.join("crates/devices/src/pit.rs")).unwrap();
    ws.write(
        "crates/devices/src/lib.rs",
        "mod msix;\nmod uart;\nmod virtio;\n",
    );
    let (ok, stderr) = ws.build();
    assert!(ok, "{stderr}");
    assert!(
        stderr.contains("`crate::pit::Pit` is recorded in devices.lock")
            && stderr.contains("its module `crate::pit` is gone"),
        "a deleted file's type must be reported:\n{stderr}"
    );
    assert_eq!(
        stderr.matches("is recorded in devices.lock").count(),
        1,
        "reported once, and nothing else:\n{stderr}"
    );

    // A frozen copy of its last release keeps it checked, and quiet.
    ws.write(
        "crates/devices/src/lib.rs",
        "mod msix;\nmod releases;\nmod uart;\nmod virtio;\n",
    );
    ws.write(
        "crates/devices/src/releases.rs",
        &PIT.replace("version = 1,", "version = 1, frozen,")
            .replace("struct Pit", "struct PitV1"),
    );
    let (ok, stderr) = ws.build();
    assert!(ok && !stderr.contains("crate::pit::Pit"), "{stderr}");
}
