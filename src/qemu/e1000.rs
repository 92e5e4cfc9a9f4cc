//! `e1000`: the Intel 82540EM network card (`hw/net/e1000.c`), 194 KiB of
//! state with three subsections.

use super::pci::PciDevice;
use crate::{Loaded, Unused, VmState};

/// Number of 32-bit MAC registers (QEMU `E1000_MAC_SIZE`, 128 KiB).
pub const E1000_MAC_SIZE: usize = 0x8000;

/// QEMU `vmstate_e1000` (`e1000`, version 2, minimum 1). The section idstr has
/// the PCI address in front, for example `0000:00:02.0/e1000`.
///
/// QEMU's `mac_reg` array is sent piecewise: 37 single registers
/// (`mac_reg_ctrl` ... `mac_reg_vet`), three sub-arrays (`mac_reg_ra`,
/// `mac_reg_mta`, `mac_reg_vfta`), and then, in `e1000/full_mac_state`, the
/// whole array again. Each piece is its own field here.
///
/// The value is about 200 KiB: keep it on the heap (`Box`) in deep call
/// chains or small-stack threads.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(
    name = "e1000",
    version = 2,
    minimum_version = 1,
    post_load = E1000::post_load
)]
pub struct E1000 {
    /// `parent_obj`: the PCI function (`VMSTATE_PCI_DEVICE`).
    pub parent_obj: PciDevice,
    /// `VMSTATE_UNUSED_TEST(is_version_1, 4)`: the instance id of version 1.
    #[vmstate(exists = is_version_1, rename = "unused[0]")]
    pub unused0: Unused<4>,
    /// `VMSTATE_UNUSED(4)`: once `mmio_base`.
    #[vmstate(rename = "unused[1]")]
    pub unused1: Unused<4>,
    /// `rxbuf_size`: the receive buffer size from `RCTL`.
    pub rxbuf_size: u32,
    /// `rxbuf_min_shift`: the receive descriptor minimum threshold shift.
    pub rxbuf_min_shift: u32,
    /// QEMU `eecd_state.val_in`: bits shifted into the EEPROM.
    #[vmstate(rename = "eecd_state.val_in")]
    pub eecd_state_val_in: u32,
    /// QEMU `eecd_state.bitnum_in`: bits shifted in so far.
    #[vmstate(rename = "eecd_state.bitnum_in")]
    pub eecd_state_bitnum_in: u16,
    /// QEMU `eecd_state.bitnum_out`: the bit being shifted out.
    #[vmstate(rename = "eecd_state.bitnum_out")]
    pub eecd_state_bitnum_out: u16,
    /// QEMU `eecd_state.reading`: an EEPROM read is in progress.
    #[vmstate(rename = "eecd_state.reading")]
    pub eecd_state_reading: u16,
    /// QEMU `eecd_state.old_eecd`: the previous `EECD` value.
    #[vmstate(rename = "eecd_state.old_eecd")]
    pub eecd_state_old_eecd: u32,
    /// QEMU `mig_props.ipcss`: IP checksum start of the last context.
    #[vmstate(rename = "mig_props.ipcss")]
    pub mig_props_ipcss: u8,
    /// QEMU `mig_props.ipcso`: IP checksum offset.
    #[vmstate(rename = "mig_props.ipcso")]
    pub mig_props_ipcso: u8,
    /// QEMU `mig_props.ipcse`: IP checksum end.
    #[vmstate(rename = "mig_props.ipcse")]
    pub mig_props_ipcse: u16,
    /// QEMU `mig_props.tucss`: TCP/UDP checksum start.
    #[vmstate(rename = "mig_props.tucss")]
    pub mig_props_tucss: u8,
    /// QEMU `mig_props.tucso`: TCP/UDP checksum offset.
    #[vmstate(rename = "mig_props.tucso")]
    pub mig_props_tucso: u8,
    /// QEMU `mig_props.tucse`: TCP/UDP checksum end.
    #[vmstate(rename = "mig_props.tucse")]
    pub mig_props_tucse: u16,
    /// QEMU `mig_props.paylen`: TSO payload length.
    #[vmstate(rename = "mig_props.paylen")]
    pub mig_props_paylen: u32,
    /// QEMU `mig_props.hdr_len`: TSO header length.
    #[vmstate(rename = "mig_props.hdr_len")]
    pub mig_props_hdr_len: u8,
    /// QEMU `mig_props.mss`: TSO maximum segment size.
    #[vmstate(rename = "mig_props.mss")]
    pub mig_props_mss: u16,
    /// QEMU `tx.size`: bytes of the packet being assembled.
    #[vmstate(rename = "tx.size")]
    pub tx_size: u16,
    /// QEMU `tx.tso_frames`: TSO segments sent for the current packet.
    #[vmstate(rename = "tx.tso_frames")]
    pub tx_tso_frames: u16,
    /// QEMU `tx.sum_needed`: checksum offloads requested.
    #[vmstate(rename = "tx.sum_needed")]
    pub tx_sum_needed: u8,
    /// QEMU `mig_props.ip`: the context is IPv4.
    #[vmstate(rename = "mig_props.ip")]
    pub mig_props_ip: i8,
    /// QEMU `mig_props.tcp`: the context is TCP.
    #[vmstate(rename = "mig_props.tcp")]
    pub mig_props_tcp: i8,
    /// QEMU `tx.header`: the TSO header being built.
    #[vmstate(info = "buffer", rename = "tx.header")]
    pub tx_header: [u8; 256],
    /// QEMU `tx.data`: the packet being assembled.
    #[vmstate(info = "buffer", rename = "tx.data")]
    pub tx_data: [u8; 0x10000],
    /// `eeprom_data`: the EEPROM words; 0-2 are the MAC address.
    pub eeprom_data: [u16; 64],
    /// `phy_reg`: the PHY registers.
    pub phy_reg: [u16; 0x20],
    /// QEMU `mac_reg[CTRL]`.
    #[vmstate(rename = "mac_reg[CTRL]")]
    pub mac_reg_ctrl: u32,
    /// QEMU `mac_reg[EECD]`.
    #[vmstate(rename = "mac_reg[EECD]")]
    pub mac_reg_eecd: u32,
    /// QEMU `mac_reg[EERD]`.
    #[vmstate(rename = "mac_reg[EERD]")]
    pub mac_reg_eerd: u32,
    /// QEMU `mac_reg[GPRC]`.
    #[vmstate(rename = "mac_reg[GPRC]")]
    pub mac_reg_gprc: u32,
    /// QEMU `mac_reg[GPTC]`.
    #[vmstate(rename = "mac_reg[GPTC]")]
    pub mac_reg_gptc: u32,
    /// QEMU `mac_reg[ICR]`.
    #[vmstate(rename = "mac_reg[ICR]")]
    pub mac_reg_icr: u32,
    /// QEMU `mac_reg[ICS]`.
    #[vmstate(rename = "mac_reg[ICS]")]
    pub mac_reg_ics: u32,
    /// QEMU `mac_reg[IMC]`.
    #[vmstate(rename = "mac_reg[IMC]")]
    pub mac_reg_imc: u32,
    /// QEMU `mac_reg[IMS]`.
    #[vmstate(rename = "mac_reg[IMS]")]
    pub mac_reg_ims: u32,
    /// QEMU `mac_reg[LEDCTL]`.
    #[vmstate(rename = "mac_reg[LEDCTL]")]
    pub mac_reg_ledctl: u32,
    /// QEMU `mac_reg[MANC]`.
    #[vmstate(rename = "mac_reg[MANC]")]
    pub mac_reg_manc: u32,
    /// QEMU `mac_reg[MDIC]`.
    #[vmstate(rename = "mac_reg[MDIC]")]
    pub mac_reg_mdic: u32,
    /// QEMU `mac_reg[MPC]`.
    #[vmstate(rename = "mac_reg[MPC]")]
    pub mac_reg_mpc: u32,
    /// QEMU `mac_reg[PBA]`.
    #[vmstate(rename = "mac_reg[PBA]")]
    pub mac_reg_pba: u32,
    /// QEMU `mac_reg[RCTL]`.
    #[vmstate(rename = "mac_reg[RCTL]")]
    pub mac_reg_rctl: u32,
    /// QEMU `mac_reg[RDBAH]`.
    #[vmstate(rename = "mac_reg[RDBAH]")]
    pub mac_reg_rdbah: u32,
    /// QEMU `mac_reg[RDBAL]`.
    #[vmstate(rename = "mac_reg[RDBAL]")]
    pub mac_reg_rdbal: u32,
    /// QEMU `mac_reg[RDH]`.
    #[vmstate(rename = "mac_reg[RDH]")]
    pub mac_reg_rdh: u32,
    /// QEMU `mac_reg[RDLEN]`.
    #[vmstate(rename = "mac_reg[RDLEN]")]
    pub mac_reg_rdlen: u32,
    /// QEMU `mac_reg[RDT]`.
    #[vmstate(rename = "mac_reg[RDT]")]
    pub mac_reg_rdt: u32,
    /// QEMU `mac_reg[STATUS]`.
    #[vmstate(rename = "mac_reg[STATUS]")]
    pub mac_reg_status: u32,
    /// QEMU `mac_reg[SWSM]`.
    #[vmstate(rename = "mac_reg[SWSM]")]
    pub mac_reg_swsm: u32,
    /// QEMU `mac_reg[TCTL]`.
    #[vmstate(rename = "mac_reg[TCTL]")]
    pub mac_reg_tctl: u32,
    /// QEMU `mac_reg[TDBAH]`.
    #[vmstate(rename = "mac_reg[TDBAH]")]
    pub mac_reg_tdbah: u32,
    /// QEMU `mac_reg[TDBAL]`.
    #[vmstate(rename = "mac_reg[TDBAL]")]
    pub mac_reg_tdbal: u32,
    /// QEMU `mac_reg[TDH]`.
    #[vmstate(rename = "mac_reg[TDH]")]
    pub mac_reg_tdh: u32,
    /// QEMU `mac_reg[TDLEN]`.
    #[vmstate(rename = "mac_reg[TDLEN]")]
    pub mac_reg_tdlen: u32,
    /// QEMU `mac_reg[TDT]`.
    #[vmstate(rename = "mac_reg[TDT]")]
    pub mac_reg_tdt: u32,
    /// QEMU `mac_reg[TORH]`.
    #[vmstate(rename = "mac_reg[TORH]")]
    pub mac_reg_torh: u32,
    /// QEMU `mac_reg[TORL]`.
    #[vmstate(rename = "mac_reg[TORL]")]
    pub mac_reg_torl: u32,
    /// QEMU `mac_reg[TOTH]`.
    #[vmstate(rename = "mac_reg[TOTH]")]
    pub mac_reg_toth: u32,
    /// QEMU `mac_reg[TOTL]`.
    #[vmstate(rename = "mac_reg[TOTL]")]
    pub mac_reg_totl: u32,
    /// QEMU `mac_reg[TPR]`.
    #[vmstate(rename = "mac_reg[TPR]")]
    pub mac_reg_tpr: u32,
    /// QEMU `mac_reg[TPT]`.
    #[vmstate(rename = "mac_reg[TPT]")]
    pub mac_reg_tpt: u32,
    /// QEMU `mac_reg[TXDCTL]`.
    #[vmstate(rename = "mac_reg[TXDCTL]")]
    pub mac_reg_txdctl: u32,
    /// QEMU `mac_reg[WUFC]`.
    #[vmstate(rename = "mac_reg[WUFC]")]
    pub mac_reg_wufc: u32,
    /// QEMU `mac_reg[VET]`.
    #[vmstate(rename = "mac_reg[VET]")]
    pub mac_reg_vet: u32,
    /// QEMU `mac_reg` from `RA` (`VMSTATE_UINT32_SUB_ARRAY(mac_reg, .., RA,
    /// 32)`): the receive addresses.
    #[vmstate(rename = "mac_reg[0]")]
    pub mac_reg_ra: [u32; 32],
    /// QEMU `mac_reg` from `MTA`, 128 words: the multicast table.
    #[vmstate(rename = "mac_reg[1]")]
    pub mac_reg_mta: [u32; 128],
    /// QEMU `mac_reg` from `VFTA`, 128 words: the VLAN filter table.
    #[vmstate(rename = "mac_reg[2]")]
    pub mac_reg_vfta: [u32; 128],
    /// `e1000/mit_state`: sent when interrupt mitigation is on.
    #[subsection(needed = E1000::mit_state_needed)]
    pub mit_state: Loaded<E1000MitState>,
    /// `e1000/full_mac_state`: sent when all MAC registers are migrated.
    #[subsection(needed = E1000::full_mac_state_needed)]
    pub full_mac_state: Loaded<E1000FullMacState>,
    /// `e1000/tx_tso_state`: sent when the TSO context is migrated.
    #[subsection(needed = E1000::tx_tso_state_needed)]
    pub tx_tso_state: Loaded<E1000TxTsoState>,
    /// Configuration, not migrated: QEMU property `mitigation` (compat flag
    /// `E1000_FLAG_MIT`; on since 2.0).
    #[vmstate(skip)]
    pub mitigation: bool,
    /// Configuration, not migrated: QEMU property `extra_mac_registers`
    /// (`E1000_FLAG_MAC`; on since 2.5).
    #[vmstate(skip)]
    pub extra_mac_registers: bool,
    /// Configuration, not migrated: QEMU property `migrate_tso_props`
    /// (`E1000_FLAG_TSO`; on since 3.0).
    #[vmstate(skip)]
    pub migrate_tso_props: bool,
}

