//! A log's events, flow by flow, without holding the log in memory.
//!
//! Flows interleave in a log (Claude Code runs calls in parallel), and a HAR
//! entry needs all of one flow's events. A first pass notes where each
//! flow's lines start; the second reads one flow's lines at a time. Memory is
//! a few bytes per line plus one flow's events, whatever the log's size. The
//! first pass also fixes what is exported: lines appended to a live log
//! after it are not.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use shared::Event;

use crate::log::reader::{ReadReport, SessionReader};

/// The flows of one log, in the order of their first event.
pub struct Grouped {
    path: PathBuf,
    /// Byte offsets of each flow's lines, in log order.
    flows: Vec<Vec<u64>>,
    pub report: ReadReport,
}

impl Grouped {
    pub fn scan(path: &Path) -> anyhow::Result<Self> {
        let mut reader = SessionReader::open(path)?;
        let mut flows: Vec<Vec<u64>> = Vec::new();
        let mut by_id: HashMap<Arc<str>, usize> = HashMap::new();
        for item in reader.by_ref() {
            let (_, offset, event) =
                item.with_context(|| format!("cannot read {}", path.display()))?;
            let next = flows.len();
            let n = *by_id.entry(event.flow_id().0.clone()).or_insert(next);
            if n == next {
                flows.push(Vec::new());
            }
            flows[n].push(offset);
        }
        let report = reader.report().clone();
        Ok(Grouped {
            path: path.to_owned(),
            flows,
            report,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Each flow's events, read again from the file.
    pub fn events(&self) -> anyhow::Result<FlowEvents<'_>> {
        let file = File::open(&self.path)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        Ok(FlowEvents {
            grouped: self,
            file: BufReader::with_capacity(64 * 1024, file),
            next: 0,
            line: Vec::new(),
        })
    }
}

pub struct FlowEvents<'a> {
    grouped: &'a Grouped,
    file: BufReader<File>,
    next: usize,
    line: Vec<u8>,
}

impl FlowEvents<'_> {
    fn read_flow(&mut self, offsets: &[u64]) -> io::Result<Vec<Event>> {
        let mut events = Vec::with_capacity(offsets.len());
        for &offset in offsets {
            self.file.seek(SeekFrom::Start(offset))?;
            self.line.clear();
            self.file.read_until(b'\n', &mut self.line)?;
            // The first pass read this very line as an event; anything else
            // now means the file was rewritten under us.
            let event = serde_json::from_slice(&self.line).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("the log changed while it was exported (at byte {offset}): {e}"),
                )
            })?;
            events.push(event);
        }
        Ok(events)
    }
}

impl Iterator for FlowEvents<'_> {
    type Item = anyhow::Result<Vec<Event>>;

    fn next(&mut self) -> Option<Self::Item> {
        let grouped = self.grouped;
        let offsets = grouped.flows.get(self.next)?;
        self.next += 1;
        Some(
            self.read_flow(offsets)
                .with_context(|| format!("cannot read {}", grouped.path.display())),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn interleaved_flows_come_out_whole_in_order_of_first_event() {
        let line = |flow: &str, kind: &str| {
            format!(r#"{{"ts":"2026-03-29T11:27:07.000001Z","type":"{kind}","flow_id":"{flow}"}}"#)
        };
        let mut file = tempfile::NamedTempFile::new().unwrap();
        let text = [
            line("b", "stream_end"),
            line("a", "stream_end"),
            "not an event".to_owned(),
            line("b", "stream_end"),
            line("c", "stream_end"),
            line("a", "stream_end"),
        ]
        .join("\n");
        // The last line has no newline: cut short, so not exported.
        file.write_all(text.as_bytes()).unwrap();
        let grouped = Grouped::scan(file.path()).unwrap();
        let flows: Vec<Vec<String>> = grouped
            .events()
            .unwrap()
            .map(|f| f.unwrap().iter().map(|e| e.flow_id().to_string()).collect())
            .collect();
        assert_eq!(flows, vec![vec!["b", "b"], vec!["a"], vec!["c"]]);
        assert_eq!(grouped.report.invalid_lines, 1);
        assert!(grouped.report.incomplete_tail_at.is_some());
    }
}
