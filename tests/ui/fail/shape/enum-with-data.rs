use vmstate::VmState;

#[derive(VmState)]
#[repr(u8)]
enum Mode {
    Off = 0,
    Timer(u32) = 1,
}

fn main() {}
