//! OpenTelemetry export: every finished flow as an OTLP/HTTP (protobuf) span
//! to the collector a team already runs.
//!
//! The exporter reads what the log has (the live session's index, or saved
//! files), never the proxy's own path, so exporting cannot slow or change
//! forwarding, and a span says exactly what the log says:
//! `spans` makes a span of a flow, `ids` its ids, `parents` its parent,
//! `content` the opt-in conversation; `pipeline` queues, batches and retries;
//! `follow` feeds the live session's finished flows in.

mod content;
mod follow;
mod ids;
mod parents;
mod pipeline;
mod spans;

use std::time::Duration;

use anyhow::Context;
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::trace::SpanExporter as _;
use opentelemetry_sdk::Resource;

pub use follow::{export_log, Follower};
pub use pipeline::{ExportStats, OnHealth, Pipeline, SpanSender};
pub use spans::SpanOptions;

/// The standard variables, read when `--otlp-endpoint` is not given.
const TRACES_ENDPOINT_VAR: &str = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
const ENDPOINT_VAR: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
/// One export request's limit; the pipeline retries after it.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Where spans go: the OTLP/HTTP traces URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub traces_url: String,
}

impl Target {
    /// `--otlp-endpoint BASE` (`/v1/traces` appended), else the standard
    /// variables: the traces endpoint as it is, the general one with
    /// `/v1/traces` appended. `None` when neither is set: no export.
    pub fn resolve(flag: Option<&str>) -> anyhow::Result<Option<Target>> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let (url, from) = if let Some(base) = flag {
            (signal_url(base), "--otlp-endpoint")
        } else if let Some(url) = var(TRACES_ENDPOINT_VAR) {
            (url.trim().to_owned(), TRACES_ENDPOINT_VAR)
        } else if let Some(base) = var(ENDPOINT_VAR) {
            (signal_url(&base), ENDPOINT_VAR)
        } else {
            return Ok(None);
        };
        match reqwest::Url::parse(&url) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.has_host() => {
                Ok(Some(Target { traces_url: url }))
            }
            Ok(_) => anyhow::bail!("{from}: {url} is not an http:// or https:// URL"),
            Err(e) => anyhow::bail!("{from}: {url} is not a URL ({e})"),
        }
    }

    /// The OTLP/HTTP protobuf exporter for this target, with the headers of
    /// `OTEL_EXPORTER_OTLP_HEADERS` and the resource of `OTEL_SERVICE_NAME`
    /// and `OTEL_RESOURCE_ATTRIBUTES` (service `trace_claude` by default).
    pub fn exporter(&self) -> anyhow::Result<opentelemetry_otlp::SpanExporter> {
        let client = proxy::tls::client_builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .context("cannot set up the OpenTelemetry exporter's HTTP client")?;
        let mut exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_http_client(client)
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(self.traces_url.clone())
            .with_timeout(REQUEST_TIMEOUT)
            .build()
            .with_context(|| format!("cannot set up export to {}", self.traces_url))?;
        exporter.set_resource(&resource());
        Ok(exporter)
    }

    /// The pipeline to this target, telling `on_health` of failures and drops.
    pub fn pipeline(&self, on_health: OnHealth) -> anyhow::Result<Pipeline> {
        Ok(Pipeline::start(
            self.exporter()?,
            self.traces_url.clone(),
            on_health,
        ))
    }
}

fn signal_url(base: &str) -> String {
    format!("{}/v1/traces", base.trim().trim_end_matches('/'))
}

fn resource() -> Resource {
    let named = std::env::var("OTEL_SERVICE_NAME").is_ok_and(|v| !v.is_empty())
        || std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|v| v.contains("service.name="));
    let builder = Resource::builder();
    if named {
        builder.build()
    } else {
        builder.with_service_name("trace_claude").build()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_is_a_base_url_and_the_traces_path_is_appended() {
        let target = Target::resolve(Some("http://127.0.0.1:6006/"))
            .unwrap()
            .unwrap();
        assert_eq!(target.traces_url, "http://127.0.0.1:6006/v1/traces");
        let err = Target::resolve(Some("collector:4318"))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("--otlp-endpoint: collector:4318/v1/traces is not"),
            "{err}"
        );
        let err = Target::resolve(Some("ftp://x")).unwrap_err().to_string();
        assert_eq!(
            err,
            "--otlp-endpoint: ftp://x/v1/traces is not an http:// or https:// URL"
        );
    }
}
