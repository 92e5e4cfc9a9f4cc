//! `ICH9LPC` and `ich9_smb`: the q35 machine's ICH9 LPC bridge with its power management,
//! and its `SMBus` controller (`hw/isa/lpc_ich9.c`, `hw/acpi/ich9.c`, `hw/i2c/smbus_ich9.c`).

use super::acpi_piix4::{AcpiPcihpPciStatus, ApmState, MemoryHotplugState, Pmsmb};
use crate::{Loaded, VmState};

/// QEMU `ich9_pm/memhp` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ich9_pm/memhp", version = 1)]
pub struct Ich9LpcMemhp {
    /// `acpi_memory_hotplug`.
    pub acpi_memory_hotplug: MemoryHotplugState,
}

/// QEMU `tco io device status` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "tco io device status", version = 1)]
pub struct Ich9LpcTcoIoDeviceStatus {
    #[vmstate(rename = "tco.rld")]
    pub tco_rld: u16,
    #[vmstate(rename = "tco.din")]
    pub tco_din: u8,
    #[vmstate(rename = "tco.dout")]
    pub tco_dout: u8,
    #[vmstate(rename = "tco.sts1")]
    pub tco_sts1: u16,
    #[vmstate(rename = "tco.sts2")]
    pub tco_sts2: u16,
    #[vmstate(rename = "tco.cnt1")]
    pub tco_cnt1: u16,
    #[vmstate(rename = "tco.cnt2")]
    pub tco_cnt2: u16,
    #[vmstate(rename = "tco.msg1")]
    pub tco_msg1: u8,
    #[vmstate(rename = "tco.msg2")]
    pub tco_msg2: u8,
    #[vmstate(rename = "tco.wdcnt")]
    pub tco_wdcnt: u8,
    #[vmstate(rename = "tco.tmr")]
    pub tco_tmr: u16,
    pub sw_irq_gen: u8,
    #[vmstate(info = "timer")]
    pub tco_timer: i64,
    pub expire_time: i64,
    pub timeouts_no: u8,
}

/// QEMU `ich9_pm/tco` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ich9_pm/tco", version = 1)]
pub struct Ich9LpcTco {
    /// `tco_regs`.
    pub tco_regs: Ich9LpcTcoIoDeviceStatus,
}

/// QEMU `ich9_pm/pcihp` (version 1).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "ich9_pm/pcihp", version = 1)]
pub struct Ich9LpcPcihp {
    #[vmstate(rename = "acpi_pci_hotplug.hotplug_select")]
    pub acpi_pci_hotplug_hotplug_select: u32,
    /// `acpi_pci_hotplug.acpi_pcihp_pci_status`.
    #[vmstate(rename = "acpi_pci_hotplug.acpi_pcihp_pci_status")]
    pub acpi_pci_hotplug_acpi_pcihp_pci_status: [AcpiPcihpPciStatus; 256],
    #[vmstate(rename = "acpi_pci_hotplug.acpi_index")]
    pub acpi_pci_hotplug_acpi_index: u32,
}

impl Default for Ich9LpcPcihp {
    fn default() -> Self {
        Self {
            acpi_pci_hotplug_hotplug_select: Default::default(),
            acpi_pci_hotplug_acpi_pcihp_pci_status: core::array::from_fn(|_| {
                AcpiPcihpPciStatus::default()
            }),
            acpi_pci_hotplug_acpi_index: Default::default(),
        }
    }
}

