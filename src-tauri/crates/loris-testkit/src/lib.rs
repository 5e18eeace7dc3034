//! Test helpers shared by the Loris Studio crates.
//!
//! - [`fixtures`]: paths to the real files that `tests/fixtures/fetch.sh` downloads into a cache
//!   outside the repository (tokenizers with chat templates, two small GGUF models, two small chat
//!   data sets). Each accessor returns `None` when the file is absent; the `require_*` variants
//!   panic with a message saying how to fetch it; [`fixture_or_skip!`] skips a test instead.
//! - [`tiny_models`]: writes tiny random-weight Hugging Face model folders (config.json,
//!   safetensors, the real tokenizer files) for the architectures Loris supports, with the config
//!   fields and tensor names and shapes that Hugging Face transformers itself writes.
//!
//! ```no_run
//! use loris_testkit::tiny_models::{Arch, DType, TinyModelSpec, write_tiny_model};
//!
//! # fn main() -> std::io::Result<()> {
//! let dir = std::env::temp_dir().join("tiny-qwen3");
//! let model = write_tiny_model(&TinyModelSpec::new(Arch::Qwen3).with_dtype(DType::BF16), &dir)?;
//! assert_eq!(model.config["model_type"], "qwen3");
//! # Ok(())
//! # }
//! ```

pub mod fixtures;
pub mod tiny_models;
