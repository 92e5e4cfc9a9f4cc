//! W4, queue descriptors: 10,000 small structs in a variable array (a virtio
//! split ring's descriptor table, QEMU `VMSTATE_STRUCT_VARRAY_UINT32`).

use serde::{Deserialize, Serialize};
use versionize::{VersionMap, Versionize, VersionizeResult};
use versionize_derive::Versionize;
use vmstate::VmState;

use crate::common::{Fill, Hand, Rng, device, no_subsection_of};

/// Descriptors in the queue.
pub const DESCS: usize = 10_000;

device! {
    #[derive(VmState, Versionize, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq)]
    #[vmstate(name = "vring_desc", version = 1)]
    pub struct Desc {
        pub addr: u64,
        pub len: u32,
        pub flags: u16,
        pub next: u16,
    }
}

#[derive(VmState, Versionize, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[vmstate(name = "virtqueue", version = 1)]
pub struct Queue {
    pub num: u32,
    #[vmstate(len = num)]
    pub descs: Vec<Desc>,
    pub last_avail_idx: u16,
    pub used_idx: u16,
}

impl Hand for Queue {
    #[inline]
    fn put(&self, out: &mut Vec<u8>) {
        self.num.put(out);
        Desc::put_slice(&self.descs, out);
        self.last_avail_idx.put(out);
        self.used_idx.put(out);
    }

    #[inline]
    fn get(&mut self, input: &mut &[u8]) -> Option<()> {
        self.num.get(input)?;
        let len = usize::try_from(self.num).ok()?;
        if len > input.len() / 16 {
            return None;
        }
        self.descs.resize(len, Desc::default());
        Desc::get_slice(&mut self.descs, input)?;
        self.last_avail_idx.get(input)?;
        self.used_idx.get(input)?;
        no_subsection_of(Self::NAME, input)
    }
}

pub fn queue(seed: u64) -> Queue {
    let mut rng = Rng::new(seed);
    Queue {
        num: u32::try_from(DESCS).expect("fits"),
        descs: (0..DESCS).map(|_| Desc::filled(&mut rng)).collect(),
        last_avail_idx: u16::filled(&mut rng),
        used_idx: u16::filled(&mut rng),
    }
}
