use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "dev", version = 1)]
struct Dev {
    #[vmstate(with = vmstate::with::ptr_array_auto_alloc)]
    slots: [Option<Box<i32>>; 4],
}

fn main() {}
