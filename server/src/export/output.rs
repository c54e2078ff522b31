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
            let mut out = BufWriter::with_capacity(256 * 1024, stdout.lock());
            let result = write(&mut out).and_then(|()| Ok(out.flush()?));
            match result {
                Err(e) if is_broken_pipe(&e) => Ok(()),
                other => other.context("cannot write to standard output"),
            }
        }
        Some(path) => {
            let file = create(path).with_context(|| format!("cannot create {}", path.display()))?;
            let mut out = BufWriter::with_capacity(256 * 1024, file);
            let result = write(&mut out).and_then(|()| {
                let file = out.into_inner().map_err(|e| e.into_error())?;
                Ok(file.sync_all()?)
            });
            if result.is_err() {
                let _ = std::fs::remove_file(path);
            }
            result.with_context(|| format!("cannot write {}", path.display()))
        }
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
