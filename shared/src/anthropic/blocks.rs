//! Content blocks: what a message's `content` (and a request's `system`)
//! holds, read the same way whether a request sent it or a response returned
//! it.
//!
//! The reading is lenient, because the JSON is whatever the client or the API
//! sent: a missing field takes its default, but a field of the wrong JSON
//! type makes the whole block [`Block::Other`], kept as it came, so nothing
//! is dropped and nothing is made up. Adding a block kind is one variant and
//! one arm of [`Block::from_json`].
//!
//! Images and documents keep only facts about their data, never the data: a
//! Claude Code request can carry megabytes of screenshots the UI must not copy.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The key of a cache breakpoint on a block, a tool or a system part.
pub const CACHE_CONTROL: &str = "cache_control";

/// One content block, typed by its `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    Text {
        text: String,
        cached: bool,
        citations: Vec<Value>,
    },
    Thinking {
        thinking: String,
        /// `None` when absent or empty (a streamed block starts with `""`).
        signature: Option<String>,
    },
    RedactedThinking {
        /// Length of the opaque `data` string.
        bytes: usize,
    },
    ToolUse {
        id: String,
        name: String,
        /// `{}` when absent or null, by the API's convention.
        input: Value,
        /// `server_tool_use`: the API ran the tool itself.
        server: bool,
        #[serde(default)]
        cached: bool,
    },
    ToolResult {
        tool_use_id: String,
        content: Vec<Block>,
        is_error: bool,
        #[serde(default)]
        cached: bool,
    },
    Image {
        media_type: Option<String>,
        /// Decoded size of base64 `data`.
        bytes: Option<usize>,
        url: Option<String>,
        #[serde(default)]
        cached: bool,
    },
    Document {
        media_type: Option<String>,
        /// Decoded size of base64 `data`, or the length of plain-text `data`.
        bytes: Option<usize>,
        title: Option<String>,
        #[serde(default)]
        cached: bool,
    },
    /// Any other block type, or a block whose fields have unexpected types,
    /// kept whole. `block_type` is its `type`, or the JSON type name
    /// (`string`, `number`, `object`, ...) when it has none.
    Other { block_type: String, value: Value },
}

impl Block {
    /// Reads one block. Never fails: what fits no known shape is [`Block::Other`].
    pub fn from_json(value: &Value) -> Block {
        let Some(kind) = value.get("type").and_then(Value::as_str) else {
            return Block::other(value);
        };
        let cached = has_cache_control(value);
        let mut f = Fields::new(value);
        let parsed = match kind {
            "text" => match f.string("text") {
                Some(text) => Block::Text {
                    text,
                    cached,
                    citations: f.array("citations"),
                },
                // A text block without its text is not one.
                None => return Block::other(value),
            },
            "thinking" => Block::Thinking {
                thinking: f.string("thinking").unwrap_or_default(),
                signature: f.string("signature").filter(|s| !s.is_empty()),
            },
            "redacted_thinking" => Block::RedactedThinking {
                bytes: f.string("data").map_or(0, |data| data.len()),
            },
            "tool_use" | "server_tool_use" => Block::ToolUse {
                id: f.string("id").unwrap_or_default(),
                name: f.string("name").unwrap_or_default(),
                input: value
                    .get("input")
                    .filter(|input| !input.is_null())
                    .cloned()
                    .unwrap_or_else(|| Value::Object(Map::new())),
                server: kind == "server_tool_use",
                cached,
            },
            "tool_result" => Block::ToolResult {
                tool_use_id: f.string("tool_use_id").unwrap_or_default(),
                content: value.get("content").map(content_blocks).unwrap_or_default(),
                is_error: value.get("is_error").and_then(Value::as_bool) == Some(true),
                cached,
            },
            // Always an Image or Document, however odd the source: an Other
            // would keep the base64 data. So these never consult `f`.
            "image" => {
                let SourceFacts { media_type, bytes } = SourceFacts::of(value);
                let url = value.get("source").and_then(|s| lax_string(s, "url"));
                Block::Image {
                    media_type,
                    bytes,
                    url,
                    cached,
                }
            }
            "document" => {
                let SourceFacts { media_type, bytes } = SourceFacts::of(value);
                let title = lax_string(value, "title");
                Block::Document {
                    media_type,
                    bytes,
                    title,
                    cached,
                }
            }
            _ => return Block::other(value),
        };
        if f.mistyped {
            return Block::other(value);
        }
        parsed
    }

