//! The Rust source that puts a built site inside the binary: one
//! `EmbeddedFile { path, content_type, etag, bytes: include_bytes!(..) }` per
//! file, as a slice expression the server `include!`s. `include_bytes!` makes
//! rustc track each file, so cargo rebuilds the binary when the site changes.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::{content_type, Site};

/// Writes the slice of `site`'s files to `dest`.
pub fn write(site: &Site, dest: &Path) -> anyhow::Result<()> {
    let mut source = String::from("&[\n");
    for path in &site.files {
        let disk = site.root.join(path);
        let bytes =
            std::fs::read(&disk).with_context(|| format!("cannot read {}", disk.display()))?;
        let disk = disk.to_str().with_context(|| {
            format!(
                "{} is not UTF-8, which include_bytes! needs",
                disk.display()
            )
        })?;
        let _ = writeln!(
            source,
            "    EmbeddedFile {{ path: {path:?}, content_type: {:?}, etag: {:?}, bytes: include_bytes!({disk:?}) }},",
            content_type(path),
            etag(&bytes),
        );
    }
    source.push_str("]\n");
    write_source(dest, &source)
}

/// Writes an empty slice: a binary that finds its site on disk.
pub fn write_none(dest: &Path) -> anyhow::Result<()> {
    write_source(dest, "&[]\n")
}

/// A strong validator: the first 128 bits of the content's SHA-256.
pub fn etag(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut tag = String::from("\"");
    for byte in &digest[..16] {
        let _ = write!(tag, "{byte:02x}");
    }
    tag.push('"');
    tag
}

fn write_source(dest: &Path, source: &str) -> anyhow::Result<()> {
    // Unchanged output is left untouched, so nothing downstream rebuilds.
    if std::fs::read_to_string(dest).is_ok_and(|old| old == source) {
        return Ok(());
    }
    std::fs::write(dest, source).with_context(|| format!("cannot write {}", dest.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_is_included_with_its_type_and_tag() {
        let dir = tempdir();
        std::fs::create_dir_all(dir.join("pkg")).unwrap();
        std::fs::write(dir.join("pkg/a.wasm"), b"\0asm").unwrap();
        std::fs::write(dir.join("favicon.svg"), b"<svg/>").unwrap();
        let site = Site {
            root: dir.clone(),
            files: vec!["favicon.svg".into(), "pkg/a.wasm".into()],
            unoptimized: None,
        };
        let dest = dir.join("files.rs");
        write(&site, &dest).unwrap();
        let source = std::fs::read_to_string(&dest).unwrap();
        assert!(source.contains(r#"path: "pkg/a.wasm", content_type: "application/wasm""#));
        assert!(source.contains(&format!("{:?}", etag(b"\0asm"))));
        assert!(source.contains(&format!(
            "include_bytes!({:?})",
            dir.join("favicon.svg").to_str().unwrap()
        )));
        assert_eq!(source.matches("EmbeddedFile {").count(), 2);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn tags_differ_when_content_does() {
        assert_ne!(etag(b"a"), etag(b"b"));
        assert_eq!(etag(b"a"), etag(b"a"));
        assert_eq!(etag(b"a").len(), 34);
    }

    fn tempdir() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "site-build-embed-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
