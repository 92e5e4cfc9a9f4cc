//! Subsections: sent when needed, found by name in any order, nested, and
//! refused when unknown or repeated.

mod support;

use support::examples::{Card, CardDma, CardDmaExtra, CardIrq};
use vmstate::{ErrorKind, PathSegment, VmState};

/// The bytes of subsection `name` at `version` around `payload`.
fn subsection(name: &str, version: u32, payload: &[u8]) -> Vec<u8> {
    let mut bytes = vec![0x05, u8::try_from(name.len()).unwrap()];
    bytes.extend_from_slice(name.as_bytes());
    bytes.extend_from_slice(&version.to_be_bytes());
    bytes.extend_from_slice(payload);
    bytes
}

#[test]
fn unneeded_subsections_are_not_sent() {
    let card = Card {
        reg: 7,
        ..Card::default()
    };
    assert_eq!(vmstate::to_vec(&card).unwrap(), [7]);
}

#[test]
fn needed_subsections_follow_the_fields_in_declaration_order() {
    let card = Card {
        reg: 7,
        irq: CardIrq { level: 1 },
        dma: CardDma {
            addr: 0x1000,
            extra: CardDmaExtra { flags: 3 },
        },
    };
    let mut expected = vec![7];
    expected.extend(subsection("card/irq", 2, &[1]));
    let mut dma = vec![0, 0, 0x10, 0];
    dma.extend(subsection("card/dma/extra", 1, &[0, 3]));
    expected.extend(subsection("card/dma", 1, &dma));
    let bytes = vmstate::to_vec(&card).unwrap();
    assert_eq!(bytes, expected);
    assert_eq!(vmstate::from_slice::<Card>(&bytes, 1).unwrap(), card);
}

#[test]
fn subsections_load_in_any_order() {
    let mut bytes = vec![7];
    bytes.extend(subsection("card/dma", 1, &[0, 0, 0, 9]));
    bytes.extend(subsection("card/irq", 2, &[4]));
    let card: Card = vmstate::from_slice(&bytes, 1).unwrap();
    assert_eq!((card.irq.level, card.dma.addr), (4, 9));
}

#[test]
fn absent_subsection_keeps_the_current_value() {
    let mut card = Card {
        irq: CardIrq { level: 5 },
        ..Card::default()
    };
    vmstate::load_into(&mut card, &[1], 1).unwrap();
    assert_eq!((card.reg, card.irq.level), (1, 5));
}

#[test]
fn unknown_subsection_is_an_error_naming_it_and_its_parent() {
    let mut bytes = vec![7];
    bytes.extend(subsection("card/msi", 1, &[1]));
    let err = vmstate::from_slice::<Card>(&bytes, 1).unwrap_err();
    match err.kind() {
        Some(ErrorKind::UnknownSubsection { name, parent }) => {
            assert_eq!((name.as_str(), *parent), ("card/msi", "card"));
        }
        _ => panic!("unexpected {err:?}"),
    }
    assert_eq!(err.offset(), Some(1));
    assert_eq!(
        err.to_string(),
        "section `card`, byte offset 1: unknown subsection `card/msi` in `card`"
    );
}

#[test]
fn nested_unknown_subsection_names_the_path() {
    let mut dma = vec![0, 0, 0, 1];
    dma.extend(subsection("card/dma/bogus", 1, &[]));
    let mut bytes = vec![7];
    bytes.extend(subsection("card/dma", 1, &dma));
    let err = vmstate::from_slice::<Card>(&bytes, 1).unwrap_err();
    assert_eq!(
        err.path().cloned().collect::<Vec<_>>(),
        [PathSegment::Subsection {
            field: "dma",
            name: "card/dma"
        }]
    );
    assert!(
        err.to_string()
            .contains("unknown subsection `card/dma/bogus` in `card/dma`"),
        "{err}"
    );
}

#[test]
fn subsection_version_is_checked_against_the_subsection_type() {
    let mut bytes = vec![7];
    bytes.extend(subsection("card/irq", 3, &[1]));
    let err = vmstate::from_slice::<Card>(&bytes, 1).unwrap_err();
    assert!(matches!(
        err.kind(),
        Some(ErrorKind::VersionTooNew {
            name: "card/irq",
            found: 3,
            ..
        })
    ));
    assert_eq!(err.path_string(), "irq");
}

#[test]
fn repeated_subsection_is_an_error() {
    let mut bytes = vec![7];
    bytes.extend(subsection("card/irq", 2, &[1]));
    bytes.extend(subsection("card/irq", 2, &[2]));
    let err = vmstate::from_slice::<Card>(&bytes, 1).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::DuplicateSubsection { name: "card/irq" })
        ),
        "{err:?}"
    );
}

