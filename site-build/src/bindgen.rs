//! wasm-bindgen's step, as a library (the way cargo-leptos runs it): the JS
//! glue and the WebAssembly it expects.

use std::path::Path;

use anyhow::Context;

use crate::Profile;

/// Writes `pkg/NAME.js` and `pkg/NAME.wasm` (and any JS snippets) for the
/// browser's ES-module loader.
pub fn generate(wasm: &Path, name: &str, pkg: &Path, profile: Profile) -> anyhow::Result<()> {
    let mut bindgen = wasm_bindgen_cli_support::Bindgen::new();
    bindgen
        .input_path(wasm)
        .out_name(name)
        .web(true)
        .context("wasm-bindgen refused the web target")?
        .typescript(false)
        .debug(profile == Profile::Dev)
        .keep_debug(profile == Profile::Dev);
    bindgen
        .generate(pkg)
        .with_context(|| format!("wasm-bindgen failed on {}", wasm.display()))?;
    // Leptos asks for NAME.wasm when LEPTOS_OUTPUT_NAME was set at its compile
    // time (.cargo/config.toml sets it), as cargo-leptos names it.
    let generated = pkg.join(format!("{name}_bg.wasm"));
    let served = pkg.join(format!("{name}.wasm"));
    std::fs::rename(&generated, &served)
        .with_context(|| format!("cannot rename {}", generated.display()))?;
    Ok(())
}