impl Default for E1000 {
    #[expect(
        clippy::large_stack_arrays,
        reason = "QEMU's state is this big; the array literals build it in place"
    )]
    /// Zero state, with the compatibility flags of a QEMU 7.2 machine.
    fn default() -> Self {
        Self {
            parent_obj: PciDevice::default(),
            unused0: Unused,
            unused1: Unused,
            rxbuf_size: 0,
            rxbuf_min_shift: 0,
            eecd_state_val_in: 0,
            eecd_state_bitnum_in: 0,
            eecd_state_bitnum_out: 0,
            eecd_state_reading: 0,
            eecd_state_old_eecd: 0,
            mig_props_ipcss: 0,
            mig_props_ipcso: 0,
            mig_props_ipcse: 0,
            mig_props_tucss: 0,
            mig_props_tucso: 0,
            mig_props_tucse: 0,
            mig_props_paylen: 0,
            mig_props_hdr_len: 0,
            mig_props_mss: 0,
            tx_size: 0,
            tx_tso_frames: 0,
            tx_sum_needed: 0,
            mig_props_ip: 0,
            mig_props_tcp: 0,
            tx_header: [0; 256],
            tx_data: [0; 0x10000],
            eeprom_data: [0; 64],
            phy_reg: [0; 0x20],
            mac_reg_ctrl: 0,
            mac_reg_eecd: 0,
            mac_reg_eerd: 0,
            mac_reg_gprc: 0,
            mac_reg_gptc: 0,
            mac_reg_icr: 0,
            mac_reg_ics: 0,
            mac_reg_imc: 0,
            mac_reg_ims: 0,
            mac_reg_ledctl: 0,
            mac_reg_manc: 0,
            mac_reg_mdic: 0,
            mac_reg_mpc: 0,
            mac_reg_pba: 0,
            mac_reg_rctl: 0,
            mac_reg_rdbah: 0,
            mac_reg_rdbal: 0,
            mac_reg_rdh: 0,
            mac_reg_rdlen: 0,
            mac_reg_rdt: 0,
            mac_reg_status: 0,
            mac_reg_swsm: 0,
            mac_reg_tctl: 0,
            mac_reg_tdbah: 0,
            mac_reg_tdbal: 0,
            mac_reg_tdh: 0,
            mac_reg_tdlen: 0,
            mac_reg_tdt: 0,
            mac_reg_torh: 0,
            mac_reg_torl: 0,
            mac_reg_toth: 0,
            mac_reg_totl: 0,
            mac_reg_tpr: 0,
            mac_reg_tpt: 0,
            mac_reg_txdctl: 0,
            mac_reg_wufc: 0,
            mac_reg_vet: 0,
            mac_reg_ra: [0; 32],
            mac_reg_mta: [0; 128],
            mac_reg_vfta: [0; 128],
            mit_state: Loaded::default(),
            full_mac_state: Loaded::default(),
            tx_tso_state: Loaded::default(),
            mitigation: true,
            extra_mac_registers: true,
            migrate_tso_props: true,
        }
    }
}

