//! Hooks run in QEMU's order, their errors name the hook, and a failed load
//! leaves the device untouched.

#![allow(
    clippy::unnecessary_wraps,
    clippy::unused_self,
    reason = "hooks have the signatures that the derive calls, whether or not they fail"
)]
use std::cell::RefCell;
use vmstate::{ErrorKind, VmState};

thread_local! {
    static CALLS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn record(event: impl Into<String>) {
    CALLS.with(|calls| calls.borrow_mut().push(event.into()));
}

fn take_calls() -> Vec<String> {
    CALLS.with(|calls| std::mem::take(&mut *calls.borrow_mut()))
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(
    name = "hooked",
    version = 2,
    minimum_version = 1,
    pre_save = Hooked::pre_save,
    post_save = Hooked::post_save,
    pre_load = Hooked::pre_load,
    post_load = Hooked::post_load
)]
struct Hooked {
    index: u8,
    #[subsection(needed = Hooked::extra_needed)]
    extra: HookedExtra,
    #[vmstate(skip)]
    derived: u32,
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "hooked/extra", version = 1, post_load = HookedExtra::post_load)]
struct HookedExtra {
    value: u8,
}

impl HookedExtra {
    fn post_load(&mut self, _version_id: u32) -> Result<(), String> {
        record("extra.post_load");
        Ok(())
    }
}

impl Hooked {
    fn extra_needed(&self) -> bool {
        self.extra.value != 0
    }
    fn pre_save(&self) -> Result<(), &'static str> {
        record("pre_save");
        if self.index == 0xff {
            Err("index 255 is reserved")
        } else {
            Ok(())
        }
    }
    fn post_save(&self) -> Result<(), std::io::Error> {
        record("post_save");
        Ok(())
    }
    fn pre_load(&mut self) -> Result<(), String> {
        record("pre_load");
        Ok(())
    }
    /// QEMU-style validation: an index loaded from the stream is checked before
    /// the device uses it.
    fn post_load(&mut self, version_id: u32) -> Result<(), String> {
        record(format!("post_load v{version_id}"));
        if self.index >= 16 {
            return Err(format!("index {} is out of range 0..16", self.index));
        }
        self.derived = u32::from(self.index) * 10;
        Ok(())
    }
}

#[test]
fn hooks_run_in_qemu_order() {
    take_calls();
    let dev = Hooked {
        index: 3,
        extra: HookedExtra { value: 1 },
        derived: 0,
    };
    let bytes = vmstate::to_vec(&dev).unwrap();
    assert_eq!(take_calls(), ["pre_save", "post_save"]);
    let back: Hooked = vmstate::from_slice(&bytes, 2).unwrap();
    assert_eq!(
        take_calls(),
        ["pre_load", "extra.post_load", "post_load v2"]
    );
    assert_eq!(
        back.derived, 30,
        "post_load ran after the fields were loaded"
    );
}

#[test]
fn failing_save_hook_names_the_hook() {
    let err = vmstate::to_vec(&Hooked {
        index: 0xff,
        ..Hooked::default()
    })
    .unwrap_err();
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
    assert_eq!(
        err.to_string(),
        "section `hooked`: pre_save hook failed: index 255 is reserved"
    );
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn failing_post_load_leaves_the_device_untouched() {
    let mut dev = Hooked {
        index: 2,
        extra: HookedExtra { value: 9 },
        derived: 20,
    };
    let before = dev.clone();
    let err = vmstate::load_into(&mut dev, &[200], 1).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::Hook {
                hook: "post_load",
                ..
            })
        ),
        "{err:?}"
    );
    assert_eq!(err.offset(), Some(1));
    assert_eq!(
        err.to_string(),
        "section `hooked`, byte offset 1: post_load hook failed: index 200 is out of range 0..16"
    );
    assert_eq!(dev, before);
}

#[test]
fn truncated_load_leaves_the_device_untouched() {
    let mut dev = Hooked {
        index: 2,
        extra: HookedExtra { value: 9 },
        derived: 20,
    };
    let before = dev.clone();
    let bytes = [
        4, 0x05, 12, b'h', b'o', b'o', b'k', b'e', b'd', b'/', b'e', b'x', b't', b'r', b'a', 0, 0,
        0, 1,
    ];
    let err = vmstate::load_into(&mut dev, &bytes, 2).unwrap_err();
    assert_eq!(err.path_string(), "extra.value");
    assert_eq!(dev, before);
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "indexed", version = 1)]
struct Indexed {
    #[vmstate(validate = Indexed::index_in_range)]
    index: u8,
    table: [u16; 4],
}

impl Indexed {
    fn index_in_range(&self) -> Result<(), String> {
        if self.index < 4 {
            Ok(())
        } else {
            Err(format!("index {} is out of range 0..4", self.index))
        }
    }
}

#[test]
fn validate_runs_as_soon_as_its_field_is_loaded() {
    // The bad index is refused before the (missing) table is read.
    let err = vmstate::from_slice::<Indexed>(&[9], 1).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::Hook {
                hook: "validate",
                ..
            })
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "section `indexed`, field `index`, byte offset 0: validate hook failed: index 9 is out of range 0..4"
    );
    let good: Indexed = vmstate::from_slice(&[3, 0, 1, 0, 2, 0, 3, 0, 4], 1).unwrap();
    assert_eq!(good.table, [1, 2, 3, 4]);
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "ranged", version = 1, validate = Ranged::consistent)]
struct Ranged {
    start: u16,
    end: u16,
}

impl Ranged {
    fn consistent(&self) -> Result<(), String> {
        if self.start <= self.end {
            Ok(())
        } else {
            Err(format!("start {} is after end {}", self.start, self.end))
        }
    }
}

#[test]
fn container_validate_runs_after_the_fields() {
    let err = vmstate::from_slice::<Ranged>(&[0, 9, 0, 1], 1).unwrap_err();
    assert_eq!(
        err.to_string(),
        "section `ranged`, byte offset 4: validate hook failed: start 9 is after end 1"
    );
    assert_eq!(
        vmstate::from_slice::<Ranged>(&[0, 1, 0, 9], 1).unwrap().end,
        9
    );
}
