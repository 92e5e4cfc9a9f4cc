//! `fw_cfg`: the firmware configuration interface (`hw/nvram/fw_cfg.c`).

use crate::{Loaded, VmState};

/// QEMU `vmstate_fw_cfg` (`fw_cfg`, version 2, minimum 1): the selected item
/// and read position, the DMA address, and the sizes of the ACPI blobs.
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(
    name = "fw_cfg",
    version = 2,
    minimum_version = 1,
    post_load = FwCfg::post_load
)]
pub struct FwCfg {
    /// `cur_entry`: the selected item (`FW_CFG_*` key).
    pub cur_entry: u16,
    /// `VMSTATE_UINT16_HACK(cur_offset, .., is_version_1)`: version 1 sent the
    /// offset as 16 bits. Loaded only from version-1 payloads; `post_load`
    /// copies it into [`cur_offset`](Self::cur_offset), and a save for a
    /// version-1 receiver writes `cur_offset` (saturated to 16 bits).
    #[vmstate(
        exists = is_version_1,
        rename = "cur_offset[0]",
        value = FwCfg::cur_offset_for_v1
    )]
    pub cur_offset_v1: u16,
    /// `cur_offset` (version 2): the read position inside the item.
    #[vmstate(since = 2, rename = "cur_offset[1]")]
    pub cur_offset: u32,
    /// `fw_cfg/dma`: sent when the DMA interface is on.
    #[subsection(needed = FwCfg::dma_needed)]
    pub dma: Loaded<FwCfgDma>,
    /// `fw_cfg/acpi_mr`: sent when the ACPI blob sizes must be restored.
    #[subsection(needed = FwCfg::acpi_mr_needed)]
    pub acpi_mr: Loaded<FwCfgAcpiMr>,
    /// Configuration, not migrated: the DMA interface is on (QEMU
    /// `dma_enabled`, property `dma_enabled`; true on pc and q35 machines).
    #[vmstate(skip)]
    pub dma_enabled: bool,
    /// Configuration, not migrated: QEMU property `acpi-mr-restore` (true for
    /// machine types since 5.0).
    #[vmstate(skip)]
    pub acpi_mr_restore: bool,
}

impl Default for FwCfg {
    /// Zero state, with the configuration of a QEMU 7.2 pc or q35 machine.
    fn default() -> Self {
        Self {
            cur_entry: 0,
            cur_offset_v1: 0,
            cur_offset: 0,
            dma: Loaded::default(),
            acpi_mr: Loaded::default(),
            dma_enabled: true,
            acpi_mr_restore: true,
        }
    }
}

impl FwCfg {
    /// The host page size that QEMU's `fw_cfg_acpi_mr_restore` compares the
    /// sizes with (`qemu_real_host_page_size()` on an x86 host).
    pub const HOST_PAGE_SIZE: u64 = 4096;

    /// QEMU `fw_cfg_dma_enabled`.
    fn dma_needed(&self) -> bool {
        self.dma_enabled
    }

    /// QEMU `fw_cfg_acpi_mr_restore`: the option is on and some size is not
    /// a whole number of host pages.
    fn acpi_mr_needed(&self) -> bool {
        let aligned = |size: u64| size.is_multiple_of(Self::HOST_PAGE_SIZE);
        self.acpi_mr_restore
            && !(aligned(self.acpi_mr.table_mr_size)
                && aligned(self.acpi_mr.linker_mr_size)
                && aligned(self.acpi_mr.rsdp_mr_size))
    }

    /// What a version-1 receiver gets: the offset in 16 bits, saturated.
    fn cur_offset_for_v1(&self) -> u16 {
        u16::try_from(self.cur_offset).unwrap_or(u16::MAX)
    }

    /// A version-1 payload carried the offset in 16 bits.
    #[expect(
        clippy::unnecessary_wraps,
        reason = "hooks have the signature the derive calls"
    )]
    fn post_load(&mut self, version_id: u32) -> Result<(), core::convert::Infallible> {
        if version_id == 1 {
            self.cur_offset = u32::from(self.cur_offset_v1);
        }
        // The section does not name its machine type: a subsection on the
        // wire says the option that sends it was on, its absence that it was
        // off (machine types before 2.5 have no DMA interface, before 5.0 no
        // `acpi-mr-restore`), so that saving again writes what was loaded.
        self.dma_enabled = Loaded::was_loaded(&self.dma);
        self.acpi_mr_restore = Loaded::was_loaded(&self.acpi_mr);
        Ok(())
    }
}

/// QEMU `is_version_1`.
fn is_version_1(_: &FwCfg, version_id: u32) -> bool {
    version_id == 1
}

/// QEMU `vmstate_fw_cfg_dma` (`fw_cfg/dma`), which has no `version_id`, so
/// version 0.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "fw_cfg/dma", version = 0)]
pub struct FwCfgDma {
    /// `dma_addr`: the guest-physical address of the DMA request being built.
    pub dma_addr: u64,
}

/// QEMU `vmstate_fw_cfg_acpi_mr` (`fw_cfg/acpi_mr`, version 1): the used
/// lengths of the ACPI RAM blocks, which the destination resizes to.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "fw_cfg/acpi_mr", version = 1)]
pub struct FwCfgAcpiMr {
    /// `table_mr_size`: bytes of `etc/acpi/tables`.
    pub table_mr_size: u64,
    /// `linker_mr_size`: bytes of `etc/table-loader`.
    pub linker_mr_size: u64,
    /// `rsdp_mr_size`: bytes of `etc/acpi/rsdp`.
    pub rsdp_mr_size: u64,
}
