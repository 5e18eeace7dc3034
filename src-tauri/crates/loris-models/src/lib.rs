//! Loris Studio models: what a model *is*, apart from running it.
//!
//! - [`arch`]: the architectures Loris runs and how config.json / GGUF name them;
//! - [`config`]: config.json (transformers v4 and v5 layouts) normalized into [`ModelConfig`];
//! - [`gguf`]: GGUF files opened with typed errors and typed metadata access;
//! - [`tokenizer`]: tokenizer.json, or a tokenizer built from GGUF metadata;
//! - [`chat_template`]: Jinja chat templates rendered as transformers renders them;
//! - [`assets`]: tokenizer + template + special tokens + end-of-generation ids, together;
//! - [`tool_calls`]: tool calls parsed from output text (Qwen, Llama 3.x, Mistral formats);
//! - [`local_models`]: GGUF files and Hugging Face folders found in folders and the HF cache.

pub mod arch;
pub mod assets;
pub mod chat_template;
pub mod config;
pub mod error;
pub mod generation_config;
pub mod gguf;
pub mod local_models;
pub mod tokenizer;
pub mod tokenizer_config;
pub mod tool_calls;

pub use arch::Architecture;
pub use assets::TextAssets;
pub use chat_template::{ChatRequest, ChatTemplate, SpecialTokens};
pub use config::{LayerType, ModelConfig, RopeConfig, RopeScaling};
pub use error::{ModelError, Result};
pub use generation_config::GenerationConfig;
pub use gguf::GgufFile;
pub use tokenizer::{Tokenizer, TokenizerSource};
pub use tool_calls::{ParsedReply, ToolCall, ToolCallFormat};
