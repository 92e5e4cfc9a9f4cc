//! A device that must not trust its input: an index loaded from a stream is
//! checked the moment it is read, and a bad one is refused with an error that
//! names the field and the byte, while the running device stays as it was.
//!
//! Run it with `cargo run --example hostile`.

use vmstate::VmState;

/// An interrupt controller with 8 lines; `current` indexes `priority`.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "acme-intc", version = 1)]
struct Intc {
    priority: [u8; 8],
    /// The line being served. A stream could say anything here, and
    /// `priority[current]` would panic on 200: `validate` refuses it first.
    #[vmstate(validate = Intc::current_in_range)]
    current: u8,
}

impl Intc {
    fn current_in_range(&self) -> Result<(), String> {
        if usize::from(self.current) < self.priority.len() {
            Ok(())
        } else {
            Err(format!(
                "line {} does not exist: the controller has {}",
                self.current,
                self.priority.len()
            ))
        }
    }

    fn serving_priority(&self) -> u8 {
        self.priority[usize::from(self.current)]
    }
}

fn main() -> Result<(), vmstate::Error> {
    let mut device = Intc {
        priority: [7, 6, 5, 4, 3, 2, 1, 0],
        current: 2,
    };
    let good = vmstate::to_vec(&Intc {
        current: 5,
        ..device.clone()
    })?;
    vmstate::load_into(&mut device, &good, 1)?;
    println!(
        "a good stream loads: serving line {} at priority {}",
        device.current,
        device.serving_priority()
    );

    let mut hostile = good.clone();
    hostile[8] = 200;
    let err = vmstate::load_into(&mut device, &hostile, 1).expect_err("line 200 must be refused");
    println!("a hostile stream is refused:\n  {err}");
    assert_eq!(err.path_string(), "current");
    assert_eq!(err.offset(), Some(8));
    println!(
        "and the device is untouched: serving line {} at priority {}",
        device.current,
        device.serving_priority()
    );
    assert_eq!(device.current, 5);
    Ok(())
}
