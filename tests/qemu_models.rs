//! The `vmstate::qemu` device models against real QEMU 7.2 streams: every
//! modelled section of every fixture decodes, consumes exactly its payload, and
//! re-encodes to the same bytes; and the decoded values are the ones QEMU had.
//!
//! Where an expected value comes from is said next to it: the monitor output
//! captured with each stream (`*.info-pic.txt`, `*.monitor.txt`), the command
//! lines in `tests/data/qemu-7.2/README.md`, QEMU's reset code, or `SeaBIOS`.

mod support;

use std::fmt::Debug;
use std::path::PathBuf;

use support::fixtures;
use vmstate::qemu::configuration::Configuration;
use vmstate::qemu::dma::Dma;
use vmstate::qemu::e1000::E1000;
use vmstate::qemu::fw_cfg::FwCfg;
use vmstate::qemu::globalstate::GlobalState;
use vmstate::qemu::hpet::Hpet;
use vmstate::qemu::ioapic::IoApic;
use vmstate::qemu::pckbd::{Kbd, Pckbd};
use vmstate::qemu::pcspk::PcSpk;
use vmstate::qemu::pic::Pic;
use vmstate::qemu::pit::Pit;
use vmstate::qemu::port92::Port92;
use vmstate::qemu::ps2::{Ps2Kbd, Ps2Mouse};
use vmstate::qemu::rtc::{Rtc, RtcReinject};
use vmstate::qemu::serial::IsaSerial;
use vmstate::qemu::timer::Timers;
use vmstate::{ErrorKind, Reader, VmState};

const FIXTURES: [&str; 4] = ["pc-paused", "pc-ran", "pc-e1000-serial", "q35-paused"];
/// Fixtures of machines that never ran (`-S`).
const PAUSED: [&str; 2] = ["pc-paused", "q35-paused"];
/// Fixtures of machines where `SeaBIOS` ran for about 3 s before `stop`.
const RAN: [&str; 2] = ["pc-ran", "pc-e1000-serial"];

fn data_dir() -> PathBuf {
    fixtures::data_dir().join("qemu-7.2")
}

fn stream(fixture: &str) -> Vec<u8> {
    fixtures::bytes(&format!("qemu-7.2/{fixture}"))
}

