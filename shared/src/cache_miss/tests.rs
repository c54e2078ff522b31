use chrono::TimeZone;
use serde_json::{json, Value};

use super::*;

const SONNET: &str = "claude-sonnet-4-5";

fn at(secs: i64) -> Timestamp {
    let t0 = chrono::Utc.with_ymd_and_hms(2026, 3, 29, 11, 0, 0).unwrap();
    Timestamp(t0 + Duration::seconds(secs))
}

fn usage(read: u64, write: u64) -> Usage {
    Usage {
        input_tokens: 3,
        output_tokens: 10,
        cache_read_input_tokens: read,
        cache_creation_input_tokens: write,
        ..Usage::default()
    }
}

fn call<'a>(secs: i64, usage: &'a Usage, body: &'a Value) -> Call<'a> {
    Call {
        model: body.get("model").and_then(Value::as_str),
        started: Some(at(secs)),
        usage: Some(usage),
        body: Some(body),
    }
}

/// A Claude Code-like request: tools, a marked system prompt, messages with
/// the breakpoint on the last one.
fn body(messages: &[&str]) -> Value {
    let mut list: Vec<Value> = messages
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let role = if i % 2 == 0 { "user" } else { "assistant" };
            json!({"role": role, "content": [{"type":"text","text":text}]})
        })
        .collect();
    if let Some(last) = list.last_mut() {
        last["content"][0]["cache_control"] = json!({"type":"ephemeral"});
    }
    json!({
        "model": SONNET,
        "tools": [{"name":"Bash","input_schema":{}}, {"name":"Read","input_schema":{}}],
        "system": [{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],
        "messages": list,
    })
}

/// The second call of an agent, 30 s after the first, which cached 10 000
/// tokens (8 000 read, 2 000 written); the second read only 500.
fn second_missing(before: &Value, now: &Value) -> Option<CacheMiss> {
    let (u0, u1) = (usage(8_000, 2_000), usage(500, 9_600));
    explain(&call(30, &u1, now), Some(&call(0, &u0, before)))
}

fn reasons(miss: Option<CacheMiss>) -> Vec<MissReason> {
    miss.expect("a miss").reasons
}

#[test]
fn a_turn_that_reads_what_the_previous_one_cached_is_no_miss() {
    let (b0, b1) = (body(&["hi"]), body(&["hi", "yo", "go"]));
    let (u0, u1) = (usage(8_000, 2_000), usage(10_000, 300));
    assert_eq!(explain(&call(30, &u1, &b1), Some(&call(0, &u0, &b0))), None);
    // Neither is a call whose usage is unknown.
    let unknown = Call {
        usage: None,
        ..call(0, &u0, &b0)
    };
    assert_eq!(explain(&call(30, &u1, &b1), Some(&unknown)), None);
}

#[test]
fn the_first_call_of_an_agent_misses_when_it_writes() {
    let b = body(&["hi"]);
    let u = usage(0, 5_000);
    let miss = explain(&call(0, &u, &b), None).unwrap();
    assert_eq!(
        (miss.not_read, miss.written, miss.reasons.clone()),
        (0, 5_000, vec![MissReason::FirstCall])
    );
    assert!(
        miss.describe().contains("first call of this agent"),
        "{}",
        miss.describe()
    );
    let nothing_written = usage(0, 0);
    assert_eq!(explain(&call(0, &nothing_written, &b), None), None);
}

#[test]
fn a_pause_longer_than_five_minutes_expires_the_cache() {
    let (b0, b1) = (body(&["hi"]), body(&["hi", "yo", "go"]));
    let (u0, u1) = (usage(8_000, 2_000), usage(0, 10_300));
    let miss = explain(&call(6 * 60 + 5, &u1, &b1), Some(&call(0, &u0, &b0))).unwrap();
    assert_eq!(miss.not_read, 10_000);
    assert_eq!(
        miss.reasons,
        [MissReason::Expired {
            idle_secs: 365,
            ttl_secs: 300
        }]
    );
    assert!(
        miss.describe().contains(
            "6 min 5 s since the previous call, longer than the cache lifetime of 5 min 0 s"
        ),
        "{}",
        miss.describe()
    );
    // Within five minutes the same shortfall is not put down to time.
    let miss = explain(&call(299, &u1, &b1), Some(&call(0, &u0, &b0))).unwrap();
    assert!(miss.reasons.is_empty(), "{:?}", miss.reasons);
    assert!(miss.compared_bodies);
    assert!(miss.describe().contains("may have been evicted"));
}

#[test]
fn one_hour_entries_live_an_hour_whether_written_or_asked_for() {
    let b1 = body(&["hi", "yo", "go"]);
    let u1 = usage(0, 10_300);
    // Written: the previous call's usage says so.
    let b0 = body(&["hi"]);
    let written_1h = Usage {
        cache_creation_1h_input_tokens: 2_000,
        ..usage(8_000, 2_000)
    };
    let after = |secs, before: &Call| reasons(explain(&call(secs, &u1, &b1), Some(before)));
    assert!(after(30 * 60, &call(0, &written_1h, &b0)).is_empty());
    assert_eq!(
        after(61 * 60, &call(0, &written_1h, &b0)),
        [MissReason::Expired {
            idle_secs: 3660,
            ttl_secs: 3600
        }]
    );
    // Asked for: a `ttl` of 1h on a mark of the previous request.
    let mut marked = body(&["hi"]);
    marked["system"][0]["cache_control"] = json!({"type":"ephemeral","ttl":"1h"});
    let u0 = usage(8_000, 2_000);
    let mut now = marked.clone();
    now["messages"] = b1["messages"].clone();
    let miss = explain(&call(30 * 60, &u1, &now), Some(&call(0, &u0, &marked))).unwrap();
    assert!(miss.reasons.is_empty(), "{:?}", miss.reasons);
}

