//! Serde types for Unsloth Studio's recipe document: `recipe` (providers, model configs, seed,
//! tools, columns, processors), `run` and `ui`.
//!
//! Every struct keeps the fields it does not know in a flattened `extra` map, and `ui` is kept
//! as raw JSON, so a document imported and exported again is unchanged (compared as JSON
//! values). Optional fields are `Option`s skipped when absent for the same reason.

mod column;
mod parse;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use column::{
    COLUMN_TYPES, Column, ExpressionColumn, LlmCodeColumn, LlmJudgeColumn, LlmStructuredColumn,
    LlmTextColumn, SamplerColumn, Score, ValidationColumn,
};
pub use parse::{
    MAX_RECIPE_BYTES, parse_recipe, parse_recipe_str, read_recipe_file, to_json_value,
};

/// The whole recipe document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecipeDocument {
    pub recipe: Recipe,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<RunSection>,
    /// Node positions and editor state: only the Studio canvas reads it, so it stays raw.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ui: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_providers: Option<Vec<ModelProvider>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mcp_providers: Option<Vec<McpProvider>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_configs: Option<Vec<ModelConfig>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed_config: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_configs: Option<Vec<ToolConfig>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<Column>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processors: Option<Vec<Processor>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Recipe {
    pub fn columns(&self) -> &[Column] {
        self.columns.as_deref().unwrap_or(&[])
    }
    pub fn model_configs(&self) -> &[ModelConfig] {
        self.model_configs.as_deref().unwrap_or(&[])
    }
    pub fn model_providers(&self) -> &[ModelProvider] {
        self.model_providers.as_deref().unwrap_or(&[])
    }
    pub fn processors(&self) -> &[Processor] {
        self.processors.as_deref().unwrap_or(&[])
    }
}

/// An endpoint that serves models (OpenAI-compatible in Data Designer's terms).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelProvider {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpProvider {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A model under an alias that columns refer to through `model_alias`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelConfig {
    pub alias: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inference_parameters: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_alias: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A step applied to the generated rows; `drop_columns` is the one run today.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Processor {
    pub processor_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column_names: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_stage: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExecutionType {
    Preview,
    Full,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_formats: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution_type: Option<ExecutionType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merge_batches: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_config: Option<Value>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
