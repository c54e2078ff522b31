//! The forwarding path's HTTP/1.1 client: one request out on a kept-alive
//! connection, the response head parsed, and the body read straight from the
//! socket.
//!
//! Why not reqwest's (hyper's) client: it hands a body over one HTTP chunk
//! at a time through a channel with a single slot, one wakeup per chunk, so
//! a stream of SSE events became one write to the client per event however
//! much had already arrived (measured: 320,000 `writev`s for 320,000 events,
//! 250 reads). Here each poll of the body decodes everything one socket read
//! brought, so the client gets it in one write, as nginx does; an event that
//! arrives alone still goes out at once.
//!
//! It speaks only what the proxy needs: a request whose body is already
//! whole (sent with `Content-Length`), any response framing (length,
//! chunked, until close), 1xx answers skipped, kept-alive connections reused
//! per host after a check that the server has not closed them.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use futures_util::Stream;
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, StatusCode};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::resolve::{self, Resolve};
use crate::Upstream;

/// How long a connection may take to open (TCP and TLS).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// Kept-alive connections older than this are not reused.
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Kept-alive connections per host.
const MAX_IDLE_PER_HOST: usize = 32;
/// The most a response head may take.
const MAX_HEAD_BYTES: usize = 64 << 10;
const MAX_HEADERS: usize = 256;
/// How much one read asks for, at least.
const READ_BYTES: usize = 32 << 10;
/// The buffer reads go into, when one is needed. What a read brings is
/// handed on as a slice of it, without a copy; a new one is taken only when
/// fewer than [`READ_BYTES`] are left, so a stream of small events costs one
/// allocation per few hundred of them, not one each.
const BLOCK_BYTES: usize = 2 * READ_BYTES;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot connect to {0}: {1}")]
    Connect(String, io::Error),
    #[error("connecting to {0} took more than {1:?}")]
    ConnectTimeout(String, Duration),
    #[error("TLS with {0} failed: {1}")]
    Tls(String, String),
    #[error("{0} is not a host name TLS can verify")]
    ServerName(String),
    #[error("sending the request failed: {0}")]
    Send(io::Error),
    #[error("reading the response failed: {0}")]
    Read(io::Error),
    #[error("the upstream closed the connection before its response")]
    ClosedBeforeResponse,
    #[error("the upstream closed the connection before the body's end")]
    ClosedInBody,
    #[error("the upstream's response head is longer than {MAX_HEAD_BYTES} bytes")]
    HeadTooLarge,
    #[error("the upstream's response is not HTTP/1.1: {0}")]
    Malformed(String),
}

/// Where connections go and how they are kept.
pub struct Client {
    tls: Arc<rustls::ClientConfig>,
    resolve: Vec<Resolve>,
    idle: Mutex<HashMap<Key, Vec<(Conn, Instant)>>>,
}

/// A host connections are kept for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    tls: bool,
    host: String,
    port: u16,
}

impl Key {
    fn name(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Body,
}

impl Client {
    pub fn new(tls: Arc<rustls::ClientConfig>, resolve: Vec<Resolve>) -> Arc<Self> {
        Arc::new(Client {
            tls,
            resolve,
            idle: Mutex::new(HashMap::new()),
        })
    }

