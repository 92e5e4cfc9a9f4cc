use vmstate::VmState;

#[derive(VmState)]
enum Mode {
    Off,
    On,
}

fn main() {}
