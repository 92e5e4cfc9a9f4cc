//! What a ready-made view puts on the wire for a field of a given type, as a
//! [`WireType`]: the schema carries it, and the layout lock records and
//! compares it, so that a tree whose value widened or a FIFO whose element
//! changed fails the build like any other field.

use crate::schema::WireType;

/// The wire layout that a view gives a field of type `F`.
///
/// `#[derive(VmState)]` reads it for `#[vmstate(with = vmstate::with::NAME)]`
/// (through the module's `View` type) and for the type views
/// [`Bitmap`](super::Bitmap) and [`PartialBuffer`](super::PartialBuffer). A
/// view of your own is recorded by its path and the field's type as written
/// ([`WireType::With`]); it needs no impl of this trait.
pub trait ViewLayout<F: ?Sized> {
    /// The layout, usually a [`WireType::View`] whose parts are the field
    /// type's own `WIRE`s.
    const WIRE: WireType;
}
