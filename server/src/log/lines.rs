//! Framing a session log into lines, and what reading it left out.
//!
//! Logs grow to gigabytes and one line can hold a multi-MB body, so the
//! framer holds one line at a time, never the file. A log cut short by a
//! crash (or still being written) ends in bytes without their newline: they
//! are not a line yet, and are reported, as are lines that are not events, so
//! that every tool reading a log accepts such a file and can still say what
//! it left out.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::Path;

use anyhow::Context;

/// One whole line of the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// 1-based line number in the log.
    pub seq: u64,
    /// Where the line starts in the file.
    pub offset: u64,
    /// The line's bytes, without its newline.
    pub bytes: &'a [u8],
}

/// Yields the newline-terminated lines of a log, one at a time, and stops
/// before a last line that has no newline (see [`LineFramer::partial_bytes`]).
pub struct LineFramer<R> {
    reader: R,
    buf: Vec<u8>,
    next_seq: u64,
    offset: u64,
    partial_bytes: u64,
}

impl LineFramer<BufReader<File>> {
    /// Frames the whole file at `path`.
    pub fn open(path: &Path) -> anyhow::Result<Self> {
        let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
        Ok(LineFramer::new(BufReader::with_capacity(256 * 1024, file)))
    }
}

impl<R: BufRead> LineFramer<R> {
    /// Frames `reader` from the start of a log.
    pub fn new(reader: R) -> Self {
        LineFramer::resume(reader, 1, 0)
    }

    /// Frames `reader`, already positioned at byte `offset` of the log, where
    /// line `next_seq` starts: how an index reads what was appended.
    pub fn resume(reader: R, next_seq: u64, offset: u64) -> Self {
        LineFramer {
            reader,
            buf: Vec::new(),
            next_seq,
            offset,
            partial_bytes: 0,
        }
    }

    /// The next whole line, or `None` at the end of the whole lines.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        self.buf.clear();
        let read = self.reader.read_until(b'\n', &mut self.buf)? as u64;
        if read == 0 {
            return Ok(None);
        }
        if self.buf.pop() != Some(b'\n') {
            // Even a whole event is not trusted without its newline: the
            // writer always ends lines, so it may still be writing this one.
            self.partial_bytes = read;
            return Ok(None);
        }
        let line = Line {
            seq: self.next_seq,
            offset: self.offset,
            bytes: &self.buf,
        };
        self.next_seq += 1;
        self.offset += read;
        Ok(Some(line))
    }

    /// Bytes after the last newline, once `next_line` has returned `None`:
    /// a line cut short by a crash, or still being written.
    pub fn partial_bytes(&self) -> u64 {
        self.partial_bytes
    }

    /// The byte offset just past the last whole line read.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}

/// A line that is not an event, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidLine {
    pub seq: u64,
    pub why: String,
}

/// What reading a log found and left out, for the caller to report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadReport {
    /// Whole lines read, events or not.
    pub lines: u64,
    pub events: u64,
    /// Whole lines that are not events (not JSON, or not an event's shape).
    pub invalid_lines: u64,
    /// The first of them.
    pub first_invalid: Option<InvalidLine>,
    /// Bytes after the last newline: cut by a crash, or still being
    /// written. They were skipped.
    pub partial_bytes: u64,
}

impl ReadReport {
    /// Counts line `seq`, an event or, with the reason, not one.
    pub fn count<E: std::fmt::Display>(&mut self, seq: u64, parsed: Result<(), E>) {
        self.lines += 1;
        match parsed {
            Ok(()) => self.events += 1,
            Err(why) => {
                self.invalid_lines += 1;
                self.first_invalid.get_or_insert_with(|| InvalidLine {
                    seq,
                    why: why.to_string(),
                });
            }
        }
    }
}

/// Tells the user, on stderr, what a command reading a log left out.
pub fn warn_about_skipped(path: &Path, report: &ReadReport) {
    let file = path.display();
    if let Some(InvalidLine { seq, why }) = &report.first_invalid {
        eprintln!(
            "trace_claude: warning: {file}: skipped {} of {} lines that are not events (first: line {seq}: {why})",
            report.invalid_lines, report.lines
        );
    }
    if report.partial_bytes > 0 {
        eprintln!(
            "trace_claude: warning: {file}: skipped its last line, which has no newline (cut short, or still being written)"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> (Vec<(u64, u64, String)>, u64) {
        let mut framer = LineFramer::new(text.as_bytes());
        let mut got = Vec::new();
        while let Some(line) = framer.next_line().unwrap() {
            let text = String::from_utf8(line.bytes.to_vec()).unwrap();
            got.push((line.seq, line.offset, text));
        }
        (got, framer.partial_bytes())
    }

    #[test]
    fn yields_line_numbers_and_offsets_of_whole_lines() {
        let (got, partial) = frame("ab\n\ncde\n");
        assert_eq!(
            got,
            vec![
                (1, 0, "ab".into()),
                (2, 3, String::new()),
                (3, 4, "cde".into())
            ]
        );
        assert_eq!(partial, 0);
    }

    #[test]
    fn a_last_line_without_its_newline_is_left_out_and_measured() {
        let (got, partial) = frame("ab\ncdef");
        assert_eq!(got, vec![(1, 0, "ab".into())]);
        assert_eq!(partial, 4);
        let (got, partial) = frame("whole but unended");
        assert!(got.is_empty());
        assert_eq!(partial, 17);
    }

    #[test]
    fn resuming_numbers_lines_from_where_it_left_off() {
        let mut framer = LineFramer::resume("x\ny\n".as_bytes(), 8, 100);
        let first = framer.next_line().unwrap().map(|l| (l.seq, l.offset));
        assert_eq!(first, Some((8, 100)));
        let second = framer.next_line().unwrap().map(|l| (l.seq, l.offset));
        assert_eq!(second, Some((9, 102)));
        assert_eq!(framer.next_line().unwrap(), None);
        assert_eq!(framer.offset(), 104);
    }

    #[test]
    fn an_empty_file_is_an_empty_log() {
        let (got, partial) = frame("");
        assert!(got.is_empty());
        assert_eq!(partial, 0);
    }

    #[test]
    fn the_report_keeps_the_first_invalid_line_and_counts_the_rest() {
        let mut report = ReadReport::default();
        report.count::<&str>(1, Ok(()));
        report.count(2, Err("expected value"));
        report.count(3, Err("later"));
        assert_eq!(
            (report.lines, report.events, report.invalid_lines),
            (3, 1, 2)
        );
        assert_eq!(
            report.first_invalid,
            Some(InvalidLine {
                seq: 2,
                why: "expected value".into()
            })
        );
    }
}
