//! A watchdog device through three releases, and the checks that keep older
//! releases working while it changes:
//!
//! 1. release 1 ships `acme-wdt` version 1;
//! 2. release 2 adds a field at version 2 (`since = 2`);
//! 3. release 3 adds a subsection that only version 3 receivers know
//!    (`#[subsection(since = 3)]`) and stops keeping a field (`until = 3`),
//!    while still writing it for release 1 and 2 receivers.
//!
//! Then a release 2 that forgot `since = 2` is caught by the test harness
//! (`vmstate::testing`) and by the static checker (`vmstate::check`) on dumps
//! made from the types' schemas (`vmstate::schema`).
//!
//! Run it with `cargo run --example evolve`. `tests/harness_qemu_models.rs`
//! runs the harness over these types with committed golden files.

use std::error::Error;

use vmstate::VmState;
use vmstate::check::{Dump, check};
use vmstate::testing::{Bless, verify_golden_files, verify_ping_pong, verify_round_trips};

/// Release 1.
pub mod release_1 {
    use vmstate::VmState;

    /// The watchdog as release 1 shipped it.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "acme-wdt", version = 1)]
    pub struct Wdt {
        /// The value the counter restarts from.
        pub reload: u32,
        /// Ticks left before the watchdog fires.
        pub counter: u32,
        /// Whether the watchdog counts.
        pub enabled: bool,
        /// The clock divider, which release 3 no longer has.
        pub prescaler: u8,
    }
}

/// Release 2: the next expiry as a QEMU-style timer, on the wire from
/// version 2 on.
pub mod release_2 {
    use vmstate::VmState;

    /// The watchdog in release 2.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "acme-wdt", version = 2, minimum_version = 1)]
    pub struct Wdt {
        /// The value the counter restarts from.
        pub reload: u32,
        /// Ticks left before the watchdog fires.
        pub counter: u32,
        /// Whether the watchdog counts.
        pub enabled: bool,
        /// The clock divider.
        pub prescaler: u8,
        /// Expiry in ns, -1 when not armed.
        #[vmstate(since = 2)]
        pub expiry_ns: i64,
    }
}

/// Release 3: the prescaler is gone from the device model (the clock is
/// fixed), but receivers of versions 1 and 2 still expect it, so it stays on
/// the wire below version 3; a pre-timeout, when armed, travels in a
/// subsection that only version 3 receivers know.
pub mod release_3 {
    use vmstate::VmState;

    /// The watchdog in release 3.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "acme-wdt", version = 3, minimum_version = 1)]
    pub struct Wdt {
        /// The value the counter restarts from.
        pub reload: u32,
        /// Ticks left before the watchdog fires.
        pub counter: u32,
        /// Whether the watchdog counts.
        pub enabled: bool,
        /// Written for (and read from) versions 1 and 2 only.
        #[vmstate(until = 3)]
        pub prescaler: u8,
        /// Expiry in ns, -1 when not armed.
        #[vmstate(since = 2)]
        pub expiry_ns: i64,
        /// Sent only when armed; version 1 and 2 receivers cannot take it.
        #[subsection(needed = Wdt::pretimeout_needed, since = 3)]
        pub pretimeout: WdtPretimeout,
    }

    /// The pre-timeout interrupt, new in release 3.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "acme-wdt/pretimeout", version = 1)]
    pub struct WdtPretimeout {
        /// Ticks before expiry at which the interrupt fires; 0: off.
        pub ticks: u32,
    }

    impl Wdt {
        fn pretimeout_needed(&self) -> bool {
            self.pretimeout.ticks != 0
        }
    }
}

/// A release 2 with a mistake: `expiry_ns` lacks `since = 2`, so this build
/// reads it from version 1 streams too, where it is not.
pub mod mistake {
    use vmstate::VmState;

    /// Release 2 as it must not be written.
    #[derive(VmState, Debug, Default, Clone, PartialEq)]
    #[vmstate(name = "acme-wdt", version = 2, minimum_version = 1)]
    pub struct Wdt {
        /// The value the counter restarts from.
        pub reload: u32,
        /// Ticks left before the watchdog fires.
        pub counter: u32,
        /// Whether the watchdog counts.
        pub enabled: bool,
        /// The clock divider.
        pub prescaler: u8,
        /// Expiry in ns, -1 when not armed: `since = 2` forgotten.
        pub expiry_ns: i64,
    }
}

/// The state the story starts from, as release 1 has it.
#[must_use]
pub fn release_1_state() -> release_1::Wdt {
    release_1::Wdt {
        reload: 1000,
        counter: 420,
        enabled: true,
        prescaler: 4,
    }
}

