//! The `usage` object: token counts of one Messages call, as a message body
//! or `message_start` gives them and `message_delta` updates them, plus the
//! tags that say how the call ran (speed, service tier, inference region),
//! because those change what its tokens cost.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Token counts of one Messages call, as the API's `usage` object gives them.
///
/// Logs written before a field existed read as before: a count the API did
/// not send is 0, a tag it did not send is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
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
    /// Server-side web fetches (`usage.server_tool_use.web_fetch_requests`):
    /// free beyond the tokens of what they fetched, counted to be shown.
    #[serde(default)]
    pub web_fetch_requests: u64,
    /// Output tokens spent on reasoning
    /// (`usage.output_tokens_details.thinking_tokens`); already part of
    /// `output_tokens`, which is what is billed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thinking_tokens: Option<u64>,
    /// The tier that served the call (`usage.service_tier`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_tier: Option<ServiceTier>,
    /// Where inference ran (`usage.inference_geo`); US-only costs more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_geo: Option<InferenceGeo>,
    /// The speed the call ran at (`usage.speed`); fast mode costs more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed: Option<Speed>,
    /// How many sampling iterations the call made (entries of
    /// `usage.iterations`, sent when server tools or compaction looped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iterations: Option<u32>,
}

/// A string-valued tag of the usage object as a closed set of the values the
/// API documents, plus `Other` for one it adds later: kept (and shown), but
/// never mistaken for a known one.
macro_rules! usage_tag {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(from = "String", into = "String")]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this build does not know.
            Other(String),
        }

        impl $name {
            /// The value as the API writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $($name::$variant => $wire,)+
                    $name::Other(text) => text,
                }
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                match text.as_str() {
                    $($wire => $name::$variant,)+
                    _ => $name::Other(text),
                }
            }
        }

        impl From<$name> for String {
            fn from(tag: $name) -> String {
                tag.as_str().to_owned()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

usage_tag! {
    /// `usage.speed`: fast mode bills its own, higher rates.
    Speed { Standard = "standard", Fast = "fast" }
}

usage_tag! {
    /// `usage.service_tier`.
    ServiceTier { Standard = "standard", Priority = "priority", Batch = "batch" }
}

usage_tag! {
    /// `usage.inference_geo`: `us` (US-only inference) is billed at a
    /// multiple of the standard rates; `global` is the default.
    InferenceGeo { Global = "global", Us = "us" }
}

impl Usage {
    /// Reads an API `usage` object; `None` when it is not an object.
    /// Missing or mistyped counts read as 0.
    pub fn from_json(usage: &Value) -> Option<Usage> {
        let mut read = Usage::default();
        read.update_from_json(usage).then_some(read)
    }

    /// Overwrites the counts and tags present in an API `usage` object,
    /// keeping the others: `message_delta` repeats only some of them.
    /// Returns false (and changes nothing) when `usage` is not an object.
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
            (
                "/server_tool_use/web_fetch_requests",
                &mut self.web_fetch_requests,
            ),
        ];
        for (pointer, count) in fields {
            if let Some(n) = count_at(usage, pointer) {
                *count = n;
            }
        }
        // The breakdown without the total: the total is its sum.
        if count_at(usage, "/cache_creation_input_tokens").is_none() {
            let five = count_at(usage, "/cache_creation/ephemeral_5m_input_tokens");
            let hour = count_at(usage, "/cache_creation/ephemeral_1h_input_tokens");
            if five.is_some() || hour.is_some() {
                self.cache_creation_input_tokens = five.unwrap_or(0) + hour.unwrap_or(0);
            }
        }
        if let Some(n) = count_at(usage, "/output_tokens_details/thinking_tokens") {
            self.thinking_tokens = Some(n);
        }
        let tag = |name: &str| usage.get(name).and_then(Value::as_str).map(str::to_owned);
        if let Some(t) = tag("service_tier") {
            self.service_tier = Some(t.into());
        }
        if let Some(t) = tag("inference_geo") {
            self.inference_geo = Some(t.into());
        }
        if let Some(t) = tag("speed") {
            self.speed = Some(t.into());
        }
        if let Some(list) = usage.get("iterations").and_then(Value::as_array) {
            self.iterations = u32::try_from(list.len()).ok();
        }
        true
    }

    /// Adds another call's counts. Tags say how one call ran, so a sum keeps
    /// a tag only where both calls agree on it.
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_read_input_tokens += other.cache_read_input_tokens;
        self.cache_creation_input_tokens += other.cache_creation_input_tokens;
        self.cache_creation_1h_input_tokens += other.cache_creation_1h_input_tokens;
        self.web_search_requests += other.web_search_requests;
        self.web_fetch_requests += other.web_fetch_requests;
        self.thinking_tokens = match (self.thinking_tokens, other.thinking_tokens) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        self.iterations = match (self.iterations, other.iterations) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        };
        if self.service_tier != other.service_tier {
            self.service_tier = None;
        }
        if self.inference_geo != other.inference_geo {
            self.inference_geo = None;
        }
        if self.speed != other.speed {
            self.speed = None;
        }
    }

    /// Every prompt token, whether read from the cache, written to it or neither.
    pub fn total_input_tokens(&self) -> u64 {
        self.input_tokens + self.cache_read_input_tokens + self.cache_creation_input_tokens
    }

    /// Cache writes with the 1-hour lifetime, never more than all writes
    /// (a hand-made or odd log may say otherwise).
    pub fn cache_writes_1h(&self) -> u64 {
        self.cache_creation_1h_input_tokens
            .min(self.cache_creation_input_tokens)
    }

    /// Cache writes with the 5-minute lifetime: the writes that are not 1-hour ones.
    pub fn cache_writes_5m(&self) -> u64 {
        self.cache_creation_input_tokens - self.cache_writes_1h()
    }

    /// Whether the call ran in fast mode.
    pub fn is_fast(&self) -> bool {
        self.speed == Some(Speed::Fast)
    }
}

