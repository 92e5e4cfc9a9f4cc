//! `vga`: the standard VGA on PCI (`hw/display/vga-pci.c`, `-device VGA`),
//! whose sequencer and graphics registers migrate only in part
//! (`VMSTATE_PARTIAL_BUFFER`).

use super::pci::PciDevice;
use crate::VmState;

/// `VBE_DISPI_INDEX_NB`: the number of Bochs VBE registers.
pub const VBE_REGS: usize = 10;

/// QEMU `vmstate_vga_pci` (`vga`, version 2): the PCI function and the VGA
/// state. 1407 bytes.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "vga", version = 2)]
pub struct PciVga {
    /// `dev`: the PCI function (`VMSTATE_PCI_DEVICE`).
    pub dev: PciDevice,
    /// `vga` (`VMSTATE_STRUCT`, `vmstate_vga_common`).
    pub vga: VgaCommon,
}

/// QEMU `vmstate_vga_common` (`vga`, version 2): the VGA registers, the DAC
/// palette and the Bochs VBE extension.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "vga", version = 2)]
pub struct VgaCommon {
    /// `latch`: the four planes' latches.
    pub latch: u32,
    /// `sr_index`: the sequencer register selected through port 0x3c4.
    pub sr_index: u8,
    /// `sr`: the sequencer registers; only the first 8 of QEMU's 256-byte
    /// array migrate (`VMSTATE_PARTIAL_BUFFER(sr, .., 8)`).
    #[vmstate(with = crate::with::PartialBuffer::<8>, info = "buffer")]
    pub sr: [u8; 256],
    /// `gr_index`: the graphics register selected through port 0x3ce.
    pub gr_index: u8,
    /// `gr`: the graphics controller registers; the first 16 of 256 migrate
    /// (`VMSTATE_PARTIAL_BUFFER(gr, .., 16)`).
    #[vmstate(with = crate::with::PartialBuffer::<16>, info = "buffer")]
    pub gr: [u8; 256],
    /// `ar_index`: the attribute register index (and palette-address bit).
    pub ar_index: u8,
    /// `ar`: the attribute controller registers.
    #[vmstate(info = "buffer")]
    pub ar: [u8; 21],
    /// `ar_flip_flop`: whether port 0x3c0 takes an index (0) or data (1).
    pub ar_flip_flop: i32,
    /// `cr_index`: the CRT controller register selected through port 0x3d4.
    pub cr_index: u8,
    /// `cr`: the CRT controller registers.
    #[vmstate(info = "buffer")]
    pub cr: [u8; 256],
    /// `msr`: the miscellaneous output register.
    pub msr: u8,
    /// `fcr`: the feature control register.
    pub fcr: u8,
    /// `st00`: input status 0.
    pub st00: u8,
    /// `st01`: input status 1.
    pub st01: u8,
    /// `dac_state`: whether the DAC was last read (3) or written (0).
    pub dac_state: u8,
    /// `dac_sub_index`: red, green or blue of the current DAC entry.
    pub dac_sub_index: u8,
    /// `dac_read_index`: the DAC entry port 0x3c9 reads.
    pub dac_read_index: u8,
    /// `dac_write_index`: the DAC entry port 0x3c9 writes.
    pub dac_write_index: u8,
    /// `dac_cache`: the components of an entry being written.
    #[vmstate(info = "buffer")]
    pub dac_cache: [u8; 3],
    /// `palette`: 256 RGB entries of 6 bits each.
    #[vmstate(info = "buffer")]
    pub palette: [u8; 768],
    /// `bank_offset`: the offset of the 64 KiB window into video memory.
    pub bank_offset: i32,
    /// `is_vbe_vmstate` (`VMSTATE_UINT8_EQUAL`): 1 on both sides, since QEMU
    /// always has the VBE extension.
    #[vmstate(equal, info = "uint8 equal")]
    pub is_vbe_vmstate: u8,
    /// `vbe_index`: the VBE register selected through port 0x1ce.
    pub vbe_index: u16,
    /// `vbe_regs`: the VBE registers (id, xres, yres, bpp, enable, bank,
    /// virt width, virt height, x and y offset).
    pub vbe_regs: [u16; VBE_REGS],
    /// `vbe_start_addr`: the display start in video memory, in bytes.
    pub vbe_start_addr: u32,
    /// `vbe_line_offset`: bytes per scan line in VBE modes.
    pub vbe_line_offset: u32,
    /// `vbe_bank_mask`: the bank number mask (video memory size / 64 KiB - 1).
    pub vbe_bank_mask: u32,
}

impl Default for VgaCommon {
    /// All registers zero, with the VBE extension present.
    fn default() -> Self {
        Self {
            latch: 0,
            sr_index: 0,
            sr: [0; 256],
            gr_index: 0,
            gr: [0; 256],
            ar_index: 0,
            ar: [0; 21],
            ar_flip_flop: 0,
            cr_index: 0,
            cr: [0; 256],
            msr: 0,
            fcr: 0,
            st00: 0,
            st01: 0,
            dac_state: 0,
            dac_sub_index: 0,
            dac_read_index: 0,
            dac_write_index: 0,
            dac_cache: [0; 3],
            palette: [0; 768],
            bank_offset: 0,
            is_vbe_vmstate: 1,
            vbe_index: 0,
            vbe_regs: [0; VBE_REGS],
            vbe_start_addr: 0,
            vbe_line_offset: 0,
            vbe_bank_mask: 0,
        }
    }
}
