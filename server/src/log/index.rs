//! The index of one session log: where each line starts, which flow it
//! belongs to, and each flow's summary.
//!
//! A session log can be hundreds of megabytes, almost all of it request
//! bodies. The index is what lets the UI list flows without sending any body,
//! and send one flow's events without reading the rest of the file: it keeps
//! byte offsets, never line contents. It grows by reading whatever whole lines
//! were appended since the last look, so the same code serves a live session
//! and a saved one.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use serde::de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use shared::{Event, FlowId, FlowSummary, Headers, RequestFacts, Timestamp};

use crate::log::lines::{Line, LineFramer, ReadReport};

/// Lines longer than this are requests with big bodies: their facts are read
/// by skimming instead of building the whole JSON tree.
const SKIM_ABOVE: usize = 64 * 1024;

/// Where one line of the log is.
#[derive(Debug, Clone, Copy)]
struct LineRef {
    offset: u64,
    /// Length without the newline.
    len: u64,
    /// Index into `flows`, or `NO_FLOW` for a line that is not an event.
    flow: u32,
}

const NO_FLOW: u32 = u32::MAX;

struct FlowEntry {
    summary: FlowSummary,
    /// Sequence numbers (1-based line numbers) of this flow's events.
    lines: Vec<u64>,
}

pub struct SessionIndex {
    path: PathBuf,
    /// Bytes of the file covered by whole, indexed lines.
    scanned: u64,
    lines: Vec<LineRef>,
    flows: Vec<FlowEntry>,
    by_id: HashMap<Arc<str>, u32>,
    /// What the lines indexed so far hold, and the partial tail the last
    /// refresh found.
    report: ReadReport,
}

impl SessionIndex {
    /// An empty index of the log at `path`; [`SessionIndex::refresh`] fills it.
    pub fn new(path: PathBuf) -> Self {
        SessionIndex {
            path,
            scanned: 0,
            lines: Vec::new(),
            flows: Vec::new(),
            by_id: HashMap::new(),
            report: ReadReport::default(),
        }
    }