fn count_at(usage: &Value, pointer: &str) -> Option<u64> {
    usage.pointer(pointer).and_then(Value::as_u64)
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
    fn todays_usage_fields_are_read_and_message_delta_keeps_them() {
        // As message_start sends it in 2026 (Opus 5.5, fast, US-only).
        let mut u = Usage::from_json(&json!({
            "input_tokens": 12, "output_tokens": 1,
            "cache_read_input_tokens": 3000, "cache_creation_input_tokens": 500,
            "cache_creation": {"ephemeral_5m_input_tokens": 200, "ephemeral_1h_input_tokens": 300},
            "service_tier": "standard", "inference_geo": "us", "speed": "fast",
            "server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 2}}))
        .unwrap();
        assert_eq!(u.cache_writes_5m(), 200);
        assert_eq!(u.cache_writes_1h(), 300);
        assert_eq!(u.service_tier, Some(ServiceTier::Standard));
        assert_eq!(u.inference_geo, Some(InferenceGeo::Us));
        assert!(u.is_fast());
        assert_eq!((u.web_search_requests, u.web_fetch_requests), (1, 2));
        // The final message_delta: counts change, tags stay.
        assert!(u.update_from_json(&json!({
            "output_tokens": 900, "output_tokens_details": {"thinking_tokens": 600},
            "iterations": [{"type": "message"}, {"type": "compaction"}]})));
        assert_eq!(u.output_tokens, 900);
        assert_eq!(u.thinking_tokens, Some(600));
        assert_eq!(u.iterations, Some(2));
        assert_eq!(u.speed, Some(Speed::Fast));
        // A breakdown without the total sums to it.
        let u = Usage::from_json(&json!({"cache_creation": {"ephemeral_5m_input_tokens": 7, "ephemeral_1h_input_tokens": 5}})).unwrap();
        assert_eq!(u.cache_creation_input_tokens, 12);
        assert_eq!(u.cache_writes_1h(), 5);
    }

    #[test]
    fn an_unknown_tag_is_kept_and_not_taken_for_a_known_one() {
        let u = Usage::from_json(
            &json!({"speed": "turbo", "inference_geo": "eu", "service_tier": "priority"}),
        )
        .unwrap();
        assert_eq!(u.speed, Some(Speed::Other("turbo".into())));
        assert!(!u.is_fast());
        assert_eq!(
            u.inference_geo.as_ref().map(InferenceGeo::as_str),
            Some("eu")
        );
        assert_eq!(u.service_tier, Some(ServiceTier::Priority));
        // Tags travel as the API's strings (the browser reads them so).
        let text = serde_json::to_value(&u).unwrap();
        assert_eq!(text["speed"], "turbo");
        assert_eq!(text["service_tier"], "priority");
        assert_eq!(serde_json::from_value::<Usage>(text).unwrap(), u);
    }

    #[test]
    fn a_usage_serialized_before_the_new_fields_reads_as_before() {
        let old = json!({"input_tokens": 1, "output_tokens": 2,
            "cache_read_input_tokens": 3, "cache_creation_input_tokens": 4});
        let u: Usage = serde_json::from_value(old).unwrap();
        assert_eq!(u, usage(1, 2, 3, 4));
        assert_eq!(
            (u.speed, u.inference_geo, u.thinking_tokens),
            (None, None, None)
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
