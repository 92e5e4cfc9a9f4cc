// Hooks return `Result<(), E>` for any error type that converts into a boxed error.
use vmstate::VmState;

#[derive(VmState, Debug, Default, PartialEq)]
#[vmstate(
    name = "uart",
    version = 1,
    pre_save = Uart::pre_save,
    post_save = Uart::post_save,
    pre_load = Uart::pre_load,
    post_load = Uart::post_load
)]
struct Uart {
    divider: u16,
    #[vmstate(skip)]
    baud: u32,
}

impl Uart {
    fn pre_save(&self) -> Result<(), String> {
        if self.divider == 0 {
            return Err("divider is zero".to_owned());
        }
        Ok(())
    }

    fn post_save(&self) -> Result<(), &'static str> {
        Ok(())
    }

    fn pre_load(&mut self) -> Result<(), String> {
        self.baud = 0;
        Ok(())
    }

    fn post_load(&mut self, _version_id: u32) -> Result<(), std::io::Error> {
        if self.divider == 0 {
            return Err(std::io::Error::other("divider is zero"));
        }
        self.baud = 115_200 / u32::from(self.divider);
        Ok(())
    }
}

fn main() {
    let uart = Uart {
        divider: 12,
        baud: 9600,
    };
    let bytes = vmstate::to_vec(&uart).unwrap();
    assert_eq!(bytes, [0, 12]);
    assert_eq!(vmstate::from_slice::<Uart>(&bytes, 1).unwrap(), uart);
    assert!(vmstate::to_vec(&Uart::default()).is_err());
    assert!(vmstate::from_slice::<Uart>(&[0, 0], 1).is_err());
}