    /// Sends one request for `path` (path and query, as the upstream gets
    /// it) and reads its response's head.
    pub async fn send(
        self: &Arc<Self>,
        method: &Method,
        upstream: &Upstream,
        path: &str,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<Response, Error> {
        let key = Key {
            tls: upstream.is_tls(),
            host: upstream.host().to_ascii_lowercase(),
            port: upstream.port(),
        };
        let head = request_head(method, upstream, path, headers, body.len());
        // A kept connection the server closed between the liveness check and
        // the write fails the write, before any of the request was taken:
        // that one, and only that one, is tried again on a new connection.
        let mut kept = self.take_idle(&key);
        if let Some(conn) = kept.as_mut() {
            if conn.write_request(&head, body).await.is_err() {
                kept = None;
            }
        }
        let mut conn = match kept {
            Some(conn) => conn,
            None => {
                let mut fresh = self.connect(&key).await?;
                fresh
                    .write_request(&head, body)
                    .await
                    .map_err(Error::Send)?;
                fresh
            }
        };
        let (status, headers, framing, keep_alive) = conn.read_head(method).await?;
        Ok(Response {
            status,
            headers,
            body: Body {
                conn: Some(conn),
                framing,
                keep_alive,
                home: Some((Arc::clone(self), key)),
            },
        })
    }

    fn take_idle(&self, key: &Key) -> Option<Conn> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let kept = idle.get_mut(key)?;
        while let Some((mut conn, since)) = kept.pop() {
            if since.elapsed() < IDLE_TIMEOUT && conn.still_open() {
                return Some(conn);
            }
        }
        None
    }

    fn put_idle(&self, key: Key, conn: Conn) {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let kept = idle.entry(key).or_default();
        kept.retain(|(_, since)| since.elapsed() < IDLE_TIMEOUT);
        if kept.len() < MAX_IDLE_PER_HOST {
            kept.push((conn, Instant::now()));
        }
    }

