//! A session log as a file to hand to someone else: what `trace_claude
//! export` and the web API's downloads write.
//!
//! Every format reads the log as it is on disk (the source of truth), through
//! the one line framer and the session index of `crate::log`, then applies the same two filters to each event before it is written:
//! credentials are redacted as the proxy redacts them (unless the user asks
//! not to), and with `--redact-bodies` message contents are removed.

mod credentials;
mod har;
pub mod html;
pub mod markdown;
pub mod output;
mod redact_bodies;

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use shared::Event;

use crate::log::index::FlowsSnapshot;
use crate::log::lines::{LineFramer, ReadReport};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Har,
    Jsonl,
    Html,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Har => "har",
            Format::Jsonl => "jsonl",
            Format::Html => "html",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Har => "application/json",
            Format::Jsonl => "application/x-ndjson",
            Format::Html => "text/html; charset=utf-8",
        }
    }
}

/// What is removed from every exported event.
#[derive(Debug, Clone, Copy)]
pub struct Filters {
    pub redact_credentials: bool,
    pub redact_bodies: bool,
}

impl Filters {
    pub fn apply(self, event: &mut Event) {
        if self.redact_credentials {
            credentials::redact(event);
        }
        if self.redact_bodies {
            redact_bodies::redact(event);
        }
    }
}

/// What an export left out, for the user to be told.
#[derive(Debug, Default)]
pub struct Skipped {
    /// Flows whose request line is not in the log (HAR needs a request).
    pub flows_without_request: u64,
}

/// The log's events, filtered, one line each. A cut last line and lines that
/// are not events are left out, and reported.
pub fn write_jsonl<W: Write + ?Sized>(
    path: &Path,
    out: &mut W,
    filters: Filters,
) -> anyhow::Result<ReadReport> {
    // Streamed line by line, not indexed: the output is in log order, so
    // nothing needs to be found again.
    let mut framer = LineFramer::open(path)?;
    let mut report = ReadReport::default();
    let cannot_read = || format!("cannot read {}", path.display());
    while let Some(line) = framer.next_line().with_context(cannot_read)? {
        let parsed = serde_json::from_slice::<Event>(line.bytes);
        let seq = line.seq;
        match parsed {
            Ok(mut event) => {
                report.count::<serde_json::Error>(seq, Ok(()));
                filters.apply(&mut event);
                out.write_all(event.to_line().as_bytes())?;
                out.write_all(b"\n")?;
            }
            Err(why) => report.count(seq, Err(why)),
        }
    }
    report.partial_bytes = framer.partial_bytes();
    out.flush()?;
    Ok(report)
}

/// One HAR of the flows of all `logs`, in the order given.
pub fn write_har<W: Write>(
    logs: &[FlowsSnapshot],
    out: W,
    filters: Filters,
) -> anyhow::Result<(W, Skipped)> {
    let mut har = har::HarWriter::begin(out)?;
    let mut skipped = Skipped::default();
    for log in logs {
        for flow in log.events()? {
            let mut events = flow?;
            // A tunnel carried no HTTP the proxy could read: nothing for HAR.
            if events
                .iter()
                .all(|e| matches!(e.kind, shared::EventKind::Tunnel(_)))
            {
                continue;
            }
            events.iter_mut().for_each(|e| filters.apply(e));
            if !har.flow(&events)? {
                skipped.flows_without_request += 1;
            }
        }
    }
    Ok((har.finish()?, skipped))
}
