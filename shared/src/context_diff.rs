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

use crate::anthropic::blocks::{cache_mark, plain_text, CACHE_CONTROL};

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
    /// The first message of `after`, among those added, that holds a
    /// `compaction` block: the summary that replaces the turns before it.
    #[serde(default)]
    pub compaction: Option<usize>,
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
            compaction: first_compaction(after, common_prefix..after.len()),
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
        compaction: first_compaction(after, added.iter().copied()),
        added,
        removed,
        rewritten: true,
    }
}

/// The first of `indices` whose message carries a compaction block.
fn first_compaction(messages: &[Value], mut indices: impl Iterator<Item = usize>) -> Option<usize> {
    indices.find(|&index| {
        messages[index]
            .get("content")
            .and_then(Value::as_array)
            .is_some_and(|blocks| {
                blocks
                    .iter()
                    .any(|b| b.get("type").and_then(Value::as_str) == Some("compaction"))
            })
    })
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
            *moved |= cache_mark(a) != cache_mark(b);
            x.iter()
                .filter(|(key, _)| *key != CACHE_CONTROL)
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

fn field_count(object: &serde_json::Map<String, Value>) -> usize {
    object.len() - usize::from(object.contains_key(CACHE_CONTROL))
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
            for (key, field) in object.iter().filter(|(key, _)| *key != CACHE_CONTROL) {
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
mod tests;
