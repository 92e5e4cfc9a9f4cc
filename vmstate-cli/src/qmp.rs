//! A QEMU process driven over QMP on its standard streams: commands out on
//! its standard input, replies and events back on its standard output, its
//! messages on standard error kept for the error that needs them.

use std::ffi::OsString;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::CommandError;

/// How long QEMU may take to answer one command, or to greet: building a
/// machine under TCG on a loaded host takes seconds, not minutes.
const ANSWER_TIMEOUT: Duration = Duration::from_mins(1);

/// How long QEMU may take to exit after `quit` before it is killed.
const QUIT_TIMEOUT: Duration = Duration::from_secs(10);

/// A running QEMU with a QMP session on its standard streams. Dropped, it
/// kills the process, so that no paused QEMU outlives a failed run.
pub struct Qmp {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
    stderr_reader: Option<JoinHandle<()>>,
    /// The binary, as the user named it, for messages.
    binary: String,
}

impl Qmp {
    /// Starts `binary ARGS` (whose arguments put QMP on its standard
    /// streams) and negotiates capabilities.
    ///
    /// # Errors
    /// [`CommandError::Usage`] when `binary` cannot be run (not found, not
    /// executable); [`CommandError::Qemu`] with QEMU's own messages when it exits
    /// before the session is open (bad arguments) or does not answer.
    pub fn start(binary: &OsString, args: &[OsString]) -> Result<Self, CommandError> {
        let name = binary.to_string_lossy().into_owned();
        let mut child = Command::new(binary)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                ErrorKind::NotFound => {
                    CommandError::Usage(format!("QEMU binary `{name}` not found"))
                }
                _ => CommandError::Usage(format!("cannot run QEMU binary `{name}`: {e}")),
            })?;
        let (Some(stdin), Some(stdout), Some(mut stderr_pipe)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            unreachable!("the three streams were piped");
        };
        let (sender, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        let stderr_reader = std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n @ 1..) = stderr_pipe.read(&mut buffer) {
                sink.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .extend_from_slice(&buffer[..n]);
            }
        });
        let mut qmp = Self {
            child,
            stdin,
            lines,
            stderr,
            stderr_reader: Some(stderr_reader),
            binary: name,
        };
        qmp.greeting()?;
        qmp.execute("qmp_capabilities", &Value::Null)?;
        Ok(qmp)
    }

    /// Waits for QMP's greeting, the first line QEMU writes.
    fn greeting(&mut self) -> Result<(), CommandError> {
        let line = self.next_line(ANSWER_TIMEOUT, "QMP started")?;
        let message: Value = serde_json::from_str(&line).map_err(|_| self.garbled(&line))?;
        if message.get("QMP").is_none() {
            return Err(self.garbled(&line));
        }
        Ok(())
    }

    /// Sends `command` with `arguments` (none when `Null`) and returns its
    /// `return` value; events in between are skipped.
    ///
    /// # Errors
    /// [`CommandError::Qemu`] with QEMU's error description when it refuses the
    /// command, with its messages when it exits, and when it does not answer.
    pub fn execute(&mut self, command: &str, arguments: &Value) -> Result<Value, CommandError> {
        let mut request = serde_json::json!({ "execute": command });
        if !arguments.is_null() {
            request["arguments"] = arguments.clone();
        }
        if writeln!(self.stdin, "{request}").is_err() {
            return Err(self.exited(&format!("it answered `{command}`")));
        }
        let deadline = Instant::now() + ANSWER_TIMEOUT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self.next_line(left, &format!("it answered `{command}`"))?;
            let message: Value = serde_json::from_str(&line).map_err(|_| self.garbled(&line))?;
            if let Some(value) = message.get("return") {
                return Ok(value.clone());
            }
            if let Some(error) = message.get("error") {
                let description = error["desc"].as_str().unwrap_or("no description");
                return Err(CommandError::Qemu(format!(
                    "{} refused `{command}`: {description}",
                    self.binary
                )));
            }
        }
    }

    /// The next line of QEMU's standard output, waiting at most `timeout`
    /// for what `awaited` says ("it answered `migrate`").
    fn next_line(&mut self, timeout: Duration, awaited: &str) -> Result<String, CommandError> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Disconnected) => Err(self.exited(awaited)),
            Err(RecvTimeoutError::Timeout) => {
                let messages = self.messages();
                Err(CommandError::Qemu(format!(
                    "{} did not answer within {} s (waiting until {awaited}){messages}",
                    self.binary,
                    timeout.as_secs(),
                )))
            }
        }
    }

    /// Sends `quit` and waits for the process to end, killing it when it
    /// does not; returns [`Qmp::messages`].
    pub fn quit(mut self) -> String {
        let _ = writeln!(self.stdin, r#"{{"execute": "quit"}}"#);
        if self.wait(QUIT_TIMEOUT).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        self.messages()
    }

    /// What QEMU wrote on standard error so far, once the process ended.
    pub fn stderr_text(&mut self) -> String {
        if let Some(reader) = self.stderr_reader.take() {
            // The pipe closes when QEMU ends: the reader then has all of it.
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                let _ = reader.join();
            } else {
                self.stderr_reader = Some(reader);
            }
        }
        let bytes = self
            .stderr
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        String::from_utf8_lossy(&bytes).trim_end().to_owned()
    }

    /// The process's exit status, waiting at most `timeout`.
    fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                _ => return None,
            }
        }
    }

    /// The failure for a QEMU that ended before `awaited` happened: its exit
    /// status and its own messages.
    fn exited(&mut self, awaited: &str) -> CommandError {
        let status = self
            .wait(QUIT_TIMEOUT)
            .map_or_else(|| "ended".to_owned(), |s| format!("exited ({s})"));
        let messages = self.messages();
        CommandError::Qemu(format!(
            "{} {status} before {awaited}{messages}",
            self.binary
        ))
    }

    /// A line on QMP's stream that is not QMP.
    fn garbled(&mut self, line: &str) -> CommandError {
        CommandError::Qemu(format!(
            "{} wrote something other than QMP on standard output: {line}",
            self.binary
        ))
    }

    /// A colon and QEMU's messages on standard error, on lines of their own,
    /// when it wrote any.
    pub fn messages(&mut self) -> String {
        let text = self.stderr_text();
        if text.is_empty() {
            String::new()
        } else {
            format!(":\n{text}")
        }
    }
}

impl Drop for Qmp {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
