//! Release-level targets from the lock's `[release NAME]` blocks: saving for
//! a named release picks each type's version there, and refuses a needed
//! subsection that the release does not know.

use vmstate::release::{Release, to_vec_for};
use vmstate::{ErrorKind, VmState};

/// As `VMSTATE_RELEASE=... VMSTATE_LOCK=record cargo test` writes it.
const LOCK: &str = "\
# vmstate layout lock
[crate::Nic v1]
vmsd nic
field ctrl uint32 4

[crate::Nic v2]
vmsd nic
field ctrl uint32 4
field mask uint16 2 since 2
subsection offload nic/offload v1

[crate::NicOffload v1]
vmsd nic/offload
field tso bool 1

[release 1.0]
crate::Nic v1

[release 2.0]
crate::Nic v2
crate::NicOffload v1

end
";

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "nic", version = 2, minimum_version = 1)]
struct Nic {
    ctrl: u32,
    #[vmstate(since = 2)]
    mask: u16,
    #[subsection(needed = Nic::offload_needed)]
    offload: NicOffload,
}

impl Nic {
    fn offload_needed(&self) -> bool {
        self.offload.tso
    }
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "nic/offload", version = 1)]
struct NicOffload {
    tso: bool,
}

#[test]
fn a_release_knows_each_types_version() {
    let release = Release::from_lock(LOCK, "1.0").unwrap();
    assert_eq!(release.version_of("nic"), Some(1));
    assert_eq!(release.version_of("nic/offload"), None);
    assert_eq!(
        Release::from_lock(LOCK, "2.0").unwrap().version_of("nic"),
        Some(2)
    );
}

#[test]
fn saving_for_a_release_uses_its_version() {
    let nic = Nic {
        ctrl: 0x0102_0304,
        mask: 0xffff,
        ..Nic::default()
    };
    let old = to_vec_for(&nic, &Release::from_lock(LOCK, "1.0").unwrap()).unwrap();
    assert_eq!(old, [1, 2, 3, 4]);
    let new = to_vec_for(&nic, &Release::from_lock(LOCK, "2.0").unwrap()).unwrap();
    assert_eq!(new, [1, 2, 3, 4, 0xff, 0xff]);
}

#[test]
fn a_needed_subsection_the_release_does_not_know_is_refused() {
    let nic = Nic {
        offload: NicOffload { tso: true },
        ..Nic::default()
    };
    let err = to_vec_for(&nic, &Release::from_lock(LOCK, "1.0").unwrap()).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::SubsectionNotAllowed {
                name: "nic/offload",
                version: 1
            })
        ),
        "{err:?}"
    );
    let bytes = to_vec_for(&nic, &Release::from_lock(LOCK, "2.0").unwrap()).unwrap();
    assert_eq!(bytes.len(), 6 + 1 + 1 + 11 + 4 + 1);
}

#[test]
fn unknown_releases_and_types_are_errors() {
    let err = Release::from_lock(LOCK, "3.0").unwrap_err();
    assert_eq!(err.to_string(), "the lock has no `[release 3.0]` block");
    let other = Release::from_lock("[release x]\nsomething v1\nend\n", "x").unwrap();
    let err = to_vec_for(&Nic::default(), &other).unwrap_err();
    assert_eq!(err.to_string(), "section `nic`: release `x` has no `nic`");
    let err = Release::from_lock("[release x]\nnot a version\nend\n", "x").unwrap_err();
    assert!(err.to_string().contains("line 2: `not a version`"), "{err}");
}

/// Two types of one VMSD name (QEMU's `serial` models do this) at different
/// versions in one release: each is saved at its own version, told apart by
/// its recorded layout, never one collapsed into the other.
mod shared_vmsd_name {
    use vmstate::VmState;
    use vmstate::release::{Release, to_vec_for};

    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "serial", version = 3, minimum_version = 2)]
    pub struct IsaSerial {
        pub divisor: u16,
        #[vmstate(since = 3)]
        pub fcr: u8,
    }

    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "serial", version = 4, minimum_version = 1)]
    pub struct PciSerial {
        pub level: u32,
        #[vmstate(since = 4)]
        pub mask: u32,
    }

    const LOCK: &str = "\
[crate::isa::IsaSerial v2]
vmsd serial
field divisor uint16 2

[crate::pci::PciSerial v1]
vmsd serial
field level uint32 4

[release 1.0]
crate::isa::IsaSerial v2
crate::pci::PciSerial v1

end
";

    #[test]
    fn each_type_gets_its_own_version() {
        let release = Release::from_lock(LOCK, "1.0").unwrap();
        assert_eq!(
            release.version_of("serial"),
            None,
            "two versions, no one answer"
        );
        assert!(release.knows("serial"));
        assert_eq!(release.version_for(&IsaSerial::SCHEMA), Some(2));
        assert_eq!(release.version_for(&PciSerial::SCHEMA), Some(1));
        assert_eq!(
            to_vec_for(&IsaSerial::default(), &release).unwrap().len(),
            2
        );
        assert_eq!(
            to_vec_for(&PciSerial::default(), &release).unwrap().len(),
            4
        );
    }
}
