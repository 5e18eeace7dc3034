//! A dataset file to training and evaluation sequences, with a report of what happened.
//!
//! Order of work: read the rows (at most `max_rows`, from the top of the file), pick the
//! format, turn *every* row into an example (so a malformed row is an error whatever the seed),
//! shuffle and split by the seed, tokenize through the chat template, apply the overlong policy,
//! then pack (or pad) each split.
//!
//! Rows that cannot train anything are skipped and listed in the report, never errors: rows
//! longer than the sequence with [`Overlong::Skip`] (the default), empty texts, chats without an
//! assistant turn (with `responses_only`), and rows with no trained token left. Everything else
//! wrong with a row (a missing field, a bad role, a template that refuses it) is an error naming
//! the row, since training on a silently thinned dataset hides the problem.

use std::path::Path;

use loris_models::TextAssets;
use serde::{Deserialize, Serialize};

use crate::encode::{TokenizedSample, Unusable, encode_example, eos_id};
use crate::error::{DatasetError, Result, RowRef};
use crate::format::{ColumnMapping, DatasetFormat, Example, detect, to_example};
use crate::packing::{PackedSequence, one_per_sequence, pack};
use crate::reader::read_rows;
use crate::split::{eval_count, split};

/// What to do with a row longer than the sequence length.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Overlong {
    /// Stop with `dataset_row_too_long`, naming the row.
    Error,
    /// Leave the row out and list it in the report's `skipped` (the default).
    #[default]
    Skip,
    /// Keep the first `seq_len` tokens; counted in the report's `truncated_rows`.
    Truncate,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PrepareOptions {
    /// The format; detected from the columns when `None`.
    pub format: Option<DatasetFormat>,
    /// Column names for files that do not use the defaults.
    pub mapping: ColumnMapping,
    /// Tokens per training sequence.
    pub seq_len: usize,
    /// Train on assistant turns only (chats and Alpaca); raw text is always fully trained.
    pub responses_only: bool,
    /// Pack several samples per sequence; else one sample per sequence.
    pub packing: bool,
    /// Fraction of the rows held out for evaluation, in `[0, 1)`.
    pub eval_fraction: f64,
    /// A number of evaluation rows instead of a fraction.
    pub eval_rows: Option<usize>,
    /// Seeds the shuffle that orders the rows and picks the evaluation rows.
    pub seed: u64,
    pub overlong: Overlong,
    /// Read at most this many rows from the top of the file.
    pub max_rows: Option<usize>,
}

impl Default for PrepareOptions {
    fn default() -> Self {
        PrepareOptions {
            format: None,
            mapping: ColumnMapping::default(),
            seq_len: 2048,
            responses_only: true,
            packing: true,
            eval_fraction: 0.0,
            eval_rows: None,
            seed: 42,
            overlong: Overlong::Skip,
            max_rows: None,
        }
    }
}

impl PrepareOptions {
    fn validate(&self) -> Result<()> {
        if self.seq_len < 2 {
            return Err(DatasetError::InvalidOptions(format!(
                "the sequence length must be at least 2 tokens, not {}",
                self.seq_len
            )));
        }
        eval_count(0, self.eval_fraction, self.eval_rows).map(|_| ())
    }
}

/// Why a row was left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum SkipReason {
    /// Longer than the sequence length, with [`Overlong::Skip`].
    #[serde(rename_all = "camelCase")]
    TooLong { tokens: usize, seq_len: usize },
    /// The text is empty or only whitespace.
    EmptyText,
    /// A chat without an assistant turn, trained on responses only.
    NoAssistantTurn,
    /// No token is trained (an empty answer, or truncation removed all of it).
    NothingTrained,
}

