use super::*;
use serde_json::json;

const MARK: &str = "cache_control";

fn marked(mut block: Value) -> Value {
    block[MARK] = json!({"type": "ephemeral"});
    block
}

fn text(t: &str) -> Value {
    json!({"type": "text", "text": t})
}

fn user(t: &str) -> Value {
    json!({"role": "user", "content": t})
}

fn assistant_tool(id: &str) -> Value {
    json!({"role": "assistant", "content": [
        {"type": "text", "text": "Let me look."},
        {"type": "tool_use", "id": id, "name": "Read", "input": {"file_path": "/a.rs"}},
    ]})
}

fn tool_result(id: &str) -> Value {
    json!({"role": "user", "content": [{"type": "tool_result", "tool_use_id": id, "content": "fn main() {}"}]})
}

/// A Claude Code-like body: the cache mark sits on the last message's
/// last block, which turns a string content into a block.
fn body(messages: &[Value]) -> Value {
    let mut messages = messages.to_vec();
    if let Some(last) = messages.last_mut() {
        if let Some(t) = last["content"].as_str().map(str::to_owned) {
            last["content"] = json!([text(&t)]);
        }
        if let Some(blocks) = last["content"].as_array_mut() {
            if let Some(block) = blocks.last_mut() {
                *block = marked(block.clone());
            }
        }
    }
    json!({
        "model": "claude-sonnet-4-5",
        "max_tokens": 32000,
        "system": [
            text("x-anthropic-billing-header: cc_version=2.0"),
            marked(text("You are Claude Code, Anthropic's official CLI.")),
        ],
        "tools": [
            {"name": "Read", "description": "Reads a file", "input_schema": {"type": "object"}},
            marked(json!({"name": "Bash", "description": "Runs a command", "input_schema": {"type": "object"}})),
        ],
        "messages": messages,
        "metadata": {"user_id": "u"},
        "stream": true,
    })
}

#[test]
fn identical_requests_are_empty() {
    let b = body(&[user("hi")]);
    let d = context_diff(&b, &b);
    assert!(d.is_empty(), "{d:?}");
    assert!(d.only_appended());
    assert!(!d.cache_marks_moved);
    assert_eq!(
        d.messages,
        MessagesChange {
            before: 1,
            after: 1,
            common_prefix: 1,
            added: vec![],
            removed: vec![],
            rewritten: false,
            compaction: None,
        }
    );
    assert_eq!(d.system, SystemChange::Unchanged);
}

#[test]
fn a_tool_turn_appended_is_only_appended_though_the_mark_moved() {
    let first = body(&[user("read a.rs")]);
    let second = body(&[user("read a.rs"), assistant_tool("t1"), tool_result("t1")]);
    let d = context_diff(&first, &second);
    assert!(d.only_appended(), "{d:?}");
    assert!(!d.is_empty());
    assert!(d.cache_marks_moved);
    assert_eq!(d.messages.common_prefix, 1);
    assert_eq!(d.messages.added, vec![1, 2]);
    assert!(d.messages.removed.is_empty());
    assert!(!d.messages.rewritten);

    let third = body(&[
        user("read a.rs"),
        assistant_tool("t1"),
        tool_result("t1"),
        assistant_tool("t2"),
        tool_result("t2"),
    ]);
    let d = context_diff(&second, &third);
    assert!(d.only_appended(), "{d:?}");
    assert_eq!(d.messages.added, vec![3, 4]);
}

#[test]
fn compaction_rewrites_the_context() {
    let long = body(&[
        user("read a.rs"),
        assistant_tool("t1"),
        tool_result("t1"),
        assistant_tool("t2"),
        tool_result("t2"),
        user("now fix it"),
    ]);
    let compacted = body(&[
        user("This session is being continued from a previous conversation. Summary: ..."),
        user("now fix it"),
    ]);
    let d = context_diff(&long, &compacted);
    assert!(!d.only_appended());
    assert!(!d.is_empty());
    assert_eq!(
        d.messages,
        MessagesChange {
            before: 6,
            after: 2,
            common_prefix: 0,
            added: vec![0],
            // "now fix it" survived the compaction, at another place.
            removed: vec![0, 1, 2, 3, 4],
            rewritten: true,
            compaction: None,
        }
    );
}

