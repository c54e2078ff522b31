//! The hosts Claude Code talks to, and what each call is for.
//!
//! Forward capture decrypts Anthropic's first-party hosts by default (the
//! hosts of Claude Code's network configuration page); everything else is
//! tunnelled untouched. Every flow gets a [`Category`] so the flow list can
//! tell inference from sign-in, settings or telemetry.

use serde::{Deserialize, Serialize};

/// Decrypted and recorded by default in forward mode.
pub const FIRST_PARTY: &[&str] = &[
    "api.anthropic.com",
    "platform.claude.com",
    "claude.ai",
    "claude.com",
    "mcp-proxy.anthropic.com",
    "downloads.claude.ai",
    "console.anthropic.com",
    "statsig.anthropic.com",
];

/// Third-party telemetry intake hosts Claude Code (and its libraries) may
/// reach; named so that even a tunnel to one is labelled telemetry.
const TELEMETRY_HOSTS: &[&str] = &[
    "statsig.anthropic.com",
    "statsig.com",
    "featuregates.org",
    "sentry.io",
    "datadoghq.com",
    "datadoghq.eu",
];

/// What a call is for, as the flow list groups it.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// `POST /v1/messages`: a model answering.
    Inference,
    /// `/v1/messages/count_tokens`.
    TokenCounting,
    /// OAuth: authorization, token exchange and refresh.
    SignIn,
    /// Profile, organisation, roles, usage limits.
    Account,
    /// Remote settings, policy limits, bootstrap, feature flags.
    Settings,
    /// Event logging, metrics, error reporting.
    Telemetry,
    /// MCP servers: the MCP proxy, the registry, JSON-RPC calls.
    Mcp,
    #[default]
    Other,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Category::Inference,
        Category::TokenCounting,
        Category::SignIn,
        Category::Account,
        Category::Settings,
        Category::Telemetry,
        Category::Mcp,
        Category::Other,
    ];

    /// A call to `host` (none: a log from before hosts were recorded, which
    /// only reverse mode wrote) at `path`.
    pub fn of(host: Option<&str>, path: &str) -> Category {
        let endpoint = path.split('?').next().unwrap_or_default();
        let host = host.map(without_port).unwrap_or("api.anthropic.com");
        if is_telemetry_host(host) {
            return Category::Telemetry;
        }
        if host == "mcp-proxy.anthropic.com" {
            return Category::Mcp;
        }
        let has = |part: &str| endpoint.contains(part);
        if endpoint == "/v1/messages" {
            Category::Inference
        } else if endpoint.ends_with("/count_tokens") {
            Category::TokenCounting
        } else if has("/oauth/token") || has("/oauth/authorize") || endpoint.starts_with("/oauth/")
        {
            Category::SignIn
        } else if has("event_logging") || has("/metrics") || has("/telemetry") {
            Category::Telemetry
        } else if has("mcp") || endpoint.starts_with("/api/directory/") {
            Category::Mcp
        } else if has("settings")
            || has("policy_limits")
            || has("bootstrap")
            || has("/eval")
            || has("penguin_mode")
        {
            Category::Settings
        } else if has("/oauth/")
            || has("profile")
            || has("/account")
            || has("/roles")
            || has("/usage")
            || has("/organizations")
        {
            Category::Account
        } else {
            Category::Other
        }
    }

    /// A tunnel shows only its host.
    pub fn of_tunnel(host: &str) -> Category {
        if is_telemetry_host(without_port(host)) {
            Category::Telemetry
        } else {
            Category::Other
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Category::Inference => "inference",
            Category::TokenCounting => "token counting",
            Category::SignIn => "sign-in",
            Category::Account => "account",
            Category::Settings => "settings",
            Category::Telemetry => "telemetry",
            Category::Mcp => "MCP",
            Category::Other => "other",
        }
    }
}

/// Whether forward capture decrypts `host` by default.
pub fn is_first_party(host: &str) -> bool {
    FIRST_PARTY.contains(&without_port(host))
}

fn is_telemetry_host(host: &str) -> bool {
    TELEMETRY_HOSTS
        .iter()
        .any(|t| host == *t || host.strip_suffix(t).is_some_and(|rest| rest.ends_with('.')))
}

fn without_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        // [IPv6]:port
        return match rest.find(']') {
            Some(end) => &host[..end + 2],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((name, port))
            if !name.contains(':')
                && !port.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit()) =>
        {
            name
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claude_codes_calls_fall_into_their_categories() {
        let api = Some("api.anthropic.com");
        let cases = [
            (api, "/v1/messages?beta=true", Category::Inference),
            (
                api,
                "/v1/messages/count_tokens?beta=true",
                Category::TokenCounting,
            ),
            (
                Some("platform.claude.com"),
                "/v1/oauth/token",
                Category::SignIn,
            ),
            (
                Some("claude.ai"),
                "/oauth/authorize?code=true",
                Category::SignIn,
            ),
            (api, "/api/oauth/profile", Category::Account),
            (api, "/api/claude_cli_profile", Category::Account),
            (api, "/api/oauth/usage", Category::Account),
            (api, "/api/claude_code/settings", Category::Settings),
            (api, "/api/claude_code/policy_limits", Category::Settings),
            (api, "/api/claude_cli/bootstrap", Category::Settings),
            (api, "/api/event_logging/v2/batch", Category::Telemetry),
            (
                api,
                "/api/claude_code/organizations/metrics_enabled",
                Category::Telemetry,
            ),
            (api, "/api/eval/sdk-zAZezfDKGoZuXXKe", Category::Settings),
            (api, "/api/claude_code_penguin_mode", Category::Settings),
            (api, "/api/directory/server-urls", Category::Mcp),
            (api, "/api/claude_code/metrics", Category::Telemetry),
            (Some("mcp-proxy.anthropic.com"), "/v1/mcp/x", Category::Mcp),
            (api, "/v1/mcp_servers?limit=1000", Category::Mcp),
            (
                Some("statsig.anthropic.com:443"),
                "/v1/initialize",
                Category::Telemetry,
            ),
            (api, "/api/web/domain_info?domain=x", Category::Other),
            // Old logs: reverse mode, so the API.
            (None, "/v1/messages", Category::Inference),
        ];
        for (host, path, want) in cases {
            assert_eq!(Category::of(host, path), want, "{host:?} {path}");
        }
        assert_eq!(
            Category::of_tunnel("o1.ingest.sentry.io"),
            Category::Telemetry
        );
        assert_eq!(Category::of_tunnel("notsentry.io"), Category::Other);
        assert_eq!(Category::of_tunnel("registry.npmjs.org"), Category::Other);
    }

    #[test]
    fn first_party_hosts_are_matched_whole_and_without_their_port() {
        assert!(is_first_party("api.anthropic.com"));
        assert!(is_first_party("api.anthropic.com:443"));
        assert!(!is_first_party("evil-api.anthropic.com.example"));
        assert!(!is_first_party("anthropic.com"));
        assert_eq!(without_port("[::1]:443"), "[::1]");
        assert_eq!(without_port("::1"), "::1");
    }
}
