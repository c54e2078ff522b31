//! Live subscribers: every log line, numbered, for the event API.
//!
//! Line `seq` (1-based) of the session log is event `seq`. Subscribers get new
//! lines from a broadcast channel and fill any gap (a late start, a slow
//! reader that lagged) from the session's index (see `web::events`), so
//! nothing is missed or repeated and memory does not grow with the session.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::{broadcast, watch};

use shared::api::LogHealth;

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
}
