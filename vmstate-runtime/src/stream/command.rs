//! Command packets (`0x08`, QEMU's `MIG_CMD_*`): their names, and the first
//! QEMU release that understands each. A loader refuses a command it does not
//! know (`MIG_CMD 0xb unknown`), so which release knows which command decides
//! whether a stream loads.

/// What the stream format says about one command number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommandInfo {
    /// The number on the wire.
    pub number: u16,
    /// QEMU's name, as its trace events and error messages spell it.
    pub name: &'static str,
    /// The first QEMU release whose loader knows it, as (major, minor).
    pub since: (u32, u32),
    /// Whether it carries no device state: a receiver that drops it loads the
    /// same state (a notification, not data).
    pub stateless: bool,
}

/// Every command QEMU has defined, by number (`migration/savevm.c`'s
/// `mig_cmd_args`).
pub const COMMANDS: &[CommandInfo] = &[
    info(1, "OPEN_RETURN_PATH", (2, 5), true),
    info(2, "PING", (2, 5), true),
    info(3, "POSTCOPY_ADVISE", (2, 5), false),
    info(4, "POSTCOPY_LISTEN", (2, 5), false),
    info(5, "POSTCOPY_RUN", (2, 5), false),
    info(6, "POSTCOPY_RAM_DISCARD", (2, 5), false),
    info(7, "PACKAGED", (2, 5), false),
    info(8, "ENABLE_COLO", (3, 0), false),
    info(9, "POSTCOPY_RESUME", (3, 0), false),
    info(10, "RECV_BITMAP", (3, 0), false),
    // Sent by 10.0 after RAM's first part for machine types 10.0 and later
    // (`send-switchover-start`): it only tells the destination that the
    // switchover phase began.
    info(11, "SWITCHOVER_START", (10, 0), true),
];

const fn info(number: u16, name: &'static str, since: (u32, u32), stateless: bool) -> CommandInfo {
    CommandInfo {
        number,
        name,
        since,
        stateless,
    }
}

/// What is known of command `number`, if QEMU defines it.
#[must_use]
pub fn command_info(number: u16) -> Option<&'static CommandInfo> {
    COMMANDS.iter().find(|command| command.number == number)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_their_positions() {
        for (i, command) in COMMANDS.iter().enumerate() {
            assert_eq!(usize::from(command.number), i + 1, "{}", command.name);
            assert_eq!(command_info(command.number), Some(command));
        }
        assert_eq!(command_info(0), None);
        assert_eq!(command_info(12), None);
    }
}
