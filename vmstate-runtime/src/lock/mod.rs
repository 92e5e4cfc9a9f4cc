//! The layout lock: `vmstate.lock`, a committed text file that records the
//! wire layout of every released version of every locked type, keyed by the
//! Rust type's name (several types may share a VMSD name).
//!
//! This module is the lock format's only parser and writer. The derive reads
//! the lock with [`Lock::parse`] and turns each recorded layout into `const`
//! assertions over the type's `SCHEMA` (the [`compare`] functions), so a build
//! only ever reads the file; [`record`] writes it, from a test run under
//! `VMSTATE_LOCK=record`; the `release` module reads its `[release NAME]` blocks.

pub mod compare;
mod format;
mod record;
mod render;

pub use format::{
    Entry, Field, Layout, Lock, LockError, LockErrorKind, ReleaseBlock, Subsection, Wire,
};
pub use record::{RecordError, record, record_in_test};
pub use render::render_entry;
