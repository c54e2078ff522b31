//! Why a call missed the prompt cache, from it and the same agent's call
//! before it.
//!
//! A call missed when it read less from the cache than the call before it
//! left there (that call's reads plus its writes): writing the newest turn
//! is what every turn does, but not reading what was cached is what costs.
//! The first call of an agent misses when it writes, since nothing of its
//! own was cached yet. This much needs the usage only, so the flow list can
//! mark misses without request bodies.
//!
//! Why, in the cache's own order: a model change (each model has its own
//! cache), the time since the previous call exceeding the cache's lifetime
//! (5 minutes; 1 hour when the previous call wrote or marked 1-hour
//! entries), then the first place where the prompt prefix differs — tools,
//! system prompt, the settings that invalidate cached messages, a message
//! rewritten, a cache breakpoint moved. The prefix needs both bodies and is
//! read with [`context_diff`].

use chrono::Duration;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::anthropic::blocks::{has_cache_control, CACHE_CONTROL};
use crate::{context_diff, FlowSummary, SystemChange, Timestamp, Usage};

/// How long an entry lives after it was last written or read, by default.
pub fn ttl_5m() -> Duration {
    Duration::minutes(5)
}

/// The lifetime of entries written with `"ttl": "1h"`.
pub fn ttl_1h() -> Duration {
    Duration::hours(1)
}

/// Request parameters whose change invalidates the cached messages (the
/// prompt caching guide's list), though tools and system stay cached.
const SETTINGS_THAT_INVALIDATE: [&str; 2] = ["tool_choice", "thinking"];

/// One call as the analysis reads it.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub model: Option<&'a str>,
    pub started: Option<Timestamp>,
    pub usage: Option<&'a Usage>,
    /// The request body; `None` where only summaries are at hand.
    pub body: Option<&'a Value>,
}

impl<'a> Call<'a> {
    pub fn of(flow: &'a FlowSummary, body: Option<&'a Value>) -> Call<'a> {
        Call {
            model: flow.model.as_deref(),
            started: flow.started,
            usage: flow.usage.as_ref(),
            body,
        }
    }
}

/// A call that read less from the cache than it could have, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheMiss {
    /// Tokens the previous call left in the cache that this one did not read
    /// (0 for a first call).
    pub not_read: u64,
    /// Tokens this call wrote to the cache.
    pub written: u64,
    /// Why, in cache order; empty when nothing at hand explains it.
    pub reasons: Vec<MissReason>,
    /// Whether both request bodies were compared (else the prefix is unread).
    pub compared_bodies: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MissReason {
    /// The agent's first call: nothing of its own was cached.
    FirstCall,
    ModelChanged {
        before: Option<String>,
        after: Option<String>,
    },
    /// The previous call was longer ago than its entries live.
    Expired { idle_secs: i64, ttl_secs: i64 },
    ToolsChanged {
        added: Vec<String>,
        removed: Vec<String>,
        changed: Vec<String>,
        /// The same tools in another order: the prefix differs all the same.
        reordered: bool,
    },
    /// At a character of the system text (see [`SystemChange`]), if known.
    SystemChanged { at: Option<usize> },
    /// `tool_choice` or `thinking` changed.
    SettingsChanged { keys: Vec<String> },
    /// The first message (0-based) that is not as it was; `index` may be
    /// past the end when messages were only dropped.
    MessageRewritten { index: usize, messages: usize },
    /// The content is unchanged but `cache_control` marks sit elsewhere.
    BreakpointMoved,
}

/// Whether the call at `flows[index]` missed the cache, from the summaries
/// alone (no bodies), against the call at `previous` (its
/// [`crate::turns::previous_turn`]): the reasons stop short of the prompt
/// prefix, which only the two requests can tell.
pub fn from_summaries(
    flows: &[FlowSummary],
    index: usize,
    previous: Option<usize>,
) -> Option<CacheMiss> {
    let flow = flows.get(index)?;
    if !flow.is_messages_call() {
        return None;
    }
    let before = previous.and_then(|p| flows.get(p));
    explain(
        &Call::of(flow, None),
        before.map(|b| Call::of(b, None)).as_ref(),
    )
}

