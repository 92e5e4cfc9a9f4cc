//! `slirp`: the user-mode network stack's state (libslirp's `slirp_state_save`,
//! registered by QEMU's `net/slirp.c` as an old-style section, version 4).
//!
//! The section is not a `VMStateDescription` of QEMU's: libslirp writes, for
//! each guest-forwarding socket, a `42` marker and the socket's state, then a
//! `0`, then its `vmstate_slirp`. Guests without `guestfwd` rules have no such
//! sockets, which is what this model reads; a socket marker is a load error
//! (`equal`), and the stream's own description then shows the bytes.

use crate::VmState;

/// libslirp `vmstate_slirp` after the socket list (section `slirp`, version 4).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "slirp", version = 4, minimum_version = 4)]
pub struct Slirp {
    /// The `0` that ends the list of guest-forwarding sockets (`42` would
    /// start one): always 0 in streams this model reads.
    #[vmstate(equal)]
    pub sockets_end: u8,
    /// `ip_id`: the identification of the next IP datagram slirp sends.
    pub ip_id: u16,
    /// `bootp_clients`: the DHCP leases slirp handed out.
    pub bootp_clients: [BootpClient; 16],
}

/// libslirp `vmstate_slirp_bootp_client`.
#[derive(VmState, Debug, Default, Clone, Copy, PartialEq)]
#[vmstate(name = "slirp_bootp_client", version = 1)]
pub struct BootpClient {
    /// `allocated`: whether the lease is in use.
    pub allocated: u16,
    /// `macaddr`: the client's MAC address.
    pub macaddr: [u8; 6],
}
