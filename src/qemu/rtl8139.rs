//! `rtl8139`: the Realtek RTL8139 network card (`hw/net/rtl8139.c`).

use super::pci::PciDevice;
use crate::{Unused, VmState};

/// QEMU `vmstate_rtl8139` (`rtl8139`, version 5, minimum 3). The section idstr
/// has the PCI address in front, e.g. `0000:00:03.0/rtl8139`. QEMU's
/// `rtl8139/hotplug_ready` subsection is never sent (its `needed` is always
/// false), so it is not modelled.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "rtl8139", version = 5, minimum_version = 3)]
pub struct Rtl8139 {
    /// `parent_obj`: the PCI function.
    pub parent_obj: PciDevice,
    /// `phys`: the MAC address the card filters on (`VMSTATE_PARTIAL_BUFFER`).
    #[vmstate(info = "buffer")]
    pub phys: [u8; 6],
    /// `mult`: the multicast filter.
    #[vmstate(info = "buffer")]
    pub mult: [u8; 8],
    /// QEMU `TxStatus`: the four transmit descriptors' status.
    #[vmstate(rename = "TxStatus")]
    pub tx_status: [u32; 4],
    /// QEMU `TxAddr`: the four transmit buffers' addresses.
    #[vmstate(rename = "TxAddr")]
    pub tx_addr: [u32; 4],
    /// QEMU `RxBuf`: the receive ring's address.
    #[vmstate(rename = "RxBuf")]
    pub rx_buf: u32,
    /// QEMU `RxBufferSize`: the receive ring's size.
    #[vmstate(rename = "RxBufferSize")]
    pub rx_buffer_size: u32,
    /// QEMU `RxBufPtr`: the guest's read offset in the ring.
    #[vmstate(rename = "RxBufPtr")]
    pub rx_buf_ptr: u32,
    /// QEMU `RxBufAddr`: the card's write offset in the ring.
    #[vmstate(rename = "RxBufAddr")]
    pub rx_buf_addr: u32,
    /// QEMU `IntrStatus`: the interrupt status register.
    #[vmstate(rename = "IntrStatus")]
    pub intr_status: u16,
    /// QEMU `IntrMask`: the interrupt mask register.
    #[vmstate(rename = "IntrMask")]
    pub intr_mask: u16,
    /// QEMU `TxConfig`: the transmit configuration register.
    #[vmstate(rename = "TxConfig")]
    pub tx_config: u32,
    /// QEMU `RxConfig`: the receive configuration register.
    #[vmstate(rename = "RxConfig")]
    pub rx_config: u32,
    /// QEMU `RxMissed`: packets missed for want of ring space.
    #[vmstate(rename = "RxMissed")]
    pub rx_missed: u32,
    /// QEMU `CSCR`: the CS configuration register.
    #[vmstate(rename = "CSCR")]
    pub cscr: u16,
    /// QEMU `Cfg9346`: the EEPROM command register.
    #[vmstate(rename = "Cfg9346")]
    pub cfg9346: u8,
    /// QEMU `Config0`: configuration register 0.
    #[vmstate(rename = "Config0")]
    pub config0: u8,
    /// QEMU `Config1`: configuration register 1.
    #[vmstate(rename = "Config1")]
    pub config1: u8,
    /// QEMU `Config3`: configuration register 3.
    #[vmstate(rename = "Config3")]
    pub config3: u8,
    /// QEMU `Config4`: configuration register 4.
    #[vmstate(rename = "Config4")]
    pub config4: u8,
    /// QEMU `Config5`: configuration register 5.
    #[vmstate(rename = "Config5")]
    pub config5: u8,
    /// `clock_enabled`: the clock runs.
    pub clock_enabled: u8,
    /// QEMU `bChipCmdState`: the command register.
    #[vmstate(rename = "bChipCmdState")]
    pub b_chip_cmd_state: u8,
    /// QEMU `MultiIntr`: the multiple-interrupt select register.
    #[vmstate(rename = "MultiIntr")]
    pub multi_intr: u16,
    /// QEMU `BasicModeCtrl`: the PHY's basic mode control register.
    #[vmstate(rename = "BasicModeCtrl")]
    pub basic_mode_ctrl: u16,
    /// QEMU `BasicModeStatus`: the PHY's basic mode status register.
    #[vmstate(rename = "BasicModeStatus")]
    pub basic_mode_status: u16,
    /// QEMU `NWayAdvert`: the PHY's autonegotiation advertisement.
    #[vmstate(rename = "NWayAdvert")]
    pub nway_advert: u16,
    /// QEMU `NWayLPAR`: the link partner's ability.
    #[vmstate(rename = "NWayLPAR")]
    pub nway_lpar: u16,
    /// QEMU `NWayExpansion`: the autonegotiation expansion register.
    #[vmstate(rename = "NWayExpansion")]
    pub nway_expansion: u16,
    /// QEMU `CpCmd`: the C+ command register.
    #[vmstate(rename = "CpCmd")]
    pub cp_cmd: u16,
    /// QEMU `TxThresh`: the early transmit threshold.
    #[vmstate(rename = "TxThresh")]
    pub tx_thresh: u8,
    /// `unused`: `VMSTATE_UNUSED(4)`.
    pub unused: Unused<4>,
    /// QEMU `conf.macaddr`: the configured MAC address (`VMSTATE_MACADDR`).
    #[vmstate(rename = "conf.macaddr", info = "buffer")]
    pub conf_macaddr: [u8; 6],
    /// `rtl8139_mmio_io_addr_dummy`: once the MMIO region's index, now always 0.
    pub rtl8139_mmio_io_addr_dummy: i32,
    /// QEMU `currTxDesc`: the next transmit descriptor.
    #[vmstate(rename = "currTxDesc")]
    pub curr_tx_desc: u32,
    /// QEMU `currCPlusRxDesc`: the next C+ receive descriptor.
    #[vmstate(rename = "currCPlusRxDesc")]
    pub curr_cplus_rx_desc: u32,
    /// QEMU `currCPlusTxDesc`: the next C+ transmit descriptor.
    #[vmstate(rename = "currCPlusTxDesc")]
    pub curr_cplus_tx_desc: u32,
    /// QEMU `RxRingAddrLO`: the C+ receive ring's address, low half.
    #[vmstate(rename = "RxRingAddrLO")]
    pub rx_ring_addr_lo: u32,
    /// QEMU `RxRingAddrHI`: the C+ receive ring's address, high half.
    #[vmstate(rename = "RxRingAddrHI")]
    pub rx_ring_addr_hi: u32,
    /// QEMU `eeprom.contents`: the EEPROM words.
    #[vmstate(rename = "eeprom.contents")]
    pub eeprom_contents: [u16; 64],
    /// QEMU `eeprom.mode`: the EEPROM's serial protocol state.
    #[vmstate(rename = "eeprom.mode")]
    pub eeprom_mode: i32,
    /// QEMU `eeprom.tick`: bits shifted in the current state.
    #[vmstate(rename = "eeprom.tick")]
    pub eeprom_tick: u32,
    /// QEMU `eeprom.address`: the EEPROM word addressed.
    #[vmstate(rename = "eeprom.address")]
    pub eeprom_address: u8,
    /// QEMU `eeprom.input`: the bits shifted in.
    #[vmstate(rename = "eeprom.input")]
    pub eeprom_input: u16,
    /// QEMU `eeprom.output`: the bits to shift out.
    #[vmstate(rename = "eeprom.output")]
    pub eeprom_output: u16,
    /// QEMU `eeprom.eecs`: the chip-select line.
    #[vmstate(rename = "eeprom.eecs")]
    pub eeprom_eecs: u8,
    /// QEMU `eeprom.eesk`: the clock line.
    #[vmstate(rename = "eeprom.eesk")]
    pub eeprom_eesk: u8,
    /// QEMU `eeprom.eedi`: the data-in line.
    #[vmstate(rename = "eeprom.eedi")]
    pub eeprom_eedi: u8,
    /// QEMU `eeprom.eedo`: the data-out line.
    #[vmstate(rename = "eeprom.eedo")]
    pub eeprom_eedo: u8,
    /// QEMU `TCTR`: the timer count register.
    #[vmstate(rename = "TCTR")]
    pub tctr: u32,
    /// QEMU `TimerInt`: the timer interrupt register.
    #[vmstate(rename = "TimerInt")]
    pub timer_int: u32,
    /// QEMU `TCTR_base`: the clock value the timer counts from.
    #[vmstate(rename = "TCTR_base")]
    pub tctr_base: i64,
    /// QEMU `tally_counters.TxOk`: packets sent.
    #[vmstate(rename = "tally_counters.TxOk")]
    pub tally_counters_tx_ok: u64,
    /// QEMU `tally_counters.RxOk`: packets received.
    #[vmstate(rename = "tally_counters.RxOk")]
    pub tally_counters_rx_ok: u64,
    /// QEMU `tally_counters.TxERR`: transmit errors.
    #[vmstate(rename = "tally_counters.TxERR")]
    pub tally_counters_tx_err: u64,
    /// QEMU `tally_counters.RxERR`: receive errors.
    #[vmstate(rename = "tally_counters.RxERR")]
    pub tally_counters_rx_err: u32,
    /// QEMU `tally_counters.MissPkt`: packets missed.
    #[vmstate(rename = "tally_counters.MissPkt")]
    pub tally_counters_miss_pkt: u16,
    /// QEMU `tally_counters.FAE`: frame alignment errors.
    #[vmstate(rename = "tally_counters.FAE")]
    pub tally_counters_fae: u16,
    /// QEMU `tally_counters.Tx1Col`: packets sent after one collision.
    #[vmstate(rename = "tally_counters.Tx1Col")]
    pub tally_counters_tx1_col: u32,
    /// QEMU `tally_counters.TxMCol`: packets sent after several collisions.
    #[vmstate(rename = "tally_counters.TxMCol")]
    pub tally_counters_tx_mcol: u32,
    /// QEMU `tally_counters.RxOkPhy`: unicast packets received.
    #[vmstate(rename = "tally_counters.RxOkPhy")]
    pub tally_counters_rx_ok_phy: u64,
    /// QEMU `tally_counters.RxOkBrd`: broadcast packets received.
    #[vmstate(rename = "tally_counters.RxOkBrd")]
    pub tally_counters_rx_ok_brd: u64,
    /// QEMU `tally_counters.RxOkMul`: multicast packets received (version 5).
    #[vmstate(rename = "tally_counters.RxOkMul", since = 5)]
    pub tally_counters_rx_ok_mul: u32,
    /// QEMU `tally_counters.TxAbt`: transmits aborted.
    #[vmstate(rename = "tally_counters.TxAbt")]
    pub tally_counters_tx_abt: u16,
    /// QEMU `tally_counters.TxUndrn`: transmit underruns.
    #[vmstate(rename = "tally_counters.TxUndrn")]
    pub tally_counters_tx_undrn: u16,
    /// `cplus_enabled`: C+ mode is on (version 4).
    #[vmstate(since = 4)]
    pub cplus_enabled: u32,
}

