//! Real QEMU processes of both releases, driven through QMP on stdio: the
//! oracle for what loads. QEMU 7.2 is Debian's `qemu-system-x86_64` (and
//! `qemu-system-aarch64`); 10.0.2 runs through `scripts/qemu-10.0` (and
//! `scripts/qemu-10.0-aarch64`), all installed by `scripts/install-qemu.sh`.
//! A missing QEMU fails the test, never skips it.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A QEMU release installed here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Release {
    /// Debian 12's QEMU 7.2.
    V7_2,
    /// bookworm-backports' QEMU 10.0.2, in its private prefix.
    V10_0,
}

/// The guest's architecture: which emulator of a release runs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Arch {
    /// `qemu-system-x86_64`, with [`COMMON`].
    X86_64,
    /// `qemu-system-aarch64`, with [`COMMON_ARM`].
    Aarch64,
}

impl Arch {
    /// The options every guest of this architecture uses here.
    pub fn common(self) -> &'static [&'static str] {
        match self {
            Self::X86_64 => &COMMON,
            Self::Aarch64 => &COMMON_ARM,
        }
    }
}

impl Release {
    fn command(self, arch: Arch) -> Command {
        Command::new(self.program_for(arch))
    }

    /// The program that runs this release's emulator for `arch`.
    pub fn program_for(self, arch: Arch) -> PathBuf {
        match (self, arch) {
            (_, Arch::X86_64) => self.program(),
            (Self::V7_2, Arch::Aarch64) => PathBuf::from("qemu-system-aarch64"),
            (Self::V10_0, Arch::Aarch64) => repository().join("scripts/qemu-10.0-aarch64"),
        }
    }

    /// The program that runs this release.
    pub fn program(self) -> PathBuf {
        match self {
            Self::V7_2 => PathBuf::from("qemu-system-x86_64"),
            Self::V10_0 => repository().join("scripts/qemu-10.0"),
        }
    }

    /// The release's version, as (major, minor).
    pub fn version(self) -> (u32, u32) {
        match self {
            Self::V7_2 => (7, 2),
            Self::V10_0 => (10, 0),
        }
    }

    /// The name the tool's shipped dumps use.
    pub fn dump_name(self) -> &'static str {
        match self {
            Self::V7_2 => "qemu-7.2",
            Self::V10_0 => "qemu-10.0",
        }
    }
}

/// The repository's root.
pub fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A new 16 MiB qcow2 image at `path`, made by `qemu-img create` with
/// `options` (its `-o`; empty for the defaults).
pub fn create_qcow2(path: &Path, options: &str) {
    let mut command = Command::new("qemu-img");
    command.args(["create", "-q", "-f", "qcow2"]);
    if !options.is_empty() {
        command.args(["-o", options]);
    }
    let status = command
        .arg(path)
        .arg("16M")
        .status()
        .expect("qemu-img runs (scripts/install-qemu.sh installs it)");
    assert!(
        status.success(),
        "qemu-img create {options} {}",
        path.display()
    );
}

/// The `-drive` option that gives a guest `image` as a block backend of
/// its own (no device): what `savevm` stores into and `-loadvm` reads.
pub fn qcow2_drive(image: &Path) -> String {
    format!("file={},if=none,id=d0,format=qcow2", image.display())
}

/// A fresh scratch directory for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vmstate-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The options every guest here uses: small, no default devices, a clock
/// that only moves while the guest runs.
pub const COMMON: [&str; 9] = [
    "-nodefaults",
    "-m",
    "16",
    "-display",
    "none",
    "-accel",
    "tcg",
    "-rtc",
    "base=2020-01-01T00:00:00,clock=vm",
];

/// [`COMMON`] under KVM: where guests really run (and the CPU migrates the
/// MSRs the host's KVM keeps), for the tests that need `/dev/kvm`.
pub const COMMON_KVM: [&str; 9] = [
    "-nodefaults",
    "-m",
    "16",
    "-display",
    "none",
    "-accel",
    "kvm",
    "-rtc",
    "base=2020-01-01T00:00:00,clock=vm",
];

