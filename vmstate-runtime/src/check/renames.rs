//! Names QEMU changed without changing the wire format, so that comparing dumps
//! of two QEMU releases does not report them. The same history that QEMU's
//! `vmstate-static-checker.py` carries, written as exact pairs.

/// `(scope, one name, the other)`: in the description or section `scope`, the
/// two field (or description) names stand for the same bytes.
const FIELDS: &[(&str, &str, &str)] = &[
    ("apic", "timer", "timer_expiry"),
    ("e1000", "dev", "parent_obj"),
    ("ehci", "dev", "pcidev"),
    ("I440FX", "dev", "parent_obj"),
    ("ich9_ahci", "card", "parent_obj"),
    ("ich9-ahci", "ahci", "ich9_ahci"),
    ("ioh3420", "PCIDevice", "PCIEDevice"),
    (
        "ioh-3240-express-root-port",
        "port.br.dev",
        "parent_obj.parent_obj.parent_obj",
    ),
    (
        "ioh-3240-express-root-port",
        "port.br.dev.exp.aer_log",
        "parent_obj.parent_obj.parent_obj.exp.aer_log",
    ),
    ("cirrus_vga", "hw_cursor_x", "vga.hw_cursor_x"),
    ("cirrus_vga", "hw_cursor_y", "vga.hw_cursor_y"),
    ("lsiscsi", "dev", "parent_obj"),
    ("mch", "d", "parent_obj"),
    ("pci_bridge", "bridge.dev", "parent_obj"),
    ("pci_bridge", "bridge.dev.shpc", "shpc"),
    ("pcnet", "pci_dev", "parent_obj"),
    ("PIIX3", "pci_irq_levels", "pci_irq_levels_vmstate"),
    ("piix4_pm", "dev", "parent_obj"),
    (
        "piix4_pm",
        "pci0_status",
        "acpi_pci_hotplug.acpi_pcihp_pci_status[0x0]",
    ),
    ("piix4_pm", "pm1a.sts", "ar.pm1.evt.sts"),
    ("piix4_pm", "pm1a.en", "ar.pm1.evt.en"),
    ("piix4_pm", "pm1_cnt.cnt", "ar.pm1.cnt.cnt"),
    ("piix4_pm", "tmr.timer", "ar.tmr.timer"),
    ("piix4_pm", "tmr.overflow_time", "ar.tmr.overflow_time"),
    ("piix4_pm", "gpe", "ar.gpe"),
    ("rtl8139", "dev", "parent_obj"),
    ("qxl", "num_surfaces", "ssd.num_surfaces"),
    (
        "usb-ccid",
        "abProtocolDataStructure",
        "abProtocolDataStructure.data",
    ),
    ("usb-host", "dev", "parent_obj"),
    ("usb-mouse", "usb-ptr-queue", "HIDPointerEventQueue"),
    ("usb-tablet", "usb-ptr-queue", "HIDPointerEventQueue"),
    ("vmware_vga", "card", "parent_obj"),
    ("vmware_vga_internal", "depth", "new_depth"),
    ("xhci", "pci_dev", "parent_obj"),
    ("x3130-upstream", "PCIDevice", "PCIEDevice"),
    (
        "xio3130-express-downstream-port",
        "port.br.dev",
        "parent_obj.parent_obj.parent_obj",
    ),
    (
        "xio3130-express-downstream-port",
        "port.br.dev.exp.aer_log",
        "parent_obj.parent_obj.parent_obj.exp.aer_log",
    ),
    ("xio3130-downstream", "PCIDevice", "PCIEDevice"),
    (
        "xio3130-express-upstream-port",
        "br.dev",
        "parent_obj.parent_obj",
    ),
    (
        "xio3130-express-upstream-port",
        "br.dev.exp.aer_log",
        "parent_obj.parent_obj.exp.aer_log",
    ),
    ("spapr_pci", "dma_liobn[0]", "mig_liobn"),
    ("spapr_pci", "mem_win_addr", "mig_mem_win_addr"),
    ("spapr_pci", "mem_win_size", "mig_mem_win_size"),
    ("spapr_pci", "io_win_addr", "mig_io_win_addr"),
    ("spapr_pci", "io_win_size", "mig_io_win_size"),
    ("hpet", "num_timers", "num_timers_save"),
];

/// Sections that were renamed, as `(one name, the other)`.
const SECTIONS: &[(&str, &str)] = &[("ICH9 LPC", "ICH9-LPC"), ("e1000-82540em", "e1000")];

/// Whether `src` and `dest` name the same field (or description) inside `scope`.
pub(super) fn same_name(scope: &str, src: &str, dest: &str) -> bool {
    src == dest
        || FIELDS
            .iter()
            .any(|&(s, a, b)| s == scope && ((a == src && b == dest) || (a == dest && b == src)))
}

/// The other name of a renamed section.
pub(super) fn other_section_name(name: &str) -> Option<&'static str> {
    SECTIONS.iter().find_map(|&(a, b)| {
        if a == name {
            Some(b)
        } else if b == name {
            Some(a)
        } else {
            None
        }
    })
}
