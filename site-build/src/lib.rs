//! The web UI's site, built without cargo-leptos: the `frontend` crate for
//! `wasm32-unknown-unknown`, wasm-bindgen's JS glue, `wasm-opt` when it is
//! installed, the stylesheet and the public assets, laid out as cargo-leptos
//! lays them out (`pkg/NAME.js`, `pkg/NAME.wasm`, `pkg/NAME.css`, assets at the
//! root).
//!
//! Both builds read their settings from one place, the workspace's
//! `[[workspace.metadata.leptos]]` table, so `cargo leptos watch` (the UI
//! development loop) and the release binary's embedded site cannot drift.
//!
//! The server's build script calls [`build`] and [`embed::write`]; the
//! `site-build` binary writes a site directory for `LEPTOS_SITE_ROOT`.

mod bindgen;
mod config;
pub mod embed;
pub mod optimize;
mod wasm;

use std::path::{Path, PathBuf};

use anyhow::Context;

pub use config::Config;

/// Which build of the WebAssembly: the release one (the config's
/// `lib-profile-release`, then `wasm-opt`), or cargo's `dev` profile, as
/// `cargo leptos watch` builds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    Release,
    Dev,
}

pub struct Options {
    /// The workspace root (where `Cargo.toml` with the leptos table is).
    pub workspace: PathBuf,
    pub profile: Profile,
    /// The cargo target directory of the WebAssembly build: its own, because
    /// a build script cannot wait for the target directory cargo holds.
    pub target_dir: PathBuf,
    /// Where the site is written; emptied first.
    pub out: PathBuf,
    /// binaryen's `wasm-opt`, for release builds; without it the WebAssembly
    /// is served as wasm-bindgen left it (bigger, just as correct).
    pub wasm_opt: Option<PathBuf>,
}

/// A built site: its directory and every file in it, by site path.
pub struct Site {
    pub root: PathBuf,
    /// `(path with '/' separators, relative to root)`, sorted.
    pub files: Vec<String>,
    /// Why `wasm-opt` did not run, when it did not (a release build says so).
    pub unoptimized: Option<String>,
}

/// Builds the site into `options.out`.
pub fn build(options: &Options) -> anyhow::Result<Site> {
    let config = Config::read(&options.workspace)?;
    let wasm = wasm::compile(&config, options)?;
    if options.out.exists() {
        std::fs::remove_dir_all(&options.out)
            .with_context(|| format!("cannot empty {}", options.out.display()))?;
    }
    let pkg = options.out.join(&config.site_pkg_dir);
    create_dir(&pkg)?;
    bindgen::generate(&wasm, &config.output_name, &pkg, options.profile)?;
    let unoptimized = match (options.profile, &options.wasm_opt) {
        (Profile::Dev, _) => None,
        (Profile::Release, None) => Some("wasm-opt was not found".to_owned()),
        (Profile::Release, Some(tool)) => {
            optimize::run(tool, &pkg.join(format!("{}.wasm", config.output_name)))?;
            None
        }
    };
    let css = options.workspace.join(&config.style_file);
    copy(&css, &pkg.join(format!("{}.css", config.output_name)))?;
    copy_tree(&options.workspace.join(&config.assets_dir), &options.out)?;
    let mut files = Vec::new();
    list(&options.out, &options.out, &mut files)?;
    files.sort();
    Ok(Site {
        root: options.out.clone(),
        files,
        unoptimized,
    })
}

/// The `Content-Type` a site file is served with: the browser compiles
/// WebAssembly as it streams only when it is labelled so.
pub fn content_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match extension {
        "wasm" => "application/wasm",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "json" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn create_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))
}

fn copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::copy(from, to)
        .map(|_| ())
        .with_context(|| format!("cannot copy {} to {}", from.display(), to.display()))
}

fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    create_dir(to)?;
    for entry in read_dir(from)? {
        let entry = entry.with_context(|| format!("cannot read {}", from.display()))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &target)?;
        } else {
            copy(&path, &target)?;
        }
    }
    Ok(())
}

fn list(root: &Path, dir: &Path, files: &mut Vec<String>) -> anyhow::Result<()> {
    for entry in read_dir(dir)? {
        let path = entry
            .with_context(|| format!("cannot read {}", dir.display()))?
            .path();
        if path.is_dir() {
            list(root, &path, files)?;
        } else if let Ok(relative) = path.strip_prefix(root) {
            let parts: Vec<_> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            files.push(parts.join("/"));
        }
    }
    Ok(())
}

fn read_dir(dir: &Path) -> anyhow::Result<std::fs::ReadDir> {
    std::fs::read_dir(dir).with_context(|| format!("cannot read {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webassembly_is_labelled_for_streaming_compilation() {
        assert_eq!(content_type("pkg/trace_claude.wasm"), "application/wasm");
        assert_eq!(
            content_type("pkg/trace_claude.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(content_type("favicon.svg"), "image/svg+xml");
        assert_eq!(content_type("LICENSE"), "application/octet-stream");
    }
}
