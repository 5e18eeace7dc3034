//! The messages a template sees, prepared the way transformers' `apply_chat_template` prepares
//! them, so that the same conversation renders to the same text.

use serde_json::{Map, Value as Json};

/// Names a message's reasoning arrives under, in transformers' order of preference. Templates
/// read `reasoning_content` (Qwen 3) or `thinking` (gpt-oss).
const REASONING_FIELDS: [&str; 3] = ["reasoning_content", "thinking", "reasoning"];

/// Each message as the template receives it:
/// - keys whose value is null are dropped: OpenAI clients send `"content": null` or
///   `"tool_calls": null`, and templates test whether a key is defined, not whether it is none;
/// - a reasoning text under any of [`REASONING_FIELDS`] is also given as `thinking` (first, unless
///   the message has its own) and as `reasoning_content`.
pub(super) fn prepare(messages: &[Json]) -> Vec<Json> {
    messages.iter().map(prepare_one).collect()
}

fn prepare_one(message: &Json) -> Json {
    let Json::Object(fields) = message else {
        return message.clone();
    };
    let present: Map<String, Json> = fields
        .iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let Some(reasoning) = REASONING_FIELDS
        .iter()
        .find_map(|key| present.get(*key))
        .cloned()
    else {
        return Json::Object(present);
    };
    // Python's `{"thinking": r, **message, "reasoning_content": r}`: key order included, since a
    // template may print a whole message with `tojson`.
    let mut out = Map::new();
    out.insert("thinking".to_owned(), reasoning.clone());
    for (k, v) in present {
        out.insert(k, v);
    }
    out.insert("reasoning_content".to_owned(), reasoning);
    Json::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn keys(v: &Json) -> Vec<&str> {
        v.as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default()
    }

    #[test]
    fn null_fields_are_dropped() {
        let out = prepare(&[json!({"role": "assistant", "content": null, "tool_calls": null})]);
        assert_eq!(out, vec![json!({"role": "assistant"})]);
    }

    #[test]
    fn reasoning_is_aliased_in_pythons_key_order() {
        let out = prepare(&[json!({"role": "assistant", "content": "4", "reasoning": "2+2"})]);
        assert_eq!(
            keys(&out[0]),
            [
                "thinking",
                "role",
                "content",
                "reasoning",
                "reasoning_content"
            ]
        );
        assert_eq!(out[0]["thinking"], "2+2");
        assert_eq!(out[0]["reasoning_content"], "2+2");
    }

    #[test]
    fn reasoning_content_wins_and_an_own_thinking_keeps_its_value() {
        let out =
            prepare(&[json!({"role": "assistant", "thinking": "t", "reasoning_content": "r"})]);
        assert_eq!(keys(&out[0]), ["thinking", "role", "reasoning_content"]);
        assert_eq!(out[0]["thinking"], "t");
        assert_eq!(out[0]["reasoning_content"], "r");
    }

    #[test]
    fn null_reasoning_is_no_reasoning() {
        let out = prepare(&[json!({"role": "user", "content": "hi", "reasoning_content": null})]);
        assert_eq!(out, vec![json!({"role": "user", "content": "hi"})]);
    }
}
