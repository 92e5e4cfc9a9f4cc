//! The files where users keep a suspended guest's migration stream: the
//! stream sits inside another format, and these modules find it there and put
//! a new one back.
//!
//! - [`qcow2`]: an internal snapshot's VM state in a qcow2 image (QEMU's
//!   `savevm NAME`, restored with `-loadvm NAME`).

pub mod qcow2;
