//! The site's settings, read from the `[[workspace.metadata.leptos]]` table
//! that cargo-leptos reads too.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Config {
    pub output_name: String,
    pub site_pkg_dir: String,
    pub style_file: PathBuf,
    pub assets_dir: PathBuf,
    pub lib_package: String,
    #[serde(default)]
    pub lib_features: Vec<String>,
    #[serde(default = "yes")]
    pub lib_default_features: bool,
    #[serde(default = "release")]
    pub lib_profile_release: String,
}

fn yes() -> bool {
    true
}

fn release() -> String {
    "release".to_owned()
}

#[derive(Deserialize)]
struct Manifest {
    workspace: Workspace,
}

#[derive(Deserialize)]
struct Workspace {
    metadata: Metadata,
}

#[derive(Deserialize)]
struct Metadata {
    leptos: Vec<Config>,
}

impl Config {
    /// The first (the only) site of the workspace at `workspace`.
    pub fn read(workspace: &Path) -> anyhow::Result<Config> {
        let path = workspace.join("Cargo.toml");
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        Config::parse(&text).with_context(|| format!("in {}", path.display()))
    }

    fn parse(text: &str) -> anyhow::Result<Config> {
        let manifest: Manifest =
            toml::from_str(text).context("no usable [[workspace.metadata.leptos]] table")?;
        manifest
            .workspace
            .metadata
            .leptos
            .into_iter()
            .next()
            .context("[[workspace.metadata.leptos]] is empty")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_table_cargo_leptos_reads() {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let config = Config::read(&workspace).unwrap();
        assert_eq!(config.output_name, "trace_claude");
        assert_eq!(config.lib_package, "frontend");
        assert_eq!(config.lib_features, ["hydrate"]);
        assert!(!config.lib_default_features);
        assert_eq!(config.lib_profile_release, "wasm-release");
        assert!(workspace.join(&config.style_file).is_file());
        assert!(workspace.join(&config.assets_dir).is_dir());
    }

    #[test]
    fn a_manifest_without_the_table_is_a_clear_error() {
        let err = Config::parse("[workspace]\nmembers = []\n").unwrap_err();
        assert!(
            format!("{err:#}").contains("[[workspace.metadata.leptos]]"),
            "{err:#}"
        );
    }
}
