use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "dev", version = 2)]
struct Dev {
    a: u32,
    #[vmstate(since = 2, exists = Dev::has_b)]
    b: u32,
}

impl Dev {
    fn has_b(&self, _version_id: u32) -> bool {
        self.a != 0
    }
}

fn main() {}