#[test]
fn a_rewind_drops_the_tail_and_an_edit_rewrites_one_message() {
    let three = body(&[user("a"), assistant_tool("t1"), tool_result("t1")]);
    let d = context_diff(&three, &body(&[user("a")]));
    assert!(d.messages.rewritten);
    assert_eq!(d.messages.removed, vec![1, 2]);
    assert!(d.messages.added.is_empty());

    let edited = body(&[user("a"), assistant_tool("t1"), tool_result("t1-edited")]);
    let d = context_diff(&three, &edited);
    assert_eq!(d.messages.common_prefix, 2);
    assert_eq!(d.messages.removed, vec![2]);
    assert_eq!(d.messages.added, vec![2]);
    assert!(d.messages.rewritten);
}

#[test]
fn a_moved_cache_mark_alone_is_no_change() {
    let mut before = body(&[user("a"), assistant_tool("t1"), tool_result("t1")]);
    let mut after = before.clone();
    // Mark on the first message instead of the last; string content as a block.
    after["messages"][0]["content"] = json!([marked(text("a"))]);
    after["messages"][2]["content"][0]
        .as_object_mut()
        .unwrap()
        .remove(MARK);
    after["system"][1].as_object_mut().unwrap().remove(MARK);
    after["system"][0] = marked(after["system"][0].clone());
    after["tools"][1].as_object_mut().unwrap().remove(MARK);
    let d = context_diff(&before, &after);
    assert!(d.is_empty(), "{d:?}");
    assert!(d.cache_marks_moved);

    // Without the marks moving, the same comparison reports none moved.
    before["messages"][0]["content"] = json!("b");
    assert!(!context_diff(&before, &before).cache_marks_moved);
}

#[test]
fn each_kind_of_moved_mark_is_noticed_and_changed_content_is_not_a_move() {
    let plain = json!({
        "system": [text("s")],
        "tools": [{"name": "Read"}],
        "messages": [{"role": "user", "content": [text("a"), text("b")]}],
    });
    let mut on_system = plain.clone();
    on_system["system"][0] = marked(text("s"));
    let mut on_tool = plain.clone();
    on_tool["tools"][0] = marked(json!({"name": "Read"}));
    let mut on_block = plain.clone();
    on_block["messages"][0]["content"][0] = marked(text("a"));
    for moved in [on_system, on_tool, on_block] {
        let d = context_diff(&plain, &moved);
        assert!(d.is_empty() && d.cache_marks_moved, "{moved}");
    }

    let mut edited = plain.clone();
    edited["messages"][0]["content"][0] = marked(text("a, edited"));
    let d = context_diff(&plain, &edited);
    assert!(d.messages.rewritten);
    assert!(!d.cache_marks_moved);
}

#[test]
fn string_and_block_forms_of_one_text_are_the_same_but_other_text_is_not() {
    let as_string = json!({"messages": [user("same")], "system": "prompt"});
    let as_block = json!({"messages": [{"role": "user", "content": [text("same")]}], "system": [text("prompt")]});
    assert!(context_diff(&as_string, &as_block).is_empty());
    let other =
        json!({"messages": [{"role": "user", "content": [text("other")]}], "system": "prompt"});
    assert!(context_diff(&as_string, &other).messages.rewritten);
    let with_citations = json!({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "same", "citations": []},
    ]}]});
    assert!(context_diff(&as_string, &with_citations).messages.rewritten);
}

