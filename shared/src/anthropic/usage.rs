//! The `usage` object: token counts of one Messages call, as a message body
//! or `message_start` gives them and `message_delta` updates them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Token counts of one Messages call, as the API's `usage` object gives them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_read_input_tokens: u64,
    /// All cache writes, whatever their lifetime (the API's own total).
    pub cache_creation_input_tokens: u64,
    /// The part of `cache_creation_input_tokens` written with the 1-hour
    /// lifetime (`usage.cache_creation.ephemeral_1h_input_tokens`): it is
    /// priced higher than the 5-minute writes, so it must be told apart.
    #[serde(default)]
    pub cache_creation_1h_input_tokens: u64,
    /// Server-side web searches (`usage.server_tool_use.web_search_requests`),
    /// billed per search on top of tokens.
    #[serde(default)]
    pub web_search_requests: u64,
}

impl Usage {
    /// Reads an API `usage` object; `None` when it is not an object.
    /// Missing or mistyped counts read as 0.
    pub fn from_json(usage: &Value) -> Option<Usage> {
        let mut read = Usage::default();
        read.update_from_json(usage).then_some(read)
    }

    /// Overwrites the counts present in an API `usage` object, keeping the
    /// others: `message_delta` repeats only some of them. Returns false (and
    /// changes nothing) when `usage` is not an object.
    pub fn update_from_json(&mut self, usage: &Value) -> bool {
        if !usage.is_object() {
            return false;
        }
        let fields = [
            ("/input_tokens", &mut self.input_tokens),
            ("/output_tokens", &mut self.output_tokens),
            (
                "/cache_read_input_tokens",
                &mut self.cache_read_input_tokens,
            ),
            (
                "/cache_creation_input_tokens",
                &mut self.cache_creation_input_tokens,
            ),
            (
                "/cache_creation/ephemeral_1h_input_tokens",
                &mut self.cache_creation_1h_input_tokens,
            ),
            (
                "/server_tool_use/web_search_requests",
                &mut self.web_search_requests,
            ),
        ];
        for (pointer, count) in fields {
            if let Some(n) = usage.pointer(pointer).and_then(Value::as_u64) {
                *count = n;
            }
        }
        true
    }

    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_read_input_tokens += other.cache_read_input_tokens;
        self.cache_creation_input_tokens += other.cache_creation_input_tokens;
        self.cache_creation_1h_input_tokens += other.cache_creation_1h_input_tokens;
        self.web_search_requests += other.web_search_requests;
    }

    /// Every prompt token, whether read from the cache, written to it or neither.
    pub fn total_input_tokens(&self) -> u64 {
        self.input_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens
    }
}

/// Lays a `message_delta`'s `usage` over the usage so far, as JSON, keeping
/// every key (also those [`Usage`] does not type): the delta's counts are
/// cumulative, so a key it repeats replaces the earlier value. A null
/// update changes nothing; anything but two objects takes the update whole.
pub fn merge_json(total: &mut Option<Value>, update: &Value) {
    if update.is_null() {
        return;
    }
    match (total, update) {
        (Some(Value::Object(total)), Value::Object(update)) => {
            for (key, value) in update {
                total.insert(key.clone(), value.clone());
            }
        }
        (total, _) => *total = Some(update.clone()),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::test_support::usage;

    #[test]
    fn usage_reads_and_merges_api_objects() {
        assert_eq!(Usage::from_json(&json!("x")), None);
        assert_eq!(Usage::from_json(&json!({})), Some(Usage::default()));
        let mut u = Usage::from_json(&json!({
            "input_tokens":10,"output_tokens":1,"cache_read_input_tokens":20,"cache_creation_input_tokens":30,
            "cache_creation":{"ephemeral_5m_input_tokens":18,"ephemeral_1h_input_tokens":12}}))
        .unwrap();
        assert_eq!(u.cache_creation_1h_input_tokens, 12);
        // message_delta's usage: only what it says changes.
        assert!(u.update_from_json(&json!({"output_tokens":99})));
        assert_eq!(
            u,
            Usage {
                cache_creation_1h_input_tokens: 12,
                ..usage(10, 99, 20, 30)
            }
        );
        assert!(!u.update_from_json(&json!([1, 2])));
        assert_eq!(u.output_tokens, 99);

        let mut sum = usage(1, 2, 3, 4);
        sum.add(&Usage {
            cache_creation_1h_input_tokens: 5,
            web_search_requests: 6,
            ..usage(10, 20, 30, 40)
        });
        assert_eq!(
            sum,
            Usage {
                cache_creation_1h_input_tokens: 5,
                web_search_requests: 6,
                ..usage(11, 22, 33, 44)
            }
        );
        assert_eq!(sum.total_input_tokens(), 11 + 33 + 44);
    }

    #[test]
    fn server_tool_use_and_mistyped_counts() {
        let u = Usage::from_json(&json!({
            "input_tokens": "ten", "output_tokens": 3,
            "server_tool_use": {"web_search_requests": 2}}))
        .unwrap();
        assert_eq!(
            u,
            Usage {
                web_search_requests: 2,
                ..usage(0, 3, 0, 0)
            }
        );
    }

    #[test]
    fn merged_json_keeps_untyped_keys_and_takes_later_counts() {
        let mut total = None;
        merge_json(&mut total, &json!(null));
        assert_eq!(total, None);
        merge_json(
            &mut total,
            &json!({"input_tokens": 10, "output_tokens": 1, "service_tier": "standard"}),
        );
        merge_json(&mut total, &json!({"output_tokens": 42}));
        merge_json(&mut total, &json!(null));
        assert_eq!(
            total,
            Some(json!({"input_tokens": 10, "output_tokens": 42, "service_tier": "standard"}))
        );
        merge_json(&mut total, &json!(7));
        assert_eq!(total, Some(json!(7)));
    }
}
