//! Section order: QEMU saves device sections by priority.
//!
//! QEMU keeps its savevm handlers in one list and saves the sections in list
//! order. `savevm_state_handler_insert` puts a new handler before the first
//! one of lower priority, so the list is the registration order sorted by
//! `VMStateDescription::priority`, highest first, with equal priorities left
//! in registration order (a stable sort). A stream writer that wants QEMU's
//! order sorts its sections the same way: [`sort_by_priority`].

use core::cmp::Reverse;

use crate::Priority;

/// Sorts `sections`, given in registration order, into the order QEMU saves
/// them: highest [`Priority`] first, equal priorities in the given order.
pub fn sort_by_priority<T>(sections: &mut [T], mut priority: impl FnMut(&T) -> Priority) {
    // `sort_by_key` is stable, which keeps registration order among equals
    // as QEMU's insertion does.
    sections.sort_by_key(|section| Reverse(priority(section)));
}
