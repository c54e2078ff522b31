//! `trace_claude listen`: the proxy, the session log and the web server, until Ctrl+C.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use proxy::{ForwardConfig, Proxy, ProxyConfig, Upstream};
use shared::api::{Recording, ServerInfo};
use tokio::net::TcpListener;

use crate::cli::ListenArgs;
use crate::log::catalog::{Catalog, Source};
use crate::log::hub::Hub;
use crate::log::writer::{create_session_file, LogSink};
use crate::web::site;
use crate::{otlp, prices, state, web};

pub async fn listen(args: ListenArgs) -> anyhow::Result<()> {
    let upstream = Upstream::parse(&args.upstream)?;
    let prices = prices::load(args.prices.file.as_deref())?;
    let export_target = otlp::Target::resolve(args.otlp_endpoint.as_deref())?;
    // Bind before creating the log, so a port in use leaves no empty session behind.
    let proxy_listener = bind(args.bind, args.port, "the proxy", "--port").await?;
    let web_listener = bind(args.bind, args.web_port, "the web UI", "--web-port").await?;
    let proxy_addr = proxy_listener.local_addr()?;
    let web_addr = web_listener.local_addr()?;
    if !args.bind.is_loopback() {
        eprintln!(
            "trace_claude: warning: listening on {} rather than loopback: anyone who can reach it can use the proxy and read the recorded traffic",
            args.bind
        );
    }

    let upstream_ca = args
        .upstream_ca
        .iter()
        .map(|file| {
            std::fs::read(file)
                .with_context(|| format!("cannot read --upstream-ca {}", file.display()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let (forward, state_dir) = forward_capture(&args.intercept, proxy_addr.port())?;
    let ca_cert = forward.authority.cert_file().to_owned();

    let (file, log_path) = create_session_file(&args.sessions_dir)?;
    let hub = Hub::new(log_path.clone());
    let proxy = Proxy::new(
        ProxyConfig {
            upstream: upstream.clone(),
            redact: !args.no_redact,
            max_request_body: proxy::DEFAULT_MAX_REQUEST_BODY,
            forward: Some(forward.clone()),
            resolve: args.resolve.clone(),
            upstream_ca,
        },
        LogSink::new(file, hub.clone()),
    )?;
    tokio::spawn(proxy.clone().serve(proxy_listener));
    state::write(
        &state_dir,
        &state::ProxyState {
            port: proxy_addr.port(),
            token: forward.token.clone(),
            ca_cert,
            upstream: upstream.as_str().to_owned(),
        },
    )?;

    let session = ServerInfo::Listen(Recording {
        session: hub.session_name().to_owned(),
        log_file: log_path.display().to_string(),
        upstream: upstream.as_str().to_owned(),
        proxy_url: format!("http://{proxy_addr}"),
        redacted: !args.no_redact,
        log_health: None,
    });
    let site = site::Site::locate()?;
    let catalog = Catalog::new(Source::Directory {
        dir: args.sessions_dir.clone(),
        live: hub.session_name().to_owned(),
    });
    // The exporter follows the log through its index, as the UI does.
    let export = match &export_target {
        Some(target) => {
            let to_hub = hub.clone();
            let pipeline = target.pipeline(Box::new(move |health| {
                to_hub.update_log_health(|h| h.export = Some(health.clone()));
            }))?;
            hub.update_log_health(|h| h.export = Some(pipeline.health()));
            let options = otlp::SpanOptions::new(args.otlp_content, prices.clone());
            let follower = otlp::Follower::start(
                catalog.clone(),
                hub.session_name().to_owned(),
                std::sync::Arc::new(options),
                pipeline.sender(),
            );
            Some((pipeline, follower))
        }
        None => None,
    };
    let mut state = web::WebState::new(Some(hub), catalog, prices, web_addr, session, site);
    if let Some((pipeline, _)) = &export {
        state = state.with_export(pipeline.stats());
    }
    let app = web::router(state);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(web_listener, app).await {
            eprintln!("trace_claude: the web server stopped: {e}");
        }
    });

    let export_line = export_target.as_ref().map(|target| {
        let content = if args.otlp_content {
            ", with content"
        } else {
            ""
        };
        format!("✓ OpenTelemetry spans to {}{content}", target.traces_url)
    });
    print_banner(proxy_addr, web_addr, &log_path, export_line.as_deref());
    shutdown_signal().await?;
    // Everything the proxy saw before Ctrl+C goes into the log before
    // exiting, and each flow cut short says so in its own `error` line.
    if let Err(e) = proxy.shutdown(SHUTDOWN_STEP).await {
        eprintln!("trace_claude: warning: stopping: {e}");
    }
    // Then the spans of those last flows, for as long as a collector that
    // answers needs.
    if let Some((pipeline, follower)) = export {
        follower.finish().await;
        pipeline.finish(EXPORT_PATIENCE).await;
    }
    Ok(())
}

/// The token, CA and host list of forward capture, kept in the state
/// directory of the proxy's port so that a restart keeps them.
fn forward_capture(
    extra: &[String],
    port: u16,
) -> anyhow::Result<(ForwardConfig, std::path::PathBuf)> {
    let mut intercept: Vec<String> = shared::hosts::FIRST_PARTY
        .iter()
        .map(|h| h.to_string())
        .collect();
    for host in extra {
        let host = host.trim().to_ascii_lowercase();
        if !intercept.contains(&host) {
            intercept.push(host);
        }
    }
    let dir = state::proxy_dir(port)?;
    let token = state::token(&dir)?;
    let authority = proxy::mitm::Authority::load_or_create(&dir.join("ca"), &intercept)
        .context("cannot set up forward capture's CA")?;
    Ok((
        ForwardConfig {
            token,
            authority: std::sync::Arc::new(authority),
            intercept,
        },
        dir,
    ))
}

/// How long open connections get to end at Ctrl+C, and then the recorder to
/// write out the log: long enough for any flow to record its end, short
/// enough that a hung upstream does not keep the terminal.
const SHUTDOWN_STEP: Duration = Duration::from_secs(2);

/// How long the last spans get to reach the collector at Ctrl+C.
const EXPORT_PATIENCE: Duration = Duration::from_secs(5);

pub async fn bind(ip: IpAddr, port: u16, what: &str, flag: &str) -> anyhow::Result<TcpListener> {
    let addr = SocketAddr::new(ip, port);
    TcpListener::bind(addr).await.with_context(|| {
        format!("cannot listen on {addr} for {what} (choose another with {flag}, or 0 for any free port)")
    })
}

fn print_banner(proxy: SocketAddr, web: SocketAddr, log: &Path, export: Option<&str>) {
    let log = log.display().to_string();
    let log = log.strip_prefix("./").unwrap_or(&log);
    let run = if proxy.port() == 8000 {
        "trace_claude_run claude -p \"hello\"".to_owned()
    } else {
        format!(
            "TRACE_CLAUDE_PORT={} trace_claude_run claude -p \"hello\"",
            proxy.port()
        )
    };
    println!("✓ Proxy listening on http://{proxy}");
    println!("✓ Web UI at http://{web}");
    println!("✓ Logs: {log}");
    if let Some(export) = export {
        println!("{export}");
    }
    println!("Run claude with:");
    println!("{run}");
    println!("Or through HTTPS_PROXY, to see every call on every host:");
    println!(
        "{}",
        run.replace("trace_claude_run ", "trace_claude_run --mitm ")
    );
    println!("Press Ctrl+C to stop.");
}

pub async fn shutdown_signal() -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch for Ctrl+C")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
    tokio::select! {
        _ = interrupt.recv() => {}
        _ = terminate.recv() => {}
    }
    Ok(())
}

/// A write past the file size limit (`ulimit -f`) raises SIGXFSZ, which
/// kills the process by default. Ignored, the write fails with EFBIG instead,
/// and the log writer reports it like a full disk while forwarding goes on.
/// Only `listen` does this: `run` execs the user's command, which would
/// inherit the ignored signal.
pub fn ignore_file_size_signal() -> std::io::Result<()> {
    // SAFETY: setting a signal to SIG_IGN installs no handler code; it is
    // done before any other thread exists.
    let previous = unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
    if previous == libc::SIG_ERR {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
