//! `virtio-console`: the section of a `virtio-serial-pci` device, the
//! virtio-serial bus and its ports (`hw/char/virtio-serial-bus.c`).

use super::device::{Virtio, VirtioDevice};
use super::pci::VirtioPciConfig;
use crate::models::ModelErrorKind;
use crate::{Error, VmState};

/// QEMU `vmstate_virtio_console` (`virtio-console`, version 3): the section
/// of a `virtio-serial-pci` device, idstr `<pci address>/virtio-console` (the
/// VMSD keeps the device's old name).
///
/// Configuration defaults are those of `-device virtio-serial-pci` on QEMU
/// 7.2 and 10.0: MSI-X with 2 vectors, 31 ports at most.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "virtio-console", version = 3)]
pub struct VirtioSerial {
    /// The virtio-pci transport's part (`virtio_pci_save_config`).
    pub transport: VirtioPciConfig,
    /// The device: common virtio state and `virtio_serial_save_device`.
    pub device: VirtioSerialDevice,
    /// The `virtio` VMSD's subsections.
    pub virtio: Virtio,
}

impl Default for VirtioSerial {
    /// Reset state with the configuration of `-device virtio-serial-pci`.
    fn default() -> Self {
        Self {
            transport: VirtioPciConfig::with_vectors(2),
            device: VirtioSerialDevice::default(),
            virtio: Virtio::default(),
        }
    }
}

/// The common virtio state followed by QEMU's legacy
/// `virtio_serial_save_device` (no VMSD): the console configuration, the map
/// of port ids in use, and each port's connection state.
///
/// A port that has popped a guest buffer it has not finished writing out
/// (`elem_popped`) carries a raw `VirtQueueElement` image, which is not
/// modelled: such a stream is refused, with an error at that field.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "virtio-serial-device", version = 3)]
pub struct VirtioSerialDevice {
    /// The common virtio state (`virtio_save`).
    pub parent_obj: VirtioDevice,
    /// `config.cols`: console columns (ignored on load by QEMU).
    #[vmstate(rename = "config.cols")]
    pub config_cols: u16,
    /// `config.rows`: console rows (ignored on load by QEMU).
    #[vmstate(rename = "config.rows")]
    pub config_rows: u16,
    /// `config.max_nr_ports` and `ports_map`.
    #[vmstate(with = ports_map, info = "virtio-serial ports map")]
    pub ports_map: PortsMap,
    /// The number of ports on the bus (`nr_active_ports`).
    pub nr_active_ports: u32,
    /// Each port, in bus order.
    #[vmstate(len = nr_active_ports)]
    pub ports: Vec<VirtioSerialPort>,
}

/// `config.max_nr_ports` and the `ports_map` bitmap, one be32 word per 32
/// possible ports (`DIV_ROUND_UP(max_nr_ports, 32)`). The word count comes
/// from the count just before it, which no `len` field can express, so one
/// custom view reads both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortsMap {
    /// `config.max_nr_ports`: the bus's port capacity (the `max_ports`
    /// property, 31 by default).
    pub max_nr_ports: u32,
    /// `ports_map`: bit `id % 32` of word `id / 32` is set for each port id
    /// in use.
    pub ports_map: Vec<u32>,
}

impl Default for PortsMap {
    /// 31 ports, none in use.
    fn default() -> Self {
        Self {
            max_nr_ports: 31,
            ports_map: vec![0],
        }
    }
}

/// The wire view of [`PortsMap`].
mod ports_map {
    use super::PortsMap;
    use crate::{Error, ErrorKind, Reader};

    /// `DIV_ROUND_UP(max_nr_ports, 32)`.
    fn words(max_nr_ports: u32) -> usize {
        usize::try_from(max_nr_ports.div_ceil(32)).unwrap_or(usize::MAX)
    }

    pub fn save(value: &PortsMap, out: &mut Vec<u8>) -> Result<(), Error> {
        let expected = words(value.max_nr_ports);
        if value.ports_map.len() != expected {
            return Err(Error::new(ErrorKind::LengthMismatch {
                what: "ports_map",
                found: value.ports_map.len() as u64,
                count_field: "max_nr_ports",
                count: i128::from(value.max_nr_ports),
                expected: expected as i128,
            }));
        }
        out.extend_from_slice(&value.max_nr_ports.to_be_bytes());
        for word in &value.ports_map {
            out.extend_from_slice(&word.to_be_bytes());
        }
        Ok(())
    }

    pub fn load(value: &mut PortsMap, reader: &mut Reader<'_>) -> Result<(), Error> {
        let max_nr_ports = reader.read_be32()?;
        let count = words(max_nr_ports);
        if count > reader.remaining() / 4 {
            return Err(reader.eof(count.saturating_mul(4)));
        }
        let mut ports_map = Vec::with_capacity(count);
        for _ in 0..count {
            ports_map.push(reader.read_be32()?);
        }
        *value = PortsMap {
            max_nr_ports,
            ports_map,
        };
        Ok(())
    }
}

/// One port of the bus, as `virtio_serial_save_device` writes it.
#[derive(VmState, Debug, Default, Clone, PartialEq, Eq)]
#[vmstate(name = "virtio-serial-port", version = 1)]
pub struct VirtioSerialPort {
    /// `id`: the port number (0 is the console of a `virtconsole`).
    pub id: u32,
    /// `guest_connected`: the guest opened the port.
    pub guest_connected: u8,
    /// `host_connected`: the host side (the chardev) is open.
    pub host_connected: u8,
    /// `elem_popped`: the port holds a guest buffer it has not finished.
    #[vmstate(validate = VirtioSerialPort::check_no_element)]
    pub elem_popped: u32,
}

impl VirtioSerialPort {
    /// Only ports without a popped buffer are modelled.
    fn check_no_element(&self) -> Result<(), Error> {
        if self.elem_popped == 0 {
            Ok(())
        } else {
            Err(Error::new(ModelErrorKind::UnmodelledElement {
                holder: "the port holds a popped guest buffer",
            }))
        }
    }
}