    /// A block kept whole, named by its `type` or its JSON type.
    pub fn other(value: &Value) -> Block {
        Block::Other {
            block_type: type_name(value),
            value: value.clone(),
        }
    }

    /// True when the block carries a `cache_control` mark.
    pub fn cached(&self) -> bool {
        match self {
            Block::Text { cached, .. }
            | Block::ToolUse { cached, .. }
            | Block::ToolResult { cached, .. }
            | Block::Image { cached, .. }
            | Block::Document { cached, .. } => *cached,
            Block::Thinking { .. } | Block::RedactedThinking { .. } => false,
            Block::Other { value, .. } => has_cache_control(value),
        }
    }
}

/// `content` (or `system`): a string is one plain text block, an array is blocks.
pub fn content_blocks(content: &Value) -> Vec<Block> {
    match content {
        Value::Null => Vec::new(),
        Value::String(text) => vec![Block::Text {
            text: text.clone(),
            cached: false,
            citations: Vec::new(),
        }],
        Value::Array(items) => items.iter().map(Block::from_json).collect(),
        other => vec![Block::other(other)],
    }
}

/// A text block with nothing but its text (and perhaps a cache mark): the
/// text, and whether it is marked. Such a block means the same as its text
/// in string form (see [`content_blocks`]); this reads it without copying.
pub fn plain_text(block: &Value) -> Option<(&str, bool)> {
    let object = block.as_object()?;
    if object.get("type")?.as_str()? != "text" {
        return None;
    }
    let text = object.get("text")?.as_str()?;
    let fields = object.len() - usize::from(object.contains_key(CACHE_CONTROL));
    (fields == 2).then_some((text, has_cache_control(block)))
}

/// The `cache_control` mark of a value, unless absent or null.
pub fn cache_mark(value: &Value) -> Option<&Value> {
    value.get(CACHE_CONTROL).filter(|mark| !mark.is_null())
}

/// True when a value carries a `cache_control` mark.
pub fn has_cache_control(value: &Value) -> bool {
    cache_mark(value).is_some()
}

/// The `type` of a block, or the JSON type name when it has no string `type`.
pub fn type_name(value: &Value) -> String {
    if let Some(kind) = value.get("type").and_then(Value::as_str) {
        return kind.to_owned();
    }
    match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
    .to_owned()
}

/// Decoded length of base64 text, without decoding it: every 4 significant
/// characters hold 3 bytes; padding and line breaks carry none.
pub fn base64_decoded_len(data: &str) -> usize {
    let significant = data
        .bytes()
        .filter(|b| *b != b'=' && !b.is_ascii_whitespace())
        .count();
    significant * 3 / 4
}

/// A block's fields, read by the one rule: missing or null is absent, the
/// wrong JSON type marks the block as not of its kind.
struct Fields<'a> {
    value: &'a Value,
    mistyped: bool,
}

impl<'a> Fields<'a> {
    fn new(value: &'a Value) -> Self {
        Fields {
            value,
            mistyped: false,
        }
    }

    fn present(&self, key: &str) -> Option<&'a Value> {
        self.value.get(key).filter(|v| !v.is_null())
    }

    fn string(&mut self, key: &str) -> Option<String> {
        let field = self.present(key)?;
        let text = field.as_str().map(str::to_owned);
        self.mistyped |= text.is_none();
        text
    }

    fn array(&mut self, key: &str) -> Vec<Value> {
        match self.present(key) {
            None => Vec::new(),
            Some(Value::Array(items)) => items.clone(),
            Some(_) => {
                self.mistyped = true;
                Vec::new()
            }
        }
    }
}

/// A string field where the wrong type reads as absent (images, documents).
fn lax_string(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// What an image's or a document's `source` tells of its data, without the
/// data: both kinds are read by this one rule.
struct SourceFacts {
    media_type: Option<String>,
    bytes: Option<usize>,
}

impl SourceFacts {
    fn of(block: &Value) -> Self {
        let source = block.get("source");
        SourceFacts {
            media_type: source.and_then(|s| lax_string(s, "media_type")),
            bytes: source.and_then(data_size),
        }
    }
}

/// Size of a source's `data`: decoded bytes when base64, else the text's length.
fn data_size(source: &Value) -> Option<usize> {
    let data = source.get("data")?.as_str()?;
    match source.get("type").and_then(Value::as_str) {
        Some("base64") => Some(base64_decoded_len(data)),
        _ => Some(data.len()),
    }
}

#[cfg(test)]
mod tests;
