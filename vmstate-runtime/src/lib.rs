//! Runtime of [vmstate](https://docs.rs/vmstate): the QEMU wire codec, the
//! [`VmState`] and [`VmStateField`] traits that `#[derive(VmState)]` implements,
//! and the [`Error`] type that says where a load failed.
//!
//! The crate is in layers: the codec core (traits, [`Reader`], errors,
//! [`schema`], the [`desc`] description model, subsection framing and the
//! [`lock`], whose text format is the `vmstate-lock` crate's), then the
//! [`stream`] container, then the tooling on top ([`check`], [`testing`],
//! [`release`]). Lower layers never import upper ones.
//!
//! Most users depend on the `vmstate` facade crate instead, which re-exports
//! everything here together with the derive macro.

// The layers, bottom first; a module imports only from its own layer and
// those below (tests/layers.rs checks it).
//
// The codec core: traits, reader, errors, schemas, the description model,
// subsection framing and the layout lock that the derive reads.
mod bulk;
mod count_of;
mod derived;
pub mod desc;
mod error;
mod field;
mod layout;
mod loaded;
pub mod lock;
mod pointer;
mod reader;
pub mod schema;
mod state;
mod std_fields;
mod subsection;
mod varray;
pub mod with;
mod writer;

#[doc(hidden)]
pub mod __private;

// The stream container, on the core.
#[cfg(feature = "stream")]
pub mod stream;
// Files that hold a stream (qcow2 internal snapshots, libvirt save images),
// beside it.
#[cfg(feature = "stream")]
pub mod container;

// Tooling, on the stream and the core.
#[cfg(feature = "check")]
pub mod check;
#[cfg(feature = "release")]
pub mod release;
#[cfg(feature = "testing")]
pub mod testing;

pub use error::{Error, ErrorKind, Kind, PathSegment, SectionRef};
pub use field::{Unused, VmStateField};
pub use loaded::Loaded;
pub use reader::Reader;
pub use state::{
    VmState, from_slice, from_slice_with, load_into, load_into_with, save_into, to_vec, to_vec_at,
};
pub use vmstate_lock::Priority;
pub use writer::Writer;
