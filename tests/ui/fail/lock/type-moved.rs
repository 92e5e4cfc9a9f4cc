// `Timer` is recorded at the crate root in tests/ui/locked.lock.
mod devices {
    use vmstate::VmState;

    #[derive(VmState, Default)]
    #[vmstate(name = "locked-timer", version = 1, lock = "locked.lock")]
    pub struct Timer {
        counter: u32,
    }
}

fn main() {}