/// A state of release 3 with the pre-timeout off.
#[must_use]
pub fn release_3_state() -> release_3::Wdt {
    release_3::Wdt {
        reload: 1000,
        counter: 420,
        enabled: true,
        prescaler: 4,
        expiry_ns: 5_000_000,
        pretimeout: release_3::WdtPretimeout::default(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn heading(title: &str) {
    println!("\n== {title}");
}

fn main() -> Result<(), Box<dyn Error>> {
    migrate_forward_and_back()?;
    refuse_a_needed_subsection()?;
    harness_on_the_sound_releases()?;
    harness_catches_the_mistake()?;
    checker_catches_the_mistake()?;
    println!("\nall checks behaved as they must");
    Ok(())
}

/// Release 1's bytes into release 2; release 3's bytes for releases 1 and 2.
fn migrate_forward_and_back() -> Result<(), Box<dyn Error>> {
    heading("release 1 saves version 1");
    let v1_state = release_1_state();
    let v1_bytes = vmstate::to_vec(&v1_state)?;
    println!("{} bytes: {}", v1_bytes.len(), hex(&v1_bytes));

    heading("release 2 loads it (forward migration)");
    let r2: release_2::Wdt = vmstate::from_slice(&v1_bytes, 1)?;
    println!("{r2:?}\n(expiry_ns is `since = 2`: not in version 1, it keeps its default)");

    heading("release 3 saves for every receiver (to_vec_at)");
    let r3 = release_3_state();
    for version in 1..=release_3::Wdt::VERSION {
        let bytes = vmstate::to_vec_at(&r3, version)?;
        println!(
            "version {version}: {:2} bytes: {}",
            bytes.len(),
            hex(&bytes)
        );
    }
    let old: release_1::Wdt = vmstate::from_slice(&vmstate::to_vec_at(&r3, 1)?, 1)?;
    println!("release 1 loads what release 3 saved for it: {old:?}");
    if old != v1_state {
        return Err("release 3 must write the removed prescaler for release 1".into());
    }
    let old = r3_as_release_2(&r3)?;
    println!("release 2 loads what release 3 saved for it: {old:?}");
    Ok(())
}

/// A subsection that version 2 receivers do not know, needed: no save for them.
fn refuse_a_needed_subsection() -> Result<(), Box<dyn Error>> {
    heading("a needed subsection that version 2 does not know");
    let mut armed = release_3_state();
    armed.pretimeout.ticks = 50;
    let bytes = vmstate::to_vec(&armed)?;
    println!(
        "version 3, pre-timeout armed: {} bytes: {}",
        bytes.len(),
        hex(&bytes)
    );
    match vmstate::to_vec_at(&armed, 2) {
        Ok(_) => Err("version 2 cannot take the pre-timeout subsection".into()),
        Err(refused) => {
            println!("saving it for version 2 is refused, never silently lossy:\n  {refused}");
            Ok(())
        }
    }
}

/// Round trips at every version and ping-pong between the releases.
fn harness_on_the_sound_releases() -> Result<(), Box<dyn Error>> {
    heading("the harness: round trips and ping-pong of the sound releases");
    let r3 = release_3_state();
    println!("{:#}", verify_round_trips(&r3)?);
    let report = verify_ping_pong::<release_1::Wdt, release_3::Wdt>(&release_1_state())?;
    println!("{report:#}");
    let report = verify_ping_pong::<release_2::Wdt, release_3::Wdt>(&r3_as_release_2(&r3)?)?;
    println!("{report}");
    Ok(())
}

/// The release 2 that forgot `since = 2`: its own round trips pass (its save
/// and its load agree with each other), ping-pong with release 1 and the
/// golden files of the sound release 2 do not.
fn harness_catches_the_mistake() -> Result<(), Box<dyn Error>> {
    heading("the harness catches a release 2 that forgot `since = 2`");
    let r2 = r3_as_release_2(&release_3_state())?;
    let broken = mistake::Wdt {
        reload: r2.reload,
        counter: r2.counter,
        enabled: r2.enabled,
        prescaler: r2.prescaler,
        expiry_ns: r2.expiry_ns,
    };
    println!(
        "round trips alone miss it: {}",
        verify_round_trips(&broken)?
    );
    match verify_ping_pong::<release_1::Wdt, mistake::Wdt>(&release_1_state()) {
        Ok(report) => return Err(format!("the mistake went unnoticed: {report}").into()),
        Err(failed) => println!("ping-pong with release 1:\n{failed}"),
    }
    let golden = std::env::temp_dir().join(format!("vmstate-evolve-{}", std::process::id()));
    let blessed = verify_golden_files(&r2, &golden, Bless::Missing)?;
    println!(
        "the sound release 2 blessed {} golden files",
        blessed.blessed().len()
    );
    let result = verify_golden_files(&broken, &golden, Bless::Never);
    std::fs::remove_dir_all(&golden)?;
    match result {
        Ok(report) => Err(format!("the mistake went unnoticed: {report}").into()),
        Err(failed) => {
            println!("its golden files:\n{failed}");
            Ok(())
        }
    }
}

/// `vmstate check` on `-dump-vmstate` dumps made from the types' schemas.
fn checker_catches_the_mistake() -> Result<(), Box<dyn Error>> {
    heading("the static checker on -dump-vmstate dumps made from the schemas");
    let dump = |schema| {
        Dump::from_value(&vmstate::check::dump(
            "acme-board",
            &[("acme-wdt", schema)],
            false,
        ))
    };
    let report = check(
        &dump(&release_2::Wdt::SCHEMA)?,
        &dump(&mistake::Wdt::SCHEMA)?,
    );
    println!(
        "release 2 -> the mistaken release 2 (exit status {}):",
        report.exit_status()
    );
    print!("{report}");
    if report.is_compatible() {
        return Err("the checker missed the mistake".into());
    }
    let report = check(
        &dump(&release_1::Wdt::SCHEMA)?,
        &dump(&release_3::Wdt::SCHEMA)?,
    );
    println!(
        "release 1 -> release 3: {} problems",
        report.problem_count()
    );
    print!("{report}");
    if !report.is_compatible() {
        return Err("release 3 must accept release 1".into());
    }
    Ok(())
}

/// Release 3's state as release 2 has it: saved for version 2 and loaded there.
fn r3_as_release_2(r3: &release_3::Wdt) -> Result<release_2::Wdt, vmstate::Error> {
    vmstate::from_slice(&vmstate::to_vec_at(r3, 2)?, 2)
}
