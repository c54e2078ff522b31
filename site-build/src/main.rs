//! `site-build [--dev] [--out DIR]`: the web UI's site as a directory, for a
//! server started with `LEPTOS_SITE_ROOT=DIR` (a debug build embeds no site).
//! `--dev` builds the WebAssembly with cargo's dev profile, as
//! `cargo leptos watch` does; the default is the release build.

use std::path::PathBuf;

use anyhow::{bail, Context};
use site_build::{Options, Profile};

fn main() -> anyhow::Result<()> {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("site-build is not inside the workspace")?
        .to_path_buf();
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"));
    let mut profile = Profile::Release;
    let mut out = target.join("site");
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        match arg.to_str() {
            Some("--dev") => profile = Profile::Dev,
            Some("--out") => out = args.next().context("--out needs a directory")?.into(),
            _ => bail!(
                "unknown argument {}; usage: site-build [--dev] [--out DIR]",
                arg.to_string_lossy()
            ),
        }
    }
    let wasm_opt = site_build::optimize::find(&workspace);
    let options = Options {
        workspace,
        profile,
        target_dir: target.join("site-build"),
        out,
        wasm_opt,
    };
    let site = site_build::build(&options)?;
    if let Some(why) = &site.unoptimized {
        eprintln!("site-build: the WebAssembly is not size-optimised: {why}");
    }
    println!("{}", site.root.display());
    Ok(())
}
