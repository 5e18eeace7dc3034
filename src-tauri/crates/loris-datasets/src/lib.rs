//! Training datasets from local files: JSONL, JSON, CSV and Parquet rows in the `messages`,
//! ShareGPT, Alpaca or raw-text format, rendered through the model's own chat template,
//! tokenized with a per-token "trained" flag (assistant turns only, by default), split into
//! train and eval by a seed, and packed into fixed-length sequences for the trainer.
//!
//! - [`reader`]: files to rows (JSON objects), picked by extension;
//! - [`format`]: the format detected from the columns (or chosen, or mapped), rows to examples;
//! - `spans`: where each assistant turn sits in the rendered template (no per-model markers);
//! - [`encode`]: examples to [`TokenizedSample`]s;
//! - [`packing`]: samples to [`PackedSequence`]s (first-fit packing, shifted labels);
//! - `split`: the seeded train/eval split;
//! - [`prepare()`]: all of the above, with a [`DatasetReport`]; [`preview()`]: the first rows'
//!   tokens, marked trained or not;
//! - [`error`]: [`DatasetError`] with a stable code per variant.

pub mod encode;
pub mod error;
pub mod format;
pub mod packing;
pub mod prepare;
pub mod preview;
pub mod reader;
mod spans;
mod split;

pub use encode::TokenizedSample;
pub use error::{DatasetError, Result, RowRef};
pub use format::{ColumnMapping, DatasetFormat, Example};
pub use packing::{
    IGNORE_INDEX, PAD_SEGMENT, PackedSequence, one_per_sequence, pack, trim_batch_padding,
};
pub use prepare::{
    DatasetReport, Overlong, PrepareOptions, PreparedDataset, SkipReason, SkippedRow, pad_id,
    prepare,
};
pub use preview::{PreviewRow, PreviewToken, preview};
