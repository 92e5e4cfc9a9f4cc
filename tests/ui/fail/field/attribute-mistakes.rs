// Every mistake in the attributes is reported in one build, each at the
// key or value at fault.
use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = 3, version = "2", version = 2)]
struct Dev {
    n: u8,
    #[vmstate(sinse = 2, skip = true)]
    a: u32,
    #[vmstate(len = self::n, since)]
    b: Vec<u8>,
}

fn main() {}