fn text(fixture: &str, suffix: &str) -> String {
    let path = data_dir().join(format!("{fixture}.{suffix}"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A section found in a stream by its header.
struct Section {
    id: u32,
    version: u32,
    /// Stream offset of the first payload byte.
    payload: usize,
}

/// Finds the section header `type | be32 section_id | u8 len | idstr | be32
/// instance | be32 version` of `idstr`/`instance`, and requires it to be unique.
fn find_header(stream: &[u8], kind: u8, idstr: &str, instance: u32) -> Option<Section> {
    let mut needle = vec![u8::try_from(idstr.len()).unwrap()];
    needle.extend_from_slice(idstr.as_bytes());
    needle.extend_from_slice(&instance.to_be_bytes());
    let found: Vec<Section> = stream
        .windows(needle.len())
        .enumerate()
        .filter(|(at, window)| *window == needle.as_slice() && *at >= 5 && stream[at - 5] == kind)
        .filter_map(|(at, _)| {
            let be32 = |from: usize| {
                Some(u32::from_be_bytes(
                    stream.get(from..from + 4)?.try_into().unwrap(),
                ))
            };
            let end = at + needle.len();
            Some(Section {
                id: be32(at - 4)?,
                version: be32(end)?,
                payload: end + 4,
            })
        })
        .collect();
    assert!(
        found.len() <= 1,
        "{} headers look like section `{idstr}` instance {instance}",
        found.len()
    );
    found.into_iter().next()
}

/// Decodes FULL section `idstr`/`instance` of `fixture` with `T`, checks that
/// the section footer follows right after what `T` consumed, and that `T`
/// re-encodes the payload byte for byte.
fn round_trip<T: VmState + Default + Debug>(fixture: &str, idstr: &str, instance: u32) -> T {
    let bytes = stream(fixture);
    let section = find_header(&bytes, 0x04, idstr, instance)
        .unwrap_or_else(|| panic!("{fixture}: no FULL section `{idstr}` instance {instance}"));
    assert_eq!(section.version, T::VERSION, "{fixture}: `{idstr}` version");
    let start = section.payload;
    let mut reader = Reader::with_base_offset(&bytes[start..], start as u64);
    let mut value = T::default();
    value
        .load_state(&mut reader, section.version)
        .unwrap_or_else(|e| panic!("{fixture}: `{idstr}` instance {instance}: {e}"));
    let end = usize::try_from(reader.offset()).unwrap();
    let mut footer = vec![0x7e];
    footer.extend_from_slice(&section.id.to_be_bytes());
    assert_eq!(
        bytes.get(end..end + 5),
        Some(footer.as_slice()),
        "{fixture}: `{idstr}` instance {instance}: the footer must follow the {} bytes decoded",
        end - start
    );
    let saved = vmstate::to_vec(&value).unwrap();
    assert!(
        saved == bytes[start..end],
        "{fixture}: `{idstr}` instance {instance}: re-encoding differs (payload {} bytes, saved {})",
        end - start,
        saved.len()
    );
    value
}

fn absent(fixture: &str, idstr: &str) {
    assert!(
        find_header(&stream(fixture), 0x04, idstr, 0).is_none(),
        "{fixture}: unexpected section `{idstr}`"
    );
}

fn bcd(byte: u8) -> u32 {
    u32::from(byte >> 4) * 10 + u32::from(byte & 0x0f)
}

/// The value of `"key": N` in the `qom-get /machine rtc-time` output.
fn rtc_time_field(monitor: &str, key: &str) -> u32 {
    let pattern = format!("\"{key}\": ");
    let line = monitor
        .lines()
        .find_map(|line| line.trim().strip_prefix(&pattern))
        .unwrap_or_else(|| panic!("no {key} in the monitor output"));
    line.trim_end_matches(',').parse().unwrap()
}

/// `info pic` line `picN: irr=.. imr=.. ...` as (key, value) pairs.
fn info_pic(text: &str, instance: u32) -> Vec<(String, u8)> {
    let prefix = format!("pic{instance}: ");
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .unwrap_or_else(|| panic!("no `{prefix}` line"));
    line.split_whitespace()
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap();
            // QEMU prints hprio, rr_sel and fnm with %d, the rest with %02x.
            let radix = if matches!(key, "hprio" | "rr_sel" | "fnm") {
                10
            } else {
                16
            };
            (key.to_owned(), u8::from_str_radix(value, radix).unwrap())
        })
        .collect()
}

#[test]
fn timer_round_trips_and_is_zero_before_the_guest_runs() {
    for fixture in FIXTURES {
        let timers: Timers = round_trip(fixture, "timer", 0);
        // -S: the virtual clock never started, so no offset was ever taken.
        if PAUSED.contains(&fixture) {
            assert_eq!(timers, Timers::default(), "{fixture}");
        } else {
            assert!(timers.cpu_clock_offset > 0, "{fixture}");
        }
    }
}

#[test]
fn globalstate_round_trips_and_names_the_run_state() {
    for fixture in FIXTURES {
        let state: GlobalState = round_trip(fixture, "globalstate", 0);
        // `info status` says "paused (prelaunch)" for the -S machines and
        // "paused" after `stop`.
        let status = text(fixture, "monitor.txt");
        let expected = if status.contains("VM status: paused (prelaunch)") {
            "prelaunch"
        } else {
            assert!(status.contains("VM status: paused"), "{fixture}");
            "paused"
        };
        assert_eq!(state.runstate_name(), Some(expected), "{fixture}");
        assert_eq!(state.size as usize, expected.len() + 1, "{fixture}");
        assert_eq!(GlobalState::new(expected), Some(state), "{fixture}");
    }
}

#[test]
fn configuration_record_round_trips_and_names_the_machine() {
    for fixture in FIXTURES {
        let bytes = stream(fixture);
        // Magic, version 3, then 0x07 and the payload, with no header.
        assert_eq!(&bytes[..9], b"QEVM\0\0\0\x03\x07", "{fixture}");
        let mut reader = Reader::with_base_offset(&bytes[9..], 9);
        let mut config = Configuration::default();
        config.load_state(&mut reader, 1).unwrap();
        let end = usize::try_from(reader.offset()).unwrap();
        // The `ram` START section comes next.
        assert_eq!(bytes[end], 0x01, "{fixture}");
        assert_eq!(
            vmstate::to_vec(&config).unwrap(),
            bytes[9..end],
            "{fixture}"
        );
        // `-M pc-i440fx-7.2` / `-M pc-q35-7.2` (README command lines).
        let machine = if fixture.starts_with("q35") {
            "pc-q35-7.2"
        } else {
            "pc-i440fx-7.2"
        };
        assert_eq!(config.machine_type(), Some(machine), "{fixture}");
        assert_eq!(Configuration::new(machine), Some(config), "{fixture}");
    }
}

#[test]
fn rtc_round_trips_and_holds_the_pinned_date() {
    for fixture in FIXTURES {
        let rtc: Rtc = round_trip(fixture, "mc146818rtc", 0);
        let cmos = &rtc.cmos_data;
        // `qom-get /machine rtc-time`, taken just before migrating; QEMU's
        // pre_save brings the CMOS time up to date, and the clock was stopped.
        let monitor = text(fixture, "monitor.txt");
        let century = bcd(cmos[Rtc::CENTURY]);
        assert_eq!(century, 20, "{fixture}");
        let year = century * 100 + bcd(cmos[9]);
        assert_eq!(
            year - 1900,
            rtc_time_field(&monitor, "tm_year"),
            "{fixture}"
        );
        assert_eq!(
            bcd(cmos[8]) - 1,
            rtc_time_field(&monitor, "tm_mon"),
            "{fixture}"
        );
        assert_eq!(
            bcd(cmos[7]),
            rtc_time_field(&monitor, "tm_mday"),
            "{fixture}"
        );
        assert_eq!(
            bcd(cmos[4]),
            rtc_time_field(&monitor, "tm_hour"),
            "{fixture}"
        );
        assert_eq!(
            bcd(cmos[2]),
            rtc_time_field(&monitor, "tm_min"),
            "{fixture}"
        );
        assert_eq!(
            bcd(cmos[0]),
            rtc_time_field(&monitor, "tm_sec"),
            "{fixture}"
        );
        // `-rtc base=2020-01-01T00:00:00`: 2020-01-01 (a Wednesday, day 4 with
        // Sunday = 1), and base_rtc = 1577836800 s since the epoch.
        assert_eq!(
            (year, cmos[8], cmos[7], cmos[6]),
            (2020, 0x01, 0x01, 4),
            "{fixture}"
        );
        assert_eq!(rtc.base_rtc, 1_577_836_800, "{fixture}");
        // QEMU's realize: register A = 0x26 (32 kHz, 1024 Hz rate), B = 0x02
        // (24-hour, BCD), D = 0x80 (valid RAM and time).
        assert_eq!(cmos[Rtc::REG_A], 0x26, "{fixture}");
        assert_eq!(cmos[Rtc::REG_B], 0x02, "{fixture}");
        assert_eq!(cmos[Rtc::REG_D], 0x80, "{fixture}");
        // QEMU's pc_cmos_init with `-m 16`: 640 KiB base memory, and
        // 15 MiB = 0x3c00 KiB above 1 MiB, at 0x17 and again at 0x30.
        assert_eq!(
            u16::from_le_bytes([cmos[0x15], cmos[0x16]]),
            640,
            "{fixture}"
        );
        assert_eq!(
            u16::from_le_bytes([cmos[0x17], cmos[0x18]]),
            0x3c00,
            "{fixture}"
        );
        assert_eq!(
            u16::from_le_bytes([cmos[0x30], cmos[0x31]]),
            0x3c00,
            "{fixture}"
        );
        // No periodic interrupt is programmed, and the lost-tick policy is
        // `discard`, so no reinjection is pending.
        assert_eq!(rtc.periodic_timer, -1, "{fixture}");
        assert_eq!(rtc.reinject, RtcReinject::default(), "{fixture}");
    }
}

#[test]
fn pit_round_trips_with_seabios_programming_channel_0() {
    for fixture in FIXTURES {
        let pit: Pit = round_trip(fixture, "i8254", 0);
        // QEMU saves channels[0].next_transition_time a second time at the end.
        assert_eq!(
            pit.channel0_next_transition_time, pit.channels[0].next_transition_time,
            "{fixture}"
        );
        assert_eq!(pit.channel0_irq_disabled, 0, "{fixture}");
        for (index, channel) in pit.channels.iter().enumerate() {
            // A count of 0 means 0x10000 (reset value and SeaBIOS's choice).
            assert_eq!(channel.count, 0x10000, "{fixture} channel {index}");
            // QEMU's pit_reset_common: the gate is high except on channel 2,
            // whose gate is port 0x61 bit 0.
            assert_eq!(
                channel.gate,
                u8::from(index != 2),
                "{fixture} channel {index}"
            );
        }
        if RAN.contains(&fixture) {
            // SeaBIOS pit_setup: channel 0 in mode 2 (rate generator), LSB
            // then MSB (rw_mode 3), count 0: the 18.2 Hz tick.
            let channel = &pit.channels[0];
            assert_eq!((channel.mode, channel.rw_mode), (2, 3), "{fixture}");
            assert_eq!(
                (channel.read_state, channel.write_state),
                (3, 3),
                "{fixture}"
            );
            assert!(channel.count_load_time > 0, "{fixture}");
            assert_eq!(pit.channels[1].mode, 3, "{fixture}");
        } else {
            // QEMU's reset: every channel in mode 3 and nothing programmed.
            assert!(pit.channels.iter().all(|c| c.mode == 3 && c.rw_mode == 0));
        }
    }
}

#[test]
fn pics_round_trip_and_match_info_pic() {
    for fixture in FIXTURES {
        let info = text(fixture, "info-pic.txt");
        for instance in [0, 1] {
            let pic: Pic = round_trip(fixture, "i8259", instance);
            let printed = info_pic(&info, instance);
            assert_eq!(printed.len(), 8, "{fixture} pic{instance}");
            for (key, value) in printed {
                let field = match key.as_str() {
                    "irr" => pic.irr,
                    "imr" => pic.imr,
                    "isr" => pic.isr,
                    "hprio" => pic.priority_add,
                    "irq_base" => pic.irq_base,
                    "rr_sel" => pic.read_reg_select,
                    "elcr" => pic.elcr,
                    "fnm" => pic.special_fully_nested_mode,
                    other => panic!("unknown `info pic` key {other}"),
                };
                assert_eq!(field, value, "{fixture} pic{instance} {key}");
            }
        }
    }
}

#[test]
fn ioapic_round_trips_and_matches_info_pic() {
    for fixture in FIXTURES {
        let ioapic: IoApic = round_trip(fixture, "ioapic", 0);
        let info = text(fixture, "info-pic.txt");
        // `ioapic0: ver=0x20 id=0x00 sel=0x00`
        assert!(info.contains(&format!(
            "ioapic0: ver=0x20 id={:#04x} sel={:#04x}",
            ioapic.id, ioapic.ioregsel
        )));
        // `  pin N  0x<entry> ...`: one line per redirection entry.
        let mut pins = 0;
        for line in info.lines() {
            let mut words = line.split_whitespace();
            if words.next() != Some("pin") {
                continue;
            }
            let pin: usize = words.next().unwrap().parse().unwrap();
            let entry = words.next().unwrap().trim_start_matches("0x");
            let entry = u64::from_str_radix(entry, 16).unwrap();
            assert_eq!(ioapic.ioredtbl[pin], entry, "{fixture} pin {pin}");
            pins += 1;
        }
        assert_eq!(pins, 24, "{fixture}");
        // `IRR (none)`
        assert!(info.contains("  IRR      (none)"));
        assert_eq!(ioapic.irr, 0, "{fixture}");
    }
}

/// The used length of each RAM block, from the `ram` START section:
/// `be64 total|MEM_SIZE`, then `u8 len, idstr, be64 used_length` per block.
fn ram_blocks(stream: &[u8]) -> Vec<(String, u64)> {
    let section = find_header(stream, 0x01, "ram", 0).expect("ram START section");
    let be64 = |at: usize| u64::from_be_bytes(stream[at..at + 8].try_into().unwrap());
    let total = be64(section.payload) & !0xfff;
    let mut at = section.payload + 8;
    let mut blocks = Vec::new();
    let mut sum = 0;
    while sum < total {
        let len = usize::from(stream[at]);
        let name = String::from_utf8(stream[at + 1..at + 1 + len].to_vec()).unwrap();
        let used = be64(at + 1 + len);
        sum += used;
        blocks.push((name, used));
        at += 1 + len + 8;
    }
    blocks
}

#[test]
fn fw_cfg_round_trips_with_the_acpi_blob_sizes() {
    for fixture in FIXTURES {
        let fw_cfg: FwCfg = round_trip(fixture, "fw_cfg", 0);
        let blocks = ram_blocks(&stream(fixture));
        let used = |name: &str| {
            blocks
                .iter()
                .find(|(block, _)| block == name)
                .map(|(_, used)| *used)
                .unwrap()
        };
        // The ACPI table and linker blobs fill their RAM blocks exactly (the
        // `ram` section lists their used lengths); the RSDP blob is 20 bytes,
        // an ACPI 1.0 RSDP, inside a 4 KiB block. That 20 is not a multiple of
        // the page size is why QEMU sends `fw_cfg/acpi_mr` at all.
        assert_eq!(fw_cfg.acpi_mr.table_mr_size, used("/rom@etc/acpi/tables"));
        assert_eq!(fw_cfg.acpi_mr.linker_mr_size, used("/rom@etc/table-loader"));
        assert_eq!(fw_cfg.acpi_mr.table_mr_size, 0x20000, "{fixture}");
        assert_eq!(fw_cfg.acpi_mr.linker_mr_size, 0x1000, "{fixture}");
        assert_eq!(fw_cfg.acpi_mr.rsdp_mr_size, 20, "{fixture}");
        assert_eq!(used("/rom@etc/acpi/rsdp"), 0x1000, "{fixture}");
        // No DMA request is in flight when the machine is stopped.
        assert_eq!(fw_cfg.dma.dma_addr, 0, "{fixture}");
        if PAUSED.contains(&fixture) {
            // Never accessed since reset.
            assert_eq!((fw_cfg.cur_entry, fw_cfg.cur_offset), (0, 0), "{fixture}");
        }
    }
}

#[test]
fn fw_cfg_loads_version_1_offsets() {
    // Version 1 carried the offset as a be16 right after `cur_entry`.
    let mut payload = vec![0x00, 0x19, 0x00, 0x07];
    payload.extend(b"\x05\x0afw_cfg/dma\x00\x00\x00\x00");
    payload.extend(0x1234_u64.to_be_bytes());
    let fw_cfg: FwCfg = vmstate::from_slice(&payload, 1).unwrap();
    assert_eq!((fw_cfg.cur_entry, fw_cfg.cur_offset), (0x19, 7));
    assert_eq!(fw_cfg.dma.dma_addr, 0x1234);
}

#[test]
fn ps2_and_i8042_round_trip_and_agree_on_translation() {
    for fixture in FIXTURES {
        let kbd: Ps2Kbd = round_trip(fixture, "ps2kbd", 0);
        let mouse: Ps2Mouse = round_trip(fixture, "ps2mouse", 0);
        let pckbd: Pckbd = round_trip(fixture, "pckbd", 0);
        // QEMU's ps2_common_reset: no pending command (-1); ps2_kbd_reset:
        // scanning on, scancode set 2.
        assert_eq!(kbd.parent_obj.write_cmd, -1, "{fixture}");
        assert_eq!(mouse.parent_obj.write_cmd, -1, "{fixture}");
        assert_eq!((kbd.scan_enabled, kbd.scancode_set), (1, 2), "{fixture}");
        // The keyboard translates exactly when the controller's command byte
        // has KBD_MODE_KCC (0x40) set.
        assert_eq!(
            kbd.translate,
            i32::from(pckbd.kbd.mode & 0x40 != 0),
            "{fixture}"
        );
        // No LEDs, no half-sent sequence, no queued command replies: the three
        // ps2kbd subsections are absent, so the defaults stand.
        assert_eq!(kbd.ledstate.ledstate, 0);
        assert!(!kbd.need_high_bit.need_high_bit);
        assert_eq!(kbd.command_reply_queue.cwptr, -1);
        // `pckbd_outport` is absent, so the output port is the default QEMU
        // derives from the status register: reset and A20 lines high.
        assert_eq!(pckbd.kbd.outport.outport, pckbd.kbd.outport_default());
        assert_eq!(
            pckbd.kbd.outport.outport & (Kbd::OUT_RESET | Kbd::OUT_A20),
            0x03
        );
        assert!(!vmstate::Loaded::was_loaded(&pckbd.kbd.outport));
        if PAUSED.contains(&fixture) {
            // QEMU's kbd_reset: status KBD_STAT_CMD | KBD_STAT_UNLOCKED,
            // mode KBD_MODE_KBD_INT | KBD_MODE_MOUSE_INT.
            assert_eq!(
                (pckbd.kbd.status, pckbd.kbd.mode),
                (0x18, 0x03),
                "{fixture}"
            );
            assert_eq!(kbd.translate, 0, "{fixture}");
        } else {
            // SeaBIOS ps2_keyboard_setup writes command byte 0x61: keyboard
            // interrupt, system flag, translation. Its last reply was an ACK
            // (0xfa), still in the controller's output buffer.
            assert_eq!(pckbd.kbd.mode, 0x61, "{fixture}");
            assert_eq!(pckbd.kbd.extended.obdata, 0xfa, "{fixture}");
        }
    }
}

#[test]
fn pckbd_outport_subsection_without_slash_round_trips() {
    let mut pckbd = Pckbd::default();
    pckbd.kbd.outport.outport = 0xdd; // A20 off, as DOS writes it
    let bytes = vmstate::to_vec(&pckbd).unwrap();
    let mut expected = vec![0, 0, 0, 0, 0x05, 13];
    expected.extend(b"pckbd_outport\x00\x00\x00\x01\xdd");
    expected.extend(b"\x05\x14pckbd/extended_state\x00\x00\x00\x00");
    expected.extend([0; 10]);
    assert_eq!(bytes, expected);
    let back: Pckbd = vmstate::from_slice(&bytes, 3).unwrap();
    assert_eq!(back, pckbd);
}

#[test]
fn port92_pcspk_and_dma_round_trip() {
    for fixture in FIXTURES {
        let port92: Port92 = round_trip(fixture, "port92", 0);
        // SeaBIOS enables A20 through port 0x92 (bit 1); nothing wrote it in
        // the machines that never ran.
        let expected = if RAN.contains(&fixture) { 0x02 } else { 0x00 };
        assert_eq!(port92.outport, expected, "{fixture}");
        let pcspk: PcSpk = round_trip(fixture, "pcspk", 0);
        assert_eq!(pcspk, PcSpk::default(), "{fixture}");
        let dma: Vec<Dma> = [0, 1]
            .into_iter()
            .map(|instance| round_trip(fixture, "dma", instance))
            .collect();
        // QEMU's i8257: controller 0 moves bytes, controller 1 words.
        assert_eq!((dma[0].dshift, dma[1].dshift), (0, 1), "{fixture}");
        if RAN.contains(&fixture) {
            // SeaBIOS dma_setup: channel 4 in cascade mode (0xc0), unmasked.
            assert_eq!(
                (dma[1].regs[0].mode, dma[1].mask),
                (0xc0, 0xfe),
                "{fixture}"
            );
        }
    }
}

#[test]
fn hpet_round_trips_its_variable_timer_array() {
    for fixture in FIXTURES {
        let hpet: Hpet = round_trip(fixture, "hpet", 0);
        // QEMU's default `timers` property is 3; the guest never enabled the
        // HPET, so nothing is armed and `hpet/offset` is not sent.
        assert_eq!(hpet.num_timers, 3, "{fixture}");
        assert_eq!(hpet.timer.len(), 3, "{fixture}");
        assert_eq!(hpet.config & Hpet::CFG_ENABLE, 0, "{fixture}");
        for (index, timer) in hpet.timer.iter().enumerate() {
            assert_eq!(usize::from(timer.tn), index, "{fixture}");
            assert_eq!((timer.cmp, timer.qemu_timer), (u64::MAX, -1), "{fixture}");
        }
    }
}

#[test]
fn hpet_refuses_a_timer_count_out_of_range() {
    let mut hpet = Hpet {
        num_timers: 2,
        ..Hpet::default()
    };
    hpet.timer.truncate(2);
    let bytes = vmstate::to_vec(&hpet).unwrap();
    let err = vmstate::from_slice::<Hpet>(&bytes, 2).unwrap_err();
    assert!(
        matches!(err.kind(), Some(ErrorKind::Hook { .. })),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("num_timers 2 is out of range"),
        "{err}"
    );
}

#[test]
fn serial_round_trips_with_reset_registers() {
    let serial: IsaSerial = round_trip("pc-e1000-serial", "serial", 0);
    let uart = &serial.state;
    // QEMU's serial_reset: 9600 baud (divider 12), no interrupt pending
    // (iir 0x01), transmitter empty (lsr 0x60), OUT2 (mcr 0x08), and
    // DCD | DSR | CTS (msr 0xb0) for a backend without modem lines.
    assert_eq!(uart.divider, 12);
    assert_eq!(
        (uart.iir, uart.lsr, uart.mcr, uart.msr),
        (0x01, 0x60, 0x08, 0xb0)
    );
    // The null chardev cannot report modem lines, so `serial/poll` is absent.
    assert_eq!(uart.poll.poll_msl, -1);
    for fixture in ["pc-paused", "pc-ran", "q35-paused"] {
        absent(fixture, "serial");
    }
}

#[test]
fn e1000_round_trips_all_194_kib() {
    // The model is about 200 KiB; give the decoding thread room for copies.
    std::thread::Builder::new()
        .stack_size(16 << 20)
        .spawn(|| {
            let nic: E1000 = round_trip("pc-e1000-serial", "0000:00:02.0/e1000", 0);
            // `info pci`: "Ethernet controller: PCI device 8086:100e".
            let monitor = text("pc-e1000-serial", "monitor.txt");
            let id = format!(
                "PCI device {:04x}:{:04x}",
                nic.parent_obj.vendor_id(),
                nic.parent_obj.device_id()
            );
            assert_eq!(id, "PCI device 8086:100e");
            assert!(monitor.contains(&id));
            // QEMU's default MAC for the first NIC: 52:54:00:12:34:56, in the
            // EEPROM and in receive-address register 0 (RAL0/RAH0, AV bit).
            assert_eq!(nic.mac_address(), [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
            assert_eq!(nic.mac_reg_ra[..2], [0x1200_5452, 0x8000_5634]);
            // The full register file repeats the single registers: CTRL is
            // at 0x0000, STATUS at 0x0008, RA at 0x5400.
            let full = &nic.full_mac_state.mac_reg;
            assert_eq!(full[0], nic.mac_reg_ctrl);
            assert_eq!(full[0x8 / 4], nic.mac_reg_status);
            assert_eq!(full[0x5400 / 4..0x5400 / 4 + 32], nic.mac_reg_ra);
            for fixture in ["pc-paused", "pc-ran", "q35-paused"] {
                absent(fixture, "0000:00:02.0/e1000");
            }
        })
        .unwrap()
        .join()
        .unwrap();
}

/// The `mc146818rtc` payload of pc-paused.
fn rtc_payload() -> Vec<u8> {
    let bytes = stream("pc-paused");
    let section = find_header(&bytes, 0x04, "mc146818rtc", 0).unwrap();
    bytes[section.payload..section.payload + 245].to_vec()
}

#[test]
fn truncated_rtc_payload_names_the_field() {
    let payload = rtc_payload();
    // cmos_data 128 + cmos_index 1 + unused 28 = 157: periodic_timer starts
    // there and is cut after 3 of its 8 bytes.
    let err = vmstate::from_slice::<Rtc>(&payload[..160], 3).unwrap_err();
    assert_eq!(err.path_string(), "periodic_timer");
    assert_eq!(err.offset(), Some(157));
    assert!(
        matches!(
            err.kind(),
            Some(ErrorKind::UnexpectedEof {
                needed: 8,
                available: 3
            })
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(message.contains("mc146818rtc"), "{message}");
    assert!(message.contains("periodic_timer"), "{message}");
}

#[test]
fn unknown_rtc_subsection_is_named() {
    let mut payload = rtc_payload();
    let name = b"mc146818rtc/lost_ticks";
    payload.push(0x05);
    payload.push(u8::try_from(name.len()).unwrap());
    payload.extend_from_slice(name);
    payload.extend_from_slice(&1u32.to_be_bytes());
    payload.extend_from_slice(&[0, 1]);
    let err = vmstate::from_slice::<Rtc>(&payload, 3).unwrap_err();
    match err.kind() {
        Some(ErrorKind::UnknownSubsection { name, parent }) => {
            assert_eq!(
                (name.as_str(), *parent),
                ("mc146818rtc/lost_ticks", "mc146818rtc")
            );
        }
        _ => panic!("unexpected {err:?}"),
    }
    assert_eq!(err.offset(), Some(245));
    assert!(err.to_string().contains("mc146818rtc/lost_ticks"), "{err}");
}

#[test]
fn rtc_reinject_subsection_is_sent_when_needed() {
    let mut rtc = Rtc::default();
    rtc.reinject.irq_reinject_on_ack_count = 3;
    let bytes = vmstate::to_vec(&rtc).unwrap();
    let name = b"mc146818rtc/irq_reinject_on_ack_count";
    let mut tail = vec![0x05, u8::try_from(name.len()).unwrap()];
    tail.extend_from_slice(name);
    tail.extend_from_slice(&[0, 0, 0, 1, 0, 3]);
    assert_eq!(bytes.len(), 245 + tail.len());
    assert!(bytes.ends_with(&tail));
    assert_eq!(vmstate::from_slice::<Rtc>(&bytes, 3).unwrap(), rtc);
}

#[test]
fn rtc_version_1_payload_lacks_the_later_fields() {
    // Version 1 ends after the second unused block: 128 + 1 + 28 + 8 + 8 + 24.
    let payload = rtc_payload();
    let rtc: Rtc = vmstate::from_slice(&payload[..197], 1).unwrap();
    assert_eq!(rtc.cmos_data[..], payload[..128]);
    assert_eq!((rtc.base_rtc, rtc.update_timer), (0, -1));
}
