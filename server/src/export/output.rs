//! Where an export goes: standard output, or a file made for it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;

use anyhow::Context;

/// Runs `write` on the output. A file that could not be written whole is
/// removed, so that a half export is never mistaken for one. A closed
/// standard output (`| head`) ends the export quietly, as for other tools.
pub fn write_to(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    match path {
        None => {
            let stdout = io::stdout();
            let mut out = Named {
                inner: BufWriter::with_capacity(256 * 1024, stdout.lock()),
                name: "standard output".into(),
            };
            match write(&mut out).and_then(|()| Ok(out.flush()?)) {
                Err(e) if is_broken_pipe(&e) => Ok(()),
                other => other,
            }
        }
        Some(path) => {
            let file = create(path).with_context(|| format!("cannot create {}", path.display()))?;
            let mut out = Named {
                inner: BufWriter::with_capacity(256 * 1024, file),
                name: path.display().to_string(),
            };
            let result = write(&mut out).and_then(|()| {
                out.flush()?;
                out.inner
                    .get_ref()
                    .sync_all()
                    .with_context(|| format!("cannot write {}", out.name))
            });
            if result.is_err() {
                let _ = std::fs::remove_file(path);
            }
            result
        }
    }
}

/// A writer whose errors name what it writes to: the export's own errors
/// (a log it cannot read) must not read as output errors, nor the reverse.
struct Named<W> {
    inner: W,
    name: String,
}

impl<W: Write> Named<W> {
    fn named(&self, e: io::Error) -> io::Error {
        io::Error::new(e.kind(), format!("cannot write {}: {e}", self.name))
    }
}

impl<W: Write> Write for Named<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.inner.write(buf).map_err(|e| self.named(e))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush().map_err(|e| self.named(e))
    }
}

/// Exports hold what the log holds (prompts, code, answers): readable by
/// their owner only, like the log.
fn create(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<io::Error>()
            .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe)
    })
}
