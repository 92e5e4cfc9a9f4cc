//! Saving for older receivers: a version 3 device writes exactly the bytes
//! that its version 1 and version 2 code load, keeps writing a removed field
//! for them, leaves out subsections they do not know when not needed, and
//! refuses, naming the subsection, when one is needed.

use vmstate::{ErrorKind, VmState};

/// Release 1: two registers and a mode that release 3 no longer keeps.
mod v1 {
    use vmstate::VmState;

    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "nic", version = 1)]
    pub struct Nic {
        pub ctrl: u32,
        pub status: u16,
        pub legacy_mode: u8,
    }
}

/// Release 2: adds `irq_mask`.
mod v2 {
    use vmstate::VmState;

    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "nic", version = 2, minimum_version = 1)]
    pub struct Nic {
        pub ctrl: u32,
        pub status: u16,
        pub legacy_mode: u8,
        #[vmstate(since = 2)]
        pub irq_mask: u32,
    }
}

/// Release 3: `legacy_mode` is gone from the device but still written for
/// older receivers; a subsection carries new offload state.
mod v3 {
    use vmstate::VmState;

    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "nic", version = 3, minimum_version = 1, pre_save = Nic::pre_save)]
    pub struct Nic {
        pub ctrl: u32,
        pub status: u16,
        /// Release 3 derives it from `ctrl` when writing for older receivers.
        #[vmstate(until = 3)]
        pub legacy_mode: u8,
        #[vmstate(since = 2)]
        pub irq_mask: u32,
        #[subsection(needed = Nic::offload_needed, since = 3)]
        pub offload: NicOffload,
    }

    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "nic/offload", version = 1)]
    pub struct NicOffload {
        pub tso: bool,
    }

    impl Nic {
        fn offload_needed(&self) -> bool {
            self.offload.tso
        }

        /// Runs for saves at every version, old ones included.
        fn pre_save(&self) -> Result<(), String> {
            if self.status == 0xffff {
                return Err("status 0xffff means the device is gone".into());
            }
            Ok(())
        }
    }
}

fn current() -> v3::Nic {
    v3::Nic {
        ctrl: 0x0102_0304,
        status: 0x0506,
        legacy_mode: 7,
        irq_mask: 0xff00_00ff,
        offload: v3::NicOffload::default(),
    }
}

#[test]
fn current_version_leaves_out_the_removed_field() {
    let bytes = vmstate::to_vec(&current()).unwrap();
    assert_eq!(bytes, [1, 2, 3, 4, 5, 6, 0xff, 0, 0, 0xff]);
    assert_eq!(vmstate::to_vec_at(&current(), 3).unwrap(), bytes);
}

#[test]
fn version_2_receivers_load_what_version_3_saves_for_them() {
    let bytes = vmstate::to_vec_at(&current(), 2).unwrap();
    assert_eq!(bytes, [1, 2, 3, 4, 5, 6, 7, 0xff, 0, 0, 0xff]);
    let old: v2::Nic = vmstate::from_slice(&bytes, 2).unwrap();
    assert_eq!(
        old,
        v2::Nic {
            ctrl: 0x0102_0304,
            status: 0x0506,
            legacy_mode: 7,
            irq_mask: 0xff00_00ff
        }
    );
}

#[test]
fn version_1_receivers_load_what_version_3_saves_for_them() {
    let bytes = vmstate::to_vec_at(&current(), 1).unwrap();
    assert_eq!(bytes, [1, 2, 3, 4, 5, 6, 7]);
    let old: v1::Nic = vmstate::from_slice(&bytes, 1).unwrap();
    assert_eq!(
        old,
        v1::Nic {
            ctrl: 0x0102_0304,
            status: 0x0506,
            legacy_mode: 7
        }
    );
}

#[test]
fn old_payloads_load_into_the_new_type_and_back() {
    let old = v1::Nic {
        ctrl: 9,
        status: 8,
        legacy_mode: 1,
    };
    let new: v3::Nic = vmstate::from_slice(&vmstate::to_vec(&old).unwrap(), 1).unwrap();
    assert_eq!(new.legacy_mode, 1, "read from a version 1 stream");
    let back: v1::Nic = vmstate::from_slice(&vmstate::to_vec_at(&new, 1).unwrap(), 1).unwrap();
    assert_eq!(back, old, "ping-pong: 1 -> 3 -> 1");
}

#[test]
fn a_needed_subsection_that_the_target_does_not_know_refuses_the_save() {
    let mut nic = current();
    nic.offload.tso = true;
    let bytes = vmstate::to_vec(&nic).unwrap();
    assert_eq!(bytes.len(), 10 + 1 + 1 + 11 + 4 + 1);
    let err = vmstate::to_vec_at(&nic, 2).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::SubsectionNotAllowed {
                name: "nic/offload",
                version: 2
            })
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "section `nic`, field `offload` (subsection `nic/offload`): subsection `nic/offload` is needed, but receivers of version 2 do not know it: the state cannot be saved for them without loss"
    );
}

#[test]
fn versions_outside_the_supported_range_are_refused() {
    assert!(matches!(
        vmstate::to_vec_at(&current(), 4).unwrap_err().kind(),
        Some(ErrorKind::VersionTooNew {
            found: 4,
            supported: 3,
            ..
        })
    ));
    assert!(matches!(
        vmstate::to_vec_at(&current(), 0).unwrap_err().kind(),
        Some(ErrorKind::VersionTooOld {
            found: 0,
            minimum: 1,
            ..
        })
    ));
}

#[test]
fn hooks_run_for_saves_at_old_versions_too() {
    let gone = v3::Nic {
        status: 0xffff,
        ..current()
    };
    let err = vmstate::to_vec_at(&gone, 1).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::Hook {
                hook: "pre_save",
                ..
            })
        ),
        "{err:?}"
    );
}

#[test]
fn consts_describe_the_range() {
    assert_eq!((v3::Nic::VERSION, v3::Nic::MINIMUM_VERSION), (3, 1));
}

/// A field kept only for version 1 receivers, whose value now lives in a
/// wider field: `value` computes what they get.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "counter", version = 2, minimum_version = 1)]
struct Counter {
    #[vmstate(until = 2, value = Counter::count_for_v1)]
    count_v1: u16,
    #[vmstate(since = 2)]
    count: u32,
}

impl Counter {
    fn count_for_v1(&self) -> u16 {
        u16::try_from(self.count).unwrap_or(u16::MAX)
    }
}

#[test]
fn a_removed_field_is_computed_for_older_receivers() {
    let counter = Counter {
        count_v1: 0,
        count: 0x1234,
    };
    assert_eq!(vmstate::to_vec_at(&counter, 1).unwrap(), [0x12, 0x34]);
    assert_eq!(vmstate::to_vec(&counter).unwrap(), [0, 0, 0x12, 0x34]);
}