/// Whether this host runs KVM guests: `/dev/kvm` opens for reading and
/// writing (CI machines without nested virtualization have none).
pub fn kvm_usable() -> bool {
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
        .is_ok()
}

/// The options of the Arm fixtures' guests (`tests/data/arm-fixtures.sh`).
pub const COMMON_ARM: [&str; 9] = [
    "-cpu",
    "cortex-a57",
    "-accel",
    "tcg",
    "-m",
    "64",
    "-nodefaults",
    "-display",
    "none",
];

/// The Arm fixtures' tiny guest: an `AArch64` `b .` 2 MiB into RAM (the
/// device tree takes its start) and the PC set to it.
pub const ARM_GUEST: &[&str] = &[
    "-device",
    "loader,addr=0x40200000,data=0x14000000,data-len=4",
    "-device",
    "loader,addr=0x40200000,cpu-num=0",
];

/// The Arm fixtures' devices: virtio over PCI and over virtio-mmio.
pub const ARM_DEVICES: &[&str] = &[
    "-netdev",
    "user,id=n0",
    "-device",
    "virtio-net-pci,romfile=,netdev=n0",
    "-blockdev",
    "driver=null-co,node-name=d0,size=1048576",
    "-device",
    "virtio-blk-device,drive=d0",
    "-device",
    "virtio-rng-device",
];

/// The device lists of the fixtures' guests (`tests/data/guest-options.sh`),
/// so that a test loads a stream with the devices that wrote it.
pub const VIRTIO: &[&str] = &[
    "-device",
    "virtio-net-pci,romfile=,netdev=n0",
    "-netdev",
    "user,id=n0",
    "-blockdev",
    "driver=null-co,node-name=d0,size=1048576",
    "-device",
    "virtio-blk-pci,drive=d0",
    "-device",
    "virtio-balloon-pci",
    "-device",
    "virtio-rng-pci",
    "-device",
    "virtio-serial-pci",
    "-device",
    "virtconsole,chardev=c0",
    "-chardev",
    "null,id=c0",
];
pub const E1000_SERIAL: &[&str] = &[
    "-device",
    "e1000,romfile=,netdev=n0",
    "-netdev",
    "user,id=n0",
    "-device",
    "isa-serial,chardev=c0",
    "-chardev",
    "null,id=c0",
];
pub const USB_HDA: &[&str] = &[
    "-device",
    "qemu-xhci",
    "-device",
    "usb-tablet",
    "-audiodev",
    "none,id=a0",
    "-device",
    "intel-hda",
    "-device",
    "hda-duplex,audiodev=a0",
];

/// The versioned machine types of family `family` (`pc-i440fx`, `virt`)
/// that `release` runs for `arch`, oldest first.
pub fn machine_versions(release: Release, arch: Arch, family: &str) -> Vec<(u32, u32)> {
    let out = Command::new(release.program_for(arch))
        .args(["-machine", "help"])
        .output()
        .unwrap();
    let prefix = format!("{family}-");
    let mut versions: Vec<(u32, u32)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| {
            name.strip_prefix(&prefix)
                .is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
        })
        .filter_map(vmstate::check::machine_version)
        .collect();
    versions.sort_unstable();
    versions.dedup();
    versions
}

/// A running QEMU.
pub struct Qemu {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    release: Release,
}

impl Qemu {
    /// Starts `release` with machine type `machine` and `extra` options.
    pub fn start(release: Release, machine: &str, extra: &[&str]) -> Self {
        Self::start_arch(release, Arch::X86_64, machine, extra)
    }

    /// Starts `release`'s emulator for `arch` with machine type `machine`
    /// and `extra` options.
    pub fn start_arch(release: Release, arch: Arch, machine: &str, extra: &[&str]) -> Self {
        Self::spawn(release, arch, machine, extra)
            .unwrap_or_else(|e| panic!("QEMU {release:?} {arch:?} did not start: {e}"))
    }

