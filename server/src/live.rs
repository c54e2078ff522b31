//! Live subscribers: every log line, numbered, for the event API.
//!
//! Line `seq` (1-based) of the session log is event `seq`. Subscribers get new
//! lines from a broadcast channel and fill any gap (a late start, a slow
//! reader that lagged) from the log file itself, so nothing is missed or
//! repeated and memory does not grow with the session.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{broadcast, watch};

use crate::log_health::LogHealth;

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
    health: watch::Sender<LogHealth>,
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
            health: watch::Sender::new(LogHealth::default()),
        })
    }

    pub fn log_health(&self) -> watch::Receiver<LogHealth> {
        self.health.subscribe()
    }

    /// Changes the log's health; watchers hear only of real changes.
    pub fn update_log_health(&self, change: impl FnOnce(&mut LogHealth)) {
        self.health.send_if_modified(|health| {
            let before = health.clone();
            change(health);
            *health != before
        });
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
    // Bytes, not a String: a last line cut inside a multi-byte character (a
    // crash, a full disk, a write in progress) must not make every earlier
    // line unreadable.
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        // A line without its newline is still being written: not yet an event.
        let Some(json) = line.strip_suffix(b"\n") else {
            break;
        };
        seq += 1;
        if seq > after {
            out.push(LogLine {
                seq,
                json: Arc::from(String::from_utf8_lossy(json)),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Any file, whatever it holds (a line cut anywhere, bytes that are
        /// not UTF-8), reads as its newline-terminated lines, numbered from 1.
        #[test]
        fn any_file_reads_as_its_whole_lines(
            lines in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 0..20),
            tail in prop::collection::vec(any::<u8>(), 0..40),
            after in 0u64..25,
        ) {
            let lines: Vec<Vec<u8>> = lines
                .into_iter()
                .map(|l| l.into_iter().filter(|&b| b != b'\n').collect())
                .collect();
            let tail: Vec<u8> = tail.into_iter().filter(|&b| b != b'\n').collect();
            let mut file = tempfile::NamedTempFile::new().unwrap();
            for line in &lines {
                std::io::Write::write_all(&mut file, line).unwrap();
                std::io::Write::write_all(&mut file, b"\n").unwrap();
            }
            std::io::Write::write_all(&mut file, &tail).unwrap();

            let read = read_lines_after(file.path(), after).unwrap();
            let expected: Vec<(u64, String)> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| (i as u64 + 1, String::from_utf8_lossy(l).into_owned()))
                .filter(|(seq, _)| *seq > after)
                .collect();
            let got: Vec<(u64, String)> =
                read.iter().map(|l| (l.seq, l.json.to_string())).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