impl E1000 {
    /// The MAC address from EEPROM words 0-2.
    #[must_use]
    pub fn mac_address(&self) -> [u8; 6] {
        let mut mac = [0; 6];
        for (pair, word) in mac.chunks_exact_mut(2).zip(&self.eeprom_data) {
            pair.copy_from_slice(&word.to_le_bytes());
        }
        mac
    }

    /// QEMU `e1000_mit_state_needed` (`chkflag(MIT)`).
    fn mit_state_needed(&self) -> bool {
        self.mitigation
    }

    /// QEMU `e1000_full_mac_needed` (`chkflag(MAC)`).
    fn full_mac_state_needed(&self) -> bool {
        self.extra_mac_registers
    }

    /// QEMU `e1000_tso_state_needed` (`chkflag(TSO)`).
    fn tx_tso_state_needed(&self) -> bool {
        self.migrate_tso_props
    }

    /// The section does not name its machine type, and each subsection is
    /// sent exactly when its flag is on: a subsection on the wire says the
    /// flag was on, its absence that it was off (`mitigation` is off for
    /// machine types before 2.0, `extra_mac_registers` before 2.5,
    /// `migrate_tso_props` before 3.0), so that saving again writes what was
    /// loaded.
    #[expect(
        clippy::unnecessary_wraps,
        reason = "hooks have the signature the derive calls"
    )]
    fn post_load(&mut self, _version_id: u32) -> Result<(), core::convert::Infallible> {
        self.mitigation = Loaded::was_loaded(&self.mit_state);
        self.extra_mac_registers = Loaded::was_loaded(&self.full_mac_state);
        self.migrate_tso_props = Loaded::was_loaded(&self.tx_tso_state);
        Ok(())
    }
}

