//! AFL++ target: a migration stream (see `vmstate_fuzz::stream`).

fn main() {
    afl::fuzz!(|data: &[u8]| vmstate_fuzz::stream(data));
}
