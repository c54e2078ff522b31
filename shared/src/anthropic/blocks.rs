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

mod server_results;

pub use server_results::{ServerOutcome, ServerTool, WebSearchResult};

/// The key of a cache breakpoint on a block, a tool or a system part.
pub const CACHE_CONTROL: &str = "cache_control";

/// One content block, typed by its `type`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    Text {
        text: String,
        #[serde(default)]
        cached: bool,
        citations: Vec<Value>,
    },
    Thinking {
        thinking: String,
        /// `None` when absent or empty (a streamed block starts with `""`).
        signature: Option<String>,
        /// The size the API gives for thinking it did not send
        /// (`display: "omitted"`), when it says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        estimated_tokens: Option<u64>,
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
    /// A call of a tool of an MCP server the API connected to itself.
    McpToolUse {
        id: String,
        name: String,
        server_name: String,
        input: Value,
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
    /// What an MCP server answered to an [`Block::McpToolUse`].
    McpToolResult {
        tool_use_id: String,
        content: Vec<Block>,
        is_error: bool,
        #[serde(default)]
        cached: bool,
    },
    /// The result of a tool the API ran (web search, web fetch, code
    /// execution, tool search, the advisor).
    ServerToolResult {
        tool_use_id: String,
        tool: ServerTool,
        outcome: ServerOutcome,
        #[serde(default)]
        cached: bool,
    },
    /// A tool named by tool search, loaded into the model's context.
    ToolReference {
        tool_name: String,
        #[serde(default)]
        cached: bool,
    },
    /// A file the client uploaded into the code-execution container.
    ContainerUpload {
        file_id: String,
        #[serde(default)]
        cached: bool,
    },
    /// Where one model's output gives way to a fallback model's.
    Fallback {
        from: Option<String>,
        to: Option<String>,
    },
    /// The summary that replaced the turns before it. `content` is `None`
    /// when the compaction failed to produce one.
    Compaction {
        content: Option<String>,
        /// Length of the opaque `encrypted_content`.
        encrypted_bytes: usize,
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
                estimated_tokens: f.number("estimated_tokens"),
            },
            "redacted_thinking" => Block::RedactedThinking {
                bytes: f.string("data").map_or(0, |data| data.len()),
            },
            "tool_use" | "server_tool_use" => Block::ToolUse {
                id: f.string("id").unwrap_or_default(),
                name: f.string("name").unwrap_or_default(),
                input: input_of(value),
                server: kind == "server_tool_use",
                cached,
            },
            "mcp_tool_use" => Block::McpToolUse {
                id: f.string("id").unwrap_or_default(),
                name: f.string("name").unwrap_or_default(),
                server_name: f.string("server_name").unwrap_or_default(),
                input: input_of(value),
                cached,
            },
            "tool_result" => Block::ToolResult {
                tool_use_id: f.string("tool_use_id").unwrap_or_default(),
                content: value.get("content").map(content_blocks).unwrap_or_default(),
                is_error: f.flag("is_error"),
                cached,
            },
            "mcp_tool_result" => Block::McpToolResult {
                tool_use_id: f.string("tool_use_id").unwrap_or_default(),
                content: value.get("content").map(content_blocks).unwrap_or_default(),
                is_error: f.flag("is_error"),
                cached,
            },
            "tool_reference" => Block::ToolReference {
                tool_name: f.string("tool_name").unwrap_or_default(),
                cached,
            },
            "container_upload" => Block::ContainerUpload {
                file_id: f.string("file_id").unwrap_or_default(),
                cached,
            },
            "fallback" => Block::Fallback {
                from: model_of(value.get("from")),
                to: model_of(value.get("to")),
            },
            "compaction" => Block::Compaction {
                content: f.string("content"),
                encrypted_bytes: f.string("encrypted_content").map_or(0, |e| e.len()),
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
            "document" => document(value),
            _ => match ServerTool::of_block_type(kind) {
                Some(tool) => Block::ServerToolResult {
                    tool_use_id: f.string("tool_use_id").unwrap_or_default(),
                    tool,
                    outcome: ServerOutcome::read(value.get("content")),
                    cached,
                },
                None => return Block::other(value),
            },
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
            | Block::McpToolUse { cached, .. }
            | Block::ToolResult { cached, .. }
            | Block::McpToolResult { cached, .. }
            | Block::ServerToolResult { cached, .. }
            | Block::ToolReference { cached, .. }
            | Block::ContainerUpload { cached, .. }
            | Block::Compaction { cached, .. }
            | Block::Image { cached, .. }
            | Block::Document { cached, .. } => *cached,
            Block::Thinking { .. } | Block::RedactedThinking { .. } | Block::Fallback { .. } => {
                false
            }
            Block::Other { value, .. } => has_cache_control(value),
        }
    }

    /// A tool call's input, for the kinds that have one: what a stream's
    /// `input_json_delta`s fill in.
    pub fn input_mut(&mut self) -> Option<&mut Value> {
        match self {
            Block::ToolUse { input, .. } | Block::McpToolUse { input, .. } => Some(input),
            _ => None,
        }
    }

    /// Thinking the API did not send (`display: "omitted"`): no text, only
    /// the signature that lets it be sent back.
    pub fn thinking_omitted(&self) -> bool {
        matches!(self, Block::Thinking { thinking, signature: Some(_), .. } if thinking.is_empty())
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

    fn number(&mut self, key: &str) -> Option<u64> {
        let field = self.present(key)?;
        let number = field.as_u64();
        self.mistyped |= number.is_none();
        number
    }

    /// A boolean that is true only when it says so; any other value reads
    /// as false rather than unmaking the block (an error flag is a fact about
    /// the block, not its shape).
    fn flag(&self, key: &str) -> bool {
        self.present(key).and_then(Value::as_bool) == Some(true)
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

/// A tool call's `input`: `{}` when absent or null, by the API's convention.
fn input_of(value: &Value) -> Value {
    value
        .get("input")
        .filter(|input| !input.is_null())
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()))
}

/// The `model` of a fallback hop (`{"model": ...}`).
fn model_of(hop: Option<&Value>) -> Option<String> {
    hop.and_then(|h| lax_string(h, "model"))
}

/// A document block: facts about its data, never the data.
pub(crate) fn document(value: &Value) -> Block {
    let SourceFacts { media_type, bytes } = SourceFacts::of(value);
    Block::Document {
        media_type,
        bytes,
        title: lax_string(value, "title"),
        cached: has_cache_control(value),
    }
}

/// A string field where the wrong type reads as absent (images, documents).
pub(crate) fn lax_string(value: &Value, key: &str) -> Option<String> {
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
