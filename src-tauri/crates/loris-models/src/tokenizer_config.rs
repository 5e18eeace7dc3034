//! tokenizer_config.json: the special-token strings and the chat template(s).

use std::path::Path;

use serde_json::Value;

use crate::error::{ModelError, Result};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TokenizerConfig {
    pub bos_token: Option<String>,
    pub eos_token: Option<String>,
    pub pad_token: Option<String>,
    pub unk_token: Option<String>,
    /// `chat_template`: a single template, or named ones (`default`, `tool_use`, ...).
    pub chat_templates: Vec<(String, String)>,
}

impl TokenizerConfig {
    pub fn from_file(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| ModelError::io("read", path, e))?;
        let value: Value = serde_json::from_slice(&bytes)
            .map_err(|e| ModelError::tokenizer(format!("{} is not JSON: {e}", path.display())))?;
        Self::from_value(&value)
            .map_err(|reason| ModelError::tokenizer(format!("{}: {reason}", path.display())))
    }

    pub fn from_value(value: &Value) -> Result<Self, String> {
        let obj = value.as_object().ok_or("not a JSON object")?;
        let token = |key: &str| -> Option<String> {
            match obj.get(key)? {
                Value::String(s) => Some(s.clone()),
                // Older files store an AddedToken: {"content": "<s>", "lstrip": false, ...}
                Value::Object(o) => o.get("content")?.as_str().map(str::to_owned),
                _ => None,
            }
        };
        let chat_templates = match obj.get("chat_template") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::String(s)) => vec![("default".to_owned(), s.clone())],
            Some(Value::Array(list)) => list
                .iter()
                .map(|t| {
                    let name = t.get("name").and_then(Value::as_str);
                    let template = t.get("template").and_then(Value::as_str);
                    match (name, template) {
                        (Some(n), Some(t)) => Ok((n.to_owned(), t.to_owned())),
                        _ => Err("chat_template entries need a name and a template".to_owned()),
                    }
                })
                .collect::<Result<_, _>>()?,
            Some(_) => return Err("chat_template is neither a string nor a list".to_owned()),
        };
        Ok(TokenizerConfig {
            bos_token: token("bos_token"),
            eos_token: token("eos_token"),
            pad_token: token("pad_token"),
            unk_token: token("unk_token"),
            chat_templates,
        })
    }

    /// The template to use: `tool_use` when tools are given and the file has one, else
    /// `default` (or the only one).
    pub fn chat_template(&self, with_tools: bool) -> Option<&str> {
        let named = |name: &str| {
            self.chat_templates
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, t)| t.as_str())
        };
        if with_tools && let Some(t) = named("tool_use") {
            return Some(t);
        }
        named("default").or_else(|| self.chat_templates.first().map(|(_, t)| t.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_added_token_objects_and_named_templates() {
        let c = TokenizerConfig::from_value(&json!({
            "bos_token": {"content": "<s>", "lstrip": false},
            "eos_token": "</s>",
            "chat_template": [{"name": "default", "template": "D"}, {"name": "tool_use", "template": "T"}]
        }))
        .unwrap();
        assert_eq!(c.bos_token.as_deref(), Some("<s>"));
        assert_eq!(c.chat_template(false), Some("D"));
        assert_eq!(c.chat_template(true), Some("T"));
    }
}