#[test]
fn system_change_says_where_the_text_differs() {
    let before = body(&[user("a")]);
    let mut after = before.clone();
    after["system"][1]["text"] = json!("You are Claude Code, Anthropic's CLI for Claude.");
    let d = context_diff(&before, &after);
    assert!(!d.only_appended());
    let header = "x-anthropic-billing-header: cc_version=2.0".len();
    assert_eq!(
        d.system,
        SystemChange::Changed {
            before_len: header + 46,
            after_len: header + 48,
            blocks_added: 1,
            blocks_removed: 1,
            first_difference: Some(header + "You are Claude Code, Anthropic's ".len()),
        }
    );
    assert!(d.messages.added.is_empty() && !d.messages.rewritten);

    // A block appended: the text grows at its end; multi-byte text counts chars.
    let mut longer = before.clone();
    longer["system"].as_array_mut().unwrap().push(text("é ✓"));
    match context_diff(&before, &longer).system {
        SystemChange::Changed {
            before_len,
            after_len,
            blocks_added: 1,
            blocks_removed: 0,
            first_difference: Some(at),
        } => {
            assert_eq!(after_len, before_len + 3);
            assert_eq!(at, before_len);
        }
        other => panic!("{other:?}"),
    }

    // A middle block rewritten: the blocks around it are not counted.
    let abc = json!({"system": [text("a"), text("b"), text("c")]});
    let axc = json!({"system": [text("a"), text("x"), text("c")]});
    assert_eq!(
        context_diff(&abc, &axc).system,
        SystemChange::Changed {
            before_len: 3,
            after_len: 3,
            blocks_added: 1,
            blocks_removed: 1,
            first_difference: Some(1),
        }
    );

    // The same text split differently: changed, but no text differs.
    let one = json!({"system": [text("ab")]});
    let two = json!({"system": [text("a"), text("b")]});
    assert!(matches!(
        context_diff(&one, &two).system,
        SystemChange::Changed {
            first_difference: None,
            blocks_added: 2,
            blocks_removed: 1,
            ..
        }
    ));
}

#[test]
fn tools_added_removed_and_changed() {
    let before = body(&[user("a")]);
    let mut after = before.clone();
    after["tools"] = json!([
        {"name": "Bash", "description": "Runs a shell command", "input_schema": {"type": "object"}},
        {"name": "Grep", "input_schema": {"type": "object"}},
        {"type": "web_search_20250305", "name": "web_search"},
    ]);
    let d = context_diff(&before, &after);
    assert_eq!(d.tools_added, ["Grep", "web_search"]);
    assert_eq!(d.tools_removed, ["Read"]);
    assert_eq!(d.tools_changed, ["Bash"]);
    assert!(!d.only_appended());
    assert_eq!(d.system, SystemChange::Unchanged);
}

#[test]
fn model_and_parameter_changes() {
    let before = body(&[user("a")]);
    let mut after = body(&[user("a"), assistant_tool("t"), tool_result("t")]);
    after["model"] = json!("claude-opus-4-1");
    after["max_tokens"] = json!(64000);
    after["thinking"] = json!({"type": "enabled", "budget_tokens": 1024});
    after.as_object_mut().unwrap().remove("stream");
    let d = context_diff(&before, &after);
    assert_eq!(
        d.model,
        Some((
            Some("claude-sonnet-4-5".into()),
            Some("claude-opus-4-1".into())
        ))
    );
    assert_eq!(
        d.params,
        vec![
            ParamChange {
                key: "max_tokens".into(),
                before: Some(json!(32000)),
                after: Some(json!(64000)),
            },
            ParamChange {
                key: "stream".into(),
                before: Some(json!(true)),
                after: None,
            },
            ParamChange {
                key: "thinking".into(),
                before: None,
                after: Some(json!({"type": "enabled", "budget_tokens": 1024})),
            },
        ]
    );
    assert!(!d.only_appended());
    assert_eq!(d.messages.added, vec![1, 2]);
}

#[test]
fn key_order_does_not_matter_but_values_do() {
    let a = json!({"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x"}]}]});
    let b = json!({"messages": [{"content": [{"content": "x", "tool_use_id": "t", "type": "tool_result"}], "role": "user"}]});
    assert!(context_diff(&a, &b).is_empty());
    let c = json!({"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "y"}]}]});
    assert!(!context_diff(&a, &c).is_empty());
    let d = json!({"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x", "is_error": true}]}]});
    assert!(!context_diff(&a, &d).is_empty());

    // Past a rewrite, messages are matched by fingerprint: it must not
    // see key order either.
    let first = json!({"role": "user", "content": "first"});
    let edited = json!({"role": "user", "content": "first, edited"});
    let before = json!({"messages": [first, a["messages"][0]]});
    let after = json!({"messages": [edited, b["messages"][0]]});
    let diff = context_diff(&before, &after);
    assert!(diff.messages.rewritten);
    assert_eq!(diff.messages.removed, vec![0]);
    assert_eq!(diff.messages.added, vec![0]);
}

