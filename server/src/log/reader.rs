//! Reading a session log back, one line at a time.
//!
//! Logs grow to gigabytes and one line can hold a multi-MB body, so the
//! reader holds one line at a time, never the file. A log cut short by a
//! crash ends in a line without its newline: that line is skipped and
//! reported, as are lines that are not events, so that every tool reading a
//! log accepts such a file and can still say what it left out.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use anyhow::Context;
use shared::Event;

/// What a reader skipped, for the caller to report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadReport {
    /// Complete lines read, events or not.
    pub lines: u64,
    pub events: u64,
    /// Complete lines that are not events (not JSON, or not an event's shape).
    pub invalid_lines: u64,
    /// The first of them: its line number and why it is not an event.
    pub first_invalid: Option<(u64, String)>,
    /// Byte offset of a last line that has no newline: cut by a crash, or
    /// still being written. It was skipped.
    pub incomplete_tail_at: Option<u64>,
}

/// Yields `(seq, byte_offset, event)` for each complete line that is an
/// event: `seq` is the 1-based line number, `byte_offset` where the line starts.
pub struct SessionReader<R> {
    reader: R,
    line: Vec<u8>,
    offset: u64,
    report: ReadReport,
}

impl SessionReader<BufReader<File>> {
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        Ok(SessionReader::new(BufReader::with_capacity(
            256 * 1024,
            file,
        )))
    }
}

impl<R: BufRead> SessionReader<R> {
    pub fn new(reader: R) -> Self {
        SessionReader {
            reader,
            line: Vec::new(),
            offset: 0,
            report: ReadReport::default(),
        }
    }

    /// What was read and skipped so far; final once the iterator has ended.
    pub fn report(&self) -> &ReadReport {
        &self.report
    }
}

impl<R: BufRead> Iterator for SessionReader<R> {
    type Item = io::Result<(u64, u64, Event)>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.line.clear();
            let read = match self.reader.read_until(b'\n', &mut self.line) {
                Ok(0) => return None,
                Ok(n) => n as u64,
                Err(e) => return Some(Err(e)),
            };
            if self.line.last() != Some(&b'\n') {
                self.report.incomplete_tail_at = Some(self.offset);
                return None;
            }
            let start = self.offset;
            self.offset += read;
            self.report.lines += 1;
            let seq = self.report.lines;
            match serde_json::from_slice::<Event>(&self.line) {
                Ok(event) => {
                    self.report.events += 1;
                    return Some(Ok((seq, start, event)));
                }
                Err(e) => {
                    self.report.invalid_lines += 1;
                    if self.report.first_invalid.is_none() {
                        self.report.first_invalid = Some((seq, e.to_string()));
                    }
                }
            }
        }
    }
}

/// Tells the user, on stderr, what a command reading a log left out.
pub fn warn_about_skipped(path: &Path, report: &ReadReport) {
    let file = path.display();
    if let Some((line, why)) = &report.first_invalid {
        eprintln!(
            "trace_claude: warning: {file}: skipped {} of {} lines that are not events (first: line {line}: {why})",
            report.invalid_lines, report.lines
        );
    }
    if report.incomplete_tail_at.is_some() {
        eprintln!(
            "trace_claude: warning: {file}: skipped its last line, which has no newline (cut short, or still being written)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const END: &str = r#"{"ts":"2026-03-29T11:27:07.000001Z","type":"stream_end","flow_id":"a"}"#;

    fn read(text: &str) -> (Vec<(u64, u64, String)>, ReadReport) {
        let mut reader = SessionReader::new(text.as_bytes());
        let got = reader
            .by_ref()
            .map(|r| {
                let (seq, offset, event) = r.unwrap();
                (seq, offset, event.flow_id().to_string())
            })
            .collect();
        (got, reader.report().clone())
    }

    #[test]
    fn yields_line_numbers_and_offsets_of_events() {
        let b = END.replace("\"a\"", "\"b\"");
        let (got, report) = read(&format!("{END}\n{b}\n"));
        let second = END.len() as u64 + 1;
        assert_eq!(got, vec![(1, 0, "a".into()), (2, second, "b".into())]);
        assert_eq!(
            (report.lines, report.events, report.invalid_lines),
            (2, 2, 0)
        );
        assert_eq!(report.incomplete_tail_at, None);
    }

    #[test]
    fn a_last_line_without_its_newline_is_skipped_and_reported() {
        let cut = &END[..20];
        let (got, report) = read(&format!("{END}\n{cut}"));
        assert_eq!(got.len(), 1);
        assert_eq!(report.incomplete_tail_at, Some(END.len() as u64 + 1));
        assert_eq!(report.invalid_lines, 0, "a cut line is not an invalid one");
        // Even a whole event is not trusted without its newline: the writer
        // always ends lines, so it may still be writing this one.
        let (got, report) = read(END);
        assert!(got.is_empty());
        assert_eq!(report.incomplete_tail_at, Some(0));
    }

    #[test]
    fn lines_that_are_not_events_are_counted_not_fatal() {
        let text = format!("{END}\nnot json\n\n{{\"type\":\"nope\"}}\n{END}\n");
        let (got, report) = read(&text);
        assert_eq!(got.iter().map(|g| g.0).collect::<Vec<_>>(), vec![1, 5]);
        assert_eq!(report.invalid_lines, 3);
        let (line, why) = report.first_invalid.unwrap();
        assert_eq!(line, 2);
        assert!(why.contains("expected"), "{why}");
    }

    #[test]
    fn an_empty_file_is_an_empty_log() {
        let (got, report) = read("");
        assert!(got.is_empty());
        assert_eq!(report, ReadReport::default());
    }
}
