// `with = module` gives a field a custom wire view (QEMU `VMSTATE_WITH_TMP`).
use vmstate::VmState;

/// A `usize` has no fixed wire size; this device saves it as a be32.
mod as_be32 {
    pub fn save(value: &usize, out: &mut Vec<u8>) -> Result<(), vmstate::Error> {
        let value = u32::try_from(*value).map_err(vmstate::Error::custom)?;
        out.extend_from_slice(&value.to_be_bytes());
        Ok(())
    }

    pub fn load(value: &mut usize, reader: &mut vmstate::Reader<'_>) -> Result<(), vmstate::Error> {
        *value = usize::try_from(reader.read_be32()?).map_err(vmstate::Error::custom)?;
        Ok(())
    }
}

#[derive(VmState, Debug, Default, PartialEq)]
#[vmstate(name = "fifo", version = 1)]
struct Fifo {
    #[vmstate(with = as_be32)]
    head: usize,
    data: [u8; 2],
}

fn main() {
    let fifo = Fifo {
        head: 258,
        data: [7, 8],
    };
    let bytes = vmstate::to_vec(&fifo).unwrap();
    assert_eq!(bytes, [0, 0, 1, 2, 7, 8]);
    assert_eq!(vmstate::from_slice::<Fifo>(&bytes, 1).unwrap(), fifo);
}