impl std::fmt::Display for SkipReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SkipReason::TooLong { tokens, seq_len } => {
                write!(
                    f,
                    "{tokens} tokens, longer than the sequence length {seq_len}"
                )
            }
            SkipReason::EmptyText => f.write_str("empty text"),
            SkipReason::NoAssistantTurn => f.write_str("no assistant turn to train on"),
            SkipReason::NothingTrained => f.write_str("no token to train on"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SkippedRow {
    /// 1-based row number in the file.
    pub row: usize,
    /// 1-based line, for JSONL and CSV.
    pub line: Option<usize>,
    /// Whether the row was in the evaluation split.
    pub eval: bool,
    pub reason: SkipReason,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DatasetReport {
    pub format: DatasetFormat,
    pub rows_read: usize,
    /// Rows assigned to each split, before skipping.
    pub train_rows: usize,
    pub eval_rows: usize,
    /// Samples that made it into each split's sequences.
    pub train_samples: usize,
    pub eval_samples: usize,
    pub train_sequences: usize,
    pub eval_sequences: usize,
    /// Skipped rows, by row number.
    pub skipped: Vec<SkippedRow>,
    /// Rows cut to the sequence length ([`Overlong::Truncate`]).
    pub truncated_rows: usize,
    /// Training targets (labels other than -100) in the train split.
    pub trained_tokens: usize,
    /// Sample tokens (not padding) in the train split.
    pub total_tokens: usize,
    /// Padding tokens in the train split.
    pub padding_tokens: usize,
    pub eval_trained_tokens: usize,
    pub eval_total_tokens: usize,
    pub seq_len: usize,
    pub packing: bool,
    pub responses_only: bool,
    /// The id that fills padding positions.
    pub pad_id: u32,
}

#[derive(Debug, Clone)]
pub struct PreparedDataset {
    pub train: Vec<PackedSequence>,
    pub eval: Vec<PackedSequence>,
    pub report: DatasetReport,
}

/// What became of one row.
pub(crate) enum RowOutcome {
    /// A sample, `truncated` when cut to the sequence length.
    Sample {
        sample: TokenizedSample,
        truncated: bool,
    },
    /// Left out; the sample when there was one (for previews).
    Skipped {
        reason: SkipReason,
        sample: Option<TokenizedSample>,
    },
}

/// Tokenizes one example and applies the overlong policy.
pub(crate) fn process_row(
    example: &Example,
    assets: &TextAssets,
    options: &PrepareOptions,
    at: RowRef,
) -> Result<RowOutcome> {
    let sample = match encode_example(example, assets, options.responses_only, at)? {
        Ok(sample) => sample,
        Err(unusable) => {
            let reason = match unusable {
                Unusable::EmptyText => SkipReason::EmptyText,
                Unusable::NoAssistantTurn => SkipReason::NoAssistantTurn,
            };
            return Ok(RowOutcome::Skipped {
                reason,
                sample: None,
            });
        }
    };
    let seq_len = options.seq_len;
    let tokens = sample.len();
    let (sample, truncated) = if tokens <= seq_len {
        (sample, false)
    } else {
        match options.overlong {
            Overlong::Error => {
                return Err(DatasetError::RowTooLong {
                    at,
                    tokens,
                    seq_len,
                });
            }
            Overlong::Skip => {
                return Ok(RowOutcome::Skipped {
                    reason: SkipReason::TooLong { tokens, seq_len },
                    sample: Some(sample),
                });
            }
            Overlong::Truncate => {
                let mut sample = sample;
                sample.input_ids.truncate(seq_len);
                sample.trainable.truncate(seq_len);
                (sample, true)
            }
        }
    };
    if sample.trained_tokens() == 0 {
        return Ok(RowOutcome::Skipped {
            reason: SkipReason::NothingTrained,
            sample: Some(sample),
        });
    }
    Ok(RowOutcome::Sample { sample, truncated })
}

/// The id written into padding: the tokenizer's pad token, else its EOS, else 0. Padding is
/// never attended to nor trained, so the choice only has to be a valid id.
pub fn pad_id(assets: &TextAssets) -> u32 {
    assets
        .special
        .pad_token
        .as_deref()
        .and_then(|t| assets.tokenizer.token_to_id(t))
        .or_else(|| eos_id(assets))
        .unwrap_or(0)
}

/// Reads, formats, tokenizes, splits and packs the dataset at `path` for the model whose
/// tokenizer and chat template `assets` holds.
pub fn prepare(
    path: &Path,
    assets: &TextAssets,
    options: &PrepareOptions,
) -> Result<PreparedDataset> {
    options.validate()?;
    let rows = read_rows(path, options.max_rows)?;
    let format = detect(&rows, options.format, &options.mapping)?;
    let examples = rows
        .iter()
        .map(|row| to_example(row, format, &options.mapping).map(|e| (row.at, e)))
        .collect::<Result<Vec<_>>>()?;

    let n_eval = eval_count(examples.len(), options.eval_fraction, options.eval_rows)?;
    let (train_idx, eval_idx) = split(examples.len(), n_eval, options.seed);

    let mut skipped = Vec::new();
    let mut truncated_rows = 0;
    let mut tokenize = |indices: &[usize], eval: bool| -> Result<Vec<TokenizedSample>> {
        let mut samples = Vec::with_capacity(indices.len());
        for &i in indices {
            let (at, example) = &examples[i];
            match process_row(example, assets, options, *at)? {
                RowOutcome::Sample { sample, truncated } => {
                    truncated_rows += usize::from(truncated);
                    samples.push(sample);
                }
                RowOutcome::Skipped { reason, .. } => skipped.push(SkippedRow {
                    row: at.row,
                    line: at.line,
                    eval,
                    reason,
                }),
            }
        }
        Ok(samples)
    };
    let train_samples = tokenize(&train_idx, false)?;
    let eval_samples = tokenize(&eval_idx, true)?;
    skipped.sort_by_key(|s| s.row);

    if train_samples.is_empty() {
        return Err(DatasetError::NoUsableRows {
            skipped: skipped.len(),
            first_reason: skipped
                .first()
                .map(|s| {
                    let at = RowRef {
                        row: s.row,
                        line: s.line,
                    };
                    format!("{at}: {}", s.reason)
                })
                .unwrap_or_else(|| "no training rows".to_owned()),
        });
    }

    let pad = pad_id(assets);
    let arrange = |samples: &[TokenizedSample]| {
        if options.packing {
            pack(samples, options.seq_len, pad)
        } else {
            one_per_sequence(samples, options.seq_len, pad)
        }
    };
    let train = arrange(&train_samples);
    let eval = arrange(&eval_samples);
    let sum = |seqs: &[PackedSequence], f: fn(&PackedSequence) -> usize| seqs.iter().map(f).sum();
    let total_tokens: usize = sum(&train, PackedSequence::real_tokens);
    let report = DatasetReport {
        format,
        rows_read: rows.len(),
        train_rows: train_idx.len(),
        eval_rows: eval_idx.len(),
        train_samples: train_samples.len(),
        eval_samples: eval_samples.len(),
        train_sequences: train.len(),
        eval_sequences: eval.len(),
        skipped,
        truncated_rows,
        trained_tokens: sum(&train, PackedSequence::trained_tokens),
        total_tokens,
        padding_tokens: train.len() * options.seq_len - total_tokens,
        eval_trained_tokens: sum(&eval, PackedSequence::trained_tokens),
        eval_total_tokens: sum(&eval, PackedSequence::real_tokens),
        seq_len: options.seq_len,
        packing: options.packing,
        responses_only: options.responses_only,
        pad_id: pad,
    };
    Ok(PreparedDataset {
        train,
        eval,
        report,
    })
}