#[test]
fn truncated_subsection_names_the_field_inside_it() {
    let mut bytes = vec![7];
    bytes.extend(subsection("card/dma", 1, &[0, 0]));
    let err = vmstate::from_slice::<Card>(&bytes, 1).unwrap_err();
    assert_eq!(err.path_string(), "dma.addr");
    assert!(matches!(
        err.kind(),
        Some(ErrorKind::UnexpectedEof {
            needed: 4,
            available: 2
        })
    ));
    assert_eq!(err.offset(), Some(bytes.len() as u64 - 2));
}

#[test]
fn bytes_that_are_not_our_subsection_are_trailing_data() {
    // A subsection of another device is not ours: the payload ends before it.
    let mut bytes = vec![7];
    bytes.extend(subsection("other/irq", 1, &[1]));
    let err = vmstate::from_slice::<Card>(&bytes, 1).unwrap_err();
    assert!(
        matches!(err.kind(), Some(ErrorKind::TrailingBytes { .. })),
        "{err:?}"
    );
    assert_eq!(err.offset(), Some(1));
}

/// An inlined struct's subsections come right after its own fields, before the
/// parent's next field.
#[derive(VmState, Debug, Default, Clone, PartialEq)]
#[vmstate(name = "board", version = 1)]
struct Board {
    card: Card,
    tail: u8,
}

#[test]
fn inlined_struct_carries_its_subsections_in_place() {
    let board = Board {
        card: Card {
            reg: 1,
            irq: CardIrq { level: 2 },
            ..Card::default()
        },
        tail: 0x05,
    };
    let mut expected = vec![1];
    expected.extend(subsection("card/irq", 2, &[2]));
    expected.push(0x05);
    let bytes = vmstate::to_vec(&board).unwrap();
    assert_eq!(bytes, expected);
    assert_eq!(vmstate::from_slice::<Board>(&bytes, 1).unwrap(), board);
}

/// A device whose subsection is sent again exactly when it came in, as a
/// model of a QEMU device must send it.
#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "relay", version = 1, post_load = Relay::post_load)]
struct Relay {
    reg: u8,
    #[subsection(needed = loaded)]
    extra: vmstate::Loaded<RelayExtra>,
    /// What `post_load` saw: the flag is set before it runs.
    #[vmstate(skip)]
    extra_seen_by_post_load: bool,
}

#[derive(VmState, Debug, Clone, PartialEq, Default)]
#[vmstate(name = "relay/extra", version = 1)]
struct RelayExtra {
    value: u16,
}

impl Relay {
    #[allow(clippy::unnecessary_wraps, reason = "hooks return a Result")]
    fn post_load(&mut self, _version_id: u32) -> Result<(), std::convert::Infallible> {
        self.extra_seen_by_post_load = vmstate::Loaded::was_loaded(&self.extra);
        Ok(())
    }
}

#[test]
fn a_loaded_subsection_is_sent_again_exactly_when_it_came_in() {
    let with_extra = [vec![7], subsection("relay/extra", 1, &[0, 9])].concat();
    let relay: Relay = vmstate::from_slice(&with_extra, 1).unwrap();
    assert!(vmstate::Loaded::was_loaded(&relay.extra));
    assert!(relay.extra_seen_by_post_load);
    assert_eq!(relay.extra.value, 9);
    assert_eq!(vmstate::to_vec(&relay).unwrap(), with_extra);

    // Loading a payload without it into the same value clears the flag: the
    // subsection is not sent on the strength of an earlier load.
    let mut relay = relay;
    vmstate::load_into(&mut relay, &[7], 1).unwrap();
    assert!(!vmstate::Loaded::was_loaded(&relay.extra));
    assert!(!relay.extra_seen_by_post_load);
    assert_eq!(vmstate::to_vec(&relay).unwrap(), [7]);

    // A new value sends nothing until told to.
    let mut fresh = Relay::default();
    assert_eq!(vmstate::to_vec(&fresh).unwrap(), [0]);
    vmstate::Loaded::set_loaded(&mut fresh.extra, true);
    assert_eq!(
        vmstate::to_vec(&fresh).unwrap(),
        [vec![0], subsection("relay/extra", 1, &[0, 0])].concat()
    );
    let description = fresh.describe_state();
    assert_eq!(description.subsections.len(), 1);
    assert_eq!(description.subsections[0].vmsd_name, "relay/extra");
}

#[test]
fn the_loaded_flag_is_not_part_of_the_state_compared() {
    let mut noted = vmstate::Loaded::new(RelayExtra { value: 3 });
    let plain = noted.clone();
    vmstate::Loaded::set_loaded(&mut noted, true);
    assert_eq!(noted, plain);
    assert_ne!(noted, vmstate::Loaded::new(RelayExtra { value: 4 }));
}
