//! The session log: creating its file and writing events to it as JSON Lines.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use shared::Event;

use crate::log::health::LogHealth;
use crate::log::hub::{Hub, LogLine};

/// Creates `session_YYYYMMDD_HHMMSS.jsonl` in `dir` (the directory 0700 if it is
/// new, the file 0600), never overwriting: a name taken in the same second gets
/// a `_2`, `_3`… suffix.
pub fn create_session_file(dir: &Path) -> anyhow::Result<(File, PathBuf)> {
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the sessions directory {}", dir.display()))?;
    let stamp = chrono::Local::now().format("session_%Y%m%d_%H%M%S");
    for attempt in 1..1000 {
        let name = match attempt {
            1 => format!("{stamp}.jsonl"),
            n => format!("{stamp}_{n}.jsonl"),
        };
        let path = dir.join(name);
        // Append mode: after a failed write is cut back with set_len, the
        // next write must land at the new end, not at the old offset past a
        // hole of zeros.
        match OpenOptions::new()
            .append(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(file) => return Ok((file, path)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("cannot create the session log {}", path.display()))
            }
        }
    }
    anyhow::bail!("cannot find a free session log name in {}", dir.display())
}

/// Writes events to the session log and publishes each line once it is written.
///
/// Lines are batched until the recorder runs out of work, then written with
/// one `write` call. A failed write (disk full) is undone to the last whole
/// line and retried with the next batch; only written lines are published, so
/// a line's number in the file is always its sequence number.
pub struct LogSink {
    file: File,
    /// Length of the file up to its last whole line.
    written: u64,
    buf: Vec<u8>,
    pending: Vec<LogLine>,
    next_seq: u64,
    hub: Arc<Hub>,
    failing: bool,
}

/// Past this much unwritten data a batch is written even mid-burst.
const MAX_BATCH_BYTES: usize = 1 << 20;
/// While writes fail, at most this much is held for retrying; past it the
/// held lines are given up, so a full disk cannot exhaust memory as well.
const MAX_HELD_BYTES: usize = 64 << 20;

impl LogSink {
    pub fn new(file: File, hub: Arc<Hub>) -> Self {
        LogSink {
            file,
            written: 0,
            buf: Vec::with_capacity(64 * 1024),
            pending: Vec::new(),
            next_seq: 1,
            hub,
            failing: false,
        }
    }

    fn write_batch(&mut self) -> io::Result<()> {
        if let Err(e) = self.file.write_all(&self.buf) {
            // Cut back any partial line so that later lines start on a line boundary.
            let _ = self.file.set_len(self.written);
            return Err(e);
        }
        self.written += self.buf.len() as u64;
        Ok(())
    }
}

impl proxy::EventSink for LogSink {
    fn record(&mut self, event: Event) {
        let line: Arc<str> = Arc::from(event.to_line());
        self.buf.extend_from_slice(line.as_bytes());
        self.buf.push(b'\n');
        self.pending.push(LogLine {
            seq: self.next_seq,
            json: line,
        });
        self.next_seq += 1;
        if self.buf.len() >= MAX_BATCH_BYTES && !self.failing {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.buf.is_empty() {
            return;
        }
        match self.write_batch() {
            Ok(()) => {
                if self.failing {
                    self.failing = false;
                    eprintln!("trace_claude: the session log is being written again");
                    self.hub.update_log_health(LogHealth::recovered);
                }
                self.buf.clear();
                // Published after the write: a reader that sees a sequence
                // number live finds every earlier line in the file.
                for line in self.pending.drain(..) {
                    self.hub.publish(line);
                }
            }
            Err(e) => {
                if !self.failing {
                    self.failing = true;
                    eprintln!(
                        "trace_claude: cannot write the session log {} ({e}); forwarding goes on and writing is retried",
                        self.hub.log_path().display()
                    );
                }
                self.hub
                    .update_log_health(|health| health.failing(e.to_string()));
                if self.buf.len() > MAX_HELD_BYTES {
                    eprintln!(
                        "trace_claude: gave up {} events that could not be written to the session log",
                        self.pending.len()
                    );
                    let lost = self.pending.len() as u64;
                    self.hub
                        .update_log_health(|health| health.events_lost += lost);
                    self.next_seq -= lost;
                    self.pending.clear();
                    self.buf.clear();
                }
            }
        }
    }
}
