//! Loris Studio inference engine.
//!
//! - [`loader`]: GGUF files to runnable models ([`models`], one file per architecture), with
//!   their tokenizer and chat template ([`loris_models::TextAssets`]) and metadata;
//! - [`generate`]: one generation (prefill, sampling, stop conditions, streaming, usage and
//!   timings), driven by [`sampling`] and [`text_stream`];
//! - [`engine`]: one thread per loaded model, fed by a request queue, reusing the KV cache of
//!   the previous request's common prefix;
//! - [`registry`]: the loaded models by id, with load, progress, unload events.
//!
//! ```no_run
//! use loris_infer::{Engine, EngineOptions, GenerateRequest, LoadOptions, SamplingParams, load_gguf};
//! use loris_models::ChatRequest;
//!
//! # fn main() -> Result<(), loris_infer::InferError> {
//! let loaded = load_gguf("model.gguf".as_ref(), &LoadOptions { dequantize: true, ..Default::default() })?;
//! let engine = Engine::start(loaded, EngineOptions::default())?;
//! let (_, ids) = engine.assets().encode_chat(&ChatRequest::single_user("Hi!"))?;
//! let handle = engine.submit(GenerateRequest::new(ids, 64, SamplingParams::greedy()))?;
//! let output = handle.wait(|delta| print!("{}", delta.content))?;
//! println!("\n{:?}", output.usage);
//! # Ok(())
//! # }
//! ```

pub mod adapter;
pub mod attention;
pub mod device;
pub mod engine;
pub mod error;
pub mod generate;
pub mod json_constraint;
pub mod loader;
pub mod models;
pub mod names;
pub mod progress;
pub mod registry;
pub mod rope;
pub mod sampling;
pub mod text_stream;
pub mod weights;

pub use engine::{Engine, EngineOptions, RequestHandle};
pub use error::{InferError, Result};
pub use generate::{
    FinishReason, GenerateRequest, GenerationEvent, GenerationOutput, PromptCache, Timings, Usage,
    generate, generate_cached,
};
pub use loader::{
    LoadOptions, LoadedModel, ModelInfo, load, load_gguf, load_hf_dir, prefers_dequantized,
};
pub use registry::{LoadedEntry, ModelEvent, ModelRegistry};
pub use sampling::{Sampler, SamplingParams};
