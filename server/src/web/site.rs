//! Where the UI's built files (the site: WebAssembly, JS, CSS) are found.
//!
//! `cargo leptos build --release` puts the binary in `target/release/` and the
//! site in `target/site/`, so the site is looked for beside the binary's own
//! directory first: the binary then works from any working directory.

use std::path::PathBuf;

use anyhow::Context;
use leptos::config::{get_configuration, LeptosOptions};

pub fn options() -> anyhow::Result<LeptosOptions> {
    let mut options = get_configuration(None)
        .context("cannot read the web UI's configuration")?
        .leptos_options;
    let explicit = std::env::var_os("LEPTOS_SITE_ROOT").map(PathBuf::from);
    let root = explicit
        .or_else(beside_the_binary)
        .unwrap_or_else(|| PathBuf::from(&*options.site_root));
    let script = root
        .join(&*options.site_pkg_dir)
        .join(format!("{}.js", options.output_name));
    if !script.is_file() {
        eprintln!(
            "trace_claude: warning: the web UI is not built ({} is missing); run ./bin/trace_claude, which builds it",
            script.display()
        );
    }
    options.site_root = root.to_string_lossy().into_owned().into();
    Ok(options)
}

fn beside_the_binary() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    // target/release/trace_claude → target/site; also an installed bin/ + site/.
    [dir.join("../site"), dir.join("site")]
        .into_iter()
        .find(|candidate| candidate.join("pkg").is_dir())
        .map(|found| found.canonicalize().unwrap_or(found))
}