    /// The index of the whole log at `path` as it is now: what the commands
    /// reading a saved log start from.
    pub fn build(path: &Path) -> anyhow::Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        let mut index = SessionIndex::new(path.to_owned());
        index
            .refresh_from(file)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Ok(index)
    }

    /// Number of whole lines indexed: the sequence number of the last one.
    pub fn line_count(&self) -> u64 {
        self.lines.len() as u64
    }

    /// What the indexed lines hold and what was skipped: lines that are not
    /// events, and the partial last line of the latest refresh.
    pub fn report(&self) -> &ReadReport {
        &self.report
    }

    /// Indexes the whole lines appended since the last refresh.
    pub fn refresh(&mut self) -> io::Result<()> {
        let file = File::open(&self.path)?;
        self.refresh_from(file)
    }

    fn refresh_from(&mut self, mut file: File) -> io::Result<()> {
        let len = file.metadata()?.len();
        if len < self.scanned {
            // The file was replaced or truncated behind our back: start over
            // rather than serve offsets into a different file.
            *self = SessionIndex::new(self.path.clone());
        }
        file.seek(SeekFrom::Start(self.scanned))?;
        let reader = BufReader::with_capacity(256 * 1024, file);
        let mut framer = LineFramer::resume(reader, self.line_count() + 1, self.scanned);
        while let Some(line) = framer.next_line()? {
            self.add_line(line);
        }
        self.scanned = framer.offset();
        self.report.partial_bytes = framer.partial_bytes();
        Ok(())
    }

    fn add_line(&mut self, line: Line<'_>) {
        let (flow, parsed) = match parse_line(line.bytes) {
            Ok(parsed) => (self.add_event(line.seq, parsed), Ok(())),
            Err(why) => (NO_FLOW, Err(why)),
        };
        self.report.count(line.seq, parsed);
        self.lines.push(LineRef {
            offset: line.offset,
            len: line.bytes.len() as u64,
            flow,
        });
    }

    /// Adds line `seq`, an event, to its flow; returns the flow's index.
    fn add_event(&mut self, seq: u64, parsed: Parsed) -> u32 {
        let flow = match &parsed {
            Parsed::Request { flow_id, .. } => self.flow_for(flow_id, seq),
            Parsed::Event(event) => self.flow_for(event.flow_id(), seq),
        };
        let entry = &mut self.flows[flow as usize];
        match parsed {
            Parsed::Request { ts, facts, .. } => entry.summary.accept_request(seq, ts, *facts),
            Parsed::Event(event) => entry.summary.accept(seq, &event),
        }
        entry.lines.push(seq);
        flow
    }

    fn flow_for(&mut self, id: &FlowId, seq: u64) -> u32 {
        if let Some(&flow) = self.by_id.get(&*id.0) {
            return flow;
        }
        let flow = self.flows.len() as u32;
        self.flows.push(FlowEntry {
            summary: FlowSummary::new(id.clone(), seq),
            lines: Vec::new(),
        });
        self.by_id.insert(id.0.clone(), flow);
        flow
    }

    /// Every flow's summary, in the order the flows started.
    pub fn summaries(&self) -> impl Iterator<Item = &FlowSummary> {
        self.flows.iter().map(|f| &f.summary)
    }

    /// The sequence numbers of one flow's events.
    pub fn flow_lines(&self, id: &str) -> Option<&[u64]> {
        let flow = *self.by_id.get(id)?;
        Some(&self.flows[flow as usize].lines)
    }

    /// Where every flow's lines are now, to read each flow's events later
    /// without holding the index: lines indexed after this are not in it.
    pub fn snapshot(&self) -> FlowsSnapshot {
        self.snapshot_of_flows(0..self.flows.len())
    }

    /// [`SessionIndex::snapshot`] of the flows with these ids only, in the
    /// order given; ids not in the index are left out.
    pub fn snapshot_of_ids<'a>(&self, ids: impl IntoIterator<Item = &'a str>) -> FlowsSnapshot {
        let flows: Vec<usize> = ids
            .into_iter()
            .filter_map(|id| self.by_id.get(id).map(|&i| i as usize))
            .collect();
        self.snapshot_of_flows(flows)
    }

    fn snapshot_of_flows(&self, flows: impl IntoIterator<Item = usize>) -> FlowsSnapshot {
        let flows = flows
            .into_iter()
            .map(|i| {
                self.flows[i]
                    .lines
                    .iter()
                    .map(|&seq| {
                        let line = &self.lines[seq as usize - 1];
                        Span {
                            offset: line.offset,
                            len: line.len,
                        }
                    })
                    .collect()
            })
            .collect();
        FlowsSnapshot {
            path: self.path.clone(),
            flows,
        }
    }

    /// Reads the given lines (sequence numbers) from the file, in the order given.
    pub fn read_lines(&self, seqs: &[u64]) -> io::Result<Vec<(u64, String)>> {
        let mut file = File::open(&self.path)?;
        let mut out = Vec::with_capacity(seqs.len());
        for &seq in seqs {
            let Some(line) = seq.checked_sub(1).and_then(|i| self.lines.get(i as usize)) else {
                continue;
            };
            file.seek(SeekFrom::Start(line.offset))?;
            let mut bytes = vec![0; line.len as usize];
            file.read_exact(&mut bytes)?;
            let text = String::from_utf8(bytes)
                .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
            out.push((seq, text));
        }
        Ok(out)
    }

    /// The flows with a line that contains `query`, ignoring ASCII case, in
    /// the order they started. The query is matched as it appears inside the
    /// log's JSON strings (quotes and newlines escaped), so a phrase typed by
    /// the user finds the text it names.
    pub fn search(&self, query: &str) -> io::Result<Vec<FlowId>> {
        let escaped = serde_json::to_string(query).map_err(io::Error::other)?;
        let needle = escaped[1..escaped.len() - 1].to_ascii_lowercase();
        if needle.is_empty() {
            return Ok(Vec::new());
        }
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let mut hit = vec![false; self.flows.len()];
        let mut framer =
            LineFramer::new(BufReader::with_capacity(1 << 20, File::open(&self.path)?));
        let mut lower = Vec::new();
        for entry in &self.lines {
            let Some(line) = framer.next_line()? else {
                break;
            };
            if entry.flow == NO_FLOW || hit[entry.flow as usize] {
                continue;
            }
            lower.clear();
            lower.extend(line.bytes.iter().map(u8::to_ascii_lowercase));
            if finder.find(&lower).is_some() {
                hit[entry.flow as usize] = true;
            }
        }
        Ok(self
            .flows
            .iter()
            .zip(hit)
            .filter(|(_, hit)| *hit)
            .map(|(f, _)| f.summary.flow_id.clone())
            .collect())
    }

    /// The lines after `after` and up to `upto` (inclusive), read in one pass.
    pub fn read_range(&self, after: u64, upto: u64) -> io::Result<Vec<(u64, String)>> {
        let upto = upto.min(self.line_count());
        if after >= upto {
            return Ok(Vec::new());
        }
        let first = &self.lines[after as usize];
        let last = &self.lines[upto as usize - 1];
        let mut file = File::open(&self.path)?;
        file.seek(SeekFrom::Start(first.offset))?;
        let mut bytes = vec![0; (last.offset + last.len - first.offset) as usize];
        file.read_exact(&mut bytes)?;
        let text = String::from_utf8_lossy(&bytes);
        // Lines that are not events stay out: the answer is a JSON array of events.
        Ok((after + 1..=upto)
            .zip(text.split('\n'))
            .filter(|(seq, _)| self.lines[*seq as usize - 1].flow != NO_FLOW)
            .map(|(seq, line)| (seq, line.to_owned()))
            .collect())
    }
}