    async fn connect(&self, key: &Key) -> Result<Conn, Error> {
        let name = key.name();
        let open = async {
            let tcp = match resolve::lookup(&self.resolve, &key.host, key.port) {
                Some(addr) => TcpStream::connect(addr).await,
                None => TcpStream::connect((key.host.as_str(), key.port)).await,
            }
            .map_err(|e| Error::Connect(name.clone(), e))?;
            let _ = tcp.set_nodelay(true);
            if !key.tls {
                return Ok(Io::Plain(tcp));
            }
            let server = rustls::pki_types::ServerName::try_from(key.host.clone())
                .map_err(|_| Error::ServerName(key.host.clone()))?;
            let tls = tokio_rustls::TlsConnector::from(Arc::clone(&self.tls))
                .connect(server, tcp)
                .await
                .map_err(|e| Error::Tls(name.clone(), crate::forward::error_chain(&e)))?;
            Ok(Io::Tls(Box::new(tls)))
        };
        match tokio::time::timeout(CONNECT_TIMEOUT, open).await {
            Ok(io) => Ok(Conn {
                io: io?,
                buf: BytesMut::new(),
            }),
            Err(_) => Err(Error::ConnectTimeout(name, CONNECT_TIMEOUT)),
        }
    }
}

/// The request line and headers, as the proxy forwards them: the client's
/// headers in their order (hop-by-hop ones already removed), the upstream's
/// `Host`, and the body's length.
fn request_head(
    method: &Method,
    upstream: &Upstream,
    path: &str,
    headers: &HeaderMap,
    body_len: usize,
) -> Vec<u8> {
    let mut head = Vec::with_capacity(256 + headers.len() * 64);
    head.extend_from_slice(method.as_str().as_bytes());
    head.push(b' ');
    head.extend_from_slice(path.as_bytes());
    head.extend_from_slice(b" HTTP/1.1\r\nhost: ");
    head.extend_from_slice(upstream.authority().as_bytes());
    head.extend_from_slice(b"\r\n");
    for (name, value) in headers {
        if name == header::HOST || name == header::CONTENT_LENGTH {
            continue;
        }
        head.extend_from_slice(name.as_str().as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value.as_bytes());
        head.extend_from_slice(b"\r\n");
    }
    // A body is sent with its length; so is an empty one where the client
    // said so, or where the method implies a body.
    let said_length = headers.contains_key(header::CONTENT_LENGTH);
    if body_len > 0 || said_length || matches!(*method, Method::POST | Method::PUT | Method::PATCH)
    {
        head.extend_from_slice(format!("content-length: {body_len}\r\n").as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    head
}

enum Io {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_flush(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Io::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Io::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// One connection and what has been read from it but not yet used.
struct Conn {
    io: Io,
    buf: BytesMut,
}

impl Conn {
    async fn write_request(&mut self, head: &[u8], body: &Bytes) -> io::Result<()> {
        if body.is_empty() {
            self.io.write_all(head).await?;
        } else {
            // One write for a small request, as a client would send it.
            let mut whole = Vec::with_capacity(head.len() + body.len());
            whole.extend_from_slice(head);
            whole.extend_from_slice(body);
            self.io.write_all(&whole).await?;
        }
        self.io.flush().await
    }

    /// Whether a kept connection can take a request: nothing is waiting on
    /// it (a server says nothing unasked) and it has not been closed.
    fn still_open(&mut self) -> bool {
        if !self.buf.is_empty() {
            return false;
        }
        let waker = futures_util::task::noop_waker();
        let mut cx = Context::from_waker(&waker);
        let mut probe = [0u8; 1];
        let mut buf = ReadBuf::new(&mut probe);
        matches!(
            Pin::new(&mut self.io).poll_read(&mut cx, &mut buf),
            Poll::Pending
        )
    }

    /// Reads more from the socket into `buf`; 0 at the end of the stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        // Into the buffer's spare room, uninitialized: no zeroing per read.
        // Slices of it handed on earlier may still be alive (in the recorder,
        // in the client's write): the room after them is used all the same.
        if self.buf.capacity() - self.buf.len() < READ_BYTES {
            self.buf.reserve(BLOCK_BYTES);
        }
        tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.buf)
    }

    async fn fill(&mut self) -> io::Result<usize> {
        std::future::poll_fn(|cx| self.poll_fill(cx)).await
    }

    /// Reads the response head (after any 1xx), and how its body is framed.
    async fn read_head(
        &mut self,
        method: &Method,
    ) -> Result<(StatusCode, HeaderMap, Framing, bool), Error> {
        loop {
            let parsed = loop {
                if let Some(parsed) = parse_head(&self.buf)? {
                    break parsed;
                }
                if self.buf.len() > MAX_HEAD_BYTES {
                    return Err(Error::HeadTooLarge);
                }
                match self.fill().await {
                    Ok(0) if self.buf.is_empty() => return Err(Error::ClosedBeforeResponse),
                    Ok(0) => return Err(Error::Malformed("the head was cut short".into())),
                    Ok(_) => {}
                    Err(e) => return Err(Error::Read(e)),
                }
            };
            self.buf.advance(parsed.len);
            // 100 Continue and other interim answers: the final one follows.
            if parsed.status.is_informational() && parsed.status != StatusCode::SWITCHING_PROTOCOLS
            {
                continue;
            }
            let framing = framing(method, parsed.status, &parsed.headers)?;
            let mut headers = parsed.headers;
            if matches!(framing, Framing::Chunked(_)) {
                // Chunked framing overrides a length (RFC 9112, 6.3); the
                // client gets the decoded body framed anew, so a length sent
                // beside it would be a lie.
                headers.remove(header::CONTENT_LENGTH);
            }
            let keep_alive = !matches!(framing, Framing::UntilClose)
                && wants_keep_alive(parsed.minor_version, &headers);
            return Ok((parsed.status, headers, framing, keep_alive));
        }
    }
}

struct Head {
    status: StatusCode,
    headers: HeaderMap,
    minor_version: u8,
    /// Bytes of the head, its blank line included.
    len: usize,
}

fn parse_head(buf: &[u8]) -> Result<Option<Head>, Error> {
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut slots);
    let len = match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(Error::Malformed(e.to_string())),
    };
    let status = response
        .code
        .and_then(|c| StatusCode::from_u16(c).ok())
        .ok_or_else(|| Error::Malformed("no status code".into()))?;
    let mut headers = HeaderMap::with_capacity(response.headers.len());
    for h in response.headers.iter() {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| Error::Malformed(format!("header name {:?}", h.name)))?;
        let value = HeaderValue::from_bytes(h.value)
            .map_err(|_| Error::Malformed(format!("the value of {}", h.name)))?;
        headers.append(name, value);
    }
    Ok(Some(Head {
        status,
        headers,
        minor_version: response.version.unwrap_or(1),
        len,
    }))
}