/// Whether `now` missed the cache, and why; `None` when it did not (or its
/// usage, or the previous call's, is unknown).
pub fn explain(now: &Call, before: Option<&Call>) -> Option<CacheMiss> {
    let usage = now.usage?;
    let written = usage.cache_creation_input_tokens;
    let Some(before) = before else {
        return (written > 0).then(|| CacheMiss {
            not_read: 0,
            written,
            reasons: vec![MissReason::FirstCall],
            compared_bodies: false,
        });
    };
    let prior = before.usage?;
    let cached = prior.cache_read_input_tokens + prior.cache_creation_input_tokens;
    if usage.cache_read_input_tokens >= cached {
        return None;
    }
    let mut reasons = Vec::new();
    if now.model != before.model {
        reasons.push(MissReason::ModelChanged {
            before: before.model.map(str::to_owned),
            after: now.model.map(str::to_owned),
        });
    }
    if let (Some(t0), Some(t1)) = (before.started, now.started) {
        let idle = t1.0 - t0.0;
        let ttl = lifetime(before);
        if idle > ttl {
            reasons.push(MissReason::Expired {
                idle_secs: idle.num_seconds(),
                ttl_secs: ttl.num_seconds(),
            });
        }
    }
    let compared_bodies = match (before.body, now.body) {
        (Some(b), Some(n)) => {
            reasons.extend(prefix_difference(b, n));
            true
        }
        _ => false,
    };
    Some(CacheMiss {
        not_read: cached - usage.cache_read_input_tokens,
        written,
        reasons,
        compared_bodies,
    })
}

/// How long what `call` cached lives: an hour when it wrote or asked for
/// 1-hour entries, else five minutes.
fn lifetime(call: &Call) -> Duration {
    let wrote_1h = call
        .usage
        .is_some_and(|u| u.cache_creation_1h_input_tokens > 0);
    if wrote_1h || call.body.is_some_and(marks_1h) {
        ttl_1h()
    } else {
        ttl_5m()
    }
}

/// Some `cache_control` in the body asks for `"ttl": "1h"`.
fn marks_1h(value: &Value) -> bool {
    match value {
        Value::Object(object) => {
            let here = object
                .get(CACHE_CONTROL)
                .and_then(|c| c.get("ttl"))
                .and_then(Value::as_str)
                == Some("1h");
            here || object.values().any(marks_1h)
        }
        Value::Array(items) => items.iter().any(marks_1h),
        _ => false,
    }
}

/// The first place, in cache order, where the prompt prefix differs.
fn prefix_difference(before: &Value, now: &Value) -> Option<MissReason> {
    let diff = context_diff(before, now);
    let reordered = diff.tools_added.is_empty()
        && diff.tools_removed.is_empty()
        && tool_names(before) != tool_names(now);
    if !diff.tools_added.is_empty()
        || !diff.tools_removed.is_empty()
        || !diff.tools_changed.is_empty()
        || reordered
    {
        return Some(MissReason::ToolsChanged {
            added: diff.tools_added,
            removed: diff.tools_removed,
            changed: diff.tools_changed,
            reordered,
        });
    }
    if let SystemChange::Changed {
        first_difference, ..
    } = diff.system
    {
        return Some(MissReason::SystemChanged {
            at: first_difference,
        });
    }
    let keys: Vec<String> = diff
        .params
        .iter()
        .filter(|p| SETTINGS_THAT_INVALIDATE.contains(&p.key.as_str()))
        .map(|p| p.key.clone())
        .collect();
    if !keys.is_empty() {
        return Some(MissReason::SettingsChanged { keys });
    }
    if diff.messages.rewritten {
        return Some(MissReason::MessageRewritten {
            index: diff.messages.common_prefix,
            messages: diff.messages.after,
        });
    }
    // The breakpoint moving on to the newest message is every turn's; one
    // that ends before the previous call's last one cannot find its entry.
    (last_mark(now) < last_mark(before)).then_some(MissReason::BreakpointMoved)
}

