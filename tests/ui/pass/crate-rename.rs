// `#[vmstate(crate = "...")]` points the generated code at a renamed runtime.
extern crate vmstate as renamed;

use renamed::VmState;

#[derive(VmState, Debug, Default, PartialEq)]
#[vmstate(crate = "renamed", name = "dev", version = 1)]
struct Dev {
    a: u32,
    #[subsection(needed = Dev::extra_needed)]
    extra: Extra,
}

#[derive(VmState, Debug, Default, PartialEq)]
#[vmstate(crate = "renamed", name = "dev/extra", version = 1)]
struct Extra {
    count: u8,
    #[vmstate(len = count)]
    items: Vec<u8>,
}

impl Dev {
    fn extra_needed(&self) -> bool {
        self.extra.count != 0
    }
}

fn main() {
    let dev = Dev {
        a: 1,
        extra: Extra {
            count: 1,
            items: vec![5],
        },
    };
    let bytes = renamed::to_vec(&dev).unwrap();
    assert_eq!(renamed::from_slice::<Dev>(&bytes, 1).unwrap(), dev);
}
