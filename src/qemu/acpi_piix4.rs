//! `piix4_pm`: the PIIX4 power-management function with its `SMBus`, ACPI timer,
//! GPE and PCI hotplug state (`hw/acpi/piix4.c`, `hw/acpi/pcihp.c`).
//!
//! Which fields are on the wire depends on the machine type, which the section
//! does not carry: [`Piix4Pm::LAYOUTS`] lists every combination of the three
//! compat properties that decide it, and the registry picks the layout from
//! the bytes (see [`Piix4Layout`]).

use crate::{Loaded, VmState};

/// QEMU `APM State` (version 1), shared with ICH9.
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "APM State", version = 1)]
pub struct ApmState {
    pub apmc: u8,
    pub apms: u8,
}

/// QEMU `pmsmb` (version 1), shared with ICH9.
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "pmsmb", version = 1)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "QEMU's `PMSMBus` keeps these four flags as `bool` fields"
)]
pub struct Pmsmb {
    pub smb_stat: u8,
    pub smb_ctl: u8,
    pub smb_cmd: u8,
    pub smb_addr: u8,
    pub smb_data0: u8,
    pub smb_data1: u8,
    pub smb_index: u32,
    pub smb_data: [u8; 32],
    pub smb_auxctl: u8,
    pub smb_blkdata: u8,
    pub i2c_enable: bool,
    pub op_done: bool,
    pub in_i2c_block_read: bool,
    pub start_transaction_on_status_read: bool,
}

/// QEMU `gpe` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "gpe", version = 1)]
pub struct Piix4PmGpe {
    pub sts: u16,
    pub en: u16,
}

/// QEMU `acpi_pcihp_pci_status` (version 1), shared with ICH9.
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "acpi_pcihp_pci_status", version = 1)]
pub struct AcpiPcihpPciStatus {
    pub up: u32,
    pub down: u32,
}

/// QEMU `memory hotplug state` (version 1), shared with ICH9.
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "memory hotplug state", version = 1)]
pub struct MemoryHotplugState {
    pub selector: u32,
}

/// QEMU `piix4_pm/memhp` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "piix4_pm/memhp", version = 1)]
pub struct Piix4PmMemhp {
    /// `acpi_memory_hotplug`.
    pub acpi_memory_hotplug: MemoryHotplugState,
}

/// QEMU `pci_status` (version 1): the one bus's hotplug status that a
/// machine without bridge hotplug sends (`pc-i440fx-1.7` and older, or
/// `acpi-pci-hotplug-with-bridge-support=off`).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "pci_status", version = 1)]
pub struct PciStatus {
    pub up: u32,
    pub down: u32,
}

/// The machine configuration that decides which `piix4_pm` fields are on the
/// wire. What each machine type of QEMU 7.2 and 10.0 gives:
///
/// | machine types | `migrate_smb` | `acpi_hotplug_bridge` | `use_acpi_index` | `piix4_pm/memhp` | field bytes |
/// |---|---|---|---|---|---|
/// | `pc-i440fx-1.4` ... `1.7` | no | no | no | no | 312 |
/// | `pc-i440fx-2.0` | no | yes | no | no | 2356 |
/// | `pc-i440fx-2.1` ... `3.1` | no | yes | no | yes | 2356 |
/// | `pc-i440fx-4.0` ... `6.2` | yes | yes | no | yes | 2404 |
/// | `pc-i440fx-7.0` and newer | yes | yes | yes | yes | 2408 |
///
/// (`smbus_no_migration_support` of the 3.1 and older machine classes, measured
/// with QEMU 7.2;
/// `acpi-pci-hotplug-with-bridge-support` off in `pc_compat_1_7`;
/// `x-not-migrate-acpi-index` on for `pc-i440fx-6.2` and older, measured with
/// QEMU 7.2 and 10.0;
/// `memory-hotplug-support` off in `pc_compat_2_0`.) The memhp subsection,
/// 24 bytes, is sent whenever memory hotplug is on, so from 2.1 on its header
/// marks where the fields end. The `piix4_pm/cpuhp` subsection follows once
/// a guest's ACPI code switched to the modern CPU hotplug interface (2.7 and
/// newer machine types).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Piix4Layout {
    /// The `SMBus` state is sent (QEMU `vmstate_test_migrate_smb`).
    pub migrate_smb: bool,
    /// PCI hotplug covers bridges: the hotplug selector and the status of
    /// 256 buses are sent, instead of one bus's `pci_status`
    /// (QEMU `use_acpi_hotplug_bridge`).
    pub acpi_hotplug_bridge: bool,
    /// `acpi_index` is sent (QEMU `vmstate_acpi_pcihp_use_acpi_index`).
    pub use_acpi_index: bool,
}

