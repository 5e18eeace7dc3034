//! Anthropic Messages request bodies, as far as this server reads them.

use serde::Deserialize;
use serde_json::Value as Json;

#[derive(Debug, Deserialize)]
pub(crate) struct MessagesRequest {
    pub model: String,
    /// Required by `/v1/messages`, absent from `/v1/messages/count_tokens`.
    pub max_tokens: Option<usize>,
    pub messages: Vec<Message>,
    pub system: Option<System>,
    pub stop_sequences: Option<Vec<String>>,
    #[serde(default)]
    pub stream: bool,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    pub top_k: Option<usize>,
    pub tools: Option<Vec<Tool>>,
    pub tool_choice: Option<ToolChoice>,
    pub thinking: Option<Thinking>,
    pub output_config: Option<OutputConfig>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum System {
    Text(String),
    Blocks(Vec<SystemBlock>),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum SystemBlock {
    Text { text: String },
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    User,
    Assistant,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Message {
    pub role: Role,
    pub content: Content,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Content {
    Text(String),
    Blocks(Vec<Block>),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Block {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Json,
    },
    ToolResult {
        tool_use_id: String,
        content: Option<ToolResultContent>,
        #[serde(default)]
        is_error: bool,
    },
    Thinking {
        thinking: String,
    },
    RedactedThinking {},
    Image {},
    Document {},
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ToolResultContent {
    Text(String),
    Blocks(Vec<Block>),
}

#[derive(Debug, Deserialize)]
pub(crate) struct Tool {
    /// Anthropic's server tools (`web_search_20250305`, ...) have a type; custom tools may say
    /// `custom`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub input_schema: Option<Json>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ToolChoice {
    Auto {},
    Any {},
    Tool { name: String },
    None {},
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Thinking {
    Enabled {
        #[allow(dead_code)]
        budget_tokens: Option<usize>,
    },
    Disabled {},
    /// The model decides: the chat template's default.
    Adaptive {},
    BetweenTools {},
}

/// `output_config` of recent SDKs: `format` asks for JSON following a schema.
#[derive(Debug, Deserialize)]
pub(crate) struct OutputConfig {
    pub format: Option<OutputFormat>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum OutputFormat {
    JsonSchema { schema: Json },
}
