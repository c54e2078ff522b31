//! The `frontend` crate compiled for the browser, by a cargo of its own.

use std::path::PathBuf;
use std::process::Command;

use anyhow::{bail, Context};

use crate::{Config, Options, Profile};

pub const TARGET: &str = "wasm32-unknown-unknown";

/// Variables cargo gives a build script that describe the *host* build; the
/// browser build must not inherit them (its flags, its target, clippy).
/// `CARGO_MAKEFLAGS` stays: the inner cargo shares the outer one's job
/// slots, so the two builds together use no more cores than asked for.
const HOST_BUILD_VARS: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET_DIR",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_PRIMARY_PACKAGE",
    "TARGET",
    "HOST",
    "PROFILE",
    "OPT_LEVEL",
    "DEBUG",
    "OUT_DIR",
];

/// Compiles the site's library crate and returns its `.wasm`.
pub fn compile(config: &Config, options: &Options) -> anyhow::Result<PathBuf> {
    let profile = match options.profile {
        Profile::Release => config.lib_profile_release.as_str(),
        Profile::Dev => "dev",
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(&cargo);
    command
        .current_dir(&options.workspace)
        .args(["build", "--lib", "--package", &config.lib_package])
        .args(["--target", TARGET, "--profile", profile])
        .arg("--target-dir")
        .arg(&options.target_dir);
    if !config.lib_default_features {
        command.arg("--no-default-features");
    }
    if !config.lib_features.is_empty() {
        command.args(["--features", &config.lib_features.join(",")]);
    }
    for var in HOST_BUILD_VARS {
        command.env_remove(var);
    }
    for (var, _) in std::env::vars_os() {
        if var.to_string_lossy().starts_with("CARGO_CFG_") {
            command.env_remove(var);
        }
    }
    let status = command
        .status()
        .with_context(|| format!("cannot run {}", PathBuf::from(&cargo).display()))?;
    if !status.success() {
        bail!(
            "building the web UI for {TARGET} failed ({status}); is the target installed? \
             `rustup target add {TARGET}`"
        );
    }
    // cargo names the artifact after the crate, with '-' as '_'.
    let dir = if profile == "dev" { "debug" } else { profile };
    let wasm = options
        .target_dir
        .join(TARGET)
        .join(dir)
        .join(format!("{}.wasm", config.lib_package.replace('-', "_")));
    if !wasm.is_file() {
        bail!("the browser build left no {}", wasm.display());
    }
    Ok(wasm)
}