/// QEMU `piix4_pm` (version 3).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "piix4_pm", version = 3)]
pub struct Piix4Pm {
    /// `parent_obj`.
    pub parent_obj: crate::qemu::pci::PciDevice,
    #[vmstate(rename = "ar.pm1.evt.sts")]
    pub ar_pm1_evt_sts: u16,
    #[vmstate(rename = "ar.pm1.evt.en")]
    pub ar_pm1_evt_en: u16,
    #[vmstate(rename = "ar.pm1.cnt.cnt")]
    pub ar_pm1_cnt_cnt: u16,
    /// `apm`.
    pub apm: ApmState,
    /// `smb` (`VMSTATE_STRUCT_TEST`, version 3): the `SMBus` controller, sent
    /// only when [`Piix4Layout::migrate_smb`] (QEMU `vmstate_test_migrate_smb`).
    #[vmstate(exists = Piix4Pm::smb_exists)]
    pub smb: Pmsmb,
    #[vmstate(info = "timer", rename = "ar.tmr.timer")]
    pub ar_tmr_timer: i64,
    #[vmstate(rename = "ar.tmr.overflow_time")]
    pub ar_tmr_overflow_time: i64,
    /// `ar.gpe`.
    #[vmstate(rename = "ar.gpe")]
    pub ar_gpe: Piix4PmGpe,
    /// `acpi_pci_hotplug.acpi_pcihp_pci_status[ACPI_PCIHP_BSEL_DEFAULT]`:
    /// the root bus's status, sent only without bridge hotplug (QEMU
    /// `vmstate_test_no_use_acpi_hotplug_bridge`).
    #[vmstate(
        rename = "acpi_pci_hotplug.acpi_pcihp_pci_status[ACPI_PCIHP_BSEL_DEFAULT]",
        exists = Piix4Pm::no_bridge_exists
    )]
    pub pci_status: PciStatus,
    /// `acpi_pci_hotplug.hotplug_select` (QEMU type `uint32`), sent with
    /// bridge hotplug.
    #[vmstate(
        rename = "acpi_pci_hotplug.hotplug_select",
        exists = Piix4Pm::bridge_exists
    )]
    pub acpi_pci_hotplug_hotplug_select: u32,
    /// `acpi_pci_hotplug.acpi_pcihp_pci_status`, sent with bridge hotplug.
    #[vmstate(
        rename = "acpi_pci_hotplug.acpi_pcihp_pci_status",
        exists = Piix4Pm::bridge_exists
    )]
    pub acpi_pci_hotplug_acpi_pcihp_pci_status: [AcpiPcihpPciStatus; 256],
    /// `acpi_pci_hotplug.acpi_index` (QEMU type `uint32`): sent only when
    /// [`Piix4Layout::use_acpi_index`] (QEMU `vmstate_acpi_pcihp_use_acpi_index`).
    #[vmstate(rename = "acpi_pci_hotplug.acpi_index", exists = Piix4Pm::acpi_index_exists)]
    pub acpi_pci_hotplug_acpi_index: u32,
    /// The `piix4_pm/memhp` subsection; sent when it was loaded.
    #[subsection(needed = loaded)]
    pub memhp: Loaded<Piix4PmMemhp>,
    /// Not migrated: the machine configuration that decides which fields
    /// are on the wire.
    #[vmstate(skip)]
    pub layout: Piix4Layout,
}

impl Piix4Pm {
    /// Every layout, the machine types' own first (newest first), then the
    /// combinations only `-global` options give.
    pub const LAYOUTS: [Piix4Layout; 8] = {
        const fn l(
            migrate_smb: bool,
            acpi_hotplug_bridge: bool,
            use_acpi_index: bool,
        ) -> Piix4Layout {
            Piix4Layout {
                migrate_smb,
                acpi_hotplug_bridge,
                use_acpi_index,
            }
        }
        [
            l(true, true, true),
            l(true, true, false),
            l(false, true, false),
            l(false, false, false),
            l(true, false, true),
            l(true, false, false),
            l(false, true, true),
            l(false, false, true),
        ]
    };

    /// A value of `layout`, else default.
    #[must_use]
    pub fn with_layout(layout: Piix4Layout) -> Self {
        Self {
            layout,
            ..Self::default()
        }
    }

    /// QEMU `vmstate_test_migrate_smb`.
    fn smb_exists(&self, _version_id: u32) -> bool {
        self.layout.migrate_smb
    }

    /// QEMU `vmstate_test_use_acpi_hotplug_bridge`.
    fn bridge_exists(&self, _version_id: u32) -> bool {
        self.layout.acpi_hotplug_bridge
    }

    /// QEMU `vmstate_test_no_use_acpi_hotplug_bridge`.
    fn no_bridge_exists(&self, _version_id: u32) -> bool {
        !self.layout.acpi_hotplug_bridge
    }

    /// QEMU `vmstate_acpi_pcihp_use_acpi_index`.
    fn acpi_index_exists(&self, _version_id: u32) -> bool {
        self.layout.use_acpi_index
    }
}

impl Default for Piix4Pm {
    fn default() -> Self {
        Self {
            parent_obj: crate::qemu::pci::PciDevice::default(),
            ar_pm1_evt_sts: Default::default(),
            ar_pm1_evt_en: Default::default(),
            ar_pm1_cnt_cnt: Default::default(),
            apm: ApmState::default(),
            smb: Pmsmb::default(),
            ar_tmr_timer: Default::default(),
            ar_tmr_overflow_time: Default::default(),
            ar_gpe: Piix4PmGpe::default(),
            pci_status: PciStatus::default(),
            acpi_pci_hotplug_hotplug_select: Default::default(),
            acpi_pci_hotplug_acpi_pcihp_pci_status: core::array::from_fn(|_| {
                AcpiPcihpPciStatus::default()
            }),
            acpi_pci_hotplug_acpi_index: Default::default(),
            memhp: Loaded::default(),
            layout: Self::LAYOUTS[0],
        }
    }
}