/// QEMU `is_version_1`.
fn is_version_1(_: &E1000, version_id: u32) -> bool {
    version_id == 1
}

/// QEMU `vmstate_e1000_mit_state` (`e1000/mit_state`, version 1).
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "e1000/mit_state", version = 1)]
pub struct E1000MitState {
    /// QEMU `mac_reg[RDTR]`: receive delay timer.
    #[vmstate(rename = "mac_reg[RDTR]")]
    pub mac_reg_rdtr: u32,
    /// QEMU `mac_reg[RADV]`: receive absolute delay.
    #[vmstate(rename = "mac_reg[RADV]")]
    pub mac_reg_radv: u32,
    /// QEMU `mac_reg[TADV]`: transmit absolute delay.
    #[vmstate(rename = "mac_reg[TADV]")]
    pub mac_reg_tadv: u32,
    /// QEMU `mac_reg[ITR]`: interrupt throttling.
    #[vmstate(rename = "mac_reg[ITR]")]
    pub mac_reg_itr: u32,
    /// `mit_irq_level`: the interrupt level held back by mitigation.
    pub mit_irq_level: bool,
}

/// QEMU `vmstate_e1000_full_mac_state` (`e1000/full_mac_state`, version 1).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "e1000/full_mac_state", version = 1)]
pub struct E1000FullMacState {
    /// `mac_reg`: every MAC register, indexed by offset / 4.
    pub mac_reg: [u32; E1000_MAC_SIZE],
}

