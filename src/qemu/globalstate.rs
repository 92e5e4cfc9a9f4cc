//! `globalstate`: the run state of the source (`migration/global_state.c`).

use crate::VmState;

/// QEMU `vmstate_globalstate` (`globalstate`, version 1): the source's run
/// state, so that the destination starts running only if the source was.
///
/// QEMU 7.2 machine types always send it (`store_global_state`).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "globalstate", version = 1)]
pub struct GlobalState {
    /// `size`: the length of the run-state name plus its NUL, as set by QEMU's
    /// `pre_save`.
    pub size: u32,
    /// `runstate`: the `RunState` name (``running``, ``paused``, ``prelaunch``,
    /// ...), NUL-padded to 100 bytes (`VMSTATE_BUFFER`).
    #[vmstate(info = "buffer")]
    pub runstate: [u8; 100],
}

impl Default for GlobalState {
    fn default() -> Self {
        Self {
            size: 0,
            runstate: [0; 100],
        }
    }
}

impl GlobalState {
    /// The state QEMU saves for run state `name`: `size` counts the NUL.
    ///
    /// Returns `None` when `name` does not fit in the 100-byte buffer with
    /// its NUL.
    #[must_use]
    pub fn new(name: &str) -> Option<Self> {
        let bytes = name.as_bytes();
        if bytes.len() >= 100 {
            return None;
        }
        let mut runstate = [0; 100];
        runstate[..bytes.len()].copy_from_slice(bytes);
        Some(Self {
            size: u32::try_from(bytes.len() + 1).ok()?,
            runstate,
        })
    }

    /// The run-state name: the bytes before the first NUL, if they are UTF-8.
    #[must_use]
    pub fn runstate_name(&self) -> Option<&str> {
        let end = self.runstate.iter().position(|b| *b == 0).unwrap_or(100);
        core::str::from_utf8(&self.runstate[..end]).ok()
    }
}