#[test]
fn a_model_change_is_named() {
    let b0 = body(&["hi"]);
    let mut b1 = body(&["hi", "yo", "go"]);
    b1["model"] = json!("claude-haiku-4-5");
    assert_eq!(
        reasons(second_missing(&b0, &b1)),
        [MissReason::ModelChanged {
            before: Some(SONNET.into()),
            after: Some("claude-haiku-4-5".into())
        }]
    );
    // From the summaries alone, too (the flow list has no bodies).
    let (u0, u1) = (usage(8_000, 2_000), usage(0, 10_000));
    let before = Call {
        body: None,
        ..call(0, &u0, &b0)
    };
    let now = Call {
        body: None,
        ..call(10, &u1, &b1)
    };
    let miss = explain(&now, Some(&before)).unwrap();
    assert!(!miss.compared_bodies);
    assert!(
        miss.describe()
            .contains("the model changed from claude-sonnet-4-5 to claude-haiku-4-5"),
        "{}",
        miss.describe()
    );
}

#[test]
fn changed_tools_come_first_in_cache_order() {
    let b0 = body(&["hi"]);
    let mut b1 = body(&["hi", "yo", "go"]);
    b1["tools"][1]["description"] = json!("Reads a file");
    b1["tools"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name":"mcp__github__search","input_schema":{}}));
    // The system prompt changed too: tools come before it in the prefix.
    b1["system"][0]["text"] = json!("You are Claude Code, today.");
    let miss = second_missing(&b0, &b1);
    assert_eq!(
        reasons(miss.clone()),
        [MissReason::ToolsChanged {
            added: vec!["mcp__github__search".into()],
            removed: vec![],
            changed: vec!["Read".into()],
            reordered: false,
        }]
    );
    assert!(miss
        .unwrap()
        .describe()
        .contains("the tools changed (added mcp__github__search; changed Read)"));
    // The same tools in another order are a different prefix.
    let mut swapped = body(&["hi", "yo", "go"]);
    swapped["tools"].as_array_mut().unwrap().reverse();
    let miss = second_missing(&b0, &swapped).unwrap();
    assert!(miss.describe().contains("the tools changed (reordered)"));
}

#[test]
fn a_changed_system_prompt_says_where() {
    let b0 = body(&["hi"]);
    let mut b1 = body(&["hi", "yo", "go"]);
    b1["system"][0]["text"] = json!("You are Claude Code, today.");
    let miss = second_missing(&b0, &b1).unwrap();
    assert_eq!(miss.reasons, [MissReason::SystemChanged { at: Some(19) }]);
    assert!(miss
        .describe()
        .contains("the system prompt changed at character 19"));
}

#[test]
fn a_changed_thinking_setting_invalidates_the_messages() {
    let mut b0 = body(&["hi"]);
    b0["thinking"] = json!({"type":"adaptive"});
    let b1 = body(&["hi", "yo", "go"]);
    assert_eq!(
        reasons(second_missing(&b0, &b1)),
        [MissReason::SettingsChanged {
            keys: vec!["thinking".into()]
        }]
    );
}

#[test]
fn a_rewritten_message_is_numbered() {
    let b0 = body(&["hi", "yo", "go"]);
    let b1 = body(&["hi", "YO (edited)", "go", "ok", "more"]);
    let miss = second_missing(&b0, &b1).unwrap();
    assert_eq!(
        miss.reasons,
        [MissReason::MessageRewritten {
            index: 1,
            messages: 5
        }]
    );
    assert!(miss
        .describe()
        .contains("message 2 of 5 was rewritten (the 1 before it are unchanged)"));
    // Messages only dropped: the conversation was cut back.
    let cut = body(&["hi"]);
    let miss = second_missing(&b0, &cut).unwrap();
    assert!(miss
        .describe()
        .contains("earlier messages were removed (the first 1 are unchanged)"));
}

#[test]
fn a_moved_breakpoint_is_the_reason_when_nothing_else_changed() {
    let b0 = body(&["hi", "yo", "go"]);
    // The same messages and one more, but the last mark went back to the
    // first message: the entry the previous call wrote ends past it.
    let mut b1 = body(&["hi", "yo", "go", "ok"]);
    b1["messages"][3]["content"][0]
        .as_object_mut()
        .unwrap()
        .remove("cache_control");
    b1["messages"][0]["content"][0]["cache_control"] = json!({"type":"ephemeral"});
    let miss = second_missing(&b0, &b1).unwrap();
    assert_eq!(miss.reasons, [MissReason::BreakpointMoved]);
    assert!(miss.describe().contains("a cache breakpoint moved"));
    // Moving on to the newest message, as every turn does, is no reason;
    // nor is automatic caching's request-level mark.
    let b2 = body(&["hi", "yo", "go", "ok", "more"]);
    assert!(reasons(second_missing(&b0, &b2)).is_empty());
    let mut automatic = b1.clone();
    automatic["cache_control"] = json!({"type":"ephemeral"});
    assert!(reasons(second_missing(&b0, &automatic)).is_empty());
}

#[test]
fn reasons_serialize_by_kind() {
    let v = serde_json::to_value(MissReason::SystemChanged { at: Some(3) }).unwrap();
    assert_eq!(v, json!({"kind":"system_changed","at":3}));
}
