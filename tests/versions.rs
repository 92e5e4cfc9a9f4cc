//! Version gates: `since`, `exists`, `minimum_version`, and what each version's
//! payload holds.

mod support;

use support::examples::Dev;
use vmstate::{ErrorKind, VmState};

#[test]
fn current_version_writes_every_field_in_order() {
    let dev = Dev {
        a: 1,
        b: 0x0203,
        c: 0x0405_0607,
        d: 8,
        host_only: 99,
    };
    assert_eq!(vmstate::to_vec(&dev).unwrap(), [1, 2, 3, 4, 5, 6, 7, 8]);
}

#[test]
fn exists_predicate_decides_on_save_and_load() {
    let dev = Dev {
        a: 2,
        b: 0,
        c: 0,
        d: 8,
        host_only: 0,
    };
    let bytes = vmstate::to_vec(&dev).unwrap();
    assert_eq!(bytes, [2, 0, 0, 0, 0, 0, 0]);
    let back: Dev = vmstate::from_slice(&bytes, 3).unwrap();
    assert_eq!(back.d, 0, "d was not on the wire, so it keeps its default");
}

#[test]
fn older_payloads_leave_later_fields_at_default() {
    let v1: Dev = vmstate::from_slice(&[3, 9], 1).unwrap();
    assert_eq!(
        v1,
        Dev {
            a: 3,
            d: 9,
            ..Dev::default()
        }
    );
    let v2: Dev = vmstate::from_slice(&[3, 0xab, 0xcd, 9], 2).unwrap();
    assert_eq!(
        v2,
        Dev {
            a: 3,
            b: 0xabcd,
            d: 9,
            ..Dev::default()
        }
    );
}

#[test]
fn skip_field_keeps_its_value_in_load_into() {
    let mut dev = Dev {
        host_only: 42,
        ..Dev::default()
    };
    vmstate::load_into(&mut dev, &[1, 0, 2, 0, 0, 0, 3, 4], 3).unwrap();
    assert_eq!(
        dev,
        Dev {
            a: 1,
            b: 2,
            c: 3,
            d: 4,
            host_only: 42
        }
    );
}

#[test]
fn version_above_current_is_refused() {
    let err = vmstate::from_slice::<Dev>(&[0], 4).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::VersionTooNew {
                name: "dev",
                found: 4,
                supported: 3
            })
        ),
        "{err:?}"
    );
    assert_eq!(
        err.to_string(),
        "section `dev`, byte offset 0: `dev` version 4 is newer than this build supports (highest is 3)"
    );
}

#[test]
fn version_below_minimum_is_refused() {
    let err = vmstate::from_slice::<Dev>(&[0], 0).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::VersionTooOld {
                found: 0,
                minimum: 1,
                ..
            })
        ),
        "{err:?}"
    );
}

#[derive(VmState, Debug, Default, PartialEq)]
#[vmstate(name = "strict", version = 2)]
struct Strict {
    #[vmstate(since = 2)]
    x: u8,
}

#[test]
fn minimum_version_defaults_to_version() {
    assert_eq!(Strict::MINIMUM_VERSION, 2);
    assert!(vmstate::from_slice::<Strict>(&[1], 1).is_err());
    assert_eq!(vmstate::from_slice::<Strict>(&[1], 2).unwrap().x, 1);
}

#[test]
fn associated_consts_describe_the_type() {
    assert_eq!(
        (Dev::NAME, Dev::VERSION, Dev::MINIMUM_VERSION),
        ("dev", 3, 1)
    );
}
