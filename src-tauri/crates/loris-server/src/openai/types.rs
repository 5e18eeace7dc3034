//! OpenAI request bodies, as far as this server reads them (unknown fields are ignored, as
//! OpenAI-compatible servers do).

use serde::Deserialize;
use serde_json::Value as Json;

use crate::error::ApiError;
use crate::generation::Sampling;

#[derive(Debug, Deserialize)]
pub(crate) struct ChatCompletionRequest {
    pub model: String,
    pub messages: Vec<Message>,
    #[serde(default)]
    pub stream: bool,
    pub stream_options: Option<StreamOptions>,
    pub max_tokens: Option<usize>,
    pub max_completion_tokens: Option<usize>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    /// Not OpenAI's, but llama.cpp's and vLLM's servers accept these too.
    pub top_k: Option<usize>,
    pub min_p: Option<f32>,
    pub repetition_penalty: Option<f32>,
    pub presence_penalty: Option<f32>,
    pub frequency_penalty: Option<f32>,
    pub seed: Option<u64>,
    pub stop: Option<StopField>,
    pub n: Option<u32>,
    pub tools: Option<Vec<Tool>>,
    pub tool_choice: Option<ToolChoice>,
    pub response_format: Option<ResponseFormat>,
    /// Qwen 3-style thinking switch (llama.cpp's and vLLM's `chat_template_kwargs`).
    pub chat_template_kwargs: Option<serde_json::Map<String, Json>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CompletionRequest {
    pub model: String,
    pub prompt: PromptField,
    #[serde(default)]
    pub stream: bool,
    pub stream_options: Option<StreamOptions>,
    pub max_tokens: Option<usize>,
    pub temperature: Option<f32>,
    pub top_p: Option<f32>,
    /// Not OpenAI's, but llama.cpp's and vLLM's servers accept these too.
    pub top_k: Option<usize>,
    pub min_p: Option<f32>,
    pub repetition_penalty: Option<f32>,
    pub presence_penalty: Option<f32>,
    pub frequency_penalty: Option<f32>,
    pub seed: Option<u64>,
    pub stop: Option<StopField>,
    pub n: Option<u32>,
    pub echo: Option<bool>,
}

/// Builds [`Sampling`] from a request with the sampling fields (not `serde(flatten)`: it would
/// lose the field names in error messages).
macro_rules! sampling_of {
    ($r:expr) => {
        $crate::generation::Sampling {
            temperature: $r.temperature,
            top_p: $r.top_p,
            top_k: $r.top_k,
            min_p: $r.min_p,
            presence_penalty: $r.presence_penalty,
            frequency_penalty: $r.frequency_penalty,
            repetition_penalty: $r.repetition_penalty,
            seed: $r.seed,
        }
    };
}

impl ChatCompletionRequest {
    pub fn sampling(&self) -> Sampling {
        sampling_of!(self)
    }
}

impl CompletionRequest {
    pub fn sampling(&self) -> Sampling {
        sampling_of!(self)
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct StreamOptions {
    #[serde(default)]
    pub include_usage: bool,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum StopField {
    One(String),
    Many(Vec<String>),
}

impl StopField {
    pub fn into_vec(self) -> Result<Vec<String>, ApiError> {
        let stops = match self {
            StopField::One(s) => vec![s],
            StopField::Many(v) => v,
        };
        if stops.len() > 4 {
            return Err(ApiError::invalid_field("stop", "at most 4 stop sequences"));
        }
        if stops.iter().any(String::is_empty) {
            return Err(ApiError::invalid_field("stop", "a stop sequence is empty"));
        }
        Ok(stops)
    }
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum PromptField {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Message {
    pub role: Role,
    pub content: Option<Content>,
    pub name: Option<String>,
    pub tool_calls: Option<Vec<ToolCallIn>>,
    pub tool_call_id: Option<String>,
    /// The reasoning of an earlier assistant turn (templates such as Qwen 3 read it).
    pub reasoning_content: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum Content {
    Text(String),
    Parts(Vec<Part>),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Part {
    Text {
        text: String,
    },
    Refusal {
        refusal: String,
    },
    /// Refused (text only); their fields are not read.
    ImageUrl {},
    InputAudio {},
    File {},
}

#[derive(Debug, Deserialize)]
pub(crate) struct ToolCallIn {
    pub id: Option<String>,
    pub function: FunctionCallIn,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FunctionCallIn {
    pub name: String,
    /// A JSON string, as OpenAI sends it.
    pub arguments: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Tool {
    #[serde(rename = "type")]
    pub kind: String,
    pub function: FunctionDef,
}

#[derive(Debug, Deserialize)]
pub(crate) struct FunctionDef {
    pub name: String,
    pub description: Option<String>,
    pub parameters: Option<Json>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum ToolChoice {
    /// `none`, `auto` or `required`.
    Mode(String),
    Named(NamedToolChoice),
}

#[derive(Debug, Deserialize)]
pub(crate) struct NamedToolChoice {
    pub function: NamedFunction,
}

#[derive(Debug, Deserialize)]
pub(crate) struct NamedFunction {
    pub name: String,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum ResponseFormat {
    Text,
    JsonObject,
    JsonSchema { json_schema: JsonSchemaFormat },
}

#[derive(Debug, Deserialize)]
pub(crate) struct JsonSchemaFormat {
    pub schema: Option<Json>,
}
