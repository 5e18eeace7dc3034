//! Data recipes: Unsloth Studio's recipe JSON (columns in NVIDIA Data Designer's configs), the
//! dependency check that orders the columns, generators for every column type, previews and
//! full runs written in batches that resume after a crash, model providers (OpenAI-compatible
//! endpoints and the model loaded in the app), run jobs and storage.

pub mod checks;
pub mod error;
pub mod format;
pub mod fuzzing;
pub mod generate;
pub mod jobs;
pub mod llm_columns;
pub mod preview;
pub mod processors;
pub mod providers;
pub mod run;
pub mod samplers;
pub mod seeds;
pub mod store;
pub mod validate;

pub use error::{IssueReport, RecipeError, Result, ValidationError};
pub use format::{Column, RecipeDocument, parse_recipe, parse_recipe_str, read_recipe_file};
pub use generate::{BatchOutput, GenerateOptions, Generator, ModelUsage, Row, SeedRows};
pub use preview::{MAX_PREVIEW_ROWS, Preview, PreviewOptions, preview, preview_with_seed};
pub use providers::{LlmCall, LlmProvider, LlmReply, ModelRouter, ProviderError, RouterOptions};
pub use validate::{Plan, validate, validate_with_seed};
