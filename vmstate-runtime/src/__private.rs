//! What the code that `#[derive(VmState)]` generates names, in one place:
//! re-exports only (tests/layers.rs checks it), so each helper lives in the
//! module of its layer. Not a public API: names and signatures change
//! without notice.

pub use core::fmt::Debug;
pub use core::option::Option::{self, None, Some};
pub use core::primitive::{bool, str, u8, u32, usize};
pub use core::result::Result::{self, Err, Ok};
pub use std::boxed::Box;
pub use std::vec::Vec;

pub use crate::count_of::{CountFromLen, count_of, save_counted_varray};
pub use crate::field::describe_elements;
pub use crate::layout::{min_wire_size, vmdesc_compressible};
pub use crate::subsection::{
    SUBSECTION_MARKER, duplicate_subsection, enter_subsection, is_subsection_name, peek_subsection,
    save_subsection, subsection_not_allowed, unknown_subsection,
};
pub use crate::varray::{
    Varray, VarrayCount, describe_varray, load_varray, save_elements, save_varray,
    sync_varray_counts, varray_len_hint,
};
pub use vmstate_lock::{on_wire_at, str_eq};

pub use crate::derived::{
    advance_past, all, check_save_version, check_version, fields_head, fits_in_a_byte, hook,
    invalid_enum_value, load_equal, save_struct_slice, subsection_len_hint,
};
pub use crate::desc::{describe_struct, describe_with, described_at_version, set_info, state_desc};

/// The lock's compile-time comparisons and the test that records.
pub mod lock {
    pub use crate::lock::compare::{Message, moved, subsection_diff, wire_diff};
    pub use crate::lock::record_in_test;
}
