//! The live session's finished flows, fed to the pipeline as they finish;
//! and a saved log's flows, all of them, for `export --otlp-endpoint`.
//!
//! Both read the log through its index, in log order, so both give each
//! flow the same span and the same parent.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use shared::{Event, FlowId, FlowState, FlowSummary};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::parents::SpawningCalls;
use super::spans::{flow_span, needed_events, SpanOptions};
use super::SpanSender;
use crate::log::catalog::{Catalog, SessionInfo};
use crate::log::index::SessionIndex;

/// How often the live index is looked at for flows that finished.
const POLL: Duration = Duration::from_millis(250);

/// Spans of flows, with the parents found so far.
struct Spanner {
    options: Arc<SpanOptions>,
    spawning: SpawningCalls,
}

impl Spanner {
    fn offer(
        &mut self,
        flow: &FlowSummary,
        events: &[Event],
        all: &[&FlowSummary],
        to: &SpanSender,
    ) {
        let parent = self.spawning.of(flow, all.iter().copied());
        to.offer(flow_span(flow, events, parent.as_ref(), &self.options));
    }
}

/// Follows the live session until told to stop.
pub struct Follower {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

struct Live {
    catalog: Arc<Catalog>,
    session: String,
    spanner: Spanner,
    exported: HashSet<FlowId>,
    /// The index's length at the last look: no new line, nothing to do.
    lines_seen: u64,
    info: Option<SessionInfo>,
    warned: bool,
    to: SpanSender,
}

impl Follower {
    pub fn start(
        catalog: Arc<Catalog>,
        session: String,
        options: Arc<SpanOptions>,
        to: SpanSender,
    ) -> Follower {
        let (stop, mut stopped) = watch::channel(false);
        let mut live = Live {
            catalog,
            session,
            spanner: Spanner {
                options,
                spawning: SpawningCalls::default(),
            },
            exported: HashSet::new(),
            lines_seen: 0,
            info: None,
            warned: false,
            to,
        };
        let task = tokio::spawn(async move {
            loop {
                let last = *stopped.borrow();
                live = match tokio::task::spawn_blocking(move || {
                    live.step();
                    live
                })
                .await
                {
                    Ok(live) => live,
                    Err(e) => {
                        eprintln!("trace_claude: the OpenTelemetry export stopped: {e}");
                        return;
                    }
                };
                if last {
                    return;
                }
                // Either the next look, or the last one once stopping.
                let _ = tokio::time::timeout(POLL, stopped.changed()).await;
            }
        });
        Follower { stop, task }
    }

    /// Exports what finished up to now (the proxy has written its last
    /// lines), then stops.
    pub async fn finish(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

impl Live {
    fn step(&mut self) {
        // Found once: listing the sessions directory four times a second
        // would stat every saved log.
        if self.info.is_none() {
            self.info = self.catalog.find(Some(&self.session));
        }
        let Some(info) = &self.info else {
            return;
        };
        let index = match self.catalog.index(info) {
            Ok(index) => index,
            Err(e) => {
                self.warn(&e);
                return;
            }
        };
        // The index is held only to copy out the summaries and where the
        // finished flows' lines are; the lines are read after.
        let (flows, finished, snapshot) = {
            let index = index.lock().unwrap_or_else(|p| p.into_inner());
            if index.line_count() == self.lines_seen {
                return;
            }
            self.lines_seen = index.line_count();
            let flows: Vec<FlowSummary> = index.summaries().cloned().collect();
            let finished: Vec<usize> = (0..flows.len())
                .filter(|&i| {
                    flows[i].state != FlowState::Pending
                        && !self.exported.contains(&flows[i].flow_id)
                })
                .collect();
            let snapshot =
                index.snapshot_of_ids(finished.iter().map(|&i| flows[i].flow_id.as_str()));
            (flows, finished, snapshot)
        };
        let all: Vec<&FlowSummary> = flows.iter().collect();
        let mut events = match snapshot.events() {
            Ok(events) => events,
            Err(e) => {
                self.warn(&e);
                return;
            }
        };
        let content = self.spanner.options.content;
        for flow in finished.iter().map(|&i| &flows[i]) {
            match events.next_kept(!content, needed_events(content)) {
                Some(Ok(kept)) => {
                    self.spanner.offer(flow, &kept, &all, &self.to);
                    self.exported.insert(flow.flow_id.clone());
                }
                Some(Err(e)) => {
                    self.warn(&e);
                    break;
                }
                None => break,
            }
        }
    }

    /// Once: a log that cannot be read now is retried at every look.
    fn warn(&mut self, e: &dyn std::fmt::Display) {
        if !std::mem::replace(&mut self.warned, true) {
            eprintln!("trace_claude: OpenTelemetry export cannot read the log: {e:#}");
        }
    }
}

/// Every flow of a saved log, finished or cut short, in log order.
/// Returns how many spans were offered.
pub fn export_log(path: &Path, options: Arc<SpanOptions>, to: &SpanSender) -> anyhow::Result<u64> {
    let index = SessionIndex::build(path)?;
    crate::log::lines::warn_about_skipped(path, index.report());
    let flows: Vec<&FlowSummary> = index.summaries().collect();
    let snapshot = index.snapshot();
    let mut spanner = Spanner {
        options,
        spawning: SpawningCalls::default(),
    };
    let content = spanner.options.content;
    let mut events = snapshot.events()?;
    let mut offered = 0;
    for flow in &flows {
        let Some(kept) = events.next_kept(!content, needed_events(content)) else {
            break;
        };
        spanner.offer(flow, &kept?, &flows, to);
        offered += 1;
    }
    Ok(offered)
}