#[test]
fn odd_bodies_compare_as_empty() {
    for odd in [
        json!(null),
        json!("x"),
        json!({"messages": 3, "tools": {}, "system": 5}),
    ] {
        let d = context_diff(&odd, &odd);
        assert!(d.is_empty(), "{odd}: {d:?}");
    }
    let d = context_diff(&json!(null), &body(&[user("a")]));
    assert_eq!(d.messages.added, vec![0]);
    assert_eq!(d.model, Some((None, Some("claude-sonnet-4-5".into()))));
    let keys: Vec<&str> = d.params.iter().map(|p| p.key.as_str()).collect();
    assert_eq!(keys, ["max_tokens", "metadata", "stream"]);
    assert_eq!(d.tools_added, ["Read", "Bash"]);
}

#[test]
fn large_contexts_diff_quickly() {
    // 600 messages of ~2 KB each, compared with a compaction and with an
    // append: linear work takes milliseconds, pairwise would take seconds.
    let filler = "x".repeat(2000);
    let messages: Vec<Value> = (0..600)
        .map(|i| match i % 2 {
            0 => user(&format!("{i} {filler}")),
            _ => json!({"role": "assistant", "content": [text(&format!("{i} {filler}"))]}),
        })
        .collect();
    let before = body(&messages);
    let mut grown = messages.clone();
    grown.push(json!({"role": "assistant", "content": [text("ok")]}));
    grown.push(user("next"));
    let mut reversed = messages.clone();
    reversed.reverse();
    let started = std::time::Instant::now();
    let d = context_diff(&before, &body(&grown));
    assert!(d.only_appended());
    let d = context_diff(&before, &body(&reversed));
    assert!(d.messages.rewritten);
    // Everything survives, just elsewhere: nothing added or removed.
    assert!(d.messages.added.is_empty() && d.messages.removed.is_empty());
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

#[test]
fn serde_shape() {
    let before = json!({"model": "a", "system": "s"});
    let after = json!({"model": "b", "system": "t"});
    let value = serde_json::to_value(context_diff(&before, &after)).unwrap();
    assert_eq!(value["model"], json!(["a", "b"]));
    assert_eq!(value["system"]["kind"], "changed");
    assert_eq!(value["system"]["first_difference"], 0);
    let unchanged = serde_json::to_value(context_diff(&before, &before)).unwrap();
    assert_eq!(unchanged["system"], json!({"kind": "unchanged"}));
    assert_eq!(unchanged["model"], Value::Null);
    let back: ContextDiff = serde_json::from_value(value).unwrap();
    assert_eq!(back, context_diff(&before, &after));
}

#[test]
fn a_compaction_is_named_as_such_whether_turns_were_dropped_or_kept() {
    let turns = json!([
        {"role": "user", "content": "write a parser"},
        {"role": "assistant", "content": "Here it is."},
        {"role": "user", "content": "now tests"},
    ]);
    let compacted = json!({"role": "assistant", "content": [
        {"type": "compaction", "content": "The user asked for a parser, then tests."}]});
    let before = json!({"model": "m", "messages": turns});
    // Claude Code drops the turns the summary replaces...
    let dropped =
        json!({"model": "m", "messages": [compacted, {"role": "user", "content": "go on"}]});
    let diff = context_diff(&before, &dropped);
    assert!(diff.messages.rewritten);
    assert_eq!(diff.messages.compaction, Some(0));
    // ...or sends them back, the API dropping them itself.
    let mut kept = turns.as_array().unwrap().clone();
    kept.push(compacted);
    let diff = context_diff(&before, &json!({"model": "m", "messages": kept}));
    assert!(!diff.messages.rewritten);
    assert_eq!(diff.messages.compaction, Some(3));
    // A plain rewrite is no compaction.
    let rewritten = json!({"model": "m", "messages": [{"role": "user", "content": "other"}]});
    assert_eq!(context_diff(&before, &rewritten).messages.compaction, None);
}
