//! Generated code is warning-free under strict lints, including clippy's
//! pedantic group when `cargo clippy` builds this test.
#![deny(
    warnings,
    missing_docs,
    unused_qualifications,
    clippy::all,
    clippy::pedantic
)]

use vmstate::VmState;

/// A documented device.
#[derive(VmState, Default, Debug, Clone, PartialEq)]
#[vmstate(name = "linted", version = 3, minimum_version = 1)]
pub struct Linted {
    /// A register.
    pub reg: u32,
    /// Added in version 2.
    #[vmstate(since = 2)]
    pub extra: u8,
    /// Count of `items`.
    pub count: u16,
    /// Variable array.
    #[vmstate(len = count)]
    pub items: Vec<u8>,
    /// A subsection.
    #[subsection(needed = Linted::sub_needed)]
    pub sub: LintedSub,
}

impl Linted {
    fn sub_needed(&self) -> bool {
        self.reg != 0
    }
}

/// A subsection.
#[derive(VmState, Default, Debug, Clone, PartialEq)]
#[vmstate(name = "linted/sub", version = 1)]
pub struct LintedSub {
    /// A flag.
    pub flag: bool,
}

/// A documented enum.
#[derive(VmState, Default, Debug, Clone, Copy, PartialEq)]
#[repr(u16)]
pub enum State {
    /// Idle.
    #[default]
    Idle,
    /// Busy.
    Busy,
}

/// A documented newtype.
#[derive(VmState, Default, Debug, Clone, Copy, PartialEq)]
pub struct Word(pub u32);

#[test]
fn strict_lints_pass() {
    let value = Linted {
        reg: 1,
        extra: 2,
        count: 1,
        items: vec![3],
        sub: LintedSub { flag: true },
    };
    let back: Linted = vmstate::from_slice(&vmstate::to_vec(&value).unwrap(), 3).unwrap();
    assert_eq!(back, value);
}
