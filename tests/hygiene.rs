//! The generated code names everything by absolute path: it compiles where the
//! prelude is gone and where the user's names shadow the usual ones.
#![no_implicit_prelude]

extern crate core;
extern crate std;
extern crate vmstate;

// Names that generated code must not pick up by accident.
#[allow(dead_code)]
struct Result;
#[allow(dead_code)]
struct Vec;
#[allow(dead_code)]
struct Ok;
#[allow(dead_code)]
struct Error;
#[allow(dead_code)]
struct Some;
#[allow(dead_code)]
struct None;
#[allow(dead_code)]
struct Priority;

#[derive(
    vmstate::VmState,
    ::core::default::Default,
    ::core::fmt::Debug,
    ::core::cmp::PartialEq,
    ::core::clone::Clone,
)]
#[vmstate(name = "hygienic", version = 2, minimum_version = 1, post_load = Hygienic::post_load)]
struct Hygienic {
    a: u16,
    #[vmstate(since = 2)]
    b: [u8; 3],
    #[vmstate(equal)]
    c: u8,
    n: u8,
    #[vmstate(len = n)]
    items: ::std::vec::Vec<u32>,
    mode: Mode,
    #[subsection(needed = Hygienic::sub_needed)]
    sub: HygienicSub,
}

impl Hygienic {
    fn sub_needed(&self) -> bool {
        self.a != 0
    }
    fn post_load(&mut self, version_id: u32) -> ::core::result::Result<(), ::std::string::String> {
        if version_id < 2 {
            self.b = [0; 3];
        }
        if self.c > 100 {
            return ::core::result::Result::Err(::std::borrow::ToOwned::to_owned("c too large"));
        }
        ::core::result::Result::Ok(())
    }
}

#[derive(
    vmstate::VmState,
    ::core::default::Default,
    ::core::fmt::Debug,
    ::core::cmp::PartialEq,
    ::core::clone::Clone,
)]
#[vmstate(name = "hygienic/sub", version = 1)]
struct HygienicSub {
    x: i64,
}

#[derive(
    vmstate::VmState,
    ::core::default::Default,
    ::core::fmt::Debug,
    ::core::cmp::PartialEq,
    ::core::clone::Clone,
    ::core::marker::Copy,
)]
#[repr(u8)]
enum Mode {
    #[default]
    A,
    B,
}

#[derive(
    vmstate::VmState,
    ::core::default::Default,
    ::core::fmt::Debug,
    ::core::cmp::PartialEq,
    ::core::clone::Clone,
)]
struct Wrapper(Hygienic);

/// A computed count and a priority, whose generated code matches on `Option`.
#[derive(
    vmstate::VmState, ::core::default::Default, ::core::fmt::Debug, ::core::cmp::PartialEq,
)]
#[vmstate(name = "hygienic-fifo", version = 1, priority = "iommu")]
struct HygienicFifo {
    #[vmstate(count_of = buf)]
    n: u8,
    #[vmstate(len = n)]
    buf: ::std::vec::Vec<u16>,
}

#[test]
fn computed_counts_and_priorities_derive_without_prelude() {
    let value = HygienicFifo {
        n: 0,
        buf: ::std::vec![1, 2],
    };
    let bytes = vmstate::to_vec(&value).unwrap();
    ::std::assert_eq!(bytes, [2, 0, 1, 0, 2]);
    ::std::assert_eq!(
        <HygienicFifo as vmstate::VmState>::PRIORITY,
        vmstate::Priority::Iommu
    );
}

#[test]
fn derives_without_prelude() {
    let value = Hygienic {
        a: 1,
        items: ::std::vec![5],
        n: 1,
        mode: Mode::B,
        ..::core::default::Default::default()
    };
    let bytes = vmstate::to_vec(&value).unwrap();
    let back: Hygienic = vmstate::from_slice(&bytes, 2).unwrap();
    ::std::assert_eq!(back, value);
    let _ = Wrapper(back);
}
