//! Live subscribers: every log line, numbered, for the event API.
//!
//! Line `seq` (1-based) of the session log is event `seq`. Subscribers get new
//! lines from a broadcast channel and fill any gap (a late start, a slow
//! reader that lagged) from the log file itself, so nothing is missed or
//! repeated and memory does not grow with the session.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::broadcast;

#[derive(Debug, Clone)]
pub struct LogLine {
    pub seq: u64,
    pub json: Arc<str>,
}

pub struct Hub {
    log_path: PathBuf,
    /// The log's file stem: names this session in live message ids.
    session_name: String,
    live: broadcast::Sender<LogLine>,
}

/// Lines a subscriber may fall behind before it catches up from the file.
const LIVE_BUFFER: usize = 4096;

impl Hub {
    pub fn new(log_path: PathBuf) -> Arc<Self> {
        let (live, _) = broadcast::channel(LIVE_BUFFER);
        let session_name = log_path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Arc::new(Hub {
            log_path,
            session_name,
            live,
        })
    }

    pub fn session_name(&self) -> &str {
        &self.session_name
    }

    pub fn log_path(&self) -> &std::path::Path {
        &self.log_path
    }

    pub fn publish(&self, line: LogLine) {
        // No subscriber is not an error: the line is in the file.
        let _ = self.live.send(line);
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LogLine> {
        self.live.subscribe()
    }

    /// The whole lines of the log after line `after`, read from the file.
    pub async fn lines_after(&self, after: u64) -> std::io::Result<Vec<LogLine>> {
        let path = self.log_path.clone();
        tokio::task::spawn_blocking(move || read_lines_after(&path, after))
            .await
            .map_err(std::io::Error::other)?
    }
}

fn read_lines_after(path: &std::path::Path, after: u64) -> std::io::Result<Vec<LogLine>> {
    let mut reader = BufReader::new(std::fs::File::open(path)?);
    let mut out = Vec::new();
    let mut seq = 0u64;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line)? == 0 {
            break;
        }
        // A line without its newline is still being written: not yet an event.
        let Some(json) = line.strip_suffix('\n') else {
            break;
        };
        seq += 1;
        if seq > after {
            out.push(LogLine {
                seq,
                json: Arc::from(json),
            });
        }
    }
    Ok(out)
}
