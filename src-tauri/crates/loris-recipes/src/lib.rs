//! Data recipes: Unsloth Studio's recipe JSON (columns in NVIDIA Data Designer's configs), the
//! dependency check that orders the columns, generators for sampler and expression columns,
//! previews with language-model columns through a caller's provider, and storage.

pub mod error;
pub mod format;
pub mod preview;
pub mod samplers;
pub mod store;
pub mod validate;

pub use error::{IssueReport, RecipeError, Result, ValidationError};
pub use format::{Column, RecipeDocument, parse_recipe, parse_recipe_str, read_recipe_file};
pub use preview::{LlmProvider, Preview, PreviewOptions, preview};
pub use validate::{Plan, validate};
