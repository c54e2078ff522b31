//! The beta `diagnostics` object of a message: the API's own word on why
//! the prompt cache could not reuse the prefix of the request named by the
//! request's `diagnostics.previous_message_id`.
//!
//! Shape (anthropic-sdk-python `types/beta/beta_diagnostics.py`):
//! `{"cache_miss_reason": {"type": "system_changed", "cache_missed_input_tokens": 1234}}`,
//! the type one of `model_changed`, `system_changed`, `tools_changed`,
//! `messages_changed`, `previous_message_not_found`, `unavailable`; the
//! reason is `null` while the API's comparison is still pending.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `diagnostics.cache_miss_reason` as the API sent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiCacheMiss {
    /// The reason's `type`, kept as sent so that a new one still shows.
    pub kind: String,
    /// Roughly how many input tokens would have been read from the cache
    /// had the prefix matched; sent with the `*_changed` kinds.
    #[serde(default)]
    pub cache_missed_input_tokens: Option<u64>,
}

impl ApiCacheMiss {
    /// The reason in a message object (a response body, or `message_start`'s
    /// `message`); `None` when it has none, it is pending, or it is not
    /// shaped like one.
    pub fn from_message(message: &Value) -> Option<ApiCacheMiss> {
        let reason = message.pointer("/diagnostics/cache_miss_reason")?;
        Some(ApiCacheMiss {
            kind: reason.get("type")?.as_str()?.to_owned(),
            cache_missed_input_tokens: reason
                .get("cache_missed_input_tokens")
                .and_then(Value::as_u64),
        })
    }

    /// What the API says, in words: `the system prompt changed`.
    pub fn describe(&self) -> String {
        let what = match self.kind.as_str() {
            "model_changed" => "the model changed",
            "system_changed" => "the system prompt changed",
            "tools_changed" => "the tools changed",
            "messages_changed" => "the messages changed",
            "previous_message_not_found" => "it could not find the previous message",
            "unavailable" => "no diagnosis is available",
            other => other,
        };
        match self.cache_missed_input_tokens {
            Some(n) => format!("{what} (about {n} tokens not read from the cache)"),
            None => what.to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_the_reason_and_leaves_odd_or_pending_ones_out() {
        let miss = ApiCacheMiss::from_message(&json!({"diagnostics":{"cache_miss_reason":
            {"type":"system_changed","cache_missed_input_tokens":4096}}}))
        .unwrap();
        assert_eq!(miss.kind, "system_changed");
        assert_eq!(miss.cache_missed_input_tokens, Some(4096));
        assert_eq!(
            miss.describe(),
            "the system prompt changed (about 4096 tokens not read from the cache)"
        );
        let odd = ApiCacheMiss::from_message(
            &json!({"diagnostics":{"cache_miss_reason":{"type":"brand_new"}}}),
        )
        .unwrap();
        assert_eq!(odd.describe(), "brand_new");
        for none in [
            json!({}),
            json!({"diagnostics": null}),
            json!({"diagnostics":{"cache_miss_reason": null}}),
            json!({"diagnostics":{"cache_miss_reason":{"type": 5}}}),
            json!("text"),
        ] {
            assert_eq!(ApiCacheMiss::from_message(&none), None, "{none}");
        }
    }
}
