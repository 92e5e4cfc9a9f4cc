//! The QEMU streams committed under `tests/data`, found by reading its
//! directories: the one list of fixtures is what is there. Shared by the
//! facade's tests and the CLI's (`vmstate-cli/tests/support` includes this
//! file).

use std::path::{Path, PathBuf};

/// The fixture directories, one per QEMU release and architecture.
pub const DIRS: [&str; 4] = [
    "qemu-7.2",
    "qemu-10.0",
    "qemu-7.2-aarch64",
    "qemu-10.0-aarch64",
];

/// Fixtures whose vmdesc JSON cannot be written back as QEMU wrote it: QEMU
/// 10.0 describes a tail queue's element VMSD once per element inside the
/// field's one JSON object (`uefi-vars-sysbus`'s `variables`: six
/// `vmsd_name`/`version`/`fields` keys each), and a parsed description keeps
/// one of the duplicated keys.
pub const VMDESC_WITH_DUPLICATE_KEYS: [&str; 1] = ["qemu-10.0/q35-vocab"];

/// One committed stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fixture {
    /// Its directory and file stem, `qemu-7.2/pc-ran`.
    pub id: String,
    /// The file.
    pub path: PathBuf,
}

impl Fixture {
    /// Its directory, `qemu-7.2`.
    pub fn dir(&self) -> &str {
        self.id.split_once('/').map_or("", |(dir, _)| dir)
    }

    /// Its name in the directory, `pc-ran`.
    pub fn name(&self) -> &str {
        self.id.split_once('/').map_or(&self.id, |(_, name)| name)
    }

    /// The stream's bytes.
    pub fn bytes(&self) -> Vec<u8> {
        std::fs::read(&self.path).unwrap_or_else(|e| panic!("{}: {e}", self.path.display()))
    }

    /// Whether QEMU wrote it for an aarch64 `virt` guest.
    pub fn is_arm(&self) -> bool {
        self.dir().ends_with("-aarch64")
    }

    /// Whether it is a mapped-ram save file (RAM at fixed file offsets,
    /// outside the records).
    pub fn is_mapped_ram(&self) -> bool {
        self.name().contains("mapped-ram")
    }

    /// Whether its machine type is older than 2.4, whose streams carry no
    /// vmdesc and no configuration section, footers or global state (QEMU's `hw_compat_2_3`).
    pub fn is_pre_vmdesc(&self) -> bool {
        ["pc-2.0", "pc-2.1", "pc-2.2", "pc-2.3"]
            .iter()
            .any(|old| self.name().starts_with(&format!("{old}-")))
    }
}

/// `tests/data` of the repository, from the facade's manifest directory or
/// a member crate's.
pub fn data_dir() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .map(|dir| dir.join("tests/data"))
        .find(|dir| dir.join("qemu-7.2").is_dir())
        .unwrap_or_else(|| panic!("no tests/data above {}", manifest.display()))
}

/// Where the Arm fixtures are: `tests/data`, or `VMSTATE_ARM_FIXTURES` when
/// set (streams made locally by tests/data/arm-fixtures.sh).
fn root_of(dir: &str) -> PathBuf {
    match std::env::var_os("VMSTATE_ARM_FIXTURES") {
        Some(root) if dir.ends_with("-aarch64") => PathBuf::from(root),
        _ => data_dir(),
    }
}

/// The streams in directory `dir` (one of [`DIRS`]), by name.
pub fn in_dir(dir: &str) -> Vec<Fixture> {
    let path = root_of(dir).join(dir);
    let mut fixtures: Vec<Fixture> = std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "mig"))
        .map(|path| Fixture {
            id: format!(
                "{dir}/{}",
                path.file_stem().unwrap_or_default().to_string_lossy()
            ),
            path,
        })
        .collect();
    fixtures.sort_by(|a, b| a.id.cmp(&b.id));
    fixtures
}

/// Every committed stream, directory by directory.
pub fn all() -> Vec<Fixture> {
    DIRS.iter().flat_map(|dir| in_dir(dir)).collect()
}

/// Every x86 stream of both releases.
pub fn x86() -> Vec<Fixture> {
    all().into_iter().filter(|f| !f.is_arm()).collect()
}

/// The fixture `id` (`qemu-7.2/pc-ran`).
///
/// # Panics
/// When it is not there, naming the file.
pub fn fixture(id: &str) -> Fixture {
    let dir = id.split_once('/').map_or("", |(dir, _)| dir);
    let path = root_of(dir).join(format!("{id}.mig"));
    assert!(path.is_file(), "no fixture {}", path.display());
    Fixture {
        id: id.to_owned(),
        path,
    }
}

/// The path of fixture `id` (`qemu-7.2/pc-ran`).
pub fn path(id: &str) -> PathBuf {
    fixture(id).path
}

/// The path of fixture `id` (`qemu-7.2/pc-ran`), as a command-line argument.
pub fn arg(id: &str) -> String {
    path(id).display().to_string()
}

/// Any other file under `tests/data` (a dump, a libvirt image), by its path
/// there.
pub fn data_file(path: &str) -> PathBuf {
    let file = data_dir().join(path);
    assert!(file.is_file(), "no file {}", file.display());
    file
}

/// The libvirt save images real libvirt wrote (`tests/data/libvirt/*.save`).
pub fn libvirt_images() -> Vec<PathBuf> {
    let dir = data_dir().join("libvirt");
    let mut images: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "save"))
        .collect();
    images.sort();
    assert!(images.len() >= 2, "no images in {}", dir.display());
    images
}

/// The bytes of fixture `id` (`qemu-7.2/pc-ran`).
pub fn bytes(id: &str) -> Vec<u8> {
    fixture(id).bytes()
}
