//! Chat templates: the Jinja templates shipped in tokenizer_config.json, chat_template.jinja or
//! GGUF `tokenizer.chat_template`, rendered with minijinja the way transformers renders them
//! (`trim_blocks`, `lstrip_blocks`, loop controls, Python string/dict methods through
//! minijinja-contrib's pycompat, `raise_exception`, `strftime_now`, Python-style `tojson`).

mod messages;
mod pyjson;

use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind};
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::error::{ModelError, Result};

pub use pyjson::to_python_json;

const TEMPLATE_NAME: &str = "chat";

/// The special-token strings a template may print (`bos_token`, `eos_token`, ...).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SpecialTokens {
    pub bos_token: Option<String>,
    pub eos_token: Option<String>,
    pub pad_token: Option<String>,
    pub unk_token: Option<String>,
}

/// What to render: OpenAI-style messages (`role`, `content` as a string or a list of parts,
/// `tool_calls`, ...), passed to the template as transformers passes them (null fields dropped,
/// reasoning also under `thinking` and `reasoning_content`).
#[derive(Debug, Clone, Default)]
pub struct ChatRequest {
    pub messages: Vec<Json>,
    /// Tool definitions (`{"type": "function", "function": {...}}`).
    pub tools: Option<Vec<Json>>,
    /// Append the header of the assistant's next turn.
    pub add_generation_prompt: bool,
    /// Qwen 3-style switch; left undefined in the template when `None`.
    pub enable_thinking: Option<bool>,
    /// Any further template variables, like `apply_chat_template`'s keyword arguments
    /// (`documents`, `date_string`, ...); they override the special tokens.
    pub extra: Map<String, Json>,
}

impl ChatRequest {
    /// One user message, with the generation prompt: what `loris generate --chat` renders.
    pub fn single_user(content: &str) -> Self {
        ChatRequest {
            messages: vec![message("user", content)],
            add_generation_prompt: true,
            ..Default::default()
        }
    }
}

/// `{"role": role, "content": content}`.
pub fn message(role: &str, content: &str) -> Json {
    serde_json::json!({ "role": role, "content": content })
}

pub struct ChatTemplate {
    env: Environment<'static>,
    source: String,
    special: SpecialTokens,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate")
            .field("special", &self.special)
            .finish_non_exhaustive()
    }
}

impl Clone for ChatTemplate {
    fn clone(&self) -> Self {
        // Compiling succeeded once for the same source, so it succeeds again.
        match ChatTemplate::new(self.source.clone(), self.special.clone()) {
            Ok(t) => t,
            Err(_) => unreachable!("a compiled template recompiles"),
        }
    }
}

impl ChatTemplate {
    /// Compiles `source`; a syntax error is `template_syntax`.
    pub fn new(source: impl Into<String>, special: SpecialTokens) -> Result<Self> {
        let source = source.into();
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_function("strftime_now", strftime_now);
        env.add_filter("tojson", pyjson::tojson);
        env.add_template_owned(TEMPLATE_NAME, source.clone())
            .map_err(|e| ModelError::TemplateSyntax(describe(&e)))?;
        Ok(ChatTemplate {
            env,
            source,
            special,
        })
    }

