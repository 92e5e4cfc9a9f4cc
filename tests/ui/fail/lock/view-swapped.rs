use vmstate::VmState;

// Recorded in tests/ui/locked.lock with the `timer` view (a be64, -1 when
// not armed); `option` writes a presence byte and the value instead.
#[derive(VmState, Default)]
#[vmstate(name = "locked-watchdog", version = 1, lock = "locked.lock")]
struct Watchdog {
    #[vmstate(with = vmstate::with::option)]
    deadline: Option<u64>,
}

fn main() {}
