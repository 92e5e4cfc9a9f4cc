// `crate::Queue` and `crate::a::Queue` are recorded in tests/ui/locked.lock
// with different layouts; each is checked against its own.
#[derive(vmstate::VmState, Default)]
#[vmstate(name = "locked-queue", version = 1, lock = "locked.lock")]
struct Queue {
    size: u16,
}

mod a {
    #[derive(vmstate::VmState, Default)]
    #[vmstate(name = "locked-queue-a", version = 1, lock = "locked.lock")]
    pub struct Queue {
        head: u32,
    }
}

fn main() {}
