use vmstate::VmState;

#[derive(VmState)]
#[vmstate(name = "mode")]
#[repr(u8)]
enum Mode {
    Off = 0,
    On = 1,
}

fn main() {}
