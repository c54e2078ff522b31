//! The web API's wire types: one type for each JSON answer of the `/api`
//! routes, serialized by the server and deserialized by the browser app (and
//! by the HTML report, which embeds the same answers). Like [`Event`] for the
//! log line, a field named here is named once for both sides.
//!
//! | route | answer |
//! |---|---|
//! | `GET /api/session`, the live stream's `session` message | [`ServerInfo`] |
//! | `GET /api/log_health/stream` messages | [`LogHealth`] |
//! | `GET /api/sessions` | [`SessionList`] |
//! | `GET /api/flows` | [`FlowList`] |
//! | `GET /api/flows/{id}`, `GET /api/events` | `Vec<`[`Event`]`>` (log lines as they are) |
//! | `GET /api/search?q=` | [`SearchResult`] |
//!
//! [`Event`]: crate::Event

use serde::{Deserialize, Serialize};

use crate::{FlowId, FlowSummary, Prices, Timestamp};

/// What a server records or shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "lowercase")]
pub enum ServerInfo {
    /// `trace_claude listen`: a proxy writing a session log.
    Listen(Recording),
    /// `trace_claude view`: saved logs, nothing live.
    View {
        /// The files given, as given.
        files: Vec<String>,
    },
}

/// The session `listen` is recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// The log's name in [`SessionList`] (its file stem).
    pub session: String,
    pub log_file: String,
    /// Where the proxy forwards to.
    pub upstream: String,
    /// Where Claude Code should send its calls (`ANTHROPIC_BASE_URL`).
    pub proxy_url: String,
    /// Whether credentials are redacted in the log.
    pub redacted: bool,
    /// Whether the log is being written; sent by `/api/session`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_health: Option<LogHealth>,
}

impl ServerInfo {
    pub fn recording(&self) -> Option<&Recording> {
        match self {
            ServerInfo::Listen(r) => Some(r),
            ServerInfo::View { .. } => None,
        }
    }

    /// The proxy's port, for the command the page tells the user to run.
    pub fn proxy_port(&self) -> Option<u16> {
        let url = &self.recording()?.proxy_url;
        url.rsplit(':').next()?.trim_end_matches('/').parse().ok()
    }
}

/// Whether the session log is being written. A full disk must not stop the
/// proxy, but the user has to know that events are not being saved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogHealth {
    /// False while writes to the session log fail.
    pub ok: bool,
    /// Why the last write failed, while it fails.
    pub error: Option<String>,
    /// When the current run of failures began (RFC 3339).
    pub failing_since: Option<String>,
    /// Events given up because too much piled up while writes failed.
    pub events_lost: u64,
    /// The OpenTelemetry export, when `listen` sends spans somewhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub export: Option<ExportHealth>,
}

/// Whether spans reach the OpenTelemetry collector. A collector that is down
/// costs queued memory up to a bound, then spans: the user must know.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ExportHealth {
    /// Where spans go (the traces URL).
    pub endpoint: String,
    /// Why the last export failed, while exports fail.
    pub error: Option<String>,
    /// Spans given up: the queue was full, or a batch failed every retry.
    pub spans_dropped: u64,
}

impl Default for LogHealth {
    fn default() -> Self {
        LogHealth {
            ok: true,
            error: None,
            failing_since: None,
            events_lost: 0,
            export: None,
        }
    }
}

impl LogHealth {
    pub fn failing(&mut self, error: String) {
        if self.ok {
            self.failing_since = Some(Timestamp::now().to_string());
        }
        self.ok = false;
        self.error = Some(error);
    }

    pub fn recovered(&mut self) {
        self.ok = true;
        self.error = None;
        self.failing_since = None;
    }

    /// What the page's banner says while the log cannot be written, or
    /// spans do not reach the collector; `None` while all is well.
    pub fn problem(&self) -> Option<String> {
        let mut problems = Vec::new();
        if !self.ok {
            let error = self.error.as_deref().unwrap_or("unknown error");
            let mut text = format!(
                "The session log cannot be written ({error}). Claude Code's traffic is still forwarded; events are kept in memory and written when there is room again."
            );
            if self.events_lost > 0 {
                text.push_str(&format!(" {} events could not be kept.", self.events_lost));
            }
            problems.push(text);
        }
        if let Some(export) = self.export.as_ref().and_then(ExportHealth::problem) {
            problems.push(export);
        }
        (!problems.is_empty()).then(|| problems.join(" "))
    }
}

