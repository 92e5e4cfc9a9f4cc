//! Writing results to standard output without panicking: a reader that goes
//! away (`vmstate inspect f | head`) ends the output quietly.

use std::io::{ErrorKind, Write};

use crate::CommandError;

/// Writes `text` to standard output.
pub fn print(text: &str) -> Result<(), CommandError> {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => {
            Err(CommandError::Io(format!("writing standard output: {e}")))
        }
        _ => Ok(()),
    }
}

/// `println!` that ends quietly when the reader went away (see [`print`]):
/// evaluates to its `Result`.
macro_rules! say {
    ($($arg:tt)*) => {
        $crate::output::print(&format!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use say;
