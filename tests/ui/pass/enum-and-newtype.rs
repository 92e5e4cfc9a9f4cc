// Fieldless `#[repr(u8)]` enums and newtypes are fields.
use vmstate::VmState;

#[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
#[repr(u8)]
enum Mode {
    #[default]
    Off = 0,
    On = 1,
    Auto = 7,
}

#[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
#[repr(i16)]
enum Level {
    #[default]
    Low = -1,
    High = 1,
}

#[derive(VmState, Debug, Default, PartialEq)]
struct Ticks(u64);

#[derive(VmState, Debug, Default, PartialEq)]
#[vmstate(name = "timer", version = 1)]
struct Timer {
    mode: Mode,
    levels: [Level; 2],
    ticks: Ticks,
}

fn main() {
    let timer = Timer {
        mode: Mode::Auto,
        levels: [Level::High, Level::Low],
        ticks: Ticks(9),
    };
    let bytes = vmstate::to_vec(&timer).unwrap();
    assert_eq!(bytes, [7, 0, 1, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 9]);
    assert_eq!(vmstate::from_slice::<Timer>(&bytes, 1).unwrap(), timer);
    let mut bad = bytes.clone();
    bad[0] = 2;
    assert!(vmstate::from_slice::<Timer>(&bad, 1).is_err());
    let _ = Mode::On;
}
