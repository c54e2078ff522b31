//! Whether the session log is being written. A full disk must not stop the
//! proxy, but the user has to know that events are not being saved: the
//! state is in `/api/session`, on `/api/log_health/stream`, and in the UI.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogHealth {
    /// False while writes to the session log fail.
    pub ok: bool,
    /// Why the last write failed, while it fails.
    pub error: Option<String>,
    /// When the current run of failures began (RFC 3339).
    pub failing_since: Option<String>,
    /// Events given up because too much piled up while writes failed.
    pub events_lost: u64,
}

impl Default for LogHealth {
    fn default() -> Self {
        LogHealth {
            ok: true,
            error: None,
            failing_since: None,
            events_lost: 0,
        }
    }
}

impl LogHealth {
    pub fn failing(&mut self, error: String) {
        if self.ok {
            self.failing_since = Some(shared::Timestamp::now().to_string());
        }
        self.ok = false;
        self.error = Some(error);
    }

    pub fn recovered(&mut self) {
        self.ok = true;
        self.error = None;
        self.failing_since = None;
    }
}
