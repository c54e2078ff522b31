//! Puts the web UI's site (WebAssembly, JS glue, CSS, assets) inside release
//! binaries, so `target/release/trace_claude` copied anywhere serves its UI.
//!
//! - Release builds embed it: the browser build runs here, in a cargo of its
//!   own beside this one (see `site-build`), while this cargo compiles the
//!   server's dependencies.
//! - Debug builds (tests, `cargo run`) and builds by cargo-leptos embed
//!   nothing and serve the site from disk (`LEPTOS_SITE_ROOT`, or a `site/`
//!   beside the binary): building WebAssembly on every `cargo test` would
//!   slow everyone down for nothing.
//! - `TRACE_CLAUDE_SITE=embed` or `=none` overrides either.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use site_build::{optimize, Options, Profile};

/// Everything the site is made from: a change to any of it rebuilds the site.
const SITE_SOURCES: &[&str] = &[
    "app",
    "frontend",
    "shared",
    "style",
    "public",
    "Cargo.toml",
    "Cargo.lock",
    ".cargo",
];

fn main() -> anyhow::Result<()> {
    println!("cargo:rerun-if-changed=build.rs");
    for var in [
        "TRACE_CLAUDE_SITE",
        "LEPTOS_SITE_ROOT",
        "LEPTOS_BIN_DIR",
        optimize::WASM_OPT_VAR,
    ] {
        println!("cargo:rerun-if-env-changed={var}");
    }
    let out = PathBuf::from(std::env::var_os("OUT_DIR").context("cargo set no OUT_DIR")?);
    let dest = out.join("site_files.rs");
    if !embed()? {
        return site_build::embed::write_none(&dest);
    }
    let manifest =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").context("no CARGO_MANIFEST_DIR")?);
    let workspace = manifest
        .parent()
        .context("the server is not in a workspace")?;
    for source in SITE_SOURCES {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(source).display()
        );
    }
    let site = site_build::build(&Options {
        workspace: workspace.to_path_buf(),
        profile: Profile::Release,
        target_dir: target_dir(&out).join("site-build"),
        out: out.join("site"),
        wasm_opt: optimize::find(workspace),
    })?;
    if let Some(why) = &site.unoptimized {
        println!(
            "cargo:warning=the embedded web UI is not size-optimised ({why}); \
             scripts/setup --build installs binaryen's wasm-opt"
        );
    }
    site_build::embed::write(&site, &dest)
}

/// Whether this build embeds the site.
fn embed() -> anyhow::Result<bool> {
    match std::env::var("TRACE_CLAUDE_SITE").ok().as_deref() {
        Some("embed") => return Ok(true),
        Some("none") => return Ok(false),
        Some("") | None => {}
        Some(other) => bail!("TRACE_CLAUDE_SITE is {other:?}; use embed or none"),
    }
    // cargo-leptos builds and serves its own site, through LEPTOS_SITE_ROOT.
    let by_cargo_leptos = std::env::var_os("LEPTOS_BIN_DIR").is_some()
        || std::env::var_os("LEPTOS_SITE_ROOT").is_some();
    Ok(std::env::var("PROFILE").as_deref() == Ok("release") && !by_cargo_leptos)
}

/// The target directory this build writes to: OUT_DIR is
/// `TARGET_DIR/[TRIPLE/]PROFILE/build/server-HASH/out`.
fn target_dir(out: &Path) -> PathBuf {
    out.ancestors()
        .nth(4)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| out.join("target"))
}