    /// Starts `release` with machine type `machine` and `extra` options;
    /// `Err` with QEMU's error output when it exits at once (a `-loadvm`
    /// it refuses, say).
    pub fn try_start(release: Release, machine: &str, extra: &[&str]) -> Result<Self, String> {
        Self::spawn(release, Arch::X86_64, machine, extra)
    }

    /// [`Qemu::try_start`] with `release`'s emulator for `arch`.
    pub fn try_start_arch(
        release: Release,
        arch: Arch,
        machine: &str,
        extra: &[&str],
    ) -> Result<Self, String> {
        Self::spawn(release, arch, machine, extra)
    }

    /// Starts a QEMU; `Err` with its error output when it exits at once.
    fn spawn(release: Release, arch: Arch, machine: &str, extra: &[&str]) -> Result<Self, String> {
        Self::spawn_with(release, arch, arch.common(), machine, extra)
    }

    /// Starts `release`'s `x86_64` emulator with `common` in place of
    /// [`COMMON`] (KVM's [`COMMON_KVM`]).
    pub fn start_with(release: Release, common: &[&str], machine: &str, extra: &[&str]) -> Self {
        Self::spawn_with(release, Arch::X86_64, common, machine, extra)
            .unwrap_or_else(|e| panic!("QEMU {release:?} -M {machine} {extra:?} exited: {e}"))
    }