impl ExportHealth {
    /// What the banner says of the export; `None` while spans get through
    /// and none was lost.
    pub fn problem(&self) -> Option<String> {
        let mut text = match &self.error {
            Some(error) => format!(
                "Spans cannot be sent to {} ({error}); they are queued and retried, and the log has every call.",
                self.endpoint
            ),
            None if self.spans_dropped > 0 => {
                format!("Some spans did not reach {}.", self.endpoint)
            }
            None => return None,
        };
        if self.spans_dropped > 0 {
            text.push_str(&format!(
                " {} spans were dropped; `trace_claude export --otlp-endpoint` sends the log again without duplicates.",
                self.spans_dropped
            ));
        }
        Some(text)
    }
}

/// The session logs a server can show.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SessionList {
    /// The one being recorded, when the server records (`listen`).
    pub live: Option<String>,
    /// The live one first, then the newest first.
    pub sessions: Vec<SessionEntry>,
}

/// One session log a server can show.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionEntry {
    /// What `?session=` names it by (its file stem).
    pub name: String,
    pub bytes: u64,
    /// Last modification, seconds since the Unix epoch.
    #[serde(default)]
    pub modified: Option<u64>,
    #[serde(default)]
    pub live: bool,
}

/// A session's flows, summarized: what the flow list shows. `F` is how the
/// flows are held: the server serializes borrowed summaries (`Vec<&FlowSummary>`)
/// straight from its index; readers get owned ones.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlowList<F = Vec<FlowSummary>> {
    pub session: String,
    /// Whether it is the session being recorded.
    #[serde(default)]
    pub live: bool,
    /// The log's size when it was read.
    #[serde(default)]
    pub bytes: u64,
    /// Whole lines read: the summaries cover events up to this line.
    pub lines: u64,
    /// Bytes after the last whole line: one still being written, or cut by a crash.
    #[serde(default)]
    pub partial_bytes: u64,
    /// Lines that are not events, and the first of them.
    #[serde(default)]
    pub bad_lines: u64,
    #[serde(default)]
    pub first_bad_line: Option<u64>,
    pub flows: F,
    /// The table costs are estimated with.
    pub prices: Prices,
}

/// The flows whose events contain a search text, in the order they started.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResult {
    pub flows: Vec<FlowId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_info_keeps_the_fields_scripts_read() {
        let info = ServerInfo::Listen(Recording {
            session: "session_20260329_112707".into(),
            log_file: "sessions/session_20260329_112707.jsonl".into(),
            upstream: "https://api.anthropic.com".into(),
            proxy_url: "http://127.0.0.1:8123".into(),
            redacted: true,
            log_health: None,
        });
        let json = serde_json::to_value(&info).unwrap();
        assert_eq!(json["mode"], "listen");
        assert_eq!(json["proxy_url"], "http://127.0.0.1:8123");
        assert!(json.get("log_health").is_none());
        assert_eq!(info.proxy_port(), Some(8123));
        let view: ServerInfo =
            serde_json::from_value(serde_json::json!({"mode": "view", "files": ["a.jsonl"]}))
                .unwrap();
        assert_eq!(view.proxy_port(), None);
        assert_eq!(
            serde_json::from_value::<ServerInfo>(json).unwrap(),
            info,
            "what the server writes, the browser reads back"
        );
    }

    #[test]
    fn a_failing_log_says_why_and_what_was_lost() {
        let mut health = LogHealth::default();
        assert_eq!(health.problem(), None);
        health.failing("No space left on device".into());
        health.events_lost = 3;
        let text = health.problem().unwrap();
        assert!(text.contains("(No space left on device)"), "{text}");
        assert!(text.ends_with(" 3 events could not be kept."), "{text}");
        let since = health.failing_since.clone();
        health.failing("again".into());
        assert_eq!(
            health.failing_since, since,
            "a run of failures keeps its start"
        );
        health.recovered();
        assert_eq!(health.problem(), None);
    }

    #[test]
    fn an_export_that_fails_or_dropped_spans_is_a_problem_of_its_own() {
        let mut health = LogHealth {
            export: Some(ExportHealth {
                endpoint: "http://collector:4318/v1/traces".into(),
                ..ExportHealth::default()
            }),
            ..LogHealth::default()
        };
        assert_eq!(health.problem(), None, "an export that works is no news");
        let export = health.export.as_mut().unwrap();
        export.error = Some("connection refused".into());
        let text = health.problem().unwrap();
        assert!(
            text.starts_with(
                "Spans cannot be sent to http://collector:4318/v1/traces (connection refused)"
            ),
            "{text}"
        );
        let export = health.export.as_mut().unwrap();
        export.error = None;
        export.spans_dropped = 7;
        let text = health.problem().unwrap();
        assert!(text.contains(" 7 spans were dropped"), "{text}");
        health.failing("disk full".into());
        let text = health.problem().unwrap();
        assert!(
            text.starts_with("The session log cannot be written (disk full)")
                && text.contains("7 spans"),
            "both problems are told: {text}"
        );
    }
}
