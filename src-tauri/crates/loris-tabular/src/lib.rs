//! Row files for the data-recipe engine.
//!
//! A row is a JSON object. This crate moves rows between memory and files: it reads seed
//! datasets (CSV, JSON, JSONL, Parquet) and unstructured documents (text, Markdown, PDF, split
//! into overlapping chunks), writes generated batches as JSONL and Parquet with atomic
//! replacement, merges batches, and serves pages of a file to the UI.
//!
//! Every failure is a [`TabularError`] with a stable [`code`](TabularError::code); damaged
//! input never panics.

mod document;
mod error;
mod format;
mod guard;
mod merge;
mod page;
mod read;
mod seed;
mod write;

pub use document::{
    DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, MAX_CHUNK_SIZE, normalize_text, read_document_text,
    split_into_chunks,
};
pub use error::{Location, Result, TabularError};
pub use format::TableFormat;
pub use merge::merge_files;
pub use page::{MAX_PAGE_ROWS, Page, read_page};
pub use read::parquet::JSON_COLUMNS_KEY;
pub use read::{count_rows, read_rows};
pub use seed::{
    CHUNK_TEXT_COLUMN, SamplingStrategy, SeedConfig, SeedSource, SeedTable, SelectionStrategy,
    load_seed,
};
pub use write::{write_jsonl, write_parquet};

/// One row: column name to JSON value, in column order.
pub type Row = serde_json::Map<String, serde_json::Value>;
