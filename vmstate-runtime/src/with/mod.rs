//! Ready-made wire views for `#[vmstate(with = ...)]`: the parts of QEMU's
//! VMState vocabulary that are not one value per field (lists, trees,
//! bitmaps, partial buffers, timers, pointer arrays), and forms for std types
//! that QEMU has no single encoding of (`Option<T>`, `String`).
//!
//! A view is a module, or a type with a const parameter, with two functions:
//! `save(&T, &mut Vec<u8>) -> Result<(), Error>` and
//! `load(&mut T, &mut Reader) -> Result<(), Error>`:
//!
//! ```
//! use std::collections::VecDeque;
//! use vmstate::VmState;
//!
//! #[derive(VmState, Debug, Default, Clone, PartialEq)]
//! #[vmstate(name = "req", version = 1)]
//! struct Request { id: u32 }
//!
//! #[derive(VmState, Debug, Default, PartialEq)]
//! #[vmstate(name = "dev", version = 1)]
//! struct Dev {
//!     #[vmstate(with = vmstate::with::qtailq)]
//!     queue: VecDeque<Request>,
//!     #[vmstate(with = vmstate::with::PartialBuffer::<2>)]
//!     header: [u8; 4],
//! }
//!
//! let dev = Dev { queue: [Request { id: 7 }].into(), header: [1, 2, 3, 4] };
//! let bytes = vmstate::to_vec(&dev)?;
//! assert_eq!(bytes, [1, 0, 0, 0, 7, 0, /* header */ 1, 2]);
//! # Ok::<(), vmstate::Error>(())
//! ```
//!
//! Each view cites the QEMU function whose bytes it reproduces. Write your
//! own the same way, with [`Reader`](crate::Reader)'s reads and
//! [`Writer`](crate::Writer)'s writes; return
//! [`Reader::custom_error`](crate::Reader::custom_error) so that the error
//! names the byte offset (the derive adds the field path).

mod bitmap;
pub mod gtree;
pub mod int32_positive_le;
mod list;
pub mod option;
mod partial_buffer;
pub mod ptr_array_auto_alloc;
pub mod qlist;
pub mod qtailq;
pub mod string;
pub mod timer;

pub use bitmap::{Bitmap, BitmapWords};
pub use gtree::DirectKey;
pub use list::List;
pub use partial_buffer::{ByteBuffer, PartialBuffer};
pub use timer::Expiry;
