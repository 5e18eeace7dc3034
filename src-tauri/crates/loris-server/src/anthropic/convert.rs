//! Anthropic requests to the chat template's (OpenAI-style) messages, and the reply back to
//! content blocks.

use loris_models::tool_calls::ToolCall;
use serde_json::{Value as Json, json};

use super::types::{
    Block, Content, MessagesRequest, OutputFormat, Role, System, SystemBlock, Thinking, Tool,
    ToolChoice, ToolResultContent,
};
use crate::error::ApiError;
use crate::generation::{ChatJob, Sampling, add_system_instruction, json_instruction, new_id};

/// Everything of a request but `max_tokens`, checked; `count_tokens` uses it too.
pub(crate) fn chat_job(request: &MessagesRequest) -> Result<ChatJob, ApiError> {
    if request.messages.is_empty() {
        return Err(ApiError::invalid_field("messages", "must not be empty"));
    }
    if let Some(t) = request.temperature
        && !(0.0..=1.0).contains(&t)
    {
        return Err(ApiError::invalid_field(
            "temperature",
            "must be between 0 and 1",
        ));
    }
    let mut messages = Vec::new();
    if let Some(system) = &request.system {
        let text = match system {
            System::Text(text) => text.clone(),
            System::Blocks(blocks) => blocks
                .iter()
                .map(|SystemBlock::Text { text }| text.as_str())
                .collect::<Vec<_>>()
                .join("\n\n"),
        };
        if !text.is_empty() {
            messages.push(json!({"role": "system", "content": text}));
        }
    }
    for (i, message) in request.messages.iter().enumerate() {
        match message.role {
            Role::User => user_messages(i, &message.content, &mut messages)?,
            Role::Assistant => messages.push(assistant_message(i, &message.content)?),
        }
    }
    if let Some(OutputFormat::JsonSchema { schema }) = request
        .output_config
        .as_ref()
        .and_then(|c| c.format.as_ref())
    {
        add_system_instruction(&mut messages, &json_instruction(Some(schema)));
    }
    let stop = request.stop_sequences.clone().unwrap_or_default();
    if stop.iter().any(String::is_empty) {
        return Err(ApiError::invalid_field(
            "stop_sequences",
            "a stop sequence is empty",
        ));
    }
    Ok(ChatJob {
        model: request.model.clone(),
        messages,
        tools: tools(request.tools.as_deref(), request.tool_choice.as_ref())?,
        enable_thinking: match request.thinking {
            Some(Thinking::Enabled { .. } | Thinking::BetweenTools {}) => Some(true),
            Some(Thinking::Disabled {}) => Some(false),
            Some(Thinking::Adaptive {}) | None => None,
        },
        max_tokens: request.max_tokens,
        sampling: Sampling {
            temperature: request.temperature,
            top_p: request.top_p,
            top_k: request.top_k,
            ..Default::default()
        },
        stop,
    })
}

fn unsupported_block(field: &str) -> ApiError {
    ApiError::unsupported(
        field,
        "only text, tool_use, tool_result and thinking blocks are supported",
    )
}

/// A user turn: its tool results become `tool` messages (first, as they answer the previous
/// turn's calls), its text one `user` message.
fn user_messages(i: usize, content: &Content, out: &mut Vec<Json>) -> Result<(), ApiError> {
    let blocks = match content {
        Content::Text(text) => {
            out.push(json!({"role": "user", "content": text}));
            return Ok(());
        }
        Content::Blocks(blocks) => blocks,
    };
    let mut text = String::new();
    for (j, block) in blocks.iter().enumerate() {
        let field = format!("messages[{i}].content[{j}]");
        match block {
            Block::Text { text: t } => push_text(&mut text, t),
            Block::ToolResult {
                tool_use_id,
                content,
                is_error,
            } => {
                let mut result = match content {
                    None => String::new(),
                    Some(ToolResultContent::Text(t)) => t.clone(),
                    Some(ToolResultContent::Blocks(inner)) => {
                        let mut joined = String::new();
                        for block in inner {
                            match block {
                                Block::Text { text } => push_text(&mut joined, text),
                                _ => return Err(unsupported_block(&format!("{field}.content"))),
                            }
                        }
                        joined
                    }
                };
                if *is_error {
                    result = format!("Error: {result}");
                }
                out.push(json!({"role": "tool", "tool_call_id": tool_use_id, "content": result}));
            }
            Block::ToolUse { .. } | Block::Thinking { .. } | Block::RedactedThinking {} => {
                return Err(ApiError::invalid_field(
                    &field,
                    "only assistant turns may hold tool_use and thinking blocks",
                ));
            }
            Block::Image {} | Block::Document {} => return Err(unsupported_block(&field)),
        }
    }
    if !text.is_empty() || blocks.is_empty() {
        out.push(json!({"role": "user", "content": text}));
    }
    Ok(())
}