fn wants_keep_alive(minor_version: u8, headers: &HeaderMap) -> bool {
    let connection = |token: &str| {
        headers
            .get_all(header::CONNECTION)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    };
    if minor_version == 0 {
        connection("keep-alive")
    } else {
        !connection("close")
    }
}

fn framing(method: &Method, status: StatusCode, headers: &HeaderMap) -> Result<Framing, Error> {
    if *method == Method::HEAD
        || status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || status == StatusCode::SWITCHING_PROTOCOLS
    {
        return Ok(Framing::Length(0));
    }
    let chunked = headers
        .get_all(header::TRANSFER_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .last()
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("chunked"));
    if chunked {
        return Ok(Framing::Chunked(Chunked::Size));
    }
    if headers.contains_key(header::TRANSFER_ENCODING) {
        // Encoded some other way: the body runs to the connection's end.
        return Ok(Framing::UntilClose);
    }
    let mut lengths = headers.get_all(header::CONTENT_LENGTH).iter();
    match (lengths.next(), lengths.next()) {
        (None, _) => Ok(Framing::UntilClose),
        (Some(value), None) => value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Framing::Length)
            .ok_or_else(|| Error::Malformed("a content-length that is not a number".into())),
        (Some(_), Some(_)) => Err(Error::Malformed("two content-length headers".into())),
    }
}

/// How the body's end is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    /// This many bytes remain.
    Length(u64),
    Chunked(Chunked),
    UntilClose,
}

/// Where a chunked body's decoding stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Chunked {
    /// At a chunk-size line.
    Size,
    /// Inside a chunk's data, this many bytes left.
    Data(u64),
    /// After a chunk's data, at its CRLF.
    DataEnd,
    /// After the last chunk, at the trailer lines.
    Trailers,
    Done,
}

/// Decodes all of `buf` it can; what is left is an incomplete line.
/// Returns the data decoded.
fn decode_chunked(
    state: &mut Chunked,
    buf: &mut BytesMut,
    out: &mut BytesMut,
) -> Result<(), Error> {
    loop {
        match *state {
            Chunked::Size => {
                let Some((size, line)) = chunk_size_line(buf)? else {
                    return Ok(());
                };
                buf.advance(line);
                *state = if size == 0 {
                    Chunked::Trailers
                } else {
                    Chunked::Data(size)
                };
            }
            Chunked::Data(left) => {
                if buf.is_empty() {
                    return Ok(());
                }
                let n = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                if out.is_empty() {
                    // The usual case, an event a read: its data, uncopied.
                    *out = buf.split_to(n);
                } else {
                    if out.capacity() - out.len() < n {
                        // More than one chunk in what was read: joined in
                        // a buffer of the size they can at most need. (The
                        // slice itself would grow into a whole block, which
                        // the recorder's backlog, counting bytes of data,
                        // would not see.)
                        let mut joined = BytesMut::with_capacity(out.len() + buf.len());
                        joined.extend_from_slice(out);
                        *out = joined;
                    }
                    out.extend_from_slice(&buf[..n]);
                    buf.advance(n);
                }
                let left = left - n as u64;
                *state = if left == 0 {
                    Chunked::DataEnd
                } else {
                    Chunked::Data(left)
                };
            }
            Chunked::DataEnd => {
                if buf.len() < 2 {
                    return Ok(());
                }
                if &buf[..2] != b"\r\n" {
                    return Err(Error::Malformed("a chunk does not end with CRLF".into()));
                }
                buf.advance(2);
                *state = Chunked::Size;
            }
            Chunked::Trailers => {
                let Some(end) = find_crlf(buf) else {
                    return Ok(());
                };
                buf.advance(end + 2);
                if end == 0 {
                    *state = Chunked::Done;
                }
            }
            Chunked::Done => return Ok(()),
        }
    }
}

