//! Version 3 adds a field the right way: every recorded layout still holds.
//! (The build warns that version 3 is not recorded yet.)
use vmstate::VmState;

#[derive(VmState, Debug, Default, PartialEq)]
#[vmstate(name = "locked-nic", version = 3, minimum_version = 1, lock = "locked.lock")]
struct Nic {
    ctrl: u32,
    status: u16,
    #[vmstate(since = 2)]
    irq_mask: u32,
    #[vmstate(since = 3)]
    rx_count: u32,
}

fn main() {
    let nic = Nic { ctrl: 1, status: 2, irq_mask: 3, rx_count: 4 };
    let v2 = vmstate::to_vec_at(&nic, 2).unwrap();
    assert_eq!(v2.len(), 10);
    let back: Nic = vmstate::from_slice(&v2, 2).unwrap();
    assert_eq!(back, Nic { rx_count: 0, ..nic });
}
