// `T: VmStateField` is inferred from the field that uses `T`.
use vmstate::VmState;

#[derive(VmState, Debug, Default, PartialEq)]
#[vmstate(name = "regs", version = 1)]
struct Regs<T> {
    r: [T; 4],
}

#[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
#[vmstate(name = "pair", version = 1)]
struct Pair {
    lo: u16,
    hi: u16,
}

fn round_trip<T: VmState + Default + PartialEq + std::fmt::Debug>(value: &T) {
    let bytes = vmstate::to_vec(value).unwrap();
    let back: T = vmstate::from_slice(&bytes, T::VERSION).unwrap();
    assert_eq!(&back, value);
}

fn main() {
    round_trip(&Regs {
        r: [1_u32, 2, 3, 4],
    });
    let pair = Pair { lo: 1, hi: 2 };
    round_trip(&Regs { r: [pair; 4] });
    assert_eq!(vmstate::to_vec(&Regs { r: [pair; 4] }).unwrap().len(), 16);
}
