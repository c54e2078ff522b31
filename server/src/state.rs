//! What a running `listen` leaves for `run --mitm` to find, per proxy port:
//! the forward proxy's token, its CA (certificate and key) and where it
//! forwards. Kept under `$TRACE_CLAUDE_STATE_DIR`, else
//! `$XDG_STATE_HOME/trace_claude`, else `~/.local/state/trace_claude`, in a
//! directory only the user can read (0700, secrets 0600).
//!
//! The token and the CA outlive the process on purpose: a `listen` started
//! again on the same port takes them up, so a Claude Code still running
//! against the old one goes on working.

use std::io::{Read, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

const TOKEN_FILE: &str = "token";
const PROXY_FILE: &str = "proxy.json";

/// What `run` needs to know of the proxy on a port.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProxyState {
    pub port: u16,
    pub token: String,
    /// The CA certificate clients must trust (`NODE_EXTRA_CA_CERTS`).
    pub ca_cert: PathBuf,
    /// Where reverse-mode requests go.
    pub upstream: String,
}

/// The state directory of the proxy on `port`, created 0700.
pub fn proxy_dir(port: u16) -> anyhow::Result<PathBuf> {
    let base = match std::env::var_os("TRACE_CLAUDE_STATE_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
            Some(dir) => PathBuf::from(dir).join("trace_claude"),
            None => {
                let home = std::env::var_os("HOME")
                    .context("HOME is not set, so there is no place for the proxy's CA; set TRACE_CLAUDE_STATE_DIR")?;
                PathBuf::from(home).join(".local/state/trace_claude")
            }
        },
    };
    let dir = base.join(format!("proxy-{port}"));
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    for private in [&base, &dir] {
        std::fs::set_permissions(private, std::fs::Permissions::from_mode(0o700))
            .with_context(|| format!("cannot make {} private", private.display()))?;
    }
    Ok(dir)
}

/// The token kept in `dir`, or a new random one, kept there (0600).
pub fn token(dir: &Path) -> anyhow::Result<String> {
    let path = dir.join(TOKEN_FILE);
    if let Ok(kept) = std::fs::read_to_string(&path) {
        let kept = kept.trim();
        if kept.len() >= 32 && kept.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(kept.to_owned());
        }
    }
    let mut random = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut random))
        .context("cannot read /dev/urandom for the proxy's token")?;
    let token: String = random.iter().map(|b| format!("{b:02x}")).collect();
    write_private(&path, token.as_bytes())?;
    Ok(token)
}

pub fn write(dir: &Path, state: &ProxyState) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(state).context("cannot encode the proxy's state")?;
    write_private(&dir.join(PROXY_FILE), text.as_bytes())
}

/// The state the proxy on `port` wrote when it started.
pub fn read(port: u16) -> anyhow::Result<ProxyState> {
    let path = proxy_dir(port)?.join(PROXY_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "the proxy on port {port} left no forward-capture state ({} is missing); restart it with this trace_claude",
            path.display()
        )
    })?;
    serde_json::from_str(&text).with_context(|| format!("{} is not readable", path.display()))
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("cannot write {}", path.display()))
}
