//! `trace_claude`: a recording reverse proxy for Claude Code, its session log
//! and its web UI. This file only dispatches; each command lives in its module.

mod cli;
mod listen;
mod live;
mod log_health;
mod run;
mod session_log;
mod site;
mod web;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return cli::report_usage_error(e),
    };
    let result = match cli.command {
        cli::Command::Listen(args) => {
            match listen::ignore_file_size_signal().and_then(|()| tokio::runtime::Runtime::new()) {
                Ok(rt) => {
                    let result = rt.block_on(listen::listen(args));
                    // Connections still open at Ctrl+C are dropped, not waited for.
                    rt.shutdown_timeout(std::time::Duration::from_millis(200));
                    result
                }
                Err(e) => Err(anyhow::Error::from(e).context("cannot start the async runtime")),
            }
        }
        cli::Command::Run(args) => run::exec(args.command),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("trace_claude: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
