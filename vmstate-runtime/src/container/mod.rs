//! Files that hold a migration stream inside another format, where users
//! keep suspended guests: the container is read to find the stream, and
//! written back around a new one.

pub mod libvirt;
