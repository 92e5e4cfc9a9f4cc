//! Static descriptions of derived types, known at compile time: every field
//! that any version carries, with its wire type, version range and tests, and
//! every subsection. `T::SCHEMA` is what QEMU's `-dump-vmstate` prints for a
//! device, what layout checks compare, and what the layout lock records at
//! each version ([`Schema::recorded_at`]).
//!
//! The model is the `vmstate-lock` crate's, which the derive shares without
//! depending on this runtime; it is re-exported here. Its default form,
//! [`Static`], is what `T::SCHEMA` and `VmStateField::WIRE` are built in;
//! [`Owned`] is the same model read from a lock at run time.

pub use vmstate_lock::schema::{
    Count, FieldSchema, Form, Owned, Part, Schema, Static, SubsectionSchema, WireType,
};
