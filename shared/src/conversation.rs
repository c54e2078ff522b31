//! A Messages API request body read as a conversation: system prompt, tools,
//! messages and the remaining parameters, typed for display.
//!
//! The reading is lenient: the body is whatever the client sent, so odd JSON
//! never fails the whole reading; what does not fit a known shape is kept as
//! [`Block::Other`] or left in [`Conversation::params`]. Blocks are read by
//! [`crate::anthropic::blocks`], as a response's are.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::anthropic::blocks::{content_blocks, has_cache_control};
pub use crate::anthropic::Block;

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Conversation {
    pub model: Option<String>,
    pub system: Vec<Block>,
    pub tools: Vec<Tool>,
    pub messages: Vec<Message>,
    /// Every other top-level key, in the order sent (max_tokens, temperature,
    /// thinking, tool_choice, metadata, stream, ...). `model`, `system`,
    /// `tools` or `messages` of an unexpected JSON type land here too, as sent.
    pub params: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Tool {
    /// Empty when the entry had no string `name`.
    pub name: String,
    pub description: Option<String>,
    /// The tool's `type`: set for server tools (`web_search_20250305`, ...)
    /// and for tools that say `custom` explicitly.
    pub kind: Option<String>,
    /// `input_schema`; for an entry that is not a JSON object, the entry itself.
    pub schema: Option<Value>,
    pub cached: bool,
    /// `defer_loading`: sent but kept out of the model's context until tool
    /// search (or a mid-conversation tool change) loads it.
    #[serde(default)]
    pub deferred: bool,
}

impl Tool {
    /// True for tools the API runs itself rather than the client.
    pub fn is_server(&self) -> bool {
        matches!(self.kind.as_deref(), Some(k) if k != "custom")
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// Empty when the message had no string `role`.
    pub role: String,
    pub blocks: Vec<Block>,
    /// The message's other keys, in order, as sent: per-turn settings such
    /// as Claude Code's `output_config` (beta per-turn-control), which must
    /// show rather than vanish.
    #[serde(default)]
    pub extra: Vec<(String, Value)>,
}

impl Conversation {
    pub fn from_request_body(body: &Value) -> Conversation {
        let mut conversation = Conversation::default();
        let Some(object) = body.as_object() else {
            return conversation;
        };
        for (key, value) in object {
            match (key.as_str(), value) {
                ("model", Value::String(model)) => conversation.model = Some(model.clone()),
                ("system", Value::Null) | ("tools", Value::Null) | ("messages", Value::Null) => {}
                ("system", Value::String(_) | Value::Array(_)) => {
                    conversation.system = content_blocks(value);
                }
                ("tools", Value::Array(tools)) => {
                    conversation.tools = tools.iter().map(tool).collect();
                }
                ("messages", Value::Array(messages)) => {
                    conversation.messages = messages.iter().map(message).collect();
                }
                _ => {
                    conversation.params.insert(key.clone(), value.clone());
                }
            }
        }
        conversation
    }
}

/// How the request asks the model to think, how hard to work, and what to
/// clear from its context: read from [`Conversation::params`], where the
/// values also stay as sent.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Settings {
    /// `thinking.type`: `enabled`, `adaptive`, `disabled`.
    pub thinking: Option<String>,
    /// `thinking.budget_tokens`.
    pub thinking_budget: Option<u64>,
    /// `thinking.display`: `summarized` or `omitted`.
    pub thinking_display: Option<String>,
    /// `output_config.effort`.
    pub effort: Option<String>,
    /// The `type` of each edit `context_management.edits` asks for.
    pub context_edits: Vec<String>,
}

impl Settings {
    /// Each setting the request made, as a person reads it.
    pub fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(mode) = &self.thinking {
            let mut line = format!("thinking: {mode}");
            if let Some(budget) = self.thinking_budget {
                line.push_str(&format!(", budget {budget} tokens"));
            }
            if let Some(display) = &self.thinking_display {
                line.push_str(&format!(", display {display}"));
            }
            lines.push(line);
        }
        if let Some(effort) = &self.effort {
            lines.push(format!("effort: {effort}"));
        }
        if !self.context_edits.is_empty() {
            lines.push(format!(
                "context management: {}",
                self.context_edits.join(", ")
            ));
        }
        lines
    }
}

impl Conversation {
    /// The thinking, effort and context-management settings sent.
    pub fn settings(&self) -> Settings {
        let param = |key: &str, field: &str| {
            self.params
                .get(key)
                .and_then(|v| v.get(field))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        Settings {
            thinking: param("thinking", "type"),
            thinking_budget: self
                .params
                .get("thinking")
                .and_then(|t| t.get("budget_tokens"))
                .and_then(Value::as_u64),
            thinking_display: param("thinking", "display"),
            effort: param("output_config", "effort"),
            context_edits: self
                .params
                .get("context_management")
                .and_then(|c| c.get("edits"))
                .and_then(Value::as_array)
                .map(|edits| {
                    edits
                        .iter()
                        .map(|e| string_field(e, "type").unwrap_or_else(|| e.to_string()))
                        .collect()
                })
                .unwrap_or_default(),
        }
    }
}

fn tool(value: &Value) -> Tool {
    let Some(object) = value.as_object() else {
        return Tool {
            name: String::new(),
            description: None,
            kind: None,
            schema: Some(value.clone()),
            cached: false,
            deferred: false,
        };
    };
    Tool {
        name: string_field(value, "name").unwrap_or_default(),
        description: string_field(value, "description"),
        kind: string_field(value, "type"),
        schema: object.get("input_schema").cloned(),
        cached: has_cache_control(value),
        deferred: value.get("defer_loading").and_then(Value::as_bool) == Some(true),
    }
}

fn message(value: &Value) -> Message {
    if !value.is_object() {
        return Message {
            role: String::new(),
            blocks: vec![Block::other(value)],
            extra: Vec::new(),
        };
    }
    let extra = value
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(key, _)| !matches!(key.as_str(), "role" | "content"))
        .map(|(key, v)| (key.clone(), v.clone()))
        .collect();
    Message {
        role: string_field(value, "role").unwrap_or_default(),
        blocks: value.get("content").map(content_blocks).unwrap_or_default(),
        extra,
    }
}

fn string_field(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}

#[cfg(test)]
mod tests;
