//! Undoes the upstream's `Content-Encoding` for the log, chunk by chunk, so
//! that compressed streams can still be parsed event by event. The client gets
//! the bytes as the upstream sent them; this runs only on the recording side.

use std::io::{self, Write};

pub enum Decoder {
    Gzip(flate2::write::GzDecoder<Vec<u8>>),
    Deflate(flate2::write::ZlibDecoder<Vec<u8>>),
    Brotli(Box<brotli::DecompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Decoder<'static, Vec<u8>>),
}

#[derive(Debug, thiserror::Error)]
#[error("unsupported content-encoding {0:?}")]
pub struct UnsupportedEncoding(pub String);

impl Decoder {
    /// The decoder for a `Content-Encoding` header value; `None` when the
    /// body is not encoded (no header, or `identity`).
    pub fn for_encoding(encoding: Option<&str>) -> Result<Option<Self>, UnsupportedEncoding> {
        let name = encoding.map(|e| e.trim().to_ascii_lowercase());
        Ok(Some(match name.as_deref() {
            None | Some("") | Some("identity") => return Ok(None),
            Some("gzip") | Some("x-gzip") => {
                Decoder::Gzip(flate2::write::GzDecoder::new(Vec::new()))
            }
            Some("deflate") => Decoder::Deflate(flate2::write::ZlibDecoder::new(Vec::new())),
            Some("br") => {
                Decoder::Brotli(Box::new(brotli::DecompressorWriter::new(Vec::new(), 8192)))
            }
            Some("zstd") => Decoder::Zstd(
                zstd::stream::write::Decoder::new(Vec::new())
                    .map_err(|_| UnsupportedEncoding("zstd".into()))?,
            ),
            Some(other) => return Err(UnsupportedEncoding(other.to_owned())),
        }))
    }

    /// Feeds compressed bytes; returns whatever they decoded to so far.
    pub fn push(&mut self, chunk: &[u8]) -> io::Result<Vec<u8>> {
        fn run<W: Write>(
            w: &mut W,
            chunk: &[u8],
            out: impl FnOnce(&mut W) -> &mut Vec<u8>,
        ) -> io::Result<Vec<u8>> {
            w.write_all(chunk)?;
            w.flush()?;
            Ok(std::mem::take(out(w)))
        }
        match self {
            Decoder::Gzip(d) => run(d, chunk, |d| d.get_mut()),
            Decoder::Deflate(d) => run(d, chunk, |d| d.get_mut()),
            Decoder::Brotli(d) => run(d.as_mut(), chunk, |d| d.get_mut()),
            Decoder::Zstd(d) => run(d, chunk, |d| d.get_mut()),
        }
    }

    /// The stream ended: returns the last bytes and reports a truncated stream.
    pub fn finish(self) -> io::Result<Vec<u8>> {
        match self {
            Decoder::Gzip(d) => d.finish(),
            Decoder::Deflate(d) => d.finish(),
            Decoder::Brotli(d) => d.into_inner().map_err(|_| {
                io::Error::new(io::ErrorKind::UnexpectedEof, "brotli stream ended early")
            }),
            Decoder::Zstd(mut d) => {
                d.flush()?;
                Ok(std::mem::take(d.get_mut()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &[u8] = b"event: ping\ndata: {\"type\":\"ping\"}\n\n";

    fn decode_in_pieces(encoding: &str, compressed: &[u8]) -> Vec<u8> {
        let mut d = Decoder::for_encoding(Some(encoding)).unwrap().unwrap();
        let mut out = Vec::new();
        for piece in compressed.chunks(3) {
            out.extend(d.push(piece).unwrap());
        }
        out.extend(d.finish().unwrap());
        out
    }

    #[test]
    fn each_encoding_decodes_in_small_pieces() {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(TEXT).unwrap();
        assert_eq!(decode_in_pieces("gzip", &gz.finish().unwrap()), TEXT);

        let mut zl = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zl.write_all(TEXT).unwrap();
        assert_eq!(decode_in_pieces("deflate", &zl.finish().unwrap()), TEXT);

        let mut br = Vec::new();
        brotli::BrotliCompress(&mut &TEXT[..], &mut br, &Default::default()).unwrap();
        assert_eq!(decode_in_pieces("br", &br), TEXT);

        let zs = zstd::encode_all(TEXT, 3).unwrap();
        assert_eq!(decode_in_pieces("zstd", &zs), TEXT);
    }

    #[test]
    fn identity_needs_no_decoder() {
        for plain in [None, Some(""), Some("identity"), Some(" Identity ")] {
            assert!(Decoder::for_encoding(plain).unwrap().is_none(), "{plain:?}");
        }
    }

    #[test]
    fn unknown_encodings_are_named() {
        let err = Decoder::for_encoding(Some("compress")).err().unwrap();
        assert!(err.to_string().contains("compress"));
    }
}
