//! A preview: a few rows generated in memory and returned to the caller, failing on the first
//! cell that cannot be generated so that the recipe's author sees why.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use crate::error::{RecipeError, Result};
use crate::format::RecipeDocument;
use crate::generate::{
    BatchControl, ErrorGate, GenerateOptions, Generator, ModelUsage, Row, SeedRows,
};
use crate::providers::LlmProvider;

/// The most rows one preview generates; more is a full run.
pub const MAX_PREVIEW_ROWS: usize = 10_000;

#[derive(Debug, Clone)]
pub struct PreviewOptions {
    pub rows: usize,
    pub seed: u64,
    /// Attempts for a structured or judge reply that does not parse (at least one).
    pub max_attempts: u32,
}

impl Default for PreviewOptions {
    fn default() -> Self {
        PreviewOptions {
            rows: 10,
            seed: 0,
            max_attempts: 3,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preview {
    /// The output columns, seed columns first, after drops.
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    /// The rows of each `schema_transform` processor.
    pub processor_outputs: BTreeMap<String, Vec<Row>>,
    /// Requests and tokens per model alias.
    pub usage: BTreeMap<String, ModelUsage>,
}

/// Validates the recipe and generates `options.rows` rows.
pub fn preview(
    doc: &RecipeDocument,
    options: &PreviewOptions,
    llm: Option<&dyn LlmProvider>,
) -> Result<Preview> {
    preview_with_seed(doc, options, llm, None)
}

/// A preview whose rows start from a seed dataset's rows.
pub fn preview_with_seed(
    doc: &RecipeDocument,
    options: &PreviewOptions,
    llm: Option<&dyn LlmProvider>,
    seed_rows: Option<&dyn SeedRows>,
) -> Result<Preview> {
    if options.rows > MAX_PREVIEW_ROWS {
        return Err(RecipeError::InvalidOption {
            field: "rows",
            reason: format!("at most {MAX_PREVIEW_ROWS} rows in a preview"),
        });
    }
    let generator = Generator::new(
        doc,
        llm,
        seed_rows,
        GenerateOptions {
            seed: options.seed,
            max_attempts: options.max_attempts,
            strict: true,
        },
    )?;
    let cancelled = AtomicBool::new(false);
    // A preview reports the first failure itself; the gate never stops it.
    let gate = ErrorGate::new(1.0, 1, true);
    let control = BatchControl {
        cancelled: &cancelled,
        gate: &gate,
        on_column: &|_, _, _| {},
    };
    let batch = generator.generate(0..options.rows, &control)?;
    Ok(Preview {
        columns: generator.columns(),
        rows: batch.rows,
        processor_outputs: batch.processor_outputs,
        usage: batch.usage,
    })
}
