//! The files where users keep a suspended guest's migration stream: the
//! stream sits inside another format, and these modules find it there and put
//! a new one back.
//!
//! - [`qcow2`]: an internal snapshot's VM state in a qcow2 image (QEMU's
//!   `savevm NAME`, restored with `-loadvm NAME`).
//! - [`libvirt`]: a libvirt save image (`virsh save`, managed save): a
//!   header, the domain XML, then the stream, optionally compressed.

pub mod libvirt;
pub mod qcow2;
