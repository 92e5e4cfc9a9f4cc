//! Models of QEMU 7.2 device states, written with `#[derive(VmState)]`, that
//! decode and re-encode the sections of real QEMU migration streams byte for
//! byte. Reuse them to read, check or edit QEMU streams, or as worked examples
//! of the attributes.
