//! What changed between two requests of the same agent: model, parameters,
//! system prompt, tools and messages.
//!
//! Comparison is by JSON value with two allowances, both for how Claude Code
//! builds each request afresh: `cache_control` marks are ignored (the cache
//! breakpoint moves to the newest message every turn; that is reported only
//! as [`ContextDiff::cache_marks_moved`]), and a string `content` equals the
//! same text as a single plain text block (Claude Code turns a string into a
//! block to put a mark on it).
//!
//! Request bodies reach megabytes and hundreds of messages, so every step is
//! linear in their size: messages past the common prefix are matched through
//! a fingerprint, never pairwise.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeMap;
use std::hash::Hasher;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The sections compared on their own; every other top-level key is a parameter.
const SECTIONS: [&str; 4] = ["model", "system", "tools", "messages"];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContextDiff {
    /// `Some((before, after))` when the model changed.
    pub model: Option<(Option<String>, Option<String>)>,
    /// Top-level parameters added, removed or changed, in the order they
    /// appear (before's keys first).
    pub params: Vec<ParamChange>,
    pub system: SystemChange,
    /// Tool names, in the order of the request that has them.
    pub tools_added: Vec<String>,
    pub tools_removed: Vec<String>,
    pub tools_changed: Vec<String>,
    pub messages: MessagesChange,
    /// Some `cache_control` mark sits elsewhere on content that is otherwise
    /// unchanged. Not a content change: [`ContextDiff::is_empty`] ignores it.
    #[serde(default)]
    pub cache_marks_moved: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamChange {
    pub key: String,
    /// `None`: the parameter was added.
    pub before: Option<Value>,
    /// `None`: the parameter was removed.
    pub after: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SystemChange {
    Unchanged,
    /// Lengths and offsets count characters (`char`s) of the system text:
    /// the text of its blocks, concatenated in order without separator.
    Changed {
        before_len: usize,
        after_len: usize,
        /// Blocks of `after` outside the run of identical blocks at the start
        /// and the run at the end: new or rewritten.
        blocks_added: usize,
        /// Blocks of `before` outside those runs: dropped or rewritten.
        blocks_removed: usize,
        /// Where the texts first differ; `None` when the texts are equal and
        /// only something else (a non-text block, a block split) changed.
        first_difference: Option<usize>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessagesChange {
    /// Message counts.
    pub before: usize,
    pub after: usize,
    /// Messages identical at the start.
    pub common_prefix: usize,
    /// Indices in `after`, past the common prefix, of messages `before` lacks.
    pub added: Vec<usize>,
    /// Indices in `before`, past the common prefix, of messages `after` lacks.
    pub removed: Vec<usize>,
    /// Earlier context was changed (compaction, a rewind, an edit) rather
    /// than only appended to: some message of `before` is not at its place.
    pub rewritten: bool,
}

impl ContextDiff {
    /// Nothing changed but, perhaps, where cache marks sit.
    pub fn is_empty(&self) -> bool {
        self.only_appended() && self.messages.added.is_empty()
    }

    /// Nothing changed but messages appended after all of `before`'s (none
    /// appended counts too: use [`ContextDiff::is_empty`] to tell).
    pub fn only_appended(&self) -> bool {
        self.model.is_none()
            && self.params.is_empty()
            && self.system == SystemChange::Unchanged
            && self.tools_added.is_empty()
            && self.tools_removed.is_empty()
            && self.tools_changed.is_empty()
            && !self.messages.rewritten
            && self.messages.removed.is_empty()
    }
}

/// Compares two Messages API request bodies, `before` sent first.
/// A body that is not a JSON object compares as an empty one.
pub fn context_diff(before: &Value, after: &Value) -> ContextDiff {
    let mut marks = Marks::default();
    let model = (before.get("model") != after.get("model")).then(|| {
        (
            before
                .get("model")
                .and_then(Value::as_str)
                .map(str::to_owned),
            after
                .get("model")
                .and_then(Value::as_str)
                .map(str::to_owned),
        )
    });
    let (tools_added, tools_removed, tools_changed) =
        tools_diff(before.get("tools"), after.get("tools"), &mut marks);
    ContextDiff {
        model,
        params: params_diff(before, after),
        system: system_diff(before.get("system"), after.get("system"), &mut marks),
        tools_added,
        tools_removed,
        tools_changed,
        messages: messages_diff(before.get("messages"), after.get("messages"), &mut marks),
        cache_marks_moved: marks.moved,
    }
}

fn params_diff(before: &Value, after: &Value) -> Vec<ParamChange> {
    let empty = serde_json::Map::new();
    let before = before.as_object().unwrap_or(&empty);
    let after = after.as_object().unwrap_or(&empty);
    let new_keys = after.keys().filter(|key| !before.contains_key(*key));
    before
        .keys()
        .chain(new_keys)
        .filter(|key| !SECTIONS.contains(&key.as_str()))
        .filter(|key| before.get(*key) != after.get(*key))
        .map(|key| ParamChange {
            key: key.clone(),
            before: before.get(key).cloned(),
            after: after.get(key).cloned(),
        })
        .collect()
}

fn tools_diff(
    before: Option<&Value>,
    after: Option<&Value>,
    marks: &mut Marks,
) -> (Vec<String>, Vec<String>, Vec<String>) {
    let before = tools_by_name(before);
    let after = tools_by_name(after);
    let mut added = Vec::new();
    let mut changed = Vec::new();
    for (name, tool) in &after {
        match before.get(name) {
            None => added.push(name.clone()),
            Some(old) if !marks.same(old, tool) => changed.push(name.clone()),
            Some(_) => {}
        }
    }
    let removed = before
        .keys()
        .filter(|name| !after.contains_key(*name))
        .cloned()
        .collect();
    (added, removed, changed)
}

/// Tools by name, in order; a repeated name keeps its first definition.
fn tools_by_name(tools: Option<&Value>) -> IndexMap<String, &Value> {
    let mut map = IndexMap::new();
    for tool in tools.and_then(Value::as_array).into_iter().flatten() {
        let name = tool.get("name").and_then(Value::as_str).unwrap_or("");
        map.entry(name.to_owned()).or_insert(tool);
    }
    map
}

/// A system prompt part: a plain text block (or the string form) as its
/// text, anything else as the block.
enum Part<'a> {
    Text { text: &'a str, marked: bool },
    Block(&'a Value),
}

impl<'a> Part<'a> {
    fn text(&self) -> &'a str {
        match self {
            Part::Text { text, .. } => text,
            Part::Block(block) => block.get("text").and_then(Value::as_str).unwrap_or(""),
        }
    }
}

fn parts(system: Option<&Value>) -> Vec<Part<'_>> {
    match system {
        Some(Value::String(text)) => vec![Part::Text {
            text,
            marked: false,
        }],
        Some(Value::Array(blocks)) => blocks
            .iter()
            .map(|block| match plain_text(block) {
                Some((text, marked)) => Part::Text { text, marked },
                None => Part::Block(block),
            })
            .collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![Part::Block(other)],
    }
}

fn system_diff(before: Option<&Value>, after: Option<&Value>, marks: &mut Marks) -> SystemChange {
    let before = parts(before);
    let after = parts(after);
    let mut same = |a: &Part, b: &Part| match (a, b) {
        (
            Part::Text {
                text: x,
                marked: mx,
            },
            Part::Text {
                text: y,
                marked: my,
            },
        ) => {
            let equal = x == y;
            marks.moved |= equal && mx != my;
            equal
        }
        (Part::Block(x), Part::Block(y)) => marks.same(x, y),
        _ => false,
    };
    let prefix = before
        .iter()
        .zip(&after)
        .take_while(|(a, b)| same(a, b))
        .count();
    if prefix == before.len() && prefix == after.len() {
        return SystemChange::Unchanged;
    }
    let suffix = before[prefix..]
        .iter()
        .rev()
        .zip(after[prefix..].iter().rev())
        .take_while(|(a, b)| same(a, b))
        .count();
    let before_text = || before.iter().flat_map(|part| part.text().chars());
    let after_text = || after.iter().flat_map(|part| part.text().chars());
    let before_len = before_text().count();
    let after_len = after_text().count();
    let first_difference = before_text()
        .zip(after_text())
        .position(|(a, b)| a != b)
        .or_else(|| (before_len != after_len).then(|| before_len.min(after_len)));
    SystemChange::Changed {
        before_len,
        after_len,
        blocks_added: after.len() - prefix - suffix,
        blocks_removed: before.len() - prefix - suffix,
        first_difference,
    }
}

fn messages_diff(
    before: Option<&Value>,
    after: Option<&Value>,
    marks: &mut Marks,
) -> MessagesChange {
    let before: &[Value] = before.and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let after: &[Value] = after.and_then(Value::as_array).map_or(&[], Vec::as_slice);
    let common_prefix = before
        .iter()
        .zip(after)
        .take_while(|(a, b)| marks.same(a, b))
        .count();
    if common_prefix == before.len() {
        return MessagesChange {
            before: before.len(),
            after: after.len(),
            common_prefix,
            added: (common_prefix..after.len()).collect(),
            removed: Vec::new(),
            rewritten: false,
        };
    }
    // Past the prefix, a message may survive elsewhere (compaction keeps the
    // latest prompt after a summary): match by fingerprint, confirm by value.
    let mut unmatched: BTreeMap<u64, Vec<usize>> = BTreeMap::new();
    for (index, message) in before.iter().enumerate().skip(common_prefix) {
        unmatched
            .entry(fingerprint(message))
            .or_default()
            .push(index);
    }
    let mut added = Vec::new();
    for (index, message) in after.iter().enumerate().skip(common_prefix) {
        let candidates = unmatched.entry(fingerprint(message)).or_default();
        match candidates
            .iter()
            .position(|&old| marks.same(&before[old], message))
        {
            Some(found) => {
                candidates.remove(found);
            }
            None => added.push(index),
        }
    }
    let mut removed: Vec<usize> = unmatched.into_values().flatten().collect();
    removed.sort_unstable();
    MessagesChange {
        before: before.len(),
        after: after.len(),
        common_prefix,
        added,
        removed,
        rewritten: true,
    }
}

/// Value equality that ignores cache marks, noting whether any differed on
/// values found equal.
#[derive(Default)]
struct Marks {
    moved: bool,
}

impl Marks {
    fn same(&mut self, a: &Value, b: &Value) -> bool {
        let mut moved = false;
        let equal = equal(a, b, &mut moved);
        self.moved |= equal && moved;
        equal
    }
}

fn equal(a: &Value, b: &Value, moved: &mut bool) -> bool {
    match (a, b) {
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| equal(x, y, moved))
        }
        (Value::Object(x), Value::Object(y)) => {
            if field_count(x) != field_count(y) {
                return false;
            }
            *moved |= mark(a) != mark(b);
            x.iter()
                .filter(|(key, _)| *key != "cache_control")
                .all(|(key, value)| match y.get(key) {
                    Some(other) if key == "content" => equal_content(value, other, moved),
                    Some(other) => equal(value, other, moved),
                    None => false,
                })
        }
        _ => a == b,
    }
}

/// `content` equality, where a string is the same as one plain text block.
fn equal_content(a: &Value, b: &Value, moved: &mut bool) -> bool {
    match (a, b) {
        (Value::String(text), Value::Array(blocks))
        | (Value::Array(blocks), Value::String(text)) => match blocks.as_slice() {
            [block] => match plain_text(block) {
                Some((block_text, marked)) if block_text == text => {
                    *moved |= marked;
                    true
                }
                _ => false,
            },
            _ => false,
        },
        _ => equal(a, b, moved),
    }
}

/// A text block with nothing but its text (and perhaps a cache mark): the
/// text, and whether it is marked.
fn plain_text(block: &Value) -> Option<(&str, bool)> {
    let object = block.as_object()?;
    if object.get("type")?.as_str()? != "text" {
        return None;
    }
    let text = object.get("text")?.as_str()?;
    let marked = mark(block).is_some();
    (field_count(object) == 2).then_some((text, marked))
}

fn mark(value: &Value) -> Option<&Value> {
    value.get("cache_control").filter(|mark| !mark.is_null())
}

fn field_count(object: &serde_json::Map<String, Value>) -> usize {
    object.len() - usize::from(object.contains_key("cache_control"))
}

/// A hash consistent with [`equal`]: values it finds equal hash alike.
fn fingerprint(value: &Value) -> u64 {
    let mut hasher = DefaultHasher::new();
    hash_value(value, &mut hasher);
    hasher.finish()
}

fn hash_value(value: &Value, h: &mut DefaultHasher) {
    match value {
        Value::Null => h.write_u8(0),
        Value::Bool(b) => {
            h.write_u8(1);
            h.write_u8(u8::from(*b));
        }
        Value::Number(n) => {
            h.write_u8(2);
            h.write(n.to_string().as_bytes());
        }
        Value::String(s) => hash_str(3, s, h),
        Value::Array(items) => {
            h.write_u8(4);
            h.write_usize(items.len());
            for item in items {
                hash_value(item, h);
            }
        }
        Value::Object(object) => {
            h.write_u8(5);
            h.write_usize(field_count(object));
            // Summed, so that key order (kept by preserve_order) does not count.
            let mut sum = 0u64;
            for (key, field) in object.iter().filter(|(key, _)| *key != "cache_control") {
                let mut entry = DefaultHasher::new();
                hash_str(3, key, &mut entry);
                if key == "content" {
                    hash_content(field, &mut entry);
                } else {
                    hash_value(field, &mut entry);
                }
                sum = sum.wrapping_add(entry.finish());
            }
            h.write_u64(sum);
        }
    }
}

fn hash_content(content: &Value, h: &mut DefaultHasher) {
    let single_text = match content {
        Value::String(text) => Some(text.as_str()),
        Value::Array(blocks) => match blocks.as_slice() {
            [block] => plain_text(block).map(|(text, _)| text),
            _ => None,
        },
        _ => None,
    };
    match single_text {
        Some(text) => hash_str(6, text, h),
        None => hash_value(content, h),
    }
}

fn hash_str(tag: u8, s: &str, h: &mut DefaultHasher) {
    h.write_u8(tag);
    h.write_usize(s.len());
    h.write(s.as_bytes());
}

#[cfg(test)]
mod tests {
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
}