/// The longest chunk-size line read (extensions included), so that a peer
/// cannot make the proxy buffer without end looking for its end.
const MAX_CHUNK_SIZE_LINE: usize = 1024;

/// Parses the chunk-size line at the start of `buf`: the size, and the
/// line's length with its CRLF; `None` while the line is incomplete.
///
/// By hand rather than through `str` and `from_str_radix`: it runs once for
/// every chunk of every streamed response, on the forwarding path. Not
/// `httparse::parse_chunk_size` either: it takes a line with no digits
/// (`\r\n`) for the last chunk, and refuses a size written with more than
/// 16 digits, leading zeros included, which HTTP allows.
fn chunk_size_line(buf: &[u8]) -> Result<Option<(u64, usize)>, Error> {
    let malformed = || {
        let line = &buf[..buf.len().min(40)];
        Error::Malformed(format!(
            "chunk size {:?}",
            String::from_utf8_lossy(line).trim_end()
        ))
    };
    let mut at = 0;
    while at < buf.len() && matches!(buf[at], b' ' | b'\t') {
        at += 1;
    }
    let digits_start = at;
    let mut size: u64 = 0;
    while let Some(digit) = buf.get(at).and_then(|b| (*b as char).to_digit(16)) {
        if size >> 60 != 0 {
            // One more digit would not fit in a u64: no body is that long.
            return Err(malformed());
        }
        size = size << 4 | u64::from(digit);
        at += 1;
    }
    if at == digits_start && at < buf.len() {
        return Err(malformed());
    }
    // After the digits: optional whitespace, then the CRLF, or `;` and
    // extensions, which the proxy has no use for.
    while at < buf.len() && matches!(buf[at], b' ' | b'\t') {
        at += 1;
    }
    let end = match buf.get(at) {
        None => None,
        Some(b'\r') => match buf.get(at + 1) {
            None => None,
            Some(b'\n') => Some(at + 2),
            Some(_) => return Err(malformed()),
        },
        Some(b';') => find_crlf(&buf[at..]).map(|end| at + end + 2),
        Some(_) => return Err(malformed()),
    };
    match end {
        Some(end) => Ok(Some((size, end))),
        None if buf.len() > MAX_CHUNK_SIZE_LINE => {
            Err(Error::Malformed("a chunk-size line is too long".into()))
        }
        None => Ok(None),
    }
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n")
}

/// A response body, read from its connection; the connection is kept for
/// the next request when the body ended cleanly and the server allows it.
pub struct Body {
    conn: Option<Conn>,
    framing: Framing,
    keep_alive: bool,
    home: Option<(Arc<Client>, Key)>,
}

impl Body {
    /// The declared length, when there is one.
    pub fn content_length(&self) -> Option<u64> {
        match self.framing {
            Framing::Length(n) => Some(n),
            _ => None,
        }
    }

    fn finished(&self) -> bool {
        matches!(
            self.framing,
            Framing::Length(0) | Framing::Chunked(Chunked::Done)
        )
    }

    /// The body is over: its connection goes back to the pool if it can.
    fn release(&mut self) {
        let conn = self.conn.take();
        if let (Some(mut conn), true, Some((client, key))) =
            (conn, self.keep_alive, self.home.take())
        {
            if conn.buf.is_empty() {
                // A kept connection holds no block: slices of it may live on
                // in the recorder, and the next response takes its own.
                conn.buf = BytesMut::new();
                client.put_idle(key, conn);
            }
        }
    }
}

