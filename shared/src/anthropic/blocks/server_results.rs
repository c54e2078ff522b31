//! The results of tools the API runs itself: web search and fetch, code
//! execution (Python, bash, the text editor), tool search and the advisor.
//!
//! Every one is a block with a `tool_use_id` and a `content` that is either
//! an error object (`error_code`) or the tool's result; the result's shape is
//! told by its own `type`, so it is read by that, whichever block holds it.
//! A content of a shape not known here is kept as sent
//! ([`ServerOutcome::Unknown`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{document, lax_string, Block};

/// Which server tool a result block comes from, by its block `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerTool {
    WebSearch,
    WebFetch,
    CodeExecution,
    BashCodeExecution,
    TextEditorCodeExecution,
    ToolSearch,
    Advisor,
}

/// Each tool with the `type` of its result block: the one table both
/// directions read.
const BLOCK_TYPES: [(ServerTool, &str, &str); 7] = [
    (
        ServerTool::WebSearch,
        "web_search_tool_result",
        "web search",
    ),
    (ServerTool::WebFetch, "web_fetch_tool_result", "web fetch"),
    (
        ServerTool::CodeExecution,
        "code_execution_tool_result",
        "code execution",
    ),
    (
        ServerTool::BashCodeExecution,
        "bash_code_execution_tool_result",
        "bash (code execution)",
    ),
    (
        ServerTool::TextEditorCodeExecution,
        "text_editor_code_execution_tool_result",
        "text editor (code execution)",
    ),
    (
        ServerTool::ToolSearch,
        "tool_search_tool_result",
        "tool search",
    ),
    (ServerTool::Advisor, "advisor_tool_result", "advisor"),
];

impl ServerTool {
    /// The tool whose result block has `type` `kind`.
    pub fn of_block_type(kind: &str) -> Option<ServerTool> {
        BLOCK_TYPES
            .iter()
            .find(|(_, block_type, _)| *block_type == kind)
            .map(|(tool, _, _)| *tool)
    }

    /// The `type` of this tool's result block.
    pub fn block_type(self) -> &'static str {
        self.entry().1
    }

    /// What a person calls the tool.
    pub fn label(self) -> &'static str {
        self.entry().2
    }

    fn entry(self) -> &'static (ServerTool, &'static str, &'static str) {
        BLOCK_TYPES
            .iter()
            .find(|(tool, _, _)| *tool == self)
            .unwrap_or(&BLOCK_TYPES[0])
    }
}

/// What a server tool's `content` says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ServerOutcome {
    /// The tool failed (`*_tool_result_error`).
    Error {
        error_code: String,
    },
    WebSearch {
        results: Vec<WebSearchResult>,
    },
    /// `document` is a [`Block::Document`]: facts about the page, not the page.
    WebFetch {
        url: String,
        retrieved_at: Option<String>,
        document: Box<Block>,
    },
    /// Python or bash in the container.
    CodeExecution {
        stdout: String,
        stderr: String,
        return_code: i64,
        /// Files the run wrote, by file id.
        file_ids: Vec<String>,
    },
    /// The text editor showed a file.
    FileView {
        file_type: Option<String>,
        content: String,
    },
    /// The text editor replaced text: the lines around the change.
    FileEdit {
        lines: Vec<String>,
    },
    /// The tools tool search found, by name.
    ToolSearch {
        tool_names: Vec<String>,
    },
    Advisor {
        text: String,
        stop_reason: Option<String>,
    },
    /// The advisor's answer, sent only as opaque data.
    AdvisorRedacted {
        encrypted_bytes: usize,
        stop_reason: Option<String>,
    },
    /// A content of a shape this code does not know, as sent.
    Unknown {
        value: Value,
    },
}

/// One result of a web search. The page text itself travels only as
/// `encrypted_content`, of which the length is kept.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebSearchResult {
    pub title: String,
    pub url: String,
    pub page_age: Option<String>,
    pub encrypted_bytes: usize,
}

impl ServerOutcome {
    /// Reads a result block's `content`; never fails.
    pub fn read(content: Option<&Value>) -> ServerOutcome {
        let Some(content) = content else {
            return ServerOutcome::Unknown { value: Value::Null };
        };
        Self::typed(content).unwrap_or_else(|| ServerOutcome::Unknown {
            value: content.clone(),
        })
    }

    fn typed(content: &Value) -> Option<ServerOutcome> {
        if let Value::Array(items) = content {
            let results = items.iter().map(web_search_result).collect::<Option<_>>()?;
            return Some(ServerOutcome::WebSearch { results });
        }
        let kind = content.get("type")?.as_str()?;
        if kind.ends_with("_tool_result_error") {
            return Some(ServerOutcome::Error {
                error_code: string(content, "error_code")?,
            });
        }
        Some(match kind {
            "web_fetch_result" => ServerOutcome::WebFetch {
                url: string(content, "url")?,
                retrieved_at: optional_string(content, "retrieved_at")?,
                document: Box::new(document(content.get("content")?)),
            },
            "code_execution_result" | "bash_code_execution_result" => {
                ServerOutcome::CodeExecution {
                    stdout: string(content, "stdout")?,
                    stderr: string(content, "stderr")?,
                    return_code: content.get("return_code")?.as_i64()?,
                    file_ids: list(content, "content", |file| string(file, "file_id"))?,
                }
            }
            "text_editor_code_execution_view_result" => ServerOutcome::FileView {
                file_type: optional_string(content, "file_type")?,
                content: string(content, "content")?,
            },
            "text_editor_code_execution_str_replace_result" => ServerOutcome::FileEdit {
                lines: list(content, "lines", |line| line.as_str().map(str::to_owned))?,
            },
            "tool_search_tool_search_result" => ServerOutcome::ToolSearch {
                tool_names: list(content, "tool_references", |reference| {
                    string(reference, "tool_name")
                })?,
            },
            "advisor_result" => ServerOutcome::Advisor {
                text: string(content, "text")?,
                stop_reason: optional_string(content, "stop_reason")?,
            },
            "advisor_redacted_result" => ServerOutcome::AdvisorRedacted {
                encrypted_bytes: string(content, "encrypted_content")?.len(),
                stop_reason: optional_string(content, "stop_reason")?,
            },
            _ => return None,
        })
    }
}

fn web_search_result(item: &Value) -> Option<WebSearchResult> {
    if item.get("type")?.as_str()? != "web_search_result" {
        return None;
    }
    Some(WebSearchResult {
        title: optional_string(item, "title")?.unwrap_or_default(),
        url: string(item, "url")?,
        page_age: optional_string(item, "page_age")?,
        encrypted_bytes: optional_string(item, "encrypted_content")?.map_or(0, |e| e.len()),
    })
}

/// A required string.
fn string(value: &Value, key: &str) -> Option<String> {
    lax_string(value, key)
}

/// `Some(None)` when absent or null, `None` (not this shape) when mistyped.
fn optional_string(value: &Value, key: &str) -> Option<Option<String>> {
    match value.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(text)) => Some(Some(text.clone())),
        Some(_) => None,
    }
}

/// An array field, absent meaning empty, each item read by `item`.
fn list<T>(value: &Value, key: &str, item: impl Fn(&Value) -> Option<T>) -> Option<Vec<T>> {
    match value.get(key) {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Array(items)) => items.iter().map(item).collect(),
        Some(_) => None,
    }
}