    /// Compiles `source` and renders a probe conversation, so that a user-supplied override is
    /// rejected before a model is run with it.
    pub fn new_validated(source: impl Into<String>, special: SpecialTokens) -> Result<Self> {
        let template = Self::new(source, special)?;
        let probe = ChatRequest {
            messages: vec![
                message("user", "Hello"),
                message("assistant", "Hi! How can I help?"),
                message("user", "What is 2 + 2?"),
            ],
            add_generation_prompt: true,
            ..Default::default()
        };
        let text = template.render(&probe)?;
        if !text.contains("What is 2 + 2?") {
            return Err(ModelError::Template(
                "the template does not print the messages' content".to_owned(),
            ));
        }
        Ok(template)
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    pub fn special_tokens(&self) -> &SpecialTokens {
        &self.special
    }

    /// Renders the prompt text. Errors, including `raise_exception(...)` from the template, are
    /// `template_error`.
    pub fn render(&self, request: &ChatRequest) -> Result<String> {
        let mut ctx: Map<String, Json> = Map::new();
        // Like transformers: special tokens first, so explicit variables can override them. A
        // token the tokenizer does not have stays undefined (printed as nothing), not none
        // (printed as "None").
        let special = &self.special;
        for (name, token) in [
            ("bos_token", &special.bos_token),
            ("eos_token", &special.eos_token),
            ("pad_token", &special.pad_token),
            ("unk_token", &special.unk_token),
        ] {
            if let Some(token) = token {
                ctx.insert(name.into(), Json::String(token.clone()));
            }
        }
        // transformers always passes `documents`, none unless the caller gives some.
        ctx.insert("documents".into(), Json::Null);
        for (k, v) in &request.extra {
            ctx.insert(k.clone(), v.clone());
        }
        ctx.insert(
            "messages".into(),
            Json::Array(messages::prepare(&request.messages)),
        );
        // transformers passes `tools=None` when there are none: defined, but falsy.
        ctx.insert(
            "tools".into(),
            request.tools.clone().map_or(Json::Null, Json::Array),
        );
        ctx.insert(
            "add_generation_prompt".into(),
            Json::Bool(request.add_generation_prompt),
        );
        if let Some(thinking) = request.enable_thinking {
            ctx.insert("enable_thinking".into(), Json::Bool(thinking));
        }
        let template = self
            .env
            .get_template(TEMPLATE_NAME)
            .map_err(|e| ModelError::Template(describe(&e)))?;
        template
            .render(Value::from_serialize(&ctx))
            .map_err(|e| ModelError::Template(describe(&e)))
    }
}

/// The error with its template location, and the chain of causes.
fn describe(err: &Error) -> String {
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn raise_exception(message: String) -> Result<Value, Error> {
    Err(Error::new(ErrorKind::InvalidOperation, message))
}

/// `strftime_now(format)`: the local time, formatted with Python's strftime codes.
fn strftime_now(format: String) -> Result<String, Error> {
    use chrono::format::{Item, StrftimeItems};
    let items: Vec<Item<'_>> = StrftimeItems::new(&format).collect();
    // chrono panics while formatting an invalid pattern; reject it first.
    if items.iter().any(|i| matches!(i, Item::Error)) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("strftime_now: invalid format {format:?}"),
        ));
    }
    Ok(chrono::Local::now()
        .format_with_items(items.into_iter())
        .to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(source: &str, request: &ChatRequest) -> Result<String> {
        ChatTemplate::new(
            source,
            SpecialTokens {
                bos_token: Some("<s>".into()),
                ..Default::default()
            },
        )?
        .render(request)
    }

    #[test]
    fn raise_exception_is_a_typed_error() {
        let err = render(
            "{{ raise_exception('Only user and assistant roles are supported!') }}",
            &ChatRequest::single_user("x"),
        )
        .unwrap_err();
        assert_eq!(err.code(), "template_error");
        assert!(
            err.to_string()
                .contains("Only user and assistant roles are supported!"),
            "{err}"
        );
    }

    #[test]
    fn a_syntax_error_is_typed() {
        let err =
            ChatTemplate::new("{% for m in messages %}", SpecialTokens::default()).unwrap_err();
        assert_eq!(err.code(), "template_syntax");
    }

    #[test]
    fn python_methods_bos_and_generation_prompt() {
        let source = "{{ bos_token }}{% for m in messages %}{{ m['role'].upper() }}:{{ m.content.strip() }}\n{% endfor %}{% if add_generation_prompt %}A:{% endif %}";
        let mut req = ChatRequest::single_user("  hi  ");
        assert_eq!(render(source, &req).unwrap(), "<s>USER:hi\nA:");
        req.add_generation_prompt = false;
        assert_eq!(render(source, &req).unwrap(), "<s>USER:hi\n");
    }

    #[test]
    fn tojson_matches_python_json_dumps() {
        let tools = vec![
            json!({"type": "function", "function": {"name": "f", "parameters": {"b": 1, "a": [1.5, true, null, "<x>"]}}}),
        ];
        let req = ChatRequest {
            tools: Some(tools),
            ..Default::default()
        };
        assert_eq!(
            render("{{ tools[0] | tojson }}", &req).unwrap(),
            r#"{"type": "function", "function": {"name": "f", "parameters": {"b": 1, "a": [1.5, true, null, "<x>"]}}}"#
        );
        assert_eq!(
            render(
                "{{ tools[0].function.parameters | tojson(indent=2) }}",
                &req
            )
            .unwrap(),
            "{\n  \"b\": 1,\n  \"a\": [\n    1.5,\n    true,\n    null,\n    \"<x>\"\n  ]\n}"
        );
    }

    #[test]
    fn enable_thinking_and_tools_pass_through() {
        let source = "{% if tools %}T{% endif %}{% if tools is none %}N{% endif %}{% if enable_thinking is defined and enable_thinking is false %}nothink{% endif %}";
        let mut req = ChatRequest::single_user("x");
        assert_eq!(render(source, &req).unwrap(), "N");
        req.enable_thinking = Some(false);
        req.tools = Some(vec![json!({})]);
        assert_eq!(render(source, &req).unwrap(), "Tnothink");
    }

    #[test]
    fn unset_special_tokens_are_undefined_and_documents_none() {
        let source =
            "[{{ bos_token }}|{{ bos_token is defined }}|{{ eos_token }}|{{ documents is none }}]";
        let template = ChatTemplate::new(
            source,
            SpecialTokens {
                eos_token: Some("</s>".into()),
                ..Default::default()
            },
        )
        .unwrap();
        let mut req = ChatRequest::single_user("x");
        assert_eq!(template.render(&req).unwrap(), "[|False|</s>|True]");
        req.extra
            .insert("documents".into(), json!([{"title": "t", "text": "d"}]));
        req.extra.insert("bos_token".into(), json!("<b>"));
        assert_eq!(template.render(&req).unwrap(), "[<b>|True|</s>|False]");
    }

    #[test]
    fn messages_reach_the_template_as_transformers_passes_them() {
        let source = "{% for m in messages %}{{ m.content is defined }} {{ m.reasoning_content }};{% endfor %}";
        let req = ChatRequest {
            messages: vec![
                json!({"role": "assistant", "content": null, "tool_calls": []}),
                json!({"role": "assistant", "content": "4", "thinking": "2+2"}),
            ],
            ..Default::default()
        };
        assert_eq!(render(source, &req).unwrap(), "False ;True 2+2;");
    }

    #[test]
    fn strftime_now_formats_and_rejects_bad_patterns() {
        let out = render("{{ strftime_now('%d %b %Y') }}", &ChatRequest::default()).unwrap();
        assert_eq!(out.len(), 11, "{out}");
        assert_eq!(
            render("{{ strftime_now('%Q') }}", &ChatRequest::default())
                .unwrap_err()
                .code(),
            "template_error"
        );
    }
}