impl Default for E1000FullMacState {
    #[expect(
        clippy::large_stack_arrays,
        reason = "QEMU's state is this big; the array literal builds it in place"
    )]
    fn default() -> Self {
        Self {
            mac_reg: [0; E1000_MAC_SIZE],
        }
    }
}

/// QEMU `vmstate_e1000_tx_tso_state` (`e1000/tx_tso_state`, version 1): the
/// TSO context, kept apart from the checksum context since QEMU 3.0.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "e1000/tx_tso_state", version = 1)]
pub struct E1000TxTsoState {
    /// QEMU `tx.tso_props.ipcss`.
    #[vmstate(rename = "tx.tso_props.ipcss")]
    pub tx_tso_props_ipcss: u8,
    /// QEMU `tx.tso_props.ipcso`.
    #[vmstate(rename = "tx.tso_props.ipcso")]
    pub tx_tso_props_ipcso: u8,
    /// QEMU `tx.tso_props.ipcse`.
    #[vmstate(rename = "tx.tso_props.ipcse")]
    pub tx_tso_props_ipcse: u16,
    /// QEMU `tx.tso_props.tucss`.
    #[vmstate(rename = "tx.tso_props.tucss")]
    pub tx_tso_props_tucss: u8,
    /// QEMU `tx.tso_props.tucso`.
    #[vmstate(rename = "tx.tso_props.tucso")]
    pub tx_tso_props_tucso: u8,
    /// QEMU `tx.tso_props.tucse`.
    #[vmstate(rename = "tx.tso_props.tucse")]
    pub tx_tso_props_tucse: u16,
    /// QEMU `tx.tso_props.paylen`.
    #[vmstate(rename = "tx.tso_props.paylen")]
    pub tx_tso_props_paylen: u32,
    /// QEMU `tx.tso_props.hdr_len`.
    #[vmstate(rename = "tx.tso_props.hdr_len")]
    pub tx_tso_props_hdr_len: u8,
    /// QEMU `tx.tso_props.mss`.
    #[vmstate(rename = "tx.tso_props.mss")]
    pub tx_tso_props_mss: u16,
    /// QEMU `tx.tso_props.ip`.
    #[vmstate(rename = "tx.tso_props.ip")]
    pub tx_tso_props_ip: i8,
    /// QEMU `tx.tso_props.tcp`.
    #[vmstate(rename = "tx.tso_props.tcp")]
    pub tx_tso_props_tcp: i8,
}
