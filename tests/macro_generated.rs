//! A device struct written by a `macro_rules!` macro derives like any other:
//! the generated code's own names resolve even though the field types carry
//! the macro's hygiene.

use vmstate::VmState;

macro_rules! device {
    ($name:ident, $vmsd:literal, { $($field:ident: $ty:ty),* $(,)? }) => {
        #[derive(VmState, Debug, Default, Clone, PartialEq)]
        #[vmstate(name = $vmsd, version = 1, pre_save = $name::check)]
        struct $name {
            // Written in the macro itself: these tokens carry its hygiene.
            flags: u16,
            $($field: $ty,)*
            #[subsection(needed = $name::extra_needed)]
            extra: Extra,
        }

        impl $name {
            fn extra_needed(&self) -> bool {
                self.extra.on
            }

            fn check(&self) -> Result<(), String> {
                if self.extra.on && !self.extra.ready { Err("not ready".into()) } else { Ok(()) }
            }
        }
    };
}

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "timer/extra", version = 1)]
struct Extra {
    on: bool,
    ready: bool,
}

device!(Timer, "timer", { count: u32, regs: [u16; 2], mode: u8 });

#[test]
fn macro_generated_struct_round_trips() {
    let timer = Timer {
        flags: 0x0102,
        count: 7,
        regs: [1, 2],
        mode: 3,
        extra: Extra {
            on: true,
            ready: true,
        },
    };
    let bytes = vmstate::to_vec(&timer).unwrap();
    assert_eq!(&bytes[..11], &[1, 2, 0, 0, 0, 7, 0, 1, 0, 2, 3]);
    assert_eq!(vmstate::from_slice::<Timer>(&bytes, 1).unwrap(), timer);
    let not_ready = Timer {
        extra: Extra {
            on: true,
            ready: false,
        },
        ..timer
    };
    assert!(vmstate::to_vec(&not_ready).is_err());
}
