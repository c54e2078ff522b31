//! binaryen's `wasm-opt`, which makes the release WebAssembly about a third
//! smaller: every report file embeds it, so its size is the report's floor.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

/// The WebAssembly features rustc enables by default for
/// `wasm32-unknown-unknown`; wasm-opt must accept what the module uses and
/// must not introduce anything a browser of today lacks.
const FEATURES: &[&str] = &[
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
];

/// Optimises `wasm` in place for size.
pub fn run(tool: &Path, wasm: &Path) -> anyhow::Result<()> {
    let optimized = wasm.with_extension("opt.wasm");
    let status = Command::new(tool)
        .arg("-Oz")
        .args(FEATURES)
        .arg(wasm)
        .arg("-o")
        .arg(&optimized)
        .status()
        .with_context(|| format!("cannot run {}", tool.display()))?;
    if !status.success() {
        bail!("{} failed on {} ({status})", tool.display(), wasm.display());
    }
    std::fs::rename(&optimized, wasm).with_context(|| format!("cannot replace {}", wasm.display()))
}

/// The variable that names a `wasm-opt` to use (`scripts/build` sets it).
pub const WASM_OPT_VAR: &str = "TRACE_CLAUDE_WASM_OPT";

/// `$TRACE_CLAUDE_WASM_OPT`, else the one `scripts/setup` installs from npm
/// into `target/build-tools/`. Not whatever `wasm-opt` is on PATH: Debian's
/// is too old for today's rustc output and would fail the build.
pub fn find(workspace: &Path) -> Option<PathBuf> {
    if let Some(tool) = std::env::var_os(WASM_OPT_VAR).filter(|v| !v.is_empty()) {
        return Some(tool.into());
    }
    let npm = workspace.join("target/build-tools/node_modules/.bin/wasm-opt");
    npm.is_file().then_some(npm)
}
