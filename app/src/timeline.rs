//! The page's copy of the session: every event once, in order, across
//! reconnects and proxy restarts.
//!
//! Live messages carry ids `SESSION:SEQ` (the log's name and line number).
//! A reconnect to the same session resumes after the last line held; a
//! restarted proxy is a new session, whose events are appended after a marker.

use std::sync::Arc;

use shared::Event;

use crate::summary;

/// One event as the page shows it, with what its card needs computed once.
#[derive(Debug)]
pub struct Entry {
    /// Unique within the page: position in arrival order.
    pub key: usize,
    pub seq: u64,
    pub event: Event,
    pub badge: &'static str,
    pub summary: String,
    pub colour: usize,
}

/// Entries never change once made, and keys are unique: equal keys, equal entries.
impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

#[derive(Debug, Default)]
pub struct Timeline {
    entries: Vec<Arc<Entry>>,
    session: Option<String>,
    last_seq: u64,
    /// Entries before this index were cleared from the display.
    cleared: usize,
    /// Sessions seen before the current one (the proxy was restarted).
    pub earlier_sessions: Vec<String>,
}

/// Splits a live message id `SESSION:SEQ`.
pub fn parse_id(id: &str) -> Option<(&str, u64)> {
    let (session, seq) = id.rsplit_once(':')?;
    Some((session, seq.parse().ok()?))
}

impl Timeline {
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes a live message; false when it was already held (a replay after
    /// a reconnect) and so changes nothing.
    pub fn accept(&mut self, session: &str, seq: u64, event: Event) -> bool {
        if self.session.as_deref() != Some(session) {
            if let Some(old) = self.session.replace(session.to_owned()) {
                self.earlier_sessions.push(old);
            }
            self.last_seq = 0;
        }
        if seq <= self.last_seq {
            return false;
        }
        self.last_seq = seq;
        let entry = Entry {
            key: self.entries.len(),
            seq,
            badge: summary::badge(&event.kind),
            summary: summary::summary(&event.kind),
            colour: summary::flow_colour(event.flow_id().as_str()),
            event,
        };
        self.entries.push(Arc::new(entry));
        true
    }

    /// The session currently followed, if any message came yet.
    pub fn session(&self) -> Option<&str> {
        self.session.as_deref()
    }

    /// Hides everything held so far; later events show as they come.
    pub fn clear(&mut self) {
        self.cleared = self.entries.len();
    }

    /// The events on display, oldest first.
    pub fn shown(&self) -> &[Arc<Entry>] {
        &self.entries[self.cleared..]
    }

    /// Everything received, cleared or not.
    pub fn total(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u64) -> Event {
        serde_json::from_value(serde_json::json!({
            "ts": "2026-03-29T11:27:07.000001Z", "type": "stream_end", "flow_id": format!("flow{n}")
        }))
        .unwrap()
    }

    #[test]
    fn replays_after_a_reconnect_are_not_doubled() {
        let mut t = Timeline::new();
        for seq in 1..=3 {
            assert!(t.accept("s1", seq, event(seq)));
        }
        // The server resends from the last id it was given.
        assert!(!t.accept("s1", 3, event(3)));
        assert!(t.accept("s1", 4, event(4)));
        let seqs: Vec<u64> = t.shown().iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [1, 2, 3, 4]);
    }

    #[test]
    fn a_restarted_proxy_starts_a_new_session_after_the_old_one() {
        let mut t = Timeline::new();
        t.accept("s1", 1, event(1));
        t.accept("s1", 2, event(2));
        assert!(
            t.accept("s2", 1, event(10)),
            "line 1 of a new session is new"
        );
        assert_eq!(t.total(), 3);
        assert_eq!(t.earlier_sessions, ["s1"]);
        assert_eq!(t.session(), Some("s2"));
    }

    #[test]
    fn clear_hides_what_is_held_and_shows_what_comes_next() {
        let mut t = Timeline::new();
        t.accept("s1", 1, event(1));
        t.clear();
        assert!(t.shown().is_empty());
        t.accept("s1", 2, event(2));
        assert_eq!(t.shown().len(), 1);
        assert_eq!(t.total(), 2);
    }

    #[test]
    fn ids_split_into_session_and_line() {
        assert_eq!(
            parse_id("session_20260329_112707:42"),
            Some(("session_20260329_112707", 42))
        );
        assert_eq!(parse_id("42"), None);
        assert_eq!(parse_id("s:x"), None);
    }
}