/// Where one indexed line is in the file.
#[derive(Debug, Clone, Copy)]
struct Span {
    offset: u64,
    /// Length without the newline.
    len: u64,
}

/// The flows of a log as its index had them at one moment, by where their
/// lines are: what an export reads, so that lines appended to a live log
/// after the export began are not in it. A few bytes per line, no contents.
pub struct FlowsSnapshot {
    path: PathBuf,
    /// Each flow's lines in log order; flows in the order of their first event.
    flows: Vec<Vec<Span>>,
}

impl FlowsSnapshot {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Each flow's events, parsed, read from the file one flow at a time.
    pub fn events(&self) -> anyhow::Result<FlowEvents<'_>> {
        let file = File::open(&self.path)
            .with_context(|| format!("cannot open {}", self.path.display()))?;
        Ok(FlowEvents {
            snapshot: self,
            file: BufReader::with_capacity(64 * 1024, file),
            at: 0,
            next: 0,
            line: Vec::new(),
        })
    }
}

/// The iterator of [`FlowsSnapshot::events`]: one flow's events at a time,
/// in the order of each flow's first event.
pub struct FlowEvents<'a> {
    snapshot: &'a FlowsSnapshot,
    file: BufReader<File>,
    /// The file position `file` reads from next.
    at: u64,
    next: usize,
    line: Vec<u8>,
}