impl Stream for Body {
    type Item = Result<Bytes, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            // Everything already read, decoded at once, into one piece.
            let mut out = BytesMut::new();
            match &mut this.framing {
                Framing::Length(left) => {
                    let n = usize::try_from(*left)
                        .unwrap_or(usize::MAX)
                        .min(conn.buf.len());
                    if n > 0 {
                        out = conn.buf.split_to(n);
                        *left -= n as u64;
                    }
                }
                Framing::Chunked(state) => {
                    if let Err(e) = decode_chunked(state, &mut conn.buf, &mut out) {
                        this.conn = None;
                        return Poll::Ready(Some(Err(e)));
                    }
                }
                Framing::UntilClose => {
                    if !conn.buf.is_empty() {
                        out = conn.buf.split();
                    }
                }
            }
            if this.finished() {
                this.release();
            }
            if !out.is_empty() {
                return Poll::Ready(Some(Ok(out.freeze())));
            }
            let Some(conn) = this.conn.as_mut() else {
                return Poll::Ready(None);
            };
            match conn.poll_fill(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Ok(0)) => {
                    this.conn = None;
                    return Poll::Ready(match this.framing {
                        Framing::UntilClose => None,
                        _ => Some(Err(Error::ClosedInBody)),
                    });
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => {
                    this.conn = None;
                    return Poll::Ready(Some(Err(Error::Read(e))));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(wire: &[u8], piece: usize) -> (Vec<u8>, Chunked) {
        let mut state = Chunked::Size;
        let mut buf = BytesMut::new();
        let mut out = BytesMut::new();
        for part in wire.chunks(piece) {
            buf.extend_from_slice(part);
            decode_chunked(&mut state, &mut buf, &mut out).unwrap();
        }
        (out.to_vec(), state)
    }

    #[test]
    fn a_chunked_body_decodes_whole_however_it_is_split() {
        let wire = b"5\r\nhello\r\n1;ext=1\r\n \r\nB\r\nworld again\r\n0\r\ntrailer: x\r\n\r\n";
        for piece in 1..wire.len() {
            let (out, state) = decode_in_pieces(wire, piece);
            assert_eq!(out, b"hello world again", "pieces of {piece}");
            assert_eq!(state, Chunked::Done, "pieces of {piece}");
        }
    }

    #[test]
    fn many_chunks_in_one_read_come_out_as_one_piece() {
        let mut wire = Vec::new();
        for i in 0..100 {
            let event = format!("data: {i}\n\n");
            wire.extend_from_slice(format!("{:x}\r\n{event}\r\n", event.len()).as_bytes());
        }
        let mut state = Chunked::Size;
        let mut buf = BytesMut::from(&wire[..]);
        let mut out = BytesMut::new();
        decode_chunked(&mut state, &mut buf, &mut out).unwrap();
        assert_eq!(String::from_utf8_lossy(&out).matches("\n\n").count(), 100);
        assert!(buf.is_empty());
    }

    #[test]
    fn a_chunk_comes_out_uncopied_and_joined_chunks_hold_no_block() {
        // As a read leaves it: a block with room to spare.
        let mut buf = BytesMut::with_capacity(BLOCK_BYTES);
        buf.extend_from_slice(b"6\r\ndata:1\r\n");
        let data_at = buf.as_ptr() as usize + 3;
        let mut state = Chunked::Size;
        let mut out = BytesMut::new();
        decode_chunked(&mut state, &mut buf, &mut out).unwrap();
        assert_eq!(&out[..], b"data:1");
        assert_eq!(out.as_ptr() as usize, data_at, "the chunk was copied");

        // Two in one read: joined in a buffer of their size, so a backlog
        // counting bytes of data counts what they hold.
        let mut state = Chunked::Size;
        let mut buf = BytesMut::with_capacity(BLOCK_BYTES);
        buf.extend_from_slice(b"6\r\ndata:1\r\n6\r\ndata:2\r\n");
        let read = buf.len();
        let mut out = BytesMut::new();
        decode_chunked(&mut state, &mut buf, &mut out).unwrap();
        assert_eq!(&out[..], b"data:1data:2");
        assert!(out.capacity() <= read, "{} bytes held", out.capacity());
    }

    #[test]
    fn a_broken_chunked_body_is_an_error_not_data() {
        for wire in [
            &b"zz\r\nhello\r\n"[..],
            b"2\r\nhiXX",
            b"ffffffffffffffffff\r\n",
            b"10000000000000000\r\n",
            b"5\rX\r\nhello\r\n",
            b"5 x\r\nhello\r\n",
            b"\r\nhello\r\n",
            b"-5\r\nhello\r\n",
        ] {
            let mut state = Chunked::Size;
            let mut buf = BytesMut::from(wire);
            let mut out = BytesMut::new();
            assert!(
                decode_chunked(&mut state, &mut buf, &mut out).is_err(),
                "{}",
                String::from_utf8_lossy(wire)
            );
        }
    }

    #[test]
    fn a_chunk_size_line_is_read_as_servers_write_it() {
        for (line, size) in [
            (&b"0\r\n"[..], 0),
            (b"1A\r\n", 26),
            (b"ff;name=value\r\n", 255),
            (b"c3 ; ext\r\n", 195),
            (b"000000000000000000008\r\n", 8),
            (b"ffffffffffffffff\r\n", u64::MAX),
        ] {
            assert_eq!(
                chunk_size_line(line).unwrap(),
                Some((size, line.len())),
                "{}",
                String::from_utf8_lossy(line)
            );
            // Cut anywhere before its end, the line waits for the rest.
            for cut in 0..line.len() {
                assert_eq!(chunk_size_line(&line[..cut]).unwrap(), None);
            }
        }
        // An extension that never ends is refused once it passes the limit.
        let mut endless = b"5;".to_vec();
        endless.resize(MAX_CHUNK_SIZE_LINE, b'x');
        assert_eq!(chunk_size_line(&endless).unwrap(), None);
        endless.push(b'x');
        assert!(chunk_size_line(&endless).is_err());
    }

    #[test]
    fn the_framing_follows_the_head() {
        let head = |pairs: &[(&str, &str)]| {
            let mut h = HeaderMap::new();
            for (k, v) in pairs {
                h.append(
                    HeaderName::from_bytes(k.as_bytes()).unwrap(),
                    HeaderValue::from_str(v).unwrap(),
                );
            }
            h
        };
        let ok = StatusCode::OK;
        assert_eq!(
            framing(
                &Method::POST,
                ok,
                &head(&[("transfer-encoding", "chunked")])
            )
            .unwrap(),
            Framing::Chunked(Chunked::Size)
        );
        assert_eq!(
            framing(&Method::POST, ok, &head(&[("content-length", "12")])).unwrap(),
            Framing::Length(12)
        );
        assert_eq!(
            framing(&Method::POST, ok, &head(&[])).unwrap(),
            Framing::UntilClose
        );
        assert_eq!(
            framing(&Method::HEAD, ok, &head(&[("content-length", "12")])).unwrap(),
            Framing::Length(0)
        );
        assert_eq!(
            framing(&Method::GET, StatusCode::NO_CONTENT, &head(&[])).unwrap(),
            Framing::Length(0)
        );
        assert!(framing(&Method::GET, ok, &head(&[("content-length", "x")])).is_err());
        assert!(framing(
            &Method::GET,
            ok,
            &head(&[("content-length", "1"), ("content-length", "2")])
        )
        .is_err());
        assert!(!wants_keep_alive(
            1,
            &head(&[("connection", "keep-alive, close")])
        ));
        assert!(wants_keep_alive(1, &head(&[])));
        assert!(!wants_keep_alive(0, &head(&[])));
    }

    #[test]
    fn the_request_head_carries_the_upstreams_host_and_the_bodys_length() {
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", HeaderValue::from_static("k"));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from_static("999"));
        let upstream = Upstream::parse("https://api.anthropic.com").unwrap();
        let path = "/v1/messages?beta=true";
        let head = request_head(&Method::POST, &upstream, path, &headers, 2);
        assert_eq!(
            String::from_utf8(head).unwrap(),
            "POST /v1/messages?beta=true HTTP/1.1\r\nhost: api.anthropic.com\r\nx-api-key: k\r\ncontent-length: 2\r\n\r\n"
        );
        let get = request_head(&Method::GET, &upstream, path, &HeaderMap::new(), 0);
        assert!(!String::from_utf8(get).unwrap().contains("content-length"));
    }
}
