//! Runtime of [vmstate](https://docs.rs/vmstate): the QEMU wire codec, the
//! [`VmState`] and [`VmStateField`] traits that `#[derive(VmState)]` implements,
//! and the [`Error`] type that says where a load failed.
//!
//! Most users depend on the `vmstate` facade crate instead, which re-exports
//! everything here together with the derive macro.

mod bulk;
pub mod check;
mod count_of;
mod error;
mod field;
mod layout;
pub mod lock;
mod pointer;
mod priority;
mod reader;
pub mod release;
pub mod schema;
mod state;
mod std_fields;
pub mod stream;
pub mod testing;
pub mod with;
mod writer;

#[doc(hidden)]
pub mod __private;

pub use error::{Error, ErrorKind, PathSegment, SectionRef};
pub use field::{Unused, VmStateField};
pub use priority::Priority;
pub use reader::Reader;
pub use state::{
    VmState, from_slice, from_slice_with, load_into, load_into_with, save_into, to_vec, to_vec_at,
};
pub use writer::Writer;