impl FlowEvents<'_> {
    /// The next flow's events that `keep` keeps: each line is parsed and
    /// judged on its own, so a flow of many events costs memory only for
    /// those kept. With `without_deltas`, stream deltas come without their
    /// data (see `skim_delta`), for a reader that needs only their times.
    pub fn next_kept(
        &mut self,
        without_deltas: bool,
        keep: impl FnMut(&Event) -> bool,
    ) -> Option<anyhow::Result<Vec<Event>>> {
        let snapshot = self.snapshot;
        let spans = snapshot.flows.get(self.next)?;
        self.next += 1;
        Some(
            self.read_flow(spans, without_deltas, keep)
                .with_context(|| format!("cannot read {}", snapshot.path.display())),
        )
    }

    fn read_flow(
        &mut self,
        spans: &[Span],
        without_deltas: bool,
        mut keep: impl FnMut(&Event) -> bool,
    ) -> io::Result<Vec<Event>> {
        let mut events = Vec::new();
        for span in spans {
            // Flows interleave, so most lines are a short hop ahead: a
            // relative seek keeps what is buffered.
            self.file
                .seek_relative(span.offset as i64 - self.at as i64)?;
            self.line.resize(span.len as usize, 0);
            self.file.read_exact(&mut self.line)?;
            self.at = span.offset + span.len;
            if let Some(delta) = without_deltas.then(|| skim_delta(&self.line)).flatten() {
                if keep(&delta) {
                    events.push(delta);
                }
                continue;
            }
            // The index read this very line as an event; anything else now
            // means the file was rewritten under us.
            let event = serde_json::from_slice(&self.line).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "the log changed while it was exported (at byte {}): {e}",
                        span.offset
                    ),
                )
            })?;
            if keep(&event) {
                events.push(event);
            }
        }
        Ok(events)
    }
}

impl Iterator for FlowEvents<'_> {
    type Item = anyhow::Result<Vec<Event>>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_kept(false, |_| true)
    }
}

enum Parsed {
    /// A request, skimmed: its body's facts without its body.
    Request {
        ts: Timestamp,
        flow_id: FlowId,
        facts: Box<RequestFacts>,
    },
    Event(Box<Event>),
}

/// What a line is, or why it is not an event.
fn parse_line(line: &[u8]) -> Result<Parsed, serde_json::Error> {
    // The writer puts `ts` and `type` first, so a big request says so early;
    // any other line, or a hand-edited one, takes the full parse.
    let head = &line[..line.len().min(120)];
    if line.len() > SKIM_ABOVE && contains(head, br#""type":"request""#) {
        if let Ok(skim) = serde_json::from_slice::<RequestSkim>(line) {
            let (ts, flow_id) = (skim.ts, skim.flow_id.clone());
            return Ok(Parsed::Request {
                ts,
                flow_id,
                facts: Box::new(skim.facts()),
            });
        }
    }
    if let Some(delta) = skim_delta(line) {
        return Ok(Parsed::Event(Box::new(delta)));
    }
    serde_json::from_slice::<Event>(line).map(|e| Parsed::Event(Box::new(e)))
}

/// A `content_block_delta` line as an event without its data. A stream's
/// deltas are most of a long log's lines, and a summary (or a span) takes
/// only their time and flow: their data is stepped over, not built.
fn skim_delta(line: &[u8]) -> Option<Event> {
    if !contains(
        &line[..line.len().min(200)],
        br#""event":"content_block_delta""#,
    ) {
        return None;
    }
    let skim = serde_json::from_slice::<DeltaSkim>(line).ok()?;
    let _ = skim.data;
    (skim.kind == "sse" && skim.event == "content_block_delta").then(|| Event {
        ts: skim.ts,
        kind: shared::EventKind::Sse(shared::SseEvent {
            flow_id: skim.flow_id,
            event: skim.event,
            data: serde_json::Value::Null,
            id: None,
        }),
    })
}

