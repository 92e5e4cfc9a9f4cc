//! `i2c_bus`: an I2C bus (`hw/i2c/core.c`).

use crate::VmState;

/// QEMU `i2c_bus` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "i2c_bus", version = 1)]
pub struct I2cBus {
    pub saved_address: u8,
}
