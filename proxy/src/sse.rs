//! An incremental parser for `text/event-stream`, fed whatever chunks the
//! network delivers.
//!
//! It follows the WHATWG framing rules (lines end in `\n`, `\r\n` or `\r`;
//! `:` starts a comment; `data:` lines join with `\n`; a blank line dispatches),
//! with one deliberate difference: an event that has a name but no data, or one
//! still open when the stream ends, is reported rather than dropped, because a
//! trace must show everything the upstream sent.

/// One event as framed on the wire, before its data is interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawSseEvent {
    /// The `event:` field; `None` means the default type, `message`.
    pub event: Option<String>,
    pub data: String,
    pub id: Option<String>,
}

#[derive(Debug, Default)]
pub struct SseParser {
    /// The current line, when a chunk ended in the middle of it.
    line: Vec<u8>,
    /// The previous chunk ended in `\r`, so a leading `\n` belongs to that line ending.
    skip_lf: bool,
    event: Option<String>,
    data: String,
    has_data: bool,
    id: Option<String>,
}

impl SseParser {
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next chunk; complete events are appended to `out`.
    pub fn push(&mut self, mut chunk: &[u8], out: &mut Vec<RawSseEvent>) {
        if self.skip_lf {
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
                self.process_line(line, out);
            } else {
                let mut whole = std::mem::take(&mut self.line);
                whole.extend_from_slice(line);
                self.process_line(&whole, out);
                // Keep the allocation for the next split line.
                whole.clear();
                self.line = whole;
            }
        }
        self.line.extend_from_slice(chunk);
    }

    /// The stream ended: reports an event left open by a missing blank line.
    pub fn finish(&mut self, out: &mut Vec<RawSseEvent>) {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            self.process_line(&line, out);
        }
        self.dispatch(out);
    }

    fn process_line(&mut self, line: &[u8], out: &mut Vec<RawSseEvent>) {
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
            b"event" => self.event = Some(value.into_owned()),
            b"data" => {
                if self.has_data {
                    self.data.push('\n');
                }
                self.data.push_str(&value);
                self.has_data = true;
            }
            b"id" if !value.contains('\0') => self.id = Some(value.into_owned()),
            _ => {}
        }
    }

    fn dispatch(&mut self, out: &mut Vec<RawSseEvent>) {
        if !self.has_data && self.event.is_none() {
            return;
        }
        out.push(RawSseEvent {
            event: self.event.take(),
            data: std::mem::take(&mut self.data),
            id: self.id.clone(),
        });
        self.has_data = false;
    }
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

    fn ev(event: Option<&str>, data: &str) -> RawSseEvent {
        RawSseEvent {
            event: event.map(str::to_owned),
            data: data.to_owned(),
            id: None,
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
}