/// An SSE line read for its time, flow and event name. `data` must be there
/// as a full parse requires, but is only stepped over.
#[derive(Deserialize)]
struct DeltaSkim {
    ts: Timestamp,
    #[serde(rename = "type")]
    kind: String,
    flow_id: FlowId,
    event: String,
    data: IgnoredAny,
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A request line read for its facts only: the body's messages are counted,
/// not built. Its fields are required as a full parse requires them, so that
/// a line the index takes for a request is one an export can read whole.
#[derive(Deserialize)]
struct RequestSkim {
    ts: Timestamp,
    flow_id: FlowId,
    method: String,
    path: String,
    #[serde(default)]
    host: Option<String>,
    #[serde(default)]
    mode: Option<shared::CaptureMode>,
    headers: Headers,
    body: BodySkim,
}

impl RequestSkim {
    fn facts(self) -> RequestFacts {
        let header = |name: &str| RequestFacts::header(&self.headers, name);
        RequestFacts {
            session_id: header(shared::SESSION_HEADER),
            agent_id: header(shared::AGENT_HEADER),
            parent_agent_id: header(shared::PARENT_AGENT_HEADER),
            model: self.body.model,
            stream: self.body.stream,
            message_count: self.body.messages,
            method: self.method,
            path: self.path,
            host: self.host,
            mode: self.mode,
        }
    }
}

#[derive(Default)]
struct BodySkim {
    model: Option<String>,
    stream: Option<bool>,
    messages: Option<u32>,
}

/// A value read by looking into one JSON shape only; any other value (text,
/// a number, null, the other container) skims to `Default`, drained without
/// being kept, so odd traffic never fails the index.
trait Skim: Default {
    /// What the skim looks for, for serde's error messages.
    const EXPECTING: &'static str;

    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Self::default())
    }

    fn seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Self::default())
    }
}

/// The one visitor of every [`Skim`].
struct SkimVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Skim> Visitor<'de> for SkimVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(T::EXPECTING)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::map(map)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        T::seq(seq)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<T, E> {
        Ok(T::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        Ok(T::default())
    }
}

/// Reads a [`Skim`] from any JSON value.
fn skim<'de, D: de::Deserializer<'de>, T: Skim>(d: D) -> Result<T, D::Error> {
    d.deserialize_any(SkimVisitor(std::marker::PhantomData))
}

/// Takes a JSON object's `model`, `stream` and the length of `messages`;
/// any other body (text, binary, null) skims to nothing.
impl Skim for BodySkim {
    const EXPECTING: &'static str = "a request body";

    fn map<'de, A: MapAccess<'de>>(mut map: A) -> Result<Self, A::Error> {
        let mut skim = BodySkim::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match &*key {
                "model" => {
                    skim.model = match map.next_value::<serde_json::Value>()? {
                        serde_json::Value::String(s) => Some(s),
                        _ => None,
                    }
                }
                "stream" => skim.stream = map.next_value::<serde_json::Value>()?.as_bool(),
                "messages" => skim.messages = map.next_value::<Counted>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(skim)
    }
}

impl<'de> Deserialize<'de> for BodySkim {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        skim(d)
    }
}

/// The length of an array, without keeping its elements; `None` for anything else.
#[derive(Default)]
struct Counted(Option<u32>);

impl Skim for Counted {
    const EXPECTING: &'static str = "an array";

