//! How a large saved session opens: the figures behind "a 500 MB session log
//! lists its flows within 2 seconds".
//!
//! `cargo bench -p server --bench large_session` writes a generated log
//! (`TRACE_CLAUDE_BENCH_MB`, default 500, as 300 flows), starts the real
//! `trace_claude view` on it, and prints, as medians over fresh starts:
//! the time until the flow list answers (indexing included), the time to
//! open one flow and to search, and the server's memory.

use std::path::Path;
use std::time::{Duration, Instant};

use testkit::session_gen::{write_session, Shape};
use testkit::Viewer;

const STARTS: usize = 3;
const FLOWS: usize = 300;

fn main() -> anyhow::Result<()> {
    let megabytes: usize = std::env::var("TRACE_CLAUDE_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let dir = tempfile::tempdir()?;
    let log = dir.path().join("session_large.jsonl");
    let shape = Shape {
        flows: FLOWS,
        body_bytes: megabytes * 1024 * 1024 / FLOWS,
        deltas: 300,
    };
    let made = Instant::now();
    let bytes = write_session(&log, &shape)?;
    println!(
        "generated {:.0} MiB, {} flows, in {:.1} s",
        bytes as f64 / f64::from(1 << 20),
        FLOWS,
        made.elapsed().as_secs_f64()
    );
    let bin = Path::new(env!("CARGO_BIN_EXE_trace_claude"));
    let rt = tokio::runtime::Runtime::new()?;
    let client = testkit::client();

    let (mut list, mut open, mut search, mut rss) = (vec![], vec![], vec![], vec![]);
    for _ in 0..STARTS {
        let started = Instant::now();
        let viewer = Viewer::start(bin, &[&log], &[])?;
        let url = viewer.web_url();
        let get_json = |path: &str| -> anyhow::Result<serde_json::Value> {
            let url = format!("{url}{path}");
            Ok(rt.block_on(async { client.get(url).send().await?.json().await })?)
        };
        let flows = get_json("/api/flows")?;
        list.push(started.elapsed());
        let listed = flows["flows"].as_array().map_or(0, Vec::len);
        anyhow::ensure!(listed == FLOWS, "listed {listed} flows, not {FLOWS}");

        let t = Instant::now();
        let events = get_json("/api/flows/flow00150")?;
        open.push(t.elapsed());
        anyhow::ensure!(events.as_array().is_some_and(|e| e.len() > 300));

        let t = Instant::now();
        let found = get_json("/api/search?q=needle299")?;
        search.push(t.elapsed());
        anyhow::ensure!(
            found["flows"] == serde_json::json!(["flow00299"]),
            "search found {found}"
        );
        rss.push(memory_mib(viewer.pid(), "VmHWM:"));
    }
    let ms = |d: &mut Vec<Duration>| {
        d.sort();
        d[d.len() / 2].as_secs_f64() * 1000.0
    };
    rss.sort_by(f64::total_cmp);
    println!("median of {STARTS} fresh starts of `trace_claude view`:");
    println!("  start to flow list answered   {:>8.0} ms", ms(&mut list));
    println!("  open one flow (its events)    {:>8.1} ms", ms(&mut open));
    println!(
        "  full-text search              {:>8.0} ms",
        ms(&mut search)
    );
    println!(
        "  server peak memory            {:>8.1} MiB",
        rss[rss.len() / 2]
    );
    Ok(())
}

fn memory_mib(pid: u32, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}
