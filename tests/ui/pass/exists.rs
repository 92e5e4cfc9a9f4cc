// `exists` replaces the version test with a predicate over the fields so far.
use vmstate::VmState;

#[derive(VmState, Debug, Default, PartialEq)]
#[vmstate(name = "hpet", version = 2, minimum_version = 1)]
struct Hpet {
    flags: u8,
    #[vmstate(exists = Hpet::has_offset)]
    offset: u64,
}

impl Hpet {
    fn has_offset(&self, version_id: u32) -> bool {
        version_id >= 2 && self.flags & 1 != 0
    }
}

fn main() {
    let with = Hpet {
        flags: 1,
        offset: 5,
    };
    let bytes = vmstate::to_vec(&with).unwrap();
    assert_eq!(bytes.len(), 9);
    assert_eq!(vmstate::from_slice::<Hpet>(&bytes, 2).unwrap(), with);

    let without = Hpet {
        flags: 0,
        offset: 5,
    };
    assert_eq!(vmstate::to_vec(&without).unwrap(), [0]);
    assert_eq!(
        vmstate::from_slice::<Hpet>(&[1], 1).unwrap(),
        Hpet {
            flags: 1,
            offset: 0
        }
    );
}
