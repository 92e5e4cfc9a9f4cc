// `len` names an earlier integer field; `Vec<T>` and `Box<[T]>` both work.
use vmstate::VmState;

#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "channel", version = 1)]
struct Channel {
    level: u8,
}

#[derive(VmState, Debug, Default, PartialEq)]
#[vmstate(name = "dma", version = 1)]
struct Dma {
    nr_words: u32,
    nr_channels: u8,
    #[vmstate(len = nr_words)]
    words: Vec<u16>,
    #[vmstate(len = nr_channels)]
    channels: Box<[Channel]>,
}

fn main() {
    let dma = Dma {
        nr_words: 2,
        nr_channels: 1,
        words: vec![0x0102, 0x0304],
        channels: vec![Channel { level: 9 }].into_boxed_slice(),
    };
    let bytes = vmstate::to_vec(&dma).unwrap();
    assert_eq!(bytes, [0, 0, 0, 2, 1, 1, 2, 3, 4, 9]);
    assert_eq!(vmstate::from_slice::<Dma>(&bytes, 1).unwrap(), dma);
    // A count the input cannot hold is refused before allocating.
    assert!(vmstate::from_slice::<Dma>(&[0xff, 0xff, 0xff, 0xff, 0], 1).is_err());
}