fn assistant_message(i: usize, content: &Content) -> Result<Json, ApiError> {
    let blocks = match content {
        Content::Text(text) => return Ok(json!({"role": "assistant", "content": text})),
        Content::Blocks(blocks) => blocks,
    };
    let mut text = String::new();
    let mut reasoning = String::new();
    let mut calls = Vec::new();
    for (j, block) in blocks.iter().enumerate() {
        let field = format!("messages[{i}].content[{j}]");
        match block {
            Block::Text { text: t } => push_text(&mut text, t),
            Block::Thinking { thinking } => push_text(&mut reasoning, thinking),
            Block::RedactedThinking {} => {}
            Block::ToolUse { id, name, input } => calls.push(json!({
                "id": id,
                "type": "function",
                "function": { "name": name, "arguments": input },
            })),
            Block::ToolResult { .. } => {
                return Err(ApiError::invalid_field(
                    &field,
                    "tool_result blocks belong in user turns",
                ));
            }
            Block::Image {} | Block::Document {} => return Err(unsupported_block(&field)),
        }
    }
    let mut message = json!({"role": "assistant", "content": text});
    if !calls.is_empty() {
        message["tool_calls"] = Json::Array(calls);
    }
    if !reasoning.is_empty() {
        message["reasoning_content"] = json!(reasoning);
    }
    Ok(message)
}

fn push_text(into: &mut String, text: &str) {
    if !into.is_empty() && !text.is_empty() {
        into.push('\n');
    }
    into.push_str(text);
}

fn tools(
    tools: Option<&[Tool]>,
    choice: Option<&ToolChoice>,
) -> Result<Option<Vec<Json>>, ApiError> {
    let Some(tools) = tools else {
        return Ok(None);
    };
    let mut defs = Vec::with_capacity(tools.len());
    for (i, tool) in tools.iter().enumerate() {
        if tool.kind.as_deref().is_some_and(|k| k != "custom") {
            return Err(ApiError::unsupported(
                &format!("tools[{i}].type"),
                "server tools are not supported; give custom tools with an input_schema",
            ));
        }
        if tool.name.is_empty() {
            return Err(ApiError::invalid_field(
                &format!("tools[{i}].name"),
                "must not be empty",
            ));
        }
        let Some(schema) = &tool.input_schema else {
            return Err(ApiError::invalid_field(
                &format!("tools[{i}].input_schema"),
                "is required",
            ));
        };
        let mut function = json!({ "name": tool.name, "parameters": schema });
        if let Some(d) = &tool.description {
            function["description"] = json!(d);
        }
        defs.push(json!({ "type": "function", "function": function }));
    }
    match choice {
        None | Some(ToolChoice::Auto {}) | Some(ToolChoice::Any {}) => Ok(Some(defs)),
        Some(ToolChoice::None {}) => Ok(None),
        Some(ToolChoice::Tool { name }) => {
            let chosen: Vec<Json> = defs
                .into_iter()
                .filter(|d| d["function"]["name"] == name.as_str())
                .collect();
            if chosen.is_empty() {
                return Err(ApiError::invalid_field(
                    "tool_choice.name",
                    format!("no tool is named '{name}'"),
                ));
            }
            Ok(Some(chosen))
        }
    }
}

/// A parsed tool call as a `tool_use` block.
pub(crate) fn tool_use_block(call: &ToolCall) -> Json {
    let input = if call.arguments.is_object() {
        call.arguments.clone()
    } else {
        json!({})
    };
    json!({ "type": "tool_use", "id": new_id("toolu_"), "name": call.name, "input": input })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::parse_json;

    fn job(body: Json) -> Result<ChatJob, ApiError> {
        let request: MessagesRequest = parse_json(body.to_string().as_bytes())?;
        chat_job(&request)
    }

    #[test]
    fn system_blocks_tool_use_and_results_become_template_messages() {
        let job = job(json!({
            "model": "m",
            "max_tokens": 10,
            "system": [{"type": "text", "text": "Be brief."}, {"type": "text", "text": "Be kind."}],
            "messages": [
                {"role": "user", "content": "Weather in Paris?"},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "Let me look."},
                    {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Paris"}}
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
                    {"type": "text", "text": "And tomorrow?"}
                ]}
            ],
            "tools": [{"name": "weather", "input_schema": {"type": "object"}}],
        }))
        .unwrap();
        let roles: Vec<&str> = job
            .messages
            .iter()
            .map(|m| m["role"].as_str().unwrap())
            .collect();
        assert_eq!(roles, ["system", "user", "assistant", "tool", "user"]);
        assert_eq!(job.messages[0]["content"], "Be brief.\n\nBe kind.");
        assert_eq!(
            job.messages[2]["tool_calls"][0]["function"]["arguments"]["city"],
            "Paris"
        );
        assert_eq!(job.messages[3]["tool_call_id"], "toolu_1");
        let tools = job.tools.unwrap();
        assert_eq!(tools[0]["function"]["name"], "weather");
    }

    #[test]
    fn invalid_fields_are_named() {
        let err = job(json!({"model": "m", "max_tokens": 5, "messages": [
            {"role": "user", "content": [{"type": "image", "source": {}}]}
        ]}))
        .err()
        .unwrap();
        assert_eq!(err.param.as_deref(), Some("messages[0].content[0]"));
        let err = job(json!({"model": "m", "messages": [{"role": "user", "content": "hi"}], "temperature": 1.5}))
            .err()
            .unwrap();
        assert_eq!(err.param.as_deref(), Some("temperature"));
        let err = job(json!({"model": "m", "messages": [{"role": "robot", "content": "hi"}]}))
            .err()
            .unwrap();
        assert_eq!(err.param.as_deref(), Some("messages[0].role"));
    }
}
