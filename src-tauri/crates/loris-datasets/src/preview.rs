//! The first rows of a dataset as tokens, each marked trained or not: what the CLI's
//! `--preview --json` prints and the UI colours, so a user sees exactly what the model learns.

use std::path::Path;

use loris_models::TextAssets;
use serde::Serialize;

use crate::encode::TokenizedSample;
use crate::error::{DatasetError, Result};
use crate::format::{detect, to_example};
use crate::prepare::{PrepareOptions, RowOutcome, SkipReason, process_row};
use crate::reader::read_rows;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewToken {
    pub id: u32,
    /// The token decoded on its own (special tokens spelled out).
    pub text: String,
    /// Whether the model is trained to predict this token.
    pub trained: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PreviewRow {
    /// 1-based row number in the file.
    pub row: usize,
    /// 1-based line, for JSONL and CSV.
    pub line: Option<usize>,
    /// The row's tokens as training sees them (cut to the sequence length when truncated).
    pub tokens: Vec<PreviewToken>,
    /// Set when `prepare` would leave the row out.
    pub skipped: Option<SkipReason>,
}

impl PreviewRow {
    /// The trained tokens, decoded run by run: one string per contiguous trained span.
    pub fn trained_spans(&self, assets: &TextAssets) -> Result<Vec<String>> {
        let mut spans = Vec::new();
        let mut run: Vec<u32> = Vec::new();
        for token in self.tokens.iter().chain(std::iter::once(&PreviewToken {
            id: 0,
            text: String::new(),
            trained: false,
        })) {
            if token.trained {
                run.push(token.id);
            } else if !run.is_empty() {
                spans.push(decode(assets, &run, self.row)?);
                run.clear();
            }
        }
        Ok(spans)
    }
}

fn decode(assets: &TextAssets, ids: &[u32], row: usize) -> Result<String> {
    assets
        .tokenizer
        .decode(ids, false)
        .map_err(|e| DatasetError::Tokenizer {
            at: crate::error::RowRef::row(row),
            reason: e.to_string(),
        })
}

/// The first `rows` rows of `path` (in file order, no shuffle), tokenized as [`crate::prepare`]
/// tokenizes them with `options`. Errors are those `prepare` would raise on these rows.
pub fn preview(
    path: &Path,
    assets: &TextAssets,
    options: &PrepareOptions,
    rows: usize,
) -> Result<Vec<PreviewRow>> {
    let limit = options.max_rows.map_or(rows, |m| m.min(rows));
    if limit == 0 {
        return Ok(Vec::new());
    }
    let read = read_rows(path, Some(limit))?;
    let format = detect(&read, options.format, &options.mapping)?;
    read.iter()
        .map(|row| {
            let example = to_example(row, format, &options.mapping)?;
            let (sample, skipped) = match process_row(&example, assets, options, row.at)? {
                RowOutcome::Sample { sample, .. } => (Some(sample), None),
                RowOutcome::Skipped { reason, sample } => (sample, Some(reason)),
            };
            let tokens = match sample {
                Some(sample) => preview_tokens(&sample, assets, row.at.row)?,
                None => Vec::new(),
            };
            Ok(PreviewRow {
                row: row.at.row,
                line: row.at.line,
                tokens,
                skipped,
            })
        })
        .collect()
}

fn preview_tokens(
    sample: &TokenizedSample,
    assets: &TextAssets,
    row: usize,
) -> Result<Vec<PreviewToken>> {
    sample
        .input_ids
        .iter()
        .zip(&sample.trainable)
        .enumerate()
        .map(|(i, (&id, &trainable))| {
            Ok(PreviewToken {
                id,
                text: decode(assets, &[id], row)?,
                // The first token is never a target: nothing comes before it.
                trained: trainable && i > 0,
            })
        })
        .collect()
}
