//! An incremental parser for `text/event-stream`, fed whatever chunks the
//! network delivers.
//!
//! It follows the WHATWG framing rules (lines end in `\n`, `\r\n` or `\r`;
//! `:` starts a comment; `data:` lines join with `\n`; a blank line dispatches),
//! with one deliberate difference: an event that has a name but no data, or one
//! still open when the stream ends, is reported rather than dropped, because a
//! trace must show everything the upstream sent.
//!
//! Memory is bounded: a field line longer than the parser's limit
//! ([`MAX_EVENT_BYTES`] by default) keeps only its first bytes, and an
//! event's joined data stops growing at the same limit. The bytes left out are
//! counted in [`RawSseEvent::cut`], so the recorder can say so in the log. The
//! Messages API's events are a few kilobytes; only a broken or hostile
//! upstream gets near the limit, and the client still receives every byte.

/// How much of one event (each of its lines, and its joined data) is kept.
pub const MAX_EVENT_BYTES: usize = 16 << 20;

/// One event as framed on the wire, before its data is interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSseEvent {
    /// The `event:` field; `None` means the default type, `message`.
    pub event: Option<String>,
    pub data: String,
    pub id: Option<String>,
    /// Bytes of this event's fields left out because they were past the limit.
    pub cut: usize,
}

