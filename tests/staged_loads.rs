//! Loads for device types that are neither `Default` nor `Clone`: a
//! constructor for `from_slice_with`, a staging copy for `load_into_with`;
//! a failed load leaves the device untouched.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use vmstate::{ErrorKind, VmState};

/// A host-side handle: neither `Clone` nor `Default`, and counted, so that
/// the test sees which one the device holds.
#[derive(Debug)]
struct Backend {
    id: u32,
}

#[derive(VmState, Debug)]
#[vmstate(name = "handle-dev", version = 1)]
struct Dev {
    level: u16,
    #[vmstate(with = vmstate::with::int32_positive_le)]
    index: i32,
    #[vmstate(skip)]
    backend: Arc<Backend>,
}

fn stage(dev: &Dev) -> Dev {
    STAGED.fetch_add(1, Ordering::Relaxed);
    Dev {
        level: dev.level,
        index: dev.index,
        backend: Arc::clone(&dev.backend),
    }
}

static STAGED: AtomicU32 = AtomicU32::new(0);

#[test]
fn from_slice_with_builds_the_value_to_load_over() {
    let backend = Arc::new(Backend { id: 7 });
    let dev = vmstate::from_slice_with(&[0, 5, 0, 0, 0, 3], 1, || Dev {
        level: 0,
        index: 10,
        backend: Arc::clone(&backend),
    })
    .unwrap();
    assert_eq!((dev.level, dev.index, dev.backend.id), (5, 3, 7));
    // The constructor's local values take part in the load's checks.
    let error = vmstate::from_slice_with(&[0, 5, 0, 0, 0, 3], 1, || Dev {
        level: 0,
        index: 2,
        backend: Arc::clone(&backend),
    })
    .unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::OutOfRange { maximum: 2, .. })
    ));
}

#[test]
fn load_into_with_replaces_the_device_only_on_success() {
    let mut dev = Dev {
        level: 1,
        index: 10,
        backend: Arc::new(Backend { id: 9 }),
    };
    let before = STAGED.load(Ordering::Relaxed);
    vmstate::load_into_with(&mut dev, &[0, 2, 0, 0, 0, 4], 1, stage).unwrap();
    assert_eq!((dev.level, dev.index, dev.backend.id), (2, 4, 9));
    assert!(
        STAGED.load(Ordering::Relaxed) > before,
        "the load went through the stage"
    );

    // Fails on its last field (4 < 6), after `level` was loaded into the copy.
    let error = vmstate::load_into_with(&mut dev, &[0, 3, 0, 0, 0, 6], 1, stage).unwrap_err();
    assert!(matches!(
        error.kind(),
        Some(ErrorKind::OutOfRange { value: 6, .. })
    ));
    assert_eq!((dev.level, dev.index, dev.backend.id), (2, 4, 9));
    // A truncated payload, too.
    assert!(vmstate::load_into_with(&mut dev, &[0, 3, 0], 1, stage).is_err());
    assert_eq!(dev.level, 2);
    assert_eq!(
        Arc::strong_count(&dev.backend),
        1,
        "staged copies were dropped"
    );
}