    fn seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Self, A::Error> {
        let mut n = 0u32;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            n = n.saturating_add(1);
        }
        Ok(Counted(Some(n)))
    }
}

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        skim(d)
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use serde_json::json;
    use shared::EventKind;

    use super::*;

    fn request_line(flow: &str, body_bytes: usize) -> String {
        json!({
            "ts": "2026-03-29T11:27:07.000001Z", "type": "request", "flow_id": flow,
            "method": "POST", "path": "/v1/messages?beta=true",
            "headers": {"X-Claude-Code-Session-Id": "s1", "x-claude-code-agent-id": " a1 ",
                        "X-Claude-Code-Parent-Agent-Id": "main-7"},
            "body": {"model": "claude-opus-4-5", "stream": true, "system": "x".repeat(body_bytes),
                     "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}
        })
        .to_string()
    }

    fn end_line(flow: &str) -> String {
        json!({"ts": "2026-03-29T11:27:08.000001Z", "type": "stream_end", "flow_id": flow})
            .to_string()
    }

    #[test]
    fn skimmed_deltas_give_the_summary_a_full_parse_gives() {
        let lines = [
            request_line("f", 10),
            json!({"ts": "2026-03-29T11:27:07.100001Z", "type": "sse", "flow_id": "f",
                "event": "message_start", "data": {"type": "message_start", "message": {
                    "model": "m", "usage": {"input_tokens": 5, "output_tokens": 1}}}})
            .to_string(),
            json!({"ts": "2026-03-29T11:27:07.200001Z", "type": "sse", "flow_id": "f",
                "event": "content_block_delta", "data": {"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": "a"}}})
            .to_string(),
            json!({"ts": "2026-03-29T11:27:07.700001Z", "type": "sse", "flow_id": "f",
                "event": "content_block_delta", "data": {"type": "content_block_delta", "index": 0,
                    "delta": {"type": "text_delta", "text": "b"}}})
            .to_string(),
            json!({"ts": "2026-03-29T11:27:07.800001Z", "type": "sse", "flow_id": "f",
                "event": "message_delta", "data": {"type": "message_delta",
                    "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}}})
            .to_string(),
            end_line("f"),
        ];
        let mut full = FlowSummary::new(FlowId("f".into()), 1);
        for (i, line) in lines.iter().enumerate() {
            full.accept(i as u64 + 1, &serde_json::from_str(line).unwrap());
        }
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all((lines.join("\n") + "\n").as_bytes())
            .unwrap();
        let index = SessionIndex::build(file.path()).unwrap();
        let skimmed: Vec<&FlowSummary> = index.summaries().collect();
        assert_eq!(skimmed, [&full]);
        assert_eq!(full.ttft_ms, Some(200.0));
        assert_eq!(full.last_token_ms, Some(700.0));
        assert!(
            matches!(
                parse_line(lines[2].as_bytes()),
                Ok(Parsed::Event(e)) if matches!(&e.kind, EventKind::Sse(sse) if sse.data.is_null())
            ),
            "a delta is skimmed"
        );
        // An export that needs only the deltas' times reads them the same way.
        let snapshot = index.snapshot();
        let read = snapshot
            .events()
            .unwrap()
            .next_kept(true, |_| true)
            .unwrap()
            .unwrap();
        let data: Vec<bool> = read
            .iter()
            .map(|e| matches!(&e.kind, EventKind::Sse(sse) if sse.data.is_null()))
            .collect();
        assert_eq!(data, [false, false, true, true, false, false]);
        let whole = snapshot.events().unwrap().next().unwrap().unwrap();
        assert!(whole
            .iter()
            .all(|e| !matches!(&e.kind, EventKind::Sse(sse) if sse.data.is_null())));
        // A line that only looks like one takes the full parse, and fails as it would.
        let odd = r#"{"ts":"2026-03-29T11:27:07.200001Z","type":"response","flow_id":"f","event":"content_block_delta","data":1}"#;
        assert!(parse_line(odd.as_bytes()).is_err());
    }

    #[test]
    fn a_skimmed_request_gives_the_facts_a_full_parse_gives() {
        for size in [10, SKIM_ABOVE + 10] {
            let line = request_line("f", size);
            let event: Event = serde_json::from_str(&line).unwrap();
            let EventKind::Request(request) = &event.kind else {
                panic!("not a request")
            };
            let full = RequestFacts::from_request(request);
            let Ok(Parsed::Request { facts, .. }) = parse_line(line.as_bytes()) else {
                assert!(size < SKIM_ABOVE, "a big request must be skimmed");
                continue;
            };
            assert_eq!(*facts, full);
            assert_eq!(facts.message_count, Some(2));
            assert_eq!(facts.agent_id.as_deref(), Some("a1"));
            assert_eq!(facts.parent_agent_id.as_deref(), Some("main-7"));
        }
    }

    #[test]
    fn odd_bodies_skim_to_nothing_rather_than_fail() {
        for body in [
            json!("text"),
            json!(null),
            json!([1, 2]),
            json!({"messages": "no", "model": 3}),
        ] {
            let mut line: serde_json::Value = serde_json::from_str(&request_line("f", 0)).unwrap();
            line["body"] = body;
            line["pad"] = json!("p".repeat(SKIM_ABOVE));
            let text = line.to_string();
            let Ok(Parsed::Request { facts, .. }) = parse_line(text.as_bytes()) else {
                panic!("{text:.200} was not skimmed");
            };
            assert_eq!((facts.model, facts.message_count), (None, None));
        }
    }

    #[test]
    fn grows_with_the_file_and_ignores_a_partial_last_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let mut file = std::fs::File::create(&path).unwrap();
        let first = request_line("a", SKIM_ABOVE * 2);
        writeln!(file, "{first}").unwrap();
        let mut index = SessionIndex::new(path.clone());
        index.refresh().unwrap();
        assert_eq!(index.report().partial_bytes, 0);
        assert_eq!(index.line_count(), 1);

        // Half a line: not an event yet.
        let end = end_line("a");
        let (head, tail) = end.split_at(20);
        write!(file, "{head}").unwrap();
        index.refresh().unwrap();
        assert_eq!(index.report().partial_bytes, 20);
        assert_eq!(index.line_count(), 1);
        // The rest arrives: now it is.
        writeln!(file, "{tail}").unwrap();
        writeln!(file, "not json").unwrap();
        writeln!(file, "{}", request_line("b", 5)).unwrap();
        index.refresh().unwrap();
        assert_eq!(index.line_count(), 4);
        let report = index.report();
        assert_eq!(
            (report.lines, report.events, report.invalid_lines),
            (4, 3, 1)
        );
        assert_eq!(report.first_invalid.as_ref().map(|l| l.seq), Some(3));
        assert_eq!(report.partial_bytes, 0, "the partial line was completed");
        let flows: Vec<_> = index
            .summaries()
            .map(|s| s.flow_id.as_str().to_owned())
            .collect();
        assert_eq!(flows, ["a", "b"]);
        assert_eq!(index.flow_lines("a"), Some(&[1u64, 2][..]));
        let lines = index.read_lines(&[2, 1]).unwrap();
        assert_eq!(lines[0], (2, end.clone()));
        assert_eq!(lines[1], (1, first.clone()));
        let range = index.read_range(1, 4).unwrap();
        assert_eq!(range[0], (2, end));
        assert_eq!(range.len(), 2, "the line that is not an event is left out");
        assert_eq!(range[1].0, 4);
        assert_eq!(index.read_range(0, 99).unwrap().len(), 3);
    }

    #[test]
    fn every_cut_of_a_log_indexes_exactly_its_whole_lines() {
        let lines = [
            request_line("a", 40),
            end_line("a"),
            request_line("b", 3),
            end_line("b"),
        ];
        let text = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        for cut in 0..=text.len() {
            std::fs::write(&path, &text.as_bytes()[..cut]).unwrap();
            let mut index = SessionIndex::new(path.clone());
            index.refresh().unwrap();
            let whole = text[..cut].matches('\n').count() as u64;
            assert_eq!(index.line_count(), whole, "cut at {cut}");
            assert_eq!(index.report().events, whole, "cut at {cut}");
            assert_eq!(
                index.report().partial_bytes,
                (cut - text[..cut].rfind('\n').map_or(0, |i| i + 1)) as u64
            );
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

        /// Any file, whatever it holds (a line cut anywhere, bytes that are
        /// not UTF-8, lines that are not events), indexes as its
        /// newline-terminated lines, numbered from 1 and read back as written.
        #[test]
        fn any_file_indexes_as_its_whole_lines(
            lines in proptest::collection::vec(proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40), 0..20),
            tail in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
        ) {
            let lines: Vec<Vec<u8>> = lines
                .into_iter()
                .map(|l| l.into_iter().filter(|&b| b != b'\n').collect())
                .collect();
            let tail: Vec<u8> = tail.into_iter().filter(|&b| b != b'\n').collect();
            let mut file = tempfile::NamedTempFile::new().unwrap();
            for line in &lines {
                file.write_all(line).unwrap();
                file.write_all(b"\n").unwrap();
            }
            file.write_all(&tail).unwrap();

            let mut index = SessionIndex::new(file.path().to_path_buf());
            index.refresh().unwrap();
            proptest::prop_assert_eq!(index.report().partial_bytes, tail.len() as u64);
            proptest::prop_assert_eq!(index.report().lines, lines.len() as u64);
            proptest::prop_assert_eq!(index.line_count(), lines.len() as u64);
            let seqs: Vec<u64> = (1..=lines.len() as u64).collect();
            let read = index.read_lines(&seqs).unwrap();
            let expected: Vec<(u64, String)> = lines
                .iter()
                .enumerate()
                .map(|(i, l)| (i as u64 + 1, String::from_utf8_lossy(l).into_owned()))
                .collect();
            proptest::prop_assert_eq!(read, expected);
        }
    }

    #[test]
    fn search_matches_text_as_the_log_escapes_it_ignoring_case() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        let quoted = json!({"ts": "2026-03-29T11:27:07.000001Z", "type": "request", "flow_id": "q",
            "method": "POST", "path": "/", "headers": {}, "body": "He said \"Zebra\"\nthen left"});
        std::fs::write(&path, format!("{}\n{}\n", request_line("a", 3), quoted)).unwrap();
        let mut index = SessionIndex::new(path);
        index.refresh().unwrap();
        let ids = |q: &str| -> Vec<String> {
            index
                .search(q)
                .unwrap()
                .iter()
                .map(|f| f.as_str().to_owned())
                .collect()
        };
        assert_eq!(ids("said \"zebra\""), ["q"]);
        assert_eq!(ids("zebra\"\nTHEN"), ["q"]);
        assert_eq!(ids("claude-opus"), ["a"]);
        assert!(ids("absent").is_empty());
        assert!(ids("").is_empty());
    }

    fn flow_ids(snapshot: &FlowsSnapshot) -> Vec<Vec<String>> {
        snapshot
            .events()
            .unwrap()
            .map(|f| f.unwrap().iter().map(|e| e.flow_id().to_string()).collect())
            .collect()
    }

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
            request_line("c", SKIM_ABOVE + 1),
            line("a", "stream_end"),
        ]
        .join("\n");
        // The last line has no newline: cut short, so not exported.
        file.write_all(text.as_bytes()).unwrap();
        let index = SessionIndex::build(file.path()).unwrap();
        assert_eq!(
            flow_ids(&index.snapshot()),
            vec![vec!["b", "b"], vec!["a"], vec!["c"]]
        );
        let report = index.report();
        assert_eq!(
            (report.lines, report.events, report.invalid_lines),
            (5, 4, 1)
        );
        assert_eq!(report.partial_bytes, line("a", "stream_end").len() as u64);
    }

    #[test]
    fn a_snapshot_leaves_out_lines_indexed_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        std::fs::write(&path, format!("{}\n", request_line("a", 3))).unwrap();
        let mut index = SessionIndex::build(&path).unwrap();
        let before = index.snapshot();
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        writeln!(file, "{}\n{}", end_line("a"), request_line("b", 3)).unwrap();
        index.refresh().unwrap();
        assert_eq!(flow_ids(&before), vec![vec!["a"]]);
        assert_eq!(flow_ids(&index.snapshot()), vec![vec!["a", "a"], vec!["b"]]);
    }

    #[test]
    fn lines_that_are_not_events_are_counted_with_the_first_reason() {
        let end = end_line("a");
        let text = format!("{end}\nnot json\n\n{{\"type\":\"nope\"}}\n{end}\n");
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), text).unwrap();
        let index = SessionIndex::build(file.path()).unwrap();
        let report = index.report();
        assert_eq!(
            (report.lines, report.events, report.invalid_lines),
            (5, 2, 3)
        );
        let first = report.first_invalid.clone().unwrap();
        assert_eq!(first.seq, 2);
        assert!(first.why.contains("expected"), "{}", first.why);
        assert_eq!(index.flow_lines("a"), Some(&[1u64, 5][..]));
    }

    #[test]
    fn a_missing_log_names_itself() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing.jsonl");
        let Err(e) = SessionIndex::build(&path) else {
            panic!("a missing file indexed")
        };
        let e = format!("{e:#}");
        assert!(
            e.contains("cannot open") && e.contains("missing.jsonl"),
            "{e}"
        );
    }
}
