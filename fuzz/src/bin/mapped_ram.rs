//! AFL++ target: a mapped-ram save file (see `vmstate_fuzz::mapped_ram`).

fn main() {
    afl::fuzz!(|data: &[u8]| vmstate_fuzz::mapped_ram(data));
}