    /// [`Qemu::spawn`] with `common` in place of the architecture's options.
    fn spawn_with(
        release: Release,
        arch: Arch,
        common: &[&str],
        machine: &str,
        extra: &[&str],
    ) -> Result<Self, String> {
        let mut child = release
            .command(arch)
            .args(["-M", machine])
            .args(common)
            .args(["-qmp", "stdio"])
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start QEMU {release:?} ({e}); run scripts/install-qemu.sh")
            });
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut stderr_pipe = child.stderr.take().unwrap();
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut qemu = Self {
            child,
            stdin,
            lines,
            stderr,
            release,
        };
        qemu.try_execute(r#"{"execute": "qmp_capabilities"}"#)?;
        Ok(qemu)
    }

    /// Starts `release` loading `stream`; `Ok` once the load completed,
    /// `Err(stderr)` when QEMU refused it.
    pub fn load(
        release: Release,
        machine: &str,
        extra: &[&str],
        stream: &Path,
    ) -> Result<Self, String> {
        Self::load_arch(release, Arch::X86_64, machine, extra, stream)
    }

    /// [`Qemu::load`] with `release`'s emulator for `arch`.
    pub fn load_arch(
        release: Release,
        arch: Arch,
        machine: &str,
        extra: &[&str],
        stream: &Path,
    ) -> Result<Self, String> {
        Self::load_with(release, arch, arch.common(), machine, extra, stream)
    }

    /// [`Qemu::load_arch`] with `common` in place of the architecture's options.
    pub fn load_with(
        release: Release,
        arch: Arch,
        common: &[&str],
        machine: &str,
        extra: &[&str],
        stream: &Path,
    ) -> Result<Self, String> {
        let incoming = format!("exec:cat {}", stream.display());
        let mut args = vec!["-S", "-incoming", &incoming];
        args.extend_from_slice(extra);
        let mut qemu = Self::spawn_with(release, arch, common, machine, &args)?;
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            // QEMU exits as soon as a load fails, often before it answers:
            // its own words reach standard error after the pipe broke, so
            // they are waited for rather than read at once.
            let Ok(status) = qemu.try_execute(r#"{"execute": "query-migrate"}"#) else {
                return Err(qemu.finish_with_error());
            };
            match status["status"].as_str() {
                Some("completed") => return Ok(qemu),
                Some("failed") => return Err(qemu.finish_with_error()),
                _ => {}
            }
            assert!(Instant::now() < deadline, "the load did not end: {status}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn finish_with_error(mut self) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Let the stderr thread drain the pipe.
        std::thread::sleep(Duration::from_millis(100));
        self.stderr.lock().unwrap().clone()
    }

    /// Sends one QMP command and returns its `return` value.
    pub fn execute(&mut self, command: &str) -> serde_json::Value {
        let release = self.release;
        self.try_execute(command)
            .unwrap_or_else(|e| panic!("QEMU {release:?}: `{command}`: {e}"))
    }

    fn try_execute(&mut self, command: &str) -> Result<serde_json::Value, String> {
        writeln!(self.stdin, "{command}")
            .map_err(|e| format!("QEMU is gone ({e}): {}", self.stderr.lock().unwrap()))?;
        let deadline = Instant::now() + Duration::from_mins(1);
        while Instant::now() < deadline {
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Ok(line) => {
                    let message: serde_json::Value =
                        serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))?;
                    if let Some(value) = message.get("return") {
                        return Ok(value.clone());
                    }
                    if message.get("error").is_some() {
                        return Err(line);
                    }
                }
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    std::thread::sleep(Duration::from_millis(100));
                    return Err(format!("QEMU exited: {}", self.stderr.lock().unwrap()));
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            }
        }
        Err("no answer".into())
    }

    /// Runs a human-monitor command and returns its text.
    pub fn human(&mut self, command_line: &str) -> String {
        let command = serde_json::json!({
            "execute": "human-monitor-command",
            "arguments": { "command-line": command_line },
        });
        self.execute(&command.to_string())
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Whether the guest's CPUs run.
    pub fn running(&mut self) -> bool {
        self.execute(r#"{"execute": "query-status"}"#)["running"] == true
    }

    /// Turns the migration capability `name` on.
    pub fn enable_capability(&mut self, name: &str) {
        let command = serde_json::json!({
            "execute": "migrate-set-capabilities",
            "arguments": { "capabilities": [{ "capability": name, "state": true }] },
        });
        self.execute(&command.to_string());
    }

    /// Starts `release` paused with `-incoming defer`, turns the migration
    /// capability `capability` on (a load that needs it, such as mapped-ram
    /// or compressed pages, must have it before the stream comes in), and
    /// loads `uri`; panics with QEMU's status when the load fails.
    pub fn load_deferred(release: Release, machine: &str, capability: &str, uri: &str) -> Self {
        let mut qemu = Self::start(release, machine, &["-S", "-incoming", "defer"]);
        qemu.enable_capability(capability);
        let command =
            serde_json::json!({ "execute": "migrate-incoming", "arguments": { "uri": uri } });
        qemu.execute(&command.to_string());
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            let status = qemu.execute(r#"{"execute": "query-migrate"}"#);
            match status["status"].as_str() {
                Some("completed") => return qemu,
                Some("failed") => {
                    panic!("QEMU {release:?} with `{capability}` refused {uri}: {status}")
                }
                _ => {}
            }
            assert!(Instant::now() < deadline, "the load did not end: {status}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Migrates to `uri` (`exec:...`) and waits until it completed.
    pub fn migrate(&mut self, uri: &str) {
        let command = serde_json::json!({ "execute": "migrate", "arguments": { "uri": uri } });
        self.execute(&command.to_string());
        let deadline = Instant::now() + Duration::from_mins(1);
        loop {
            let status = self.execute(r#"{"execute": "query-migrate"}"#);
            match status["status"].as_str() {
                Some("completed") => return,
                Some("failed") => panic!("migration failed: {status}"),
                _ => {}
            }
            assert!(
                Instant::now() < deadline,
                "migration did not complete: {status}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Migrates into a file.
    pub fn save(&mut self, path: &Path) {
        self.migrate(&format!("exec:cat > {}", path.display()));
    }

    /// Ends the process.
    pub fn quit(mut self) {
        writeln!(self.stdin, r#"{{"execute": "quit"}}"#).ok();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