impl Default for Rtl8139 {
    fn default() -> Self {
        Self {
            parent_obj: PciDevice::default(),
            phys: Default::default(),
            mult: Default::default(),
            tx_status: Default::default(),
            tx_addr: Default::default(),
            rx_buf: Default::default(),
            rx_buffer_size: Default::default(),
            rx_buf_ptr: Default::default(),
            rx_buf_addr: Default::default(),
            intr_status: Default::default(),
            intr_mask: Default::default(),
            tx_config: Default::default(),
            rx_config: Default::default(),
            rx_missed: Default::default(),
            cscr: Default::default(),
            cfg9346: Default::default(),
            config0: Default::default(),
            config1: Default::default(),
            config3: Default::default(),
            config4: Default::default(),
            config5: Default::default(),
            clock_enabled: Default::default(),
            b_chip_cmd_state: Default::default(),
            multi_intr: Default::default(),
            basic_mode_ctrl: Default::default(),
            basic_mode_status: Default::default(),
            nway_advert: Default::default(),
            nway_lpar: Default::default(),
            nway_expansion: Default::default(),
            cp_cmd: Default::default(),
            tx_thresh: Default::default(),
            unused: Unused,
            conf_macaddr: Default::default(),
            rtl8139_mmio_io_addr_dummy: Default::default(),
            curr_tx_desc: Default::default(),
            curr_cplus_rx_desc: Default::default(),
            curr_cplus_tx_desc: Default::default(),
            rx_ring_addr_lo: Default::default(),
            rx_ring_addr_hi: Default::default(),
            eeprom_contents: [0; 64],
            eeprom_mode: Default::default(),
            eeprom_tick: Default::default(),
            eeprom_address: Default::default(),
            eeprom_input: Default::default(),
            eeprom_output: Default::default(),
            eeprom_eecs: Default::default(),
            eeprom_eesk: Default::default(),
            eeprom_eedi: Default::default(),
            eeprom_eedo: Default::default(),
            tctr: Default::default(),
            timer_int: Default::default(),
            tctr_base: Default::default(),
            tally_counters_tx_ok: Default::default(),
            tally_counters_rx_ok: Default::default(),
            tally_counters_tx_err: Default::default(),
            tally_counters_rx_err: Default::default(),
            tally_counters_miss_pkt: Default::default(),
            tally_counters_fae: Default::default(),
            tally_counters_tx1_col: Default::default(),
            tally_counters_tx_mcol: Default::default(),
            tally_counters_rx_ok_phy: Default::default(),
            tally_counters_rx_ok_brd: Default::default(),
            tally_counters_rx_ok_mul: Default::default(),
            tally_counters_tx_abt: Default::default(),
            tally_counters_tx_undrn: Default::default(),
            cplus_enabled: Default::default(),
        }
    }
}
