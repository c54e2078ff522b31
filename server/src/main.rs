//! `trace_claude`: a recording reverse proxy for Claude Code, its session log
//! and its web UI. This file only dispatches; each command lives in its module.

use std::process::ExitCode;

use clap::Parser;
use server::{cli, commands};

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return cli::report_usage_error(e),
    };
    let result = match cli.command {
        cli::Command::Listen(args) => commands::listen::ignore_file_size_signal()
            .map_err(|e| anyhow::Error::from(e).context("cannot ignore SIGXFSZ"))
            .and_then(|()| in_runtime(commands::listen::listen(args))),
        cli::Command::Run(args) => commands::run::exec(args.mitm, args.command),
        cli::Command::View(args) => in_runtime(commands::view::view(args)),
        cli::Command::Stats(args) => commands::stats::run(args),
        cli::Command::Export(args) => commands::export::run(args),
        cli::Command::Mcp(args) => in_runtime(server::mcp::serve(args)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace_claude: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn in_runtime(work: impl std::future::Future<Output = anyhow::Result<()>>) -> anyhow::Result<()> {
    match tokio::runtime::Runtime::new() {
        Ok(rt) => {
            let result = rt.block_on(work);
            // What is left at Ctrl+C (the web UI's live streams; the proxy
            // has already stopped in order) is dropped, not waited for.
            rt.shutdown_timeout(std::time::Duration::from_millis(200));
            result
        }
        Err(e) => Err(anyhow::Error::from(e).context("cannot start the async runtime")),
    }
}
