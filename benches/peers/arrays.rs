//! W2, a register file: 1 MiB of `u32`, as a fixed array and as a variable
//! array with its count. W3, video RAM: a 16 MiB byte buffer.
//!
//! The large arrays live in boxed structs; the bench runs on a thread with a
//! large stack, because versionize and serde build the value on the stack
//! before boxing it (and `Box::new` may too).

use serde::{Deserialize, Serialize};
use versionize::{VersionMap, Versionize, VersionizeResult};
use versionize_derive::Versionize;
use vmstate::VmState;

use crate::common::{Fill, Hand, Rng, device, no_subsection_of, serde_array, serde_bytes_array};

/// 1 MiB of `u32`.
pub const REGS: usize = (1 << 20) / 4;
/// 16 MiB.
pub const VRAM: usize = 16 << 20;

device! {
    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "regfile", version = 1)]
    pub struct RegArray {
        #[serde(with = "serde_array")]
        pub regs: [u32; REGS],
    }

    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, PartialEq)]
    #[vmstate(name = "vram", version = 1)]
    pub struct Vram {
        #[serde(with = "serde_bytes_array")]
        pub data: [u8; VRAM],
    }
}

/// The same registers as a QEMU VARRAY: the count is an earlier field and is
/// not repeated on the wire.
#[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[vmstate(name = "regfile", version = 1)]
pub struct RegVec {
    pub count: u32,
    #[vmstate(len = count)]
    pub regs: Vec<u32>,
}

impl Hand for RegVec {
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        self.count.put(out);
        u32::put_slice(&self.regs, out);
    }

    #[inline]
    fn get(&mut self, input: &mut &[u8]) -> Option<()> {
        self.count.get(input)?;
        let len = usize::try_from(self.count).ok()?;
        if len > input.len() / 4 {
            return None;
        }
        self.regs.resize(len, 0);
        u32::get_slice(&mut self.regs, input)?;
        no_subsection_of(Self::NAME, input)
    }
}

pub fn reg_array(seed: u64) -> Box<RegArray> {
    let mut rng = Rng::new(seed);
    let mut value = Box::new(RegArray { regs: [0; REGS] });
    for reg in &mut value.regs {
        *reg = u32::filled(&mut rng);
    }
    value
}

pub fn reg_vec(seed: u64) -> RegVec {
    let regs = reg_array(seed).regs.to_vec();
    RegVec {
        count: u32::try_from(regs.len()).expect("fits"),
        regs,
    }
}

pub fn vram(seed: u64) -> Box<Vram> {
    let mut rng = Rng::new(seed);
    let mut value = Box::new(Vram { data: [0; VRAM] });
    for chunk in value.data.chunks_exact_mut(8) {
        chunk.copy_from_slice(&rng.next_u64().to_le_bytes());
    }
    value
}
