//! # vmstate
//!
//! Save and load virtual-machine device state across versions, byte-compatible
//! with QEMU's VMState wire format.
//!
//! `#[derive(VmState)]` turns an annotated device struct into straight-line,
//! version-aware save/load code:
//!
//! ```
//! use vmstate::{Unused, VmState};
//!
//! #[derive(VmState, Debug, Default, Clone, PartialEq)]
//! #[vmstate(name = "mydev", version = 2, minimum_version = 1)]
//! struct MyDev {
//!     regs: [u32; 4],
//!     _gap: Unused<2>,
//!     #[vmstate(since = 2)]
//!     irq_level: bool,
//! }
//!
//! let dev = MyDev { regs: [1, 2, 3, 4], irq_level: true, ..Default::default() };
//! let bytes = vmstate::to_vec(&dev)?;
//! assert_eq!(bytes.len(), 16 + 2 + 1);
//! let back: MyDev = vmstate::from_slice(&bytes, MyDev::VERSION)?;
//! assert_eq!(back, dev);
//! # Ok::<(), vmstate::Error>(())
//! ```
//!
//! See `docs/wire-format.md` in the repository for the byte layout.
#![doc = include_str!("../docs/attributes.md")]

// The derive names the runtime `::vmstate`; this makes that path work inside
// this crate too, for the QEMU device models.
extern crate self as vmstate;

#[cfg(feature = "stream")]
pub mod models;
#[cfg(feature = "qemu")]
// A model's fields are QEMU's own fields, named as QEMU names them; the
// struct's documentation names the VMSD and QEMU's source file, which say
// what each field means.
#[allow(
    missing_docs,
    reason = "model fields carry QEMU's names; the model's docs name the VMSD and its source"
)]
pub mod qemu;

pub use vmstate_derive::VmState;
pub use vmstate_runtime::{
    Error, ErrorKind, Kind, Loaded, PathSegment, Priority, Reader, SectionRef, Unused, VmState,
    VmStateField, Writer, from_slice, from_slice_with, load_into, load_into_with, save_into,
    to_vec, to_vec_at,
};

#[cfg(feature = "check")]
pub use vmstate_runtime::check;
#[cfg(feature = "stream")]
pub use vmstate_runtime::container;
pub use vmstate_runtime::desc;
pub use vmstate_runtime::lock;
#[cfg(feature = "release")]
pub use vmstate_runtime::release;
pub use vmstate_runtime::schema;
#[cfg(feature = "stream")]
pub use vmstate_runtime::stream;
#[cfg(feature = "testing")]
pub use vmstate_runtime::testing;
pub use vmstate_runtime::with;

#[doc(hidden)]
pub use vmstate_runtime::__private;
