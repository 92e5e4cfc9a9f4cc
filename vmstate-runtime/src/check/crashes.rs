//! Loads that kill the destination: QEMU bugs where loading a section makes
//! the process abort (a failed assertion) instead of refusing the stream with
//! an error. The guest is lost all the same, so the verdict counts them as
//! refusals. Each rule names the releases it was seen in, the fields whose
//! values decide it (read from the payload), and QEMU's own message.

use super::facts::SectionFacts;

/// One section that some releases abort on.
pub(super) struct LoadCrash {
    /// The section's idstr, exactly.
    pub idstr: &'static str,
    /// The releases that abort, oldest and newest, as far as they were
    /// tried: rules are only as wide as what was seen.
    pub releases: ((u32, u32), (u32, u32)),
    /// The payload fields (vmdesc paths) that `aborts` reads.
    pub fields: &'static [&'static str],
    /// Whether a payload with these field values aborts the load; `None`
    /// when a field is missing or too short (the rule then assumes it does).
    pub aborts: fn(&[&[u8]]) -> Option<bool>,
    /// What happens, with QEMU's message.
    pub what: &'static str,
}

/// The rules. Each was seen with a real QEMU of the release named.
pub(super) const LOAD_CRASHES: &[LoadCrash] = &[LoadCrash {
    // The ISA Cirrus VGA (`isapc`'s, or `-device isa-cirrus-vga`): the PCI
    // one is `0000:00:02.0/cirrus_vga`.
    idstr: "cirrus_vga",
    releases: ((7, 2), (7, 2)),
    fields: &["vga.sr", "vga.gr"],
    aborts: cirrus_maps_linear_vram,
    what: "its post_load maps the linear VRAM banks, which QEMU 7.2's ISA Cirrus VGA never \
           made (QEMU: \"memory_region_set_alias_offset: Assertion `mr->alias' failed\", and \
           the process aborts); QEMU 10.0 loads it",
}];

/// QEMU 7.2's `cirrus_update_memory_access`, which `cirrus_post_load` calls:
/// it maps the linear VRAM (and aborts) unless the sequencer or graphics
/// registers select generic I/O. The blit pointers it also reads are not
/// migrated, and a destination has them reset, which maps.
fn cirrus_maps_linear_vram(fields: &[&[u8]]) -> Option<bool> {
    let [sr, gr] = fields else {
        return None;
    };
    // SR17 (extended control), GR05 (graphics mode), GR0B (extensions).
    let (extended_control, graphics_mode, extensions) =
        (*sr.get(0x17)?, *gr.get(0x05)?, *gr.get(0x0b)?);
    let mode = graphics_mode & 0x7;
    let generic_io = extended_control & 0x44 == 0x44
        || extensions & 0x14 == 0x14
        || extensions & 0x02 != 0
        || ((4..=5).contains(&mode) && extensions & 0x04 != 0);
    Some(!generic_io)
}

/// An xHCI controller without MSI-X (`nec-usb-xhci,msix=off`): its
/// `post_load` (`xhci_pci_vmstate_post_load`) marks every interrupter's
/// MSI-X vector used or unused whether or not the device has MSI-X, and
/// `msix_vector_unuse` asserts that the vector is one of the device's.
/// Measured: QEMU 7.2 and 10.0.2 abort loading any such stream, their own
/// too, paused or not, on `pc-q35-7.2` and `pc-q35-10.0`.
const XHCI_WITHOUT_MSIX: &str = "xHCI's post_load marks each interrupter's MSI-X vector used or \
     unused whatever the device's MSI-X, and this controller has none (`msix=off`) (QEMU: \
     \"msix_vector_unuse: Assertion `vector < dev->msix_entries_nr' failed\", and the process \
     aborts); seen in QEMU 7.2 and 10.0, loading even a stream of their own";

/// What the destination's release does on loading a PCI device's section,
/// judged by its configuration space (the destination builds the device
/// with the same properties, or the configuration comparison refuses
/// first), when a rule says it aborts.
pub(super) fn pci_load_crash(section: &SectionFacts, release: (u32, u32)) -> Option<&'static str> {
    let config = section.pci_config.as_deref()?;
    let device = section.idstr.rsplit('/').next()?;
    (device == "xhci"
        && ((7, 2)..=(10, 0)).contains(&release)
        && super::pci::find_capability(config, 0x11).is_none())
    .then_some(XHCI_WITHOUT_MSIX)
}

/// The fields a rule reads from sections of this idstr, if a rule names it.
pub(super) fn fields_for(idstr: &str) -> Option<&'static [&'static str]> {
    LOAD_CRASHES
        .iter()
        .find(|rule| rule.idstr == idstr)
        .map(|rule| rule.fields)
}

/// What the destination's release does on loading `section`, when a rule
/// says it aborts.
pub(super) fn load_crash(section: &SectionFacts, release: (u32, u32)) -> Option<&'static str> {
    let rule = LOAD_CRASHES.iter().find(|rule| {
        rule.idstr == section.idstr && (rule.releases.0..=rule.releases.1).contains(&release)
    })?;
    let values: Option<Vec<&[u8]>> = rule
        .fields
        .iter()
        .map(|path| {
            section
                .crash_fields
                .iter()
                .find(|(name, _)| name == path)
                .map(|(_, bytes)| bytes.as_slice())
        })
        .collect();
    let aborts = values.and_then(|values| (rule.aborts)(&values));
    aborts.unwrap_or(true).then_some(rule.what)
}

#[cfg(test)]
mod tests {
    use super::cirrus_maps_linear_vram;

    /// SR and GR with SR17, GR05 and GR0B set.
    fn registers([extended_control, graphics_mode, extensions]: [u8; 3]) -> (Vec<u8>, Vec<u8>) {
        let mut sr = vec![0; 256];
        let mut gr = vec![0; 256];
        sr[0x17] = extended_control;
        gr[0x05] = graphics_mode;
        gr[0x0b] = extensions;
        (sr, gr)
    }

    #[test]
    fn the_cirrus_rule_follows_qemu_s_memory_access_choice() {
        for (values, maps) in [
            // Reset state, text and plain graphics modes: mapped.
            ([0, 0, 0], true),
            ([0, 0x40, 0], true),
            ([0, 4, 0], true),
            // Memory-mapped I/O on, extended write modes, BitBLT modes.
            ([0x44, 0, 0], false),
            ([0, 0, 0x14], false),
            ([0, 0, 0x02], false),
            ([0, 4, 0x04], false),
            ([0, 5, 0x04], false),
            ([0, 6, 0x04], true),
        ] {
            let (sr, gr) = registers(values);
            assert_eq!(
                cirrus_maps_linear_vram(&[&sr, &gr]),
                Some(maps),
                "SR17, GR05, GR0B = {values:x?}"
            );
        }
        assert_eq!(cirrus_maps_linear_vram(&[&[0; 4], &[0; 256]]), None);
        assert_eq!(cirrus_maps_linear_vram(&[&[0; 256]]), None);
    }
}
