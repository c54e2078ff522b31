//! The facts a response message carries beside its content: why it stopped
//! (with a refusal's details), what context management cleared, and the
//! code-execution container it ran in. A whole body holds them at the top
//! level; a stream sends them in `message_delta` (the edits beside `delta`,
//! the rest inside it). Both are read here, by the same rules.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why the model stopped, for the reasons that need saying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    EndTurn,
    MaxTokens,
    StopSequence,
    ToolUse,
    /// A long-running turn paused; the client sends the answer back to go on.
    PauseTurn,
    /// A safety classifier stopped the answer.
    Refusal,
    ModelContextWindowExceeded,
}

/// Each reason as sent, and what it means where the name alone does not say.
const STOP_REASONS: [(StopReason, &str, Option<&str>); 7] = [
    (StopReason::EndTurn, "end_turn", None),
    (StopReason::MaxTokens, "max_tokens", None),
    (StopReason::StopSequence, "stop_sequence", None),
    (StopReason::ToolUse, "tool_use", None),
    (
        StopReason::PauseTurn,
        "pause_turn",
        Some("paused: a long-running turn the client sends back to continue"),
    ),
    (
        StopReason::Refusal,
        "refusal",
        Some("refused by a safety classifier"),
    ),
    (
        StopReason::ModelContextWindowExceeded,
        "model_context_window_exceeded",
        Some("the model's context window is full"),
    ),
];

impl StopReason {
    pub fn parse(reason: &str) -> Option<StopReason> {
        STOP_REASONS
            .iter()
            .find(|(_, wire, _)| *wire == reason)
            .map(|(known, _, _)| *known)
    }

    /// What the reason means, in a person's words, for the reasons whose
    /// name does not say it.
    pub fn meaning(self) -> Option<&'static str> {
        STOP_REASONS
            .iter()
            .find(|(known, _, _)| *known == self)
            .and_then(|(_, _, meaning)| *meaning)
    }
}

/// A stop reason as a person reads it: as sent, with its meaning where the
/// name alone does not say it.
pub fn describe_stop(reason: &str) -> String {
    match StopReason::parse(reason).and_then(StopReason::meaning) {
        Some(meaning) => format!("{reason} ({meaning})"),
        None => reason.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_stop_reasons_of_2026_say_what_they_mean() {
        assert_eq!(describe_stop("tool_use"), "tool_use");
        assert_eq!(describe_stop("brand_new"), "brand_new");
        assert!(describe_stop("pause_turn").contains("send"));
        assert!(describe_stop("refusal").contains("safety classifier"));
        assert!(describe_stop("model_context_window_exceeded").contains("context window is full"));
    }

    #[test]
    fn refusal_details_edits_and_containers_read_leniently() {
        let details = StopDetails::from_json(&json!({"type": "refusal", "category": null,
            "explanation": "Not this.", "recommended_model": "claude-sonnet-5-5"}))
        .unwrap();
        assert_eq!(details.category, None);
        assert_eq!(details.explanation.as_deref(), Some("Not this."));
        assert_eq!(StopDetails::from_json(&json!("refusal")), None);
        let edits = AppliedEdit::list_from(&json!({"applied_edits": [
            {"type": "clear_tool_uses_20250919", "cleared_tool_uses": 1},
            {"type": "clear_everything_2027", "gone": true},
        ]}));
        assert_eq!(edits[0].describe(), "cleared 1 tool uses");
        assert_eq!(
            edits[1].cleared,
            Cleared::Other {
                value: json!({"type": "clear_everything_2027", "gone": true})
            }
        );
        assert_eq!(AppliedEdit::list_from(&json!({"applied_edits": 3})), vec![]);
        assert_eq!(Container::from_json(&json!({"expires_at": "x"})), None);
    }
}

/// `stop_details` of a refusal.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct StopDetails {
    /// `type`: `refusal` today.
    pub kind: Option<String>,
    /// The policy category (`cyber`, `bio`, ...), `None` when unnamed.
    pub category: Option<String>,
    pub explanation: Option<String>,
    /// The model the API suggests retrying on, when it could not fall back.
    pub recommended_model: Option<String>,
}

impl StopDetails {
    /// `None` for a value that is not an object.
    pub fn from_json(value: &Value) -> Option<StopDetails> {
        value.as_object()?;
        Some(StopDetails {
            kind: string(value, "type"),
            category: string(value, "category"),
            explanation: string(value, "explanation"),
            recommended_model: string(value, "recommended_model"),
        })
    }
}

/// One edit context management applied to the prompt before the model saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedEdit {
    /// The edit's `type` (`clear_tool_uses_20250919`, ...).
    pub kind: String,
    pub cleared: Cleared,
    /// `cleared_input_tokens`: the prompt tokens the edit freed.
    pub tokens_freed: Option<u64>,
}

/// What an applied edit took out of the prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Cleared {
    ToolUses {
        count: u64,
    },
    ThinkingTurns {
        count: u64,
    },
    /// An edit kind this code does not know, as sent.
    Other {
        value: Value,
    },
}

impl AppliedEdit {
    /// The edits of a `context_management` object (`applied_edits`).
    pub fn list_from(context_management: &Value) -> Vec<AppliedEdit> {
        context_management
            .get("applied_edits")
            .and_then(Value::as_array)
            .map(|edits| edits.iter().map(AppliedEdit::from_json).collect())
            .unwrap_or_default()
    }

    fn from_json(edit: &Value) -> AppliedEdit {
        let count = |key: &str| edit.get(key).and_then(Value::as_u64);
        let cleared = match (count("cleared_tool_uses"), count("cleared_thinking_turns")) {
            (Some(count), _) => Cleared::ToolUses { count },
            (None, Some(count)) => Cleared::ThinkingTurns { count },
            (None, None) => Cleared::Other {
                value: edit.clone(),
            },
        };
        AppliedEdit {
            kind: string(edit, "type").unwrap_or_default(),
            cleared,
            tokens_freed: count("cleared_input_tokens"),
        }
    }

    /// "cleared 3 tool uses, freeing 12000 tokens".
    pub fn describe(&self) -> String {
        let what = match &self.cleared {
            Cleared::ToolUses { count } => format!("cleared {count} tool uses"),
            Cleared::ThinkingTurns { count } => format!("cleared {count} thinking turns"),
            Cleared::Other { value } => format!("{} {value}", self.kind),
        };
        match self.tokens_freed {
            Some(tokens) => format!("{what}, freeing {tokens} tokens"),
            None => what,
        }
    }
}

/// The code-execution container a response ran in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Container {
    pub id: String,
    /// As sent (an RFC 3339 time).
    pub expires_at: Option<String>,
}

impl Container {
    /// `None` for a value without a string `id`.
    pub fn from_json(value: &Value) -> Option<Container> {
        Some(Container {
            id: string(value, "id")?,
            expires_at: string(value, "expires_at"),
        })
    }
}

fn string(value: &Value, key: &str) -> Option<String> {
    value.get(key).and_then(Value::as_str).map(str::to_owned)
}
