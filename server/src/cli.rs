//! The command line, as docs/INTERFACE.md fixes it.

use std::ffi::OsString;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "trace_claude",
    version,
    about = "Record and watch everything Claude Code says to the Anthropic API",
    after_help = "Start the proxy with `trace_claude listen`, then run Claude Code through it with\n`trace_claude run claude -p \"hello\"` (or set ANTHROPIC_BASE_URL=http://127.0.0.1:8000)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start the recording proxy and the web UI, writing a new session log
    Listen(ListenArgs),
    /// Run a command with ANTHROPIC_BASE_URL (or, with --mitm, HTTPS_PROXY) pointing at the proxy
    Run(RunArgs),
    /// Serve the web UI over saved session logs, without a proxy
    View(ViewArgs),
    /// Add up tokens, cost and latency of session logs, per model
    Stats(StatsArgs),
    /// Write session logs as one file to share (HAR, JSON Lines, HTML, Markdown), or send them as OpenTelemetry spans
    Export(ExportArgs),
    /// Answer questions about saved sessions over MCP (stdio), for Claude Code: `claude mcp add trace_claude -- trace_claude mcp`
    Mcp(McpArgs),
}

/// `--prices` as the commands that estimate costs take it (`export` words
/// its help for the HTML report, so it keeps its own).
#[derive(Debug, Args)]
pub struct PricesArg {
    /// Price table to estimate costs with, instead of the built-in one
    #[arg(long = "prices", value_name = "FILE")]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Port of the proxy Claude Code talks to (0 picks a free one)
    #[arg(long, default_value_t = 8000)]
    pub port: u16,
    /// Port of the web UI and event API (0 picks a free one)
    #[arg(long, default_value_t = 8001)]
    pub web_port: u16,
    /// Where session logs are written
    #[arg(long, default_value = "./sessions")]
    pub sessions_dir: PathBuf,
    /// The API the proxy forwards to
    #[arg(
        long,
        env = "TRACE_CLAUDE_UPSTREAM",
        default_value = "https://api.anthropic.com"
    )]
    pub upstream: String,
    /// Keep API keys, tokens and cookies in the log instead of redacting them
    #[arg(long)]
    pub no_redact: bool,
    /// Address both servers bind to; anything but loopback exposes your traffic
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Forward capture: also decrypt and record HOST (an HTTP MCP server, a
    /// gateway), besides Anthropic's own hosts; repeatable
    #[arg(long, value_name = "HOST")]
    pub intercept: Vec<String>,
    /// An extra trusted root certificate (PEM) for upstream TLS; repeatable
    #[arg(long, value_name = "FILE")]
    pub upstream_ca: Vec<PathBuf>,
    /// Send connections to HOST:PORT to ADDR instead (curl's syntax); repeatable
    #[arg(long, value_name = "HOST:PORT:ADDR")]
    pub resolve: Vec<proxy::resolve::Resolve>,
    #[command(flatten)]
    pub prices: PricesArg,
    /// Send each finished call as an OpenTelemetry span to this OTLP/HTTP
    /// base URL (`/v1/traces` is appended); OTEL_EXPORTER_OTLP_ENDPOINT and
    /// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT work too
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,
    /// Put the conversation (system prompt, messages, answer, tool
    /// definitions) in the spans; off by default
    #[arg(long)]
    pub otlp_content: bool,
}

#[derive(Debug, Args)]
pub struct ViewArgs {
    /// Session logs to show (JSON Lines files written by `listen`)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Port of the web UI (0 picks a free one)
    #[arg(long, default_value_t = 8001)]
    pub web_port: u16,
    /// Address the web UI binds to; anything but loopback exposes the logs
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    #[command(flatten)]
    pub prices: PricesArg,
}

#[derive(Debug, Args)]
pub struct StatsArgs {
    /// Session logs to add up (JSON Lines files written by `listen`)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print JSON instead of a table
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub prices: PricesArg,
}

#[derive(Debug, Args)]
pub struct McpArgs {
    /// The session logs the tools answer from (where `listen` writes them)
    #[arg(long, default_value = "./sessions")]
    pub sessions_dir: PathBuf,
    #[command(flatten)]
    pub prices: PricesArg,
}

/// One flag per format, exactly one of them required: a new format is one
/// more flag in the group.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("format").required(true).args(["har", "jsonl", "html", "md", "otlp_endpoint"])))]
pub struct ExportArgs {
    /// HAR 1.2, for browser DevTools and other HAR viewers: one entry per flow
    #[arg(long)]
    pub har: bool,
    /// JSON Lines, the log's own format
    #[arg(long)]
    pub jsonl: bool,
    /// One self-contained HTML report (flows, conversations, totals, search)
    /// that opens from disk with no server and no network; one log at a time
    #[arg(long)]
    pub html: bool,
    /// A Markdown transcript: per session and agent, each call's new input,
    /// the answer with thinking and tool calls, and its model, tokens and cost
    #[arg(long)]
    pub md: bool,
    /// OpenTelemetry spans, sent to this OTLP/HTTP base URL (`/v1/traces` is
    /// appended); sending a log again adds nothing, the ids are the log's
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,
    /// With --otlp-endpoint: put the conversation in the spans
    #[arg(long, requires = "otlp_endpoint", conflicts_with = "redact_bodies")]
    pub otlp_content: bool,
    /// Session logs to export (JSON Lines files written by `listen`)
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Write the export here instead of to standard output
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Remove message contents (prompts, answers, tool input and results),
    /// keeping the trace's shape: roles, block types, tool names, token counts
    #[arg(long)]
    pub redact_bodies: bool,
    /// Keep API keys, tokens and cookies a log recorded with --no-redact holds
    #[arg(long)]
    pub no_redact: bool,
    /// Price table for the costs of the HTML report and the transcript, instead of the built-in one
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
}

impl ExportArgs {
    /// The file formats; `--otlp-endpoint` sends spans instead of writing a file.
    pub fn format(&self) -> crate::export::Format {
        if self.har {
            crate::export::Format::Har
        } else if self.html {
            crate::export::Format::Html
        } else {
            crate::export::Format::Jsonl
        }
    }
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Through the proxy as HTTPS_PROXY instead, trusting its CA: every call
    /// on every host is seen, and Claude Code behaves as it does direct
    #[arg(long)]
    pub mitm: bool,
    /// The command and its arguments, passed through untouched
    #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
    pub command: Vec<OsString>,
}

/// Help and version go out as clap renders them; a usage error becomes one
/// line naming the problem, not a page of usage.
pub fn report_usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = e.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            ExitCode::from(2)
        }
        _ => {
            let rendered = e.render().to_string();
            let mut lines = rendered.lines();
            let first = lines.next().unwrap_or("invalid arguments");
            let mut first = first.strip_prefix("error: ").unwrap_or(first).to_owned();
            // "required arguments were not provided:" names them on the
            // indented lines that follow.
            if first.ends_with(':') {
                let named: Vec<&str> = lines
                    .take_while(|l| l.starts_with(' '))
                    .map(str::trim)
                    .collect();
                first = format!("{first} {}", named.join(", "));
            }
            eprintln!("trace_claude: error: {first} (see 'trace_claude --help')");
            ExitCode::from(2)
        }
    }
}
