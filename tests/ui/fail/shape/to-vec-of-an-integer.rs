// A primitive is a field, not a device state: the advice must not be to
// derive `VmState` on `u32`.
fn main() {
    let _ = vmstate::to_vec(&0u32);
}
