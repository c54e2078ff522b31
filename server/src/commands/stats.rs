//! `trace_claude stats`: tokens, cost and latency of saved sessions, per model.

use std::path::Path;

use serde::Serialize;
use shared::{AgentTotals, FlowSummary, ModelTotals, Prices, SessionTotals, Totals};

use crate::cli::StatsArgs;
use crate::log::index::SessionIndex;
use crate::log::lines::warn_about_skipped;

pub fn run(args: StatsArgs) -> anyhow::Result<()> {
    let prices = crate::prices::load(args.prices.file.as_deref())?;
    let mut flows = Vec::new();
    for path in &args.files {
        flows.extend(summarize_file(path)?);
    }
    let totals = Totals::from_flows(&flows, &prices);
    let sessions = SessionTotals::from_flows(&flows, &prices);
    if args.json {
        let out = JsonOut {
            totals: &totals,
            sessions: &sessions,
            prices_version: &prices.version,
        };
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", table(&totals, &sessions, &prices));
    }
    Ok(())
}

/// Every flow of one log. Flows are kept per file: the same log given twice
/// counts twice, as the user asked, instead of merging into itself.
fn summarize_file(path: &Path) -> anyhow::Result<Vec<FlowSummary>> {
    let index = SessionIndex::build(path)?;
    warn_about_skipped(path, index.report());
    Ok(index.summaries().cloned().collect())
}

#[derive(Serialize)]
struct JsonOut<'a> {
    #[serde(flatten)]
    totals: &'a Totals,
    /// Per Claude Code session, its agents as a tree.
    sessions: &'a [SessionTotals],
    prices_version: &'a str,
}

const HEADINGS: [&str; 11] = [
    "MODEL",
    "REQUESTS",
    "ERRORS",
    "INPUT",
    "OUTPUT",
    "CACHE READ",
    "CACHE WRITE",
    "CACHE HIT",
    "COST",
    "P50",
    "P90",
];

fn table(totals: &Totals, sessions: &[SessionTotals], prices: &Prices) -> String {
    let mut rows = vec![HEADINGS.map(str::to_owned)];
    for (model, t) in &totals.models {
        rows.push(row(model, t));
    }
    rows.push(row("total", &totals.total));
    let mut out = aligned(&rows);
    out.push_str(&agent_table(sessions));
    out.push_str(&footnotes(totals, prices));
    out
}

/// Each session's agents, indented as a tree under the session's total,
/// with the same columns as the models. Left out when no call named a
/// Claude Code session or agent: it would repeat the total.
fn agent_table(sessions: &[SessionTotals]) -> String {
    if sessions
        .iter()
        .all(|s| s.session_id.is_none() && s.subagent_count == 0)
    {
        return String::new();
    }
    let mut headings = HEADINGS.map(str::to_owned);
    headings[0] = "SESSION / AGENT".to_owned();
    let mut rows = vec![headings];
    for session in sessions {
        let name = match &session.session_id {
            Some(id) => format!("session {id}"),
            None => "no Claude Code session".to_owned(),
        };
        rows.push(row(&name, &session.total));
        // A stack, not recursion: a chain of subagents may be long.
        let mut stack: Vec<(usize, &AgentTotals)> = vec![(1, &session.main)];
        while let Some((depth, agent)) = stack.pop() {
            let name = match &agent.agent_id {
                None => "main agent".to_owned(),
                Some(id) => format!("subagent {id}"),
            };
            rows.push(row(&format!("{}{name}", "  ".repeat(depth)), &agent.totals));
            stack.extend(agent.subagents.iter().rev().map(|a| (depth + 1, a)));
        }
        if session.subagent_count > 0 {
            let n = session.subagent_count;
            let label = format!("  {n} subagent{} together", if n == 1 { "" } else { "s" });
            rows.push(row(&label, &session.subagents_total));
        }
    }
    format!("\n{}", aligned(&rows))
}

/// Rows as columns: the first left-aligned, the others right-aligned.
fn aligned(rows: &[[String; 11]]) -> String {
    let widths: Vec<usize> = (0..HEADINGS.len())
        .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
        .collect();
    let mut out = String::new();
    for r in rows {
        let cells: Vec<String> = r
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(c, (cell, w))| {
                if c == 0 {
                    format!("{cell:<w$}")
                } else {
                    format!("{cell:>w$}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

fn row(name: &str, t: &ModelTotals) -> [String; 11] {
    [
        name.to_owned(),
        count(t.requests),
        count(t.errors),
        count(t.input_tokens),
        count(t.output_tokens),
        count(t.cache_read_input_tokens),
        count(t.cache_creation_input_tokens),
        t.cache_hit_ratio
            .map_or("-".into(), |r| format!("{:.1}%", r * 100.0)),
        t.cost_usd.map_or("unknown price".into(), dollars),
        latency(t.duration_ms_p50),
        latency(t.duration_ms_p90),
    ]
}

fn footnotes(totals: &Totals, prices: &Prices) -> String {
    let mut notes = vec![];
    let total = &totals.total;
    if total.unpriced_requests > 0 {
        let unpriced: Vec<&str> = totals
            .models
            .iter()
            .filter(|(_, t)| t.unpriced_requests > 0)
            .map(|(m, _)| m.as_str())
            .collect();
        notes.push(format!(
            "{} of {} requests have no known price ({}); the priced ones cost {}.",
            total.unpriced_requests,
            total.requests,
            unpriced.join(", "),
            dollars(total.priced_cost_usd)
        ));
        // Why, per model: a stale table reads differently from a rule it lacks.
        for (model, why) in &totals.unpriced_models {
            notes.push(format!("  {model}: {why}"));
        }
        // What to do about it, since a new model outruns a release.
        notes.push(
            "  A price table with their rows can be given with --prices FILE (the shape of shared/prices.json)."
                .into(),
        );
    }
    match totals.other_requests {
        0 => {}
        1 => notes.push(
            "1 other request (count_tokens, HEAD /, ...) carries no billed tokens and is not counted."
                .into(),
        ),
        n => notes.push(format!(
            "{n} other requests (count_tokens, HEAD /, ...) carry no billed tokens and are not counted."
        )),
    }
    notes.push(format!(
        "Latency: whole response, completed requests. Prices of {}.",
        prices.version
    ));
    format!("\n{}\n", notes.join("\n"))
}

/// `1234567` → `1,234,567`: token counts run into the millions.
fn count(n: u64) -> String {
    let digits = n.to_string();
    let groups: Vec<&str> = digits
        .as_bytes()
        .rchunks(3)
        .rev()
        .map(|g| std::str::from_utf8(g).unwrap_or_default())
        .collect();
    groups.join(",")
}

fn dollars(usd: f64) -> String {
    format!("${usd:.4}")
}

fn latency(ms: Option<f64>) -> String {
    match ms {
        None => "-".into(),
        Some(ms) if ms < 1000.0 => format!("{ms:.0}ms"),
        Some(ms) => format!("{:.1}s", ms / 1000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1000), "1,000");
        assert_eq!(count(1234567), "1,234,567");
    }

    #[test]
    fn latencies_read_as_ms_or_seconds() {
        assert_eq!(latency(None), "-");
        assert_eq!(latency(Some(850.4)), "850ms");
        assert_eq!(latency(Some(12_345.0)), "12.3s");
    }
}