#[derive(Debug)]
pub struct SseParser {
    /// The current line, when a chunk ended in the middle of it, up to the limit.
    line: Vec<u8>,
    /// Bytes of the current line beyond the limit, dropped as they came.
    line_cut: usize,
    /// The previous chunk ended in `\r`, so a leading `\n` belongs to that line ending.
    skip_lf: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    id: Option<String>,
    cut: usize,
    limit: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::with_limit(MAX_EVENT_BYTES)
    }
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// A parser keeping at most `limit` bytes of each line and of each
    /// event's data (at least 1).
    pub fn with_limit(limit: usize) -> Self {
        SseParser {
            line: Vec::new(),
            line_cut: 0,
            skip_lf: false,
            event: None,
            data: String::new(),
            has_data: false,
            id: None,
            cut: 0,
            limit: limit.max(1),
        }
    }

    /// Feeds the next chunk; complete events are appended to `out`.
    pub fn push(&mut self, mut chunk: &[u8], out: &mut Vec<RawSseEvent>) {
        // An empty chunk (a decoder can yield one) says nothing about
        // whether a `\n` follows the `\r`: keep waiting for a real byte.
        if self.skip_lf && !chunk.is_empty() {
            self.skip_lf = false;
            if let [b'\n', rest @ ..] = chunk {
                chunk = rest;
            }
        }
        while let Some(end) = chunk.iter().position(|&b| b == b'\n' || b == b'\r') {
            let ending = chunk[end];
            let (line, rest) = (&chunk[..end], &chunk[end + 1..]);
            chunk = rest;
            if ending == b'\r' {
                match chunk.first() {
                    Some(b'\n') => chunk = &chunk[1..],
                    Some(_) => {}
                    None => self.skip_lf = true,
                }
            }
            if self.line.is_empty() {
                let kept = line.len().min(self.limit);
                self.process_line(&line[..kept], line.len() - kept, out);
            } else {
                let mut whole = std::mem::take(&mut self.line);
                let dropped = keep_within(&mut whole, line, self.limit);
                let cut = std::mem::take(&mut self.line_cut) + dropped;
                self.process_line(&whole, cut, out);
                // Keep the allocation for the next split line.
                whole.clear();
                self.line = whole;
            }
        }
        self.line_cut += keep_within(&mut self.line, chunk, self.limit);
    }

    /// The stream ended: reports an event left open by a missing blank line.
    pub fn finish(&mut self, out: &mut Vec<RawSseEvent>) {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            let cut = std::mem::take(&mut self.line_cut);
            self.process_line(&line, cut, out);
        }
        self.dispatch(out);
    }

    /// Handles one line (at most `limit` bytes of it; `cut` more were dropped).
    fn process_line(&mut self, line: &[u8], cut: usize, out: &mut Vec<RawSseEvent>) {
        if line.is_empty() {
            self.dispatch(out);
            return;
        }
        if line[0] == b':' {
            return;
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let value = &line[colon + 1..];
                (&line[..colon], value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        let value = String::from_utf8_lossy(value);
        match name {
            b"event" => {
                self.cut += cut;
                self.event = Some(value.into_owned());
            }
            b"data" => {
                self.cut += cut;
                if self.has_data {
                    self.push_data("\n");
                }
                self.push_data(&value);
                self.has_data = true;
            }
            b"id" if !value.contains('\0') => {
                self.cut += cut;
                self.id = Some(value.into_owned());
            }
            _ => {}
        }
    }

    /// Adds to the event's data up to the limit, on a character boundary.
    fn push_data(&mut self, text: &str) {
        let room = self.limit.saturating_sub(self.data.len());
        let mut kept = text.len().min(room);
        while !text.is_char_boundary(kept) {
            kept -= 1;
        }
        self.data.push_str(&text[..kept]);
        self.cut += text.len() - kept;
    }

    fn dispatch(&mut self, out: &mut Vec<RawSseEvent>) {
        if !self.has_data && self.event.is_none() {
            // Nothing to report, so nothing was cut from a reported event.
            self.cut = 0;
            return;
        }
        out.push(RawSseEvent {
            event: self.event.take(),
            data: std::mem::take(&mut self.data),
            id: self.id.clone(),
            cut: std::mem::take(&mut self.cut),
        });
        self.has_data = false;
    }
}

/// Appends as much of `more` to `buf` as keeps it within `limit` bytes;
/// returns how many were left out. The recorder bounds whole bodies with it too.
pub(crate) fn keep_within(buf: &mut Vec<u8>, more: &[u8], limit: usize) -> usize {
    let kept = more.len().min(limit.saturating_sub(buf.len()));
    buf.extend_from_slice(&more[..kept]);
    more.len() - kept
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_chunks(chunks: &[&[u8]]) -> Vec<RawSseEvent> {
        let mut parser = SseParser::new();
        let mut out = Vec::new();
        for chunk in chunks {
            parser.push(chunk, &mut out);
        }
        parser.finish(&mut out);
        out
    }

    #[test]
    fn an_empty_chunk_between_cr_and_lf_keeps_them_one_line_ending() {
        let events = parse_chunks(&[b"data: a\r", b"", b"\ndata: b\n\n"]);
        assert_eq!(events, [ev(None, "a\nb")]);
    }

    fn ev(event: Option<&str>, data: &str) -> RawSseEvent {
        RawSseEvent {
            event: event.map(str::to_owned),
            data: data.to_owned(),
            id: None,
            cut: 0,
        }
    }

    const STREAM: &[u8] = b"event: message_start\ndata: {\"type\":\"message_start\"}\n\n\
: a comment\r\n\
event: content_block_delta\r\ndata: {\"delta\":\r\ndata: \"x\"}\r\n\r\n\
data: no name\rdata:  two spaces\r\r\
event: ping\n\n\
event: error\ndata: {\"type\":\"error\"}\n\n";

    fn expected() -> Vec<RawSseEvent> {
        vec![
            ev(Some("message_start"), "{\"type\":\"message_start\"}"),
            ev(Some("content_block_delta"), "{\"delta\":\n\"x\"}"),
            ev(None, "no name\n two spaces"),
            ev(Some("ping"), ""),
            ev(Some("error"), "{\"type\":\"error\"}"),
        ]
    }

    #[test]
    fn frames_lf_crlf_cr_comments_and_multiline_data() {
        assert_eq!(parse_chunks(&[STREAM]), expected());
    }

    #[test]
    fn every_split_point_and_byte_by_byte_give_the_same_events() {
        for split in 0..=STREAM.len() {
            let (a, b) = STREAM.split_at(split);
            assert_eq!(parse_chunks(&[a, b]), expected(), "split at {split}");
        }
        let bytes: Vec<&[u8]> = STREAM.chunks(1).collect();
        assert_eq!(parse_chunks(&bytes), expected());
    }

    #[test]
    fn an_event_left_open_at_the_end_is_kept() {
        assert_eq!(
            parse_chunks(&[b"event: message_stop\ndata: {}"]),
            vec![ev(Some("message_stop"), "{}")]
        );
    }

    #[test]
    fn ids_persist_and_invalid_utf8_is_replaced_not_dropped() {
        let events = parse_chunks(&[b"id: 7\ndata: a\n\ndata: \xff\n\n"]);
        assert_eq!(events[0].id.as_deref(), Some("7"));
        assert_eq!(events[1].id.as_deref(), Some("7"));
        assert_eq!(events[1].data, "\u{fffd}");
    }

    #[test]
    fn a_line_past_the_limit_keeps_its_start_and_counts_the_rest() {
        let mut parser = SseParser::with_limit(10);
        let mut out = Vec::new();
        parser.push(b"event: big\ndata: 0123456789", &mut out);
        // The part of the line past the limit is not held while it streams in.
        parser.push(&[b'x'; 10_000], &mut out);
        assert!(parser.line.capacity() <= 64, "{}", parser.line.capacity());
        parser.push(b"\n\ndata: ok\n\n", &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].event.as_deref(), Some("big"));
        assert_eq!(out[0].data, "0123");
        assert_eq!(out[0].cut, 6 + 10_000);
        assert_eq!((out[1].data.as_str(), out[1].cut), ("ok", 0));
    }

    #[test]
    fn joined_data_stops_at_the_limit() {
        let mut parser = SseParser::with_limit(12);
        let mut out = Vec::new();
        parser.push(b"data: abcd\ndata: efgh\ndata: ijkl\n\n", &mut out);
        assert_eq!(out[0].data, "abcd\nefgh\nij");
        assert_eq!(out[0].cut, 2);
    }

    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// Bytes that look like SSE often enough to reach every branch:
        /// fields, comments, every line ending, invalid UTF-8, long runs.
        fn sse_like() -> impl Strategy<Value = Vec<u8>> {
            let token = prop_oneof![
                Just(b"data: ".to_vec()),
                Just(b"data:".to_vec()),
                Just(b"event: ".to_vec()),
                Just(b"id: ".to_vec()),
                Just(b":".to_vec()),
                Just(b"\n".to_vec()),
                Just(b"\r".to_vec()),
                Just(b"\r\n".to_vec()),
                Just(b"\n\n".to_vec()),
                Just(b"{\"a\":1}".to_vec()),
                Just(b"\xff\xfe".to_vec()),
                Just("é€".as_bytes().to_vec()),
                Just(b"\0".to_vec()),
                prop::collection::vec(any::<u8>(), 0..8),
                (1usize..64).prop_map(|n| vec![b'x'; n]),
            ];
            prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
        }

        fn parse(limit: usize, chunks: &[&[u8]]) -> (Vec<RawSseEvent>, usize) {
            let mut parser = SseParser::with_limit(limit);
            let mut out = Vec::new();
            let mut held = 0;
            for chunk in chunks {
                parser.push(chunk, &mut out);
                held = held.max(parser.line.len() + parser.data.len());
            }
            parser.finish(&mut out);
            (out, held)
        }

        /// Splits `bytes` at the given points (taken modulo its length).
        fn split<'a>(bytes: &'a [u8], points: &[usize]) -> Vec<&'a [u8]> {
            let mut cuts: Vec<usize> = points.iter().map(|p| p % (bytes.len() + 1)).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut start = 0;
            for cut in cuts {
                chunks.push(&bytes[start..cut]);
                start = cut;
            }
            chunks.push(&bytes[start..]);
            chunks
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]

            #[test]
            fn any_chunk_boundaries_give_the_same_events(
                bytes in prop_oneof![sse_like(), prop::collection::vec(any::<u8>(), 0..512)],
                points in prop::collection::vec(any::<usize>(), 0..12),
                limit in prop_oneof![Just(MAX_EVENT_BYTES), 1usize..40],
            ) {
                let whole = parse(limit, &[&bytes]).0;
                let (pieces, _) = parse(limit, &split(&bytes, &points));
                prop_assert_eq!(&pieces, &whole);
                let bytewise: Vec<&[u8]> = bytes.chunks(1).collect();
                prop_assert_eq!(&parse(limit, &bytewise).0, &whole);
            }

            #[test]
            fn memory_held_stays_within_the_limit(
                bytes in sse_like(),
                points in prop::collection::vec(any::<usize>(), 0..12),
                limit in 1usize..40,
            ) {
                let (events, held) = parse(limit, &split(&bytes, &points));
                // The line and the data may each reach the limit, plus a
                // replacement character that lossy decoding widened.
                prop_assert!(held <= 2 * limit + 3, "held {} with limit {}", held, limit);
                for event in &events {
                    prop_assert!(event.data.len() <= limit);
                    prop_assert!(event.event.as_ref().map_or(0, String::len) <= 3 * limit);
                }
            }

            #[test]
            fn under_the_limit_nothing_is_cut(bytes in sse_like()) {
                let (events, _) = parse(MAX_EVENT_BYTES, &[&bytes]);
                prop_assert!(events.iter().all(|e| e.cut == 0));
            }
        }
    }
}
