//! Tool calls in a model's output text, in the formats the supported chat templates teach:
//!
//! - Qwen / Hermes: `<tool_call>{"name": ..., "arguments": {...}}</tool_call>`, possibly several;
//! - Llama 3.x: the whole reply is `{"name": ..., "parameters": {...}}` (or a list of them),
//!   optionally after `<|python_tag|>`;
//! - Mistral: `[TOOL_CALLS][{"name": ..., "arguments": {...}}, ...]` (the tag is a special token
//!   and is often already stripped by decoding, so the bare list is accepted too).
//!
//! Text that does not parse stays content: a malformed call is shown, never dropped.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ToolCallFormat {
    Qwen,
    Llama3,
    Mistral,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCall {
    pub name: String,
    /// The arguments object (`arguments` or `parameters` in the model's output).
    pub arguments: Value,
}

/// The parsed reply: text meant for the user, and the calls.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ParsedReply {
    pub content: String,
    pub tool_calls: Vec<ToolCall>,
}

impl ToolCallFormat {
    /// The format a chat template teaches, from the markers it prints.
    pub fn detect(template_source: &str) -> Option<Self> {
        if template_source.contains("<tool_call>") {
            Some(ToolCallFormat::Qwen)
        } else if template_source.contains("[TOOL_CALLS]") {
            Some(ToolCallFormat::Mistral)
        } else if template_source.contains("<|python_tag|>")
            || (template_source.contains("<|start_header_id|>")
                && template_source.contains("\"parameters\""))
        {
            Some(ToolCallFormat::Llama3)
        } else {
            None
        }
    }

    pub fn parse(self, text: &str) -> ParsedReply {
        match self {
            ToolCallFormat::Qwen => parse_qwen(text),
            ToolCallFormat::Llama3 => {
                let body = text.trim().trim_start_matches("<|python_tag|>").trim();
                whole_reply_calls(body).unwrap_or_else(|| content_only(text))
            }
            ToolCallFormat::Mistral => {
                let body = text.trim().trim_start_matches("[TOOL_CALLS]").trim();
                whole_reply_calls(body).unwrap_or_else(|| content_only(text))
            }
        }
    }
}

fn content_only(text: &str) -> ParsedReply {
    ParsedReply {
        content: text.to_owned(),
        tool_calls: Vec::new(),
    }
}

fn parse_qwen(text: &str) -> ParsedReply {
    const OPEN: &str = "<tool_call>";
    const CLOSE: &str = "</tool_call>";
    let mut content = String::new();
    let mut calls = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        let after = &rest[start + OPEN.len()..];
        // An unterminated block (generation cut off) runs to the end.
        let (body, next) = match after.find(CLOSE) {
            Some(end) => (&after[..end], &after[end + CLOSE.len()..]),
            None => (after, ""),
        };
        match serde_json::from_str::<Value>(body.trim())
            .ok()
            .and_then(|v| call_from(&v))
        {
            Some(call) => {
                content.push_str(&rest[..start]);
                calls.push(call);
            }
            None => content.push_str(&rest[..rest.len() - next.len()]),
        }
        rest = next;
    }
    content.push_str(rest);
    ParsedReply {
        content: content.trim().to_owned(),
        tool_calls: calls,
    }
}

/// The whole reply as one call object or a list of them.
fn whole_reply_calls(body: &str) -> Option<ParsedReply> {
    if !(body.starts_with('{') || body.starts_with('[')) {
        return None;
    }
    let value: Value = serde_json::from_str(body).ok()?;
    let calls = match &value {
        Value::Array(items) => items.iter().map(call_from).collect::<Option<Vec<_>>>()?,
        single => vec![call_from(single)?],
    };
    (!calls.is_empty()).then(|| ParsedReply {
        content: String::new(),
        tool_calls: calls,
    })
}

fn call_from(v: &Value) -> Option<ToolCall> {
    let name = v.get("name")?.as_str()?.to_owned();
    let arguments = match v.get("arguments").or_else(|| v.get("parameters")) {
        None | Some(Value::Null) => Value::Object(Default::default()),
        // Some models emit the arguments as a JSON string.
        Some(Value::String(s)) => serde_json::from_str(s).ok()?,
        Some(other) => other.clone(),
    };
    Some(ToolCall { name, arguments })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn qwen_calls_are_extracted_and_text_kept() {
        let text = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n<tool_call>\n{\"name\": \"now\"}\n</tool_call>";
        let r = ToolCallFormat::Qwen.parse(text);
        assert_eq!(r.content, "Let me check.");
        assert_eq!(r.tool_calls.len(), 2);
        assert_eq!(r.tool_calls[0].arguments, json!({"city": "Paris"}));
        assert_eq!(r.tool_calls[1].arguments, json!({}));
        // Malformed JSON stays visible.
        let r = ToolCallFormat::Qwen.parse("<tool_call>{oops</tool_call>");
        assert!(r.tool_calls.is_empty());
        assert_eq!(r.content, "<tool_call>{oops</tool_call>");
    }

    #[test]
    fn llama_and_mistral_replies() {
        let r = ToolCallFormat::Llama3
            .parse("{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}");
        assert_eq!(r.tool_calls[0].name, "get_weather");
        assert_eq!(r.tool_calls[0].arguments, json!({"city": "Paris"}));
        assert_eq!(
            ToolCallFormat::Llama3.parse("Paris is sunny.").content,
            "Paris is sunny."
        );
        let r = ToolCallFormat::Mistral
            .parse("[TOOL_CALLS][{\"name\": \"a\", \"arguments\": \"{\\\"x\\\": 1}\"}]");
        assert_eq!(r.tool_calls[0].arguments, json!({"x": 1}));
        let r = ToolCallFormat::Mistral.parse("[{\"name\": \"a\", \"arguments\": {}}]");
        assert_eq!(r.tool_calls.len(), 1);
    }

    #[test]
    fn formats_are_detected_from_templates() {
        assert_eq!(
            ToolCallFormat::detect("{{ '<tool_call>' }}"),
            Some(ToolCallFormat::Qwen)
        );
        assert_eq!(
            ToolCallFormat::detect("[TOOL_CALLS]"),
            Some(ToolCallFormat::Mistral)
        );
        assert_eq!(ToolCallFormat::detect("{{ x }}"), None);
    }
}