/// How many blocks of the prompt, in cache order (each tool, each system
/// block, each message's content blocks), end at the last cache mark; the
/// whole prompt with the request-level mark of automatic caching.
fn last_mark(body: &Value) -> usize {
    if has_cache_control(body) {
        return usize::MAX;
    }
    let blocks = items(body.get("tools"))
        .iter()
        .chain(items(body.get("system")))
        .chain(
            items(body.get("messages"))
                .iter()
                .flat_map(|m| items(m.get("content"))),
        );
    blocks
        .enumerate()
        .filter(|(_, block)| has_cache_control(block))
        .map(|(i, _)| i + 1)
        .last()
        .unwrap_or(0)
}

/// An array's items; any other value (a string content, one object) as one.
fn items(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Array(items)) => items,
        Some(Value::Null) | None => &[],
        Some(other) => std::slice::from_ref(other),
    }
}

fn tool_names(body: &Value) -> Vec<&str> {
    body.get("tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| t.get("name").and_then(Value::as_str).unwrap_or(""))
        .collect()
}

impl CacheMiss {
    /// One line: what was missed and why.
    pub fn describe(&self) -> String {
        let what = if self.not_read > 0 {
            format!(
                "Cache miss: {} tokens the previous call cached were not read; {} written",
                self.not_read, self.written
            )
        } else {
            format!("Cache write: {} tokens", self.written)
        };
        let why = if !self.reasons.is_empty() {
            self.reasons
                .iter()
                .map(MissReason::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        } else if self.compared_bodies {
            "the two requests' prefixes match: the entry may have been evicted".to_owned()
        } else {
            "open the flow to compare its request with the previous one".to_owned()
        };
        format!("{what}. Why: {why}.")
    }
}

impl std::fmt::Display for MissReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MissReason::FirstCall => {
                f.write_str("first call of this agent, nothing of its own was cached yet")
            }
            MissReason::ModelChanged { before, after } => write!(
                f,
                "the model changed from {} to {} (each model has its own cache)",
                before.as_deref().unwrap_or("none"),
                after.as_deref().unwrap_or("none")
            ),
            MissReason::Expired {
                idle_secs,
                ttl_secs,
            } => write!(
                f,
                "{} since the previous call, longer than the cache lifetime of {}",
                span(*idle_secs),
                span(*ttl_secs)
            ),
            MissReason::ToolsChanged {
                added,
                removed,
                changed,
                reordered,
            } => {
                let mut parts = Vec::new();
                for (label, names) in [("added", added), ("removed", removed), ("changed", changed)]
                {
                    if !names.is_empty() {
                        parts.push(format!("{label} {}", names.join(", ")));
                    }
                }
                if *reordered && parts.is_empty() {
                    parts.push("reordered".to_owned());
                }
                write!(f, "the tools changed ({})", parts.join("; "))
            }
            MissReason::SystemChanged { at: Some(at) } => {
                write!(f, "the system prompt changed at character {at}")
            }
            MissReason::SystemChanged { at: None } => f.write_str("the system prompt changed"),
            MissReason::SettingsChanged { keys } => write!(
                f,
                "{} changed, which invalidates the cached messages",
                keys.join(" and ")
            ),
            MissReason::MessageRewritten { index, messages } if index < messages => write!(
                f,
                "message {} of {messages} was rewritten (the {index} before it are unchanged)",
                index + 1
            ),
            MissReason::MessageRewritten { index, .. } => write!(
                f,
                "earlier messages were removed (the first {index} are unchanged)"
            ),
            MissReason::BreakpointMoved => f.write_str(
                "a cache breakpoint moved (cache_control marks on otherwise unchanged content)",
            ),
        }
    }
}

/// `75` → `1 min 15 s`; `3900` → `1 h 5 min`.
fn span(secs: i64) -> String {
    let secs = secs.max(0);
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

#[cfg(test)]
mod tests;