/// QEMU `ich9_pm` (version 1).
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "ich9_pm", version = 1)]
pub struct Ich9LpcIch9Pm {
    #[vmstate(rename = "acpi_regs.pm1.evt.sts")]
    pub acpi_regs_pm1_evt_sts: u16,
    #[vmstate(rename = "acpi_regs.pm1.evt.en")]
    pub acpi_regs_pm1_evt_en: u16,
    #[vmstate(rename = "acpi_regs.pm1.cnt.cnt")]
    pub acpi_regs_pm1_cnt_cnt: u16,
    #[vmstate(info = "timer", rename = "acpi_regs.tmr.timer")]
    pub acpi_regs_tmr_timer: i64,
    #[vmstate(rename = "acpi_regs.tmr.overflow_time")]
    pub acpi_regs_tmr_overflow_time: i64,
    #[vmstate(rename = "acpi_regs.gpe.sts")]
    pub acpi_regs_gpe_sts: [u8; 16],
    #[vmstate(rename = "acpi_regs.gpe.en")]
    pub acpi_regs_gpe_en: [u8; 16],
    pub smi_en: u32,
    pub smi_sts: u32,
    /// The `ich9_pm/memhp` subsection; sent when it was loaded.
    #[subsection(needed = loaded)]
    pub memhp: Loaded<Ich9LpcMemhp>,
    /// The `ich9_pm/tco` subsection; sent when it was loaded.
    #[subsection(needed = loaded)]
    pub tco: Loaded<Ich9LpcTco>,
    /// The `ich9_pm/pcihp` subsection; sent when it was loaded.
    #[subsection(needed = loaded)]
    pub pcihp: Loaded<Ich9LpcPcihp>,
}

/// QEMU `ICH9LPC` (version 1).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "ICH9LPC", version = 1)]
pub struct Ich9Lpc {
    /// `d`.
    pub d: crate::qemu::pci::PciDevice,
    /// `apm`.
    pub apm: ApmState,
    /// `pm`.
    pub pm: Ich9LpcIch9Pm,
    pub chip_config: [u8; 16384],
    pub sci_level: u32,
}

impl Default for Ich9Lpc {
    fn default() -> Self {
        Self {
            d: crate::qemu::pci::PciDevice::default(),
            apm: ApmState::default(),
            pm: Ich9LpcIch9Pm::default(),
            chip_config: [Default::default(); 16384],
            sci_level: Default::default(),
        }
    }
}

/// QEMU `ich9_smb` (version 1).
#[derive(VmState, Debug, Clone, PartialEq)]
#[vmstate(name = "ich9_smb", version = 1)]
pub struct Ich9Smb {
    /// `dev`.
    pub dev: crate::qemu::pci::PciDevice,
    /// `irq_enabled` (QEMU type `bool`), sent when [`Ich9Smb::migrate_smb`].
    #[vmstate(exists = Ich9Smb::smb_exists)]
    pub irq_enabled: bool,
    /// `smb`, sent when [`Ich9Smb::migrate_smb`].
    #[vmstate(exists = Ich9Smb::smb_exists)]
    pub smb: Pmsmb,
    /// Not migrated: whether the `SMBus` state is on the wire (QEMU
    /// `ich9_vmstate_need_smbus`: off for the machine types that set
    /// `smbus_no_migration_support`, `pc-q35-2.9` and older).
    #[vmstate(skip)]
    pub migrate_smb: bool,
}

impl Ich9Smb {
    /// The payload's bytes when the `SMBus` state is not sent: the PCI function.
    const WITHOUT_SMB: usize = 276;

    /// QEMU `ich9_vmstate_need_smbus`.
    fn smb_exists(&self, _version_id: u32) -> bool {
        self.migrate_smb
    }
}

impl Default for Ich9Smb {
    fn default() -> Self {
        Self {
            dev: crate::qemu::pci::PciDevice::default(),
            irq_enabled: false,
            smb: Pmsmb::default(),
            migrate_smb: true,
        }
    }
}

impl crate::qemu::ForPayload for Ich9Smb {
    /// Without the `SMBus` state the payload is the PCI function alone: it
    /// ends there, or a section footer or header follows (`irq_enabled` is a
    /// `bool`, 0 or 1, so neither a footer's 0x7e nor a FULL header's 4; a
    /// START header's 1 must be followed by a printable idstr).
    fn for_payload(bytes: &[u8]) -> Self {
        use crate::qemu::registry::starts_section_header;
        let rest = bytes.get(Self::WITHOUT_SMB..).unwrap_or_default();
        let ends = rest.is_empty() || rest.first() == Some(&0x7e) || starts_section_header(rest);
        Self {
            migrate_smb: !ends,
            ..Self::default()
        }
    }
}
