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
//! use vmstate_runtime::{Reader, with};
//!
//! // `#[vmstate(with = vmstate::with::qtailq)] queue: VecDeque<u32>` and
//! // `#[vmstate(with = vmstate::with::PartialBuffer::<2>)] header: [u8; 4]`
//! // save and load through these calls.
//! let queue = VecDeque::from([7u32]);
//! let mut out = Vec::new();
//! with::qtailq::save(&queue, &mut out)?;
//! with::PartialBuffer::<2>::save(&[1u8, 2, 3, 4], &mut out)?;
//! assert_eq!(out, [1, 0, 0, 0, 7, 0, /* header */ 1, 2]);
//!
//! let mut reader = Reader::new(&out);
//! let mut back = VecDeque::<u32>::new();
//! with::qtailq::load(&mut back, &mut reader)?;
//! assert_eq!(back, queue);
//! # Ok::<(), vmstate_runtime::Error>(())
//! ```
//!
//! Each view also says its wire layout for the field's type
//! ([`ViewLayout`], through the module's `View` type), which the schema
//! carries and the layout lock records, so that a change inside a tree, list
//! or option fails the build. Each view cites the QEMU function whose bytes
//! it reproduces. Write your
//! own the same way, with [`Reader`](crate::Reader)'s reads and
//! [`Writer`](crate::Writer)'s writes. An [`Error::custom`](crate::Error::custom)
//! from `load` names the field's first byte and the field path (the derive
//! adds both); [`Reader::custom_error`](crate::Reader::custom_error) names the
//! exact byte the reader is at.

pub mod bitmap;
pub mod gtree;
pub mod int32_positive_le;
mod layout;
mod list;
pub mod option;
mod partial_buffer;
pub mod ptr_array_auto_alloc;
pub mod qlist;
pub mod qtailq;
pub mod string;
pub mod timer;

pub use bitmap::{Bitmap, BitmapWords};
pub use gtree::{DirectKey, StructKey};
pub use layout::ViewLayout;
pub use list::List;
pub use partial_buffer::{ByteBuffer, PartialBuffer};
pub use timer::Expiry;
