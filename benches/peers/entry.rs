//! The public entry points (`to_vec`, `to_vec_at`, `save_into`, `from_slice`,
//! `load_into`), each against the code a careful person writes by hand for
//! that entry point, on the same values in the same run:
//! - `to_vec` / `to_vec_at`: a new `Vec` reserved to the exact size once, then
//!   filled (the hand codec writes the current version only, so it is the
//!   reference for both);
//! - `save_into`: append to a reused buffer;
//! - `from_slice`: a `Default` value loaded from the bytes;
//! - `load_into`: the device loaded in place, one copy of each buffer. This is
//!   the lower bound: it does not pay for keeping the device on error.
//!
//! For byte buffers `copy_from_slice` of the payload's bytes is the
//! bandwidth limit of a load.

use vmstate::VmState;

use crate::common::{Fill, Hand, Rng, device, take};

device! {
    #[derive(VmState, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "mid_timer", version = 1)]
    pub struct Timer {
        pub period: u64,
        pub next: i64,
        pub enabled: bool,
        pub mode: u8,
    }

    #[derive(VmState, Clone, Debug, Default, PartialEq)]
    #[vmstate(name = "mid", version = 1)]
    pub struct Mid {
        pub id: u32,
        pub flags: u16,
        pub level: bool,
        pub regs: [u32; 32],
        pub mask: [u64; 16],
        pub buf: [u8; 32],
        pub timers: [Timer; 8],
        pub counter: u64,
    }
}

/// A mid-size device: scalars, integer and byte arrays, a struct array.
pub fn mid(seed: u64) -> Mid {
    Mid::filled(&mut Rng::new(seed))
}

/// W3 as users often hold it: 16 MiB of bytes in a `Vec` with its count.
#[derive(VmState, Clone, Debug, Default, PartialEq)]
#[vmstate(name = "vram", version = 1)]
pub struct VramVec {
    pub len: u32,
    #[vmstate(len = len)]
    pub data: Vec<u8>,
}

impl Hand for VramVec {
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        self.len.put(out);
        out.extend_from_slice(&self.data);
    }

    /// One copy: the bytes are appended to the cleared buffer, with no
    /// zero-fill first.
    #[inline]
    fn get(&mut self, input: &mut &[u8]) -> Option<()> {
        self.len.get(input)?;
        let bytes = take(input, usize::try_from(self.len).ok()?)?;
        self.data.clear();
        self.data.extend_from_slice(bytes);
        crate::common::no_subsection_of(Self::NAME, input)
    }
}

pub fn vram_vec(seed: u64) -> VramVec {
    let mut rng = Rng::new(seed);
    let mut data = vec![0; crate::arrays::VRAM];
    for chunk in data.chunks_exact_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    VramVec {
        len: u32::try_from(data.len()).expect("fits"),
        data,
    }
}
