//! WebSocket frames (RFC 6455) read back into messages for the log, on the
//! recorder thread: the bytes were forwarded untouched already. Masked
//! client frames are unmasked, fragments joined, and `permessage-deflate`
//! messages (RSV1) inflated with one inflater per direction, since the
//! sender may keep its compression context from message to message.

use flate2::{Decompress, FlushDecompress};
use shared::WebSocketKind;

/// The log keeps this much of one message; the rest is counted.
pub const MAX_MESSAGE: usize = 1 << 20;

/// A whole message as read.
#[derive(Debug, PartialEq)]
pub struct Message {
    pub kind: WebSocketKind,
    pub payload: Vec<u8>,
    /// Bytes not kept (over [`MAX_MESSAGE`]).
    pub truncated: u64,
    /// Set when the payload could not be inflated (kept as received).
    pub undecoded: bool,
}

/// One direction of a WebSocket.
pub struct FrameReader {
    buffer: Vec<u8>,
    /// The data message being assembled from fragments.
    partial: Option<Partial>,
    inflater: Option<Decompress>,
}

struct Partial {
    kind: WebSocketKind,
    compressed: bool,
    payload: Vec<u8>,
    truncated: u64,
}

impl FrameReader {
    /// `deflate`: the handshake agreed on `permessage-deflate`.
    pub fn new(deflate: bool) -> Self {
        FrameReader {
            buffer: Vec::new(),
            partial: None,
            inflater: deflate.then(|| Decompress::new(false)),
        }
    }

    /// Takes more bytes; appends each message they complete to `out`.
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Message>) {
        self.buffer.extend_from_slice(bytes);
        let mut at = 0;
        while let Some((frame, used)) = parse_frame(&self.buffer[at..]) {
            at += used;
            self.take(frame, out);
        }
        self.buffer.drain(..at);
    }

    fn take(&mut self, frame: Frame, out: &mut Vec<Message>) {
        let kind = match frame.opcode {
            0x0 => None,
            0x1 => Some(WebSocketKind::Text),
            0x2 => Some(WebSocketKind::Binary),
            0x8 => Some(WebSocketKind::Close),
            0x9 => Some(WebSocketKind::Ping),
            0xA => Some(WebSocketKind::Pong),
            // Reserved opcodes: nothing a peer of Claude Code sends.
            _ => return,
        };
        if let Some(kind) = kind.filter(|k| is_control(*k)) {
            out.push(Message {
                kind,
                payload: frame.payload,
                truncated: 0,
                undecoded: false,
            });
            return;
        }
        let partial = match kind {
            Some(kind) => self.partial.insert(Partial {
                kind,
                compressed: frame.rsv1,
                payload: Vec::new(),
                truncated: 0,
            }),
            None => match self.partial.as_mut() {
                Some(partial) => partial,
                None => return,
            },
        };
        let room = MAX_MESSAGE.saturating_sub(partial.payload.len());
        let kept = frame.payload.len().min(room);
        partial.payload.extend_from_slice(&frame.payload[..kept]);
        partial.truncated += (frame.payload.len() - kept) as u64;
        if !frame.fin {
            return;
        }
        let Some(done) = self.partial.take() else {
            return;
        };
        let (payload, undecoded) = match (&mut self.inflater, done.compressed) {
            (Some(inflater), true) if done.truncated == 0 => match inflate(inflater, &done.payload)
            {
                Some(inflated) => (inflated, false),
                None => (done.payload, true),
            },
            (_, compressed) => (done.payload, compressed),
        };
        out.push(Message {
            kind: done.kind,
            payload,
            truncated: done.truncated,
            undecoded,
        });
    }
}

fn is_control(kind: WebSocketKind) -> bool {
    matches!(
        kind,
        WebSocketKind::Close | WebSocketKind::Ping | WebSocketKind::Pong
    )
}

struct Frame {
    fin: bool,
    rsv1: bool,
    opcode: u8,
    payload: Vec<u8>,
}

/// One whole frame at the start of `bytes`, and its length; `None` until
/// all of it is there.
fn parse_frame(bytes: &[u8]) -> Option<(Frame, usize)> {
    let (&b0, rest) = bytes.split_first()?;
    let (&b1, mut rest) = rest.split_first()?;
    let mut len = u64::from(b1 & 0x7f);
    let mut header = 2usize;
    if len == 126 {
        len = u64::from(u16::from_be_bytes(rest.get(..2)?.try_into().ok()?));
        rest = &rest[2..];
        header += 2;
    } else if len == 127 {
        len = u64::from_be_bytes(rest.get(..8)?.try_into().ok()?);
        rest = &rest[8..];
        header += 8;
    }
    let mask = if b1 & 0x80 != 0 {
        let key: [u8; 4] = rest.get(..4)?.try_into().ok()?;
        rest = &rest[4..];
        header += 4;
        Some(key)
    } else {
        None
    };
    let len = usize::try_from(len).ok()?;
    let mut payload = rest.get(..len)?.to_vec();
    if let Some(key) = mask {
        for (i, byte) in payload.iter_mut().enumerate() {
            *byte ^= key[i % 4];
        }
    }
    Some((
        Frame {
            fin: b0 & 0x80 != 0,
            rsv1: b0 & 0x40 != 0,
            opcode: b0 & 0x0f,
            payload,
        },
        header + len,
    ))
}

