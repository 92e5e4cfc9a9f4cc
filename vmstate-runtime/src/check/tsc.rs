//! The TSC frequency an x86 CPU migrates, against the destination's.
//!
//! QEMU's `cpu_post_load` (target/i386/machine.c) refuses a CPU whose
//! migrated `env.tsc_khz` (subsection `cpu/tsc_khz`) differs from a
//! frequency the destination's user set (`-cpu ...,tsc-frequency=`):
//! "Mismatch between user-specified TSC frequency and migrated TSC
//! frequency". The user's setting is not on the wire, but a reference shows
//! what it made of the CPU: under TCG only that property gives `tsc_khz` a
//! value, so a TCG reference that carries one was given it by the user.
//! Under KVM every CPU takes the host's frequency when none is set, so a
//! KVM reference's value may be either: that difference is noted, not
//! refused (KVM itself loads another host's frequency, `kvm_arch_set_tsc_khz`
//! failing quietly where the user set none).

use super::facts::{SectionFacts, StreamFacts};
use super::obstacle::Obstacle;

/// What a CPU section's TSC frequency means for the destination the
/// reference shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TscVerdict {
    /// The frequencies agree, or one side carries none.
    Same,
    /// DEST refuses: its frequency was set by its user.
    Refused(Obstacle),
    /// DEST runs KVM and has another frequency: it refuses only if its user
    /// set it (`cpu:INSTANCE (STREAM kHz, DEST's DEST kHz)`).
    Unknown(String),
}

/// Whether a reference was written under KVM: its `kvmclock` section,
/// which a PC guest has under KVM (even with `-cpu ...,-kvmclock`,
/// measured with 7.2) and never under TCG.
fn under_kvm(reference: &StreamFacts) -> bool {
    reference
        .sections
        .iter()
        .any(|section| section.idstr == "kvmclock")
}

/// Compares a `cpu` section's TSC frequency with the reference's.
pub(super) fn tsc_difference(
    section: &SectionFacts,
    theirs: &SectionFacts,
    reference: &StreamFacts,
) -> TscVerdict {
    let (Some(ours), Some(dest)) = (section.device().tsc_khz, theirs.device().tsc_khz) else {
        return TscVerdict::Same;
    };
    // `cpu_post_load` compares only where both are set.
    if ours == 0 || dest == 0 || ours == dest {
        return TscVerdict::Same;
    }
    if under_kvm(reference) {
        return TscVerdict::Unknown(format!(
            "{}:{} ({ours} kHz, DEST's {dest} kHz)",
            section.idstr, section.instance_id
        ));
    }
    TscVerdict::Refused(Obstacle::DeviceState {
        idstr: section.idstr.clone(),
        instance_id: section.instance_id,
        what: format!(
            "subsection `cpu/tsc_khz` field `env.tsc_khz` is {ours} kHz, and DEST's CPU runs at \
             {dest} kHz, which under TCG only its `-cpu ...,tsc-frequency=` sets: \
             `cpu_post_load` refuses any other (QEMU: \"Mismatch between user-specified TSC \
             frequency and migrated TSC frequency\")"
        ),
    })
}

/// The CPUs whose TSC frequency a KVM reference shows otherwise than the
/// stream ([`TscVerdict::Unknown`]), as `cpu:INSTANCE (...)`.
pub(super) fn kvm_tsc_differences(stream: &StreamFacts, reference: &StreamFacts) -> Vec<String> {
    stream
        .sections
        .iter()
        .filter_map(|section| {
            let theirs = reference.sections.iter().find(|theirs| {
                theirs.idstr == section.idstr && theirs.instance_id == section.instance_id
            })?;
            match tsc_difference(section, theirs, reference) {
                TscVerdict::Unknown(which) => Some(which),
                TscVerdict::Same | TscVerdict::Refused(_) => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{TscVerdict, tsc_difference};
    use crate::check::{SectionFacts, StreamFacts};
    use crate::stream::SectionInfo;

    fn cpu(khz: Option<u64>) -> SectionFacts {
        let mut section = SectionFacts::new(&SectionInfo {
            idstr: "cpu".into(),
            instance_id: 0,
            version_id: 12,
        });
        section.device_mut().tsc_khz = khz;
        section
    }

    fn reference(kvm: bool) -> StreamFacts {
        let mut sections = vec![cpu(Some(2_000_000))];
        if kvm {
            sections.push(SectionFacts::new(&SectionInfo {
                idstr: "kvmclock".into(),
                instance_id: 0,
                version_id: 1,
            }));
        }
        StreamFacts {
            sections,
            ..StreamFacts::default()
        }
    }

    #[test]
    fn another_user_set_frequency_is_refused_under_tcg() {
        let verdict = tsc_difference(
            &cpu(Some(1_000_000)),
            &cpu(Some(2_000_000)),
            &reference(false),
        );
        let TscVerdict::Refused(obstacle) = verdict else {
            panic!("{verdict:?}");
        };
        let text = obstacle.to_string();
        assert!(text.contains("section `cpu` instance 0"), "{text}");
        assert!(text.contains("env.tsc_khz"), "{text}");
        assert!(
            text.contains("Mismatch between user-specified TSC frequency"),
            "{text}"
        );
    }

    #[test]
    fn a_kvm_destination_is_only_noted() {
        assert_eq!(
            tsc_difference(
                &cpu(Some(1_000_000)),
                &cpu(Some(2_000_000)),
                &reference(true)
            ),
            TscVerdict::Unknown("cpu:0 (1000000 kHz, DEST's 2000000 kHz)".into())
        );
    }

    #[test]
    fn equal_or_unset_frequencies_load() {
        for (ours, dest) in [
            (Some(5), Some(5)),
            (None, Some(5)),
            (Some(5), None),
            (Some(0), Some(5)),
        ] {
            assert_eq!(
                tsc_difference(&cpu(ours), &cpu(dest), &reference(false)),
                TscVerdict::Same
            );
        }
    }
}
