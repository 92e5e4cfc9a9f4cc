//! AFL++ target: a `-dump-vmstate` file (see `vmstate_fuzz::dump`).

fn main() {
    afl::fuzz!(|data: &[u8]| vmstate_fuzz::dump(data));
}