/// Inflates one permessage-deflate message (RFC 7692: the sender dropped
/// the final empty block's four bytes, which are put back here).
fn inflate(inflater: &mut Decompress, payload: &[u8]) -> Option<Vec<u8>> {
    let mut input = payload.to_vec();
    input.extend_from_slice(&[0x00, 0x00, 0xff, 0xff]);
    let mut out = Vec::new();
    let mut consumed = 0usize;
    loop {
        out.reserve(64 * 1024);
        let (in_before, out_before) = (inflater.total_in(), out.len());
        inflater
            .decompress_vec(&input[consumed..], &mut out, FlushDecompress::Sync)
            .ok()?;
        let read = (inflater.total_in() - in_before) as usize;
        consumed += read;
        let produced = out.len() - out_before;
        // Done once all input is in and the output was not cut short by room.
        if consumed >= input.len() && out.len() < out.capacity() {
            return Some(out);
        }
        if out.len() > MAX_MESSAGE * 4 || (read == 0 && produced == 0) {
            return (consumed >= input.len()).then_some(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn frame(fin: bool, opcode: u8, payload: &[u8], mask: Option<[u8; 4]>, rsv1: bool) -> Vec<u8> {
        let mut out = vec![(u8::from(fin) << 7) | (u8::from(rsv1) << 6) | opcode];
        let mask_bit = if mask.is_some() { 0x80 } else { 0 };
        match payload.len() {
            n if n < 126 => out.push(mask_bit | n as u8),
            n if n < 65536 => {
                out.push(mask_bit | 126);
                out.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                out.push(mask_bit | 127);
                out.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        match mask {
            Some(key) => {
                out.extend_from_slice(&key);
                out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
            }
            None => out.extend_from_slice(payload),
        }
        out
    }

    #[test]
    fn masked_fragmented_messages_read_whole_across_any_split() {
        let mut wire = frame(false, 0x1, b"{\"type\":", Some([1, 2, 3, 4]), false);
        wire.extend(frame(true, 0x9, b"hi", Some([9, 9, 9, 9]), false));
        wire.extend(frame(true, 0x0, b"\"hello\"}", Some([5, 6, 7, 8]), false));
        let long = vec![b'x'; 70_000];
        wire.extend(frame(true, 0x2, &long, None, false));
        for split in [1, 3, 7, 500, wire.len()] {
            let mut reader = FrameReader::new(false);
            let mut out = Vec::new();
            for piece in wire.chunks(split) {
                reader.push(piece, &mut out);
            }
            assert_eq!(out.len(), 3, "split {split}");
            // The ping came between the fragments, and is read as it came.
            assert_eq!(out[0].kind, WebSocketKind::Ping);
            assert_eq!(out[1].kind, WebSocketKind::Text);
            assert_eq!(out[1].payload, b"{\"type\":\"hello\"}");
            assert_eq!(out[2].payload.len(), 70_000);
        }
    }

    #[test]
    fn compressed_messages_are_inflated_with_the_context_kept() {
        // One deflate stream over two messages, each ended by a sync flush
        // whose last four bytes are dropped, as permessage-deflate sends.
        let mut encoder =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        let mut messages = Vec::new();
        for text in [
            "{\"n\":1,\"text\":\"repeat repeat repeat\"}",
            "{\"n\":2,\"text\":\"repeat repeat repeat\"}",
        ] {
            encoder.write_all(text.as_bytes()).unwrap();
            encoder.flush().unwrap();
            let mut bytes = std::mem::take(encoder.get_mut());
            assert_eq!(&bytes[bytes.len() - 4..], &[0, 0, 0xff, 0xff]);
            bytes.truncate(bytes.len() - 4);
            messages.push(frame(true, 0x1, &bytes, None, true));
        }
        let mut reader = FrameReader::new(true);
        let mut out = Vec::new();
        for m in &messages {
            reader.push(m, &mut out);
        }
        assert_eq!(out.len(), 2);
        assert!(!out[1].undecoded);
        assert_eq!(
            out[1].payload,
            b"{\"n\":2,\"text\":\"repeat repeat repeat\"}"
        );
    }

    #[test]
    fn a_message_over_the_limit_is_kept_in_part_and_counted() {
        let big = vec![b'a'; MAX_MESSAGE + 10];
        let mut reader = FrameReader::new(false);
        let mut out = Vec::new();
        reader.push(&frame(true, 0x1, &big, None, false), &mut out);
        assert_eq!(out[0].payload.len(), MAX_MESSAGE);
        assert_eq!(out[0].truncated, 10);
    }
}
