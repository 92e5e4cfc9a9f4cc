//! Section instances numbered as the destination numbers them.
//!
//! QEMU finds the device for a section by idstr and instance id. Releases
//! number some instances differently: QEMU 7.2 gives every `slirp` backend
//! instance 0, 10.0 counts them (0, 1, ...), so 7.2 refuses 10.0's second
//! one ("Unknown savevm section or instance 'slirp' 1") and 10.0 loads both
//! of 7.2's into its first. Sections of one idstr are written in the order
//! their devices were created, which the guest's command line fixes, so the
//! k-th section of an idstr in the stream is the k-th in a reference stream
//! the destination wrote for the same configuration: renumbering the one as
//! the other loses nothing and makes each state reach its own device.
//!
//! Only where the number is the release's choice and no guest sees it
//! ([`RENUMBERABLE`]). A CPU's sections (`apic`, `cpu`, ...) are numbered
//! by its APIC ID, which the topology (`-smp ...,sockets=,cores=`) decides
//! and the guest reads: a 7.2 guest with two sockets of three cores (APIC
//! IDs 0-2 and 4-6) loaded by a 10.0 started with `-smp 6` is refused
//! ("Unknown savevm section or instance 'apic' 6", measured); renumbered,
//! it loaded with the states of CPUs 4-6 on CPUs 3-5, whose CPUID gives
//! other IDs than the state carries.

use std::collections::HashMap;

use super::facts::StreamFacts;

/// The idstrs whose instance numbers releases choose otherwise and no guest
/// sees: QEMU 7.2 numbers every `slirp` backend and every ISA IDE
/// controller 0, 10.0 counts them (`vmstate_register_any`; an `isapc`
/// guest's second controller is `isa-ide` instance 1 in 10.0's stream and 0
/// in 7.2's, measured by the verdict matrix).
pub const RENUMBERABLE: &[&str] = &["slirp", "isa-ide"];

/// A section to renumber: its idstr and its rank among the stream's sections
/// of that idstr (0 for the first), to the destination's instance id.
pub type Renumbering = HashMap<(String, usize), u32>;

/// The sections of `stream` whose instance id differs from the one the
/// reference gives the section of the same idstr and rank. An idstr that the
/// two streams do not carry equally often is left alone: the guests differ
/// there, which [`check_reference`](super::check_reference) reports.
#[must_use]
pub fn instance_renumbering(stream: &StreamFacts, reference: &StreamFacts) -> Renumbering {
    let theirs = ranks(reference);
    let mut renumbering = Renumbering::new();
    for (idstr, ours) in ranks(stream) {
        if !RENUMBERABLE.contains(&idstr) {
            continue;
        }
        let Some(theirs) = theirs.get(idstr).filter(|t| t.len() == ours.len()) else {
            continue;
        };
        for (rank, (our, their)) in ours.iter().zip(theirs).enumerate() {
            if our != their {
                renumbering.insert((idstr.to_owned(), rank), *their);
            }
        }
    }
    renumbering
}

/// The instance ids of each idstr, in stream order.
fn ranks(facts: &StreamFacts) -> HashMap<&str, Vec<u32>> {
    let mut by_idstr: HashMap<&str, Vec<u32>> = HashMap::new();
    for section in &facts.sections {
        by_idstr
            .entry(&section.idstr)
            .or_default()
            .push(section.instance_id);
    }
    by_idstr
}

impl StreamFacts {
    /// The same facts with the sections renumbered as `renumbering` says.
    #[must_use]
    pub fn renumbered(&self, renumbering: &Renumbering) -> Self {
        let mut facts = self.clone();
        let mut seen: HashMap<String, usize> = HashMap::new();
        for section in &mut facts.sections {
            let rank = seen.entry(section.idstr.clone()).or_default();
            if let Some(instance) = renumbering.get(&(section.idstr.clone(), *rank)) {
                section.instance_id = *instance;
            }
            *rank += 1;
        }
        facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::SectionFacts;
    use crate::stream::SectionInfo;

    fn facts(sections: &[(&str, u32)]) -> StreamFacts {
        StreamFacts {
            sections: sections
                .iter()
                .map(|(idstr, instance_id)| {
                    SectionFacts::new(&SectionInfo {
                        idstr: (*idstr).to_owned(),
                        instance_id: *instance_id,
                        version_id: 4,
                    })
                })
                .collect(),
            ..StreamFacts::default()
        }
    }

    #[test]
    fn the_kth_section_of_an_idstr_takes_the_references_instance() {
        let stream = facts(&[("slirp", 0), ("timer", 0), ("slirp", 1)]);
        let reference = facts(&[("slirp", 0), ("slirp", 0), ("timer", 0)]);
        let renumbering = instance_renumbering(&stream, &reference);
        assert_eq!(renumbering.len(), 1);
        assert_eq!(renumbering[&("slirp".to_owned(), 1)], 0);
        let after = stream.renumbered(&renumbering);
        assert_eq!(after.sections[2].instance_id, 0);
        // Back the other way: 7.2's two instances 0 become 0 and 1.
        assert_eq!(
            instance_renumbering(&reference, &stream)[&("slirp".to_owned(), 1)],
            1
        );
    }

    /// A CPU's sections carry its APIC ID: a guest of another topology is
    /// not renumbered into DEST's.
    #[test]
    fn sections_numbered_by_the_topology_are_left_alone() {
        let stream = facts(&[("apic", 0), ("apic", 4)]);
        let reference = facts(&[("apic", 0), ("apic", 1)]);
        assert!(instance_renumbering(&stream, &reference).is_empty());
    }

    #[test]
    fn an_idstr_carried_a_different_number_of_times_is_left_alone() {
        let stream = facts(&[("slirp", 0), ("slirp", 1)]);
        let reference = facts(&[("slirp", 0)]);
        assert!(instance_renumbering(&stream, &reference).is_empty());
    }
}
